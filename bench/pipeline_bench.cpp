// Pipeline benchmark: what the host costs per frame, what the pixel path reaches beside a bare
// loop over the same bytes, and whether memory stays flat over a long run.
//
//   build/bin/pipeline_bench [--quick] [--soak-seconds N] [--markdown FILE]
//
// Each figure is the median of several runs after a warm-up run, with min and max. The host is
// built from a YAML config exactly as `framehost --config` builds it, plugins loaded from the
// build's plugins folder.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/utsname.h>
#include <unistd.h>

#include "core/host/host.hpp"
#include "core/log/log.hpp"
#include "core/pipeline/pipeline.hpp"
#include "core/plugins/plugin_binding.hpp"
#include "core/resources/process_resources.hpp"

using namespace framehost;
using Clock = std::chrono::steady_clock;

namespace {

std::filesystem::path g_executable;

struct Figure {
    std::string name;
    std::string unit;
    std::vector<double> samples;
    std::string target;  // e.g. ">= 1000000"
    std::string note;

    double median() const {
        auto s = samples;
        std::sort(s.begin(), s.end());
        return s.empty() ? 0 : s[s.size() / 2];
    }
    double min() const {
        return samples.empty() ? 0 : *std::min_element(samples.begin(), samples.end());
    }
    double max() const {
        return samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end());
    }
};

struct RunResult {
    double frames_per_second;
    double p99_ms;  // end-to-end latency in the host (enter -> last sink), 99th percentile
};

// Runs a config to the end of its finite source.
RunResult run_host_measured(const std::string& yaml) {
    core::PluginCatalog catalog(core::bundled_plugin_directories(g_executable));
    auto config = core::parse_host_config(yaml, "bench.yaml", {}, catalog);
    core::Host host(std::move(config));
    auto started = Clock::now();
    host.start();
    host.wait();
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    auto s = host.states().snapshot();
    auto done = s.current[static_cast<int>(core::FrameState::Completed)];
    auto& latency = host.metrics().histogram("framehost_frame_latency_seconds",
                                             "From a frame entering the host to its last sink");
    return {static_cast<double>(done) / seconds, latency.snapshot().quantile(0.99) * 1000.0};
}

double run_host(const std::string& yaml) {
    return run_host_measured(yaml).frames_per_second;
}

std::string pipeline_yaml(std::uint64_t count, const std::string& processor_yaml, int batch,
                          bool pixels, double rate_fps = 0) {
    std::ostringstream y;
    y << "pipeline: { workers: 2, batch_size: " << batch
      << ", queue_capacity: 4096, progress_interval_s: 0, memory_limit_mb: 1024 }\n"
      << "source: { plugin: synthetic_source, params: { count: " << count
      << ", rate_fps: " << rate_fps << ", pixels: " << (pixels ? "true" : "false")
      << ", width: 640, height: 480, distinct_images: 8 } }\n"
      << "processors: [ " << processor_yaml << " ]\n";
    return y.str();
}

Figure measure(const std::string& name, int runs, const std::function<double()>& once,
               std::string target = "", std::string unit = "frames/s") {
    Figure f{name, unit, {}, std::move(target), ""};
    once();  // warm-up: page in the plugins, grow the queue, fill caches
    for (int i = 0; i < runs; ++i) f.samples.push_back(once());
    std::fprintf(stderr, "  %-58s %14.0f %s\n", name.c_str(), f.median(), unit.c_str());
    return f;
}

// A figure and its peer measured run by run in turn (peer, figure, figure, peer, peer...): this
// VM's speed drifts between states for seconds at a time, and a ratio of two figures measured one
// after the other then measures the drift. Interleaved, both see the same states; and as each
// goes first as often as the other, neither gains by its place (measured against itself with the
// peer always first, a side once came out at 1.29 times itself).
std::pair<Figure, Figure> measure_interleaved(const std::string& name,
                                              const std::function<double()>& once,
                                              const std::string& peer_name,
                                              const std::function<double()>& peer_once, int runs,
                                              std::string target) {
    Figure figure{name, "frames/s", {}, std::move(target), ""};
    Figure peer{peer_name, "frames/s", {}, "", ""};
    peer_once();
    once();
    for (int i = 0; i < runs; ++i) {
        if (i % 2 == 0) {
            peer.samples.push_back(peer_once());
            figure.samples.push_back(once());
        } else {
            figure.samples.push_back(once());
            peer.samples.push_back(peer_once());
        }
    }
    for (const Figure* f : {&peer, &figure})
        std::fprintf(stderr, "  %-58s %14.0f frames/s\n", f->name.c_str(), f->median());
    return {figure, peer};
}

// The peer of the pipeline-overhead rows: GStreamer pushing empty buffers through the same
// shape of pipeline, `gst-launch-1.0 fakesrc num-buffers=N ! identity ! fakesink`, in buffers/s
// with gst-launch's start-up (measured with num-buffers=1) subtracted.
struct GStreamerPeer {
    static constexpr const char* kName = "GStreamer fakesrc ! identity ! fakesink";
    std::uint64_t buffers;
    double startup_seconds = 0;

    static bool installed() {
        return std::system("command -v gst-launch-1.0 >/dev/null 2>&1") == 0;
    }
    static double seconds_for(std::uint64_t n) {
        std::string command = "gst-launch-1.0 -q fakesrc num-buffers=" + std::to_string(n) +
                              " ! identity ! fakesink >/dev/null 2>&1";
        auto started = Clock::now();
        if (std::system(command.c_str()) != 0)
            throw std::runtime_error("gst-launch-1.0 failed: " + command);
        return std::chrono::duration<double>(Clock::now() - started).count();
    }
    explicit GStreamerPeer(std::uint64_t n) : buffers(n) {
        std::vector<double> startups;
        for (int i = 0; i < 3; ++i) startups.push_back(seconds_for(1));
        std::sort(startups.begin(), startups.end());
        startup_seconds = startups[1];
    }
    double rate() const {
        return static_cast<double>(buffers) /
               std::max(seconds_for(buffers) - startup_seconds, 1e-6);
    }
};

// The ceiling for the pixel path: one thread computing each frame's mean intensity over the
// same pre-rendered images the synthetic source hands out, with nothing else around it. Summed
// in 64 KiB blocks of 32-bit lanes, as sample_detector does, so the loops compare like for like.
double bare_mean_loop(std::uint64_t frames) {
    const std::size_t size = 640 * 480 * 3;
    std::vector<std::vector<std::uint8_t>> images;
    for (int k = 0; k < 8; ++k) {
        std::vector<std::uint8_t> bytes(size);
        auto base = static_cast<std::uint8_t>(20 + (k * 53) % 200);
        for (std::size_t i = 0; i < size; ++i)
            bytes[i] = static_cast<std::uint8_t>(base + (i % 31));
        images.push_back(std::move(bytes));
    }
    volatile double sink = 0;
    auto started = Clock::now();
    for (std::uint64_t n = 0; n < frames; ++n) {
        const auto& bytes = images[n % images.size()];
        std::uint64_t total = 0;
        for (std::size_t start = 0; start < size; start += 1 << 16) {
            std::size_t end = std::min(size, start + (1 << 16));
            std::uint32_t block = 0;
            for (std::size_t i = start; i < end; ++i) block += bytes[i];
            total += block;
        }
        sink = sink + static_cast<double>(total) / static_cast<double>(size);
    }
    return static_cast<double>(frames) /
           std::chrono::duration<double>(Clock::now() - started).count();
}

std::string machine_line() {
    std::string cpu = "unknown CPU";
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) {
            cpu = line.substr(line.find(':') + 2);
            break;
        }
    }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    utsname u{};
    uname(&u);
    char text[512];
    std::snprintf(text, sizeof text, "%s, %ld cores, %.1f GiB, Linux %s, g++ %s", cpu.c_str(),
                  sysconf(_SC_NPROCESSORS_ONLN),
                  static_cast<double>(pages) * static_cast<double>(page) / (1 << 30), u.release,
                  __VERSION__);
    return text;
}

// Runs an endless pipeline for `seconds`, sampling RSS; returns growth from the first sample
// after warm-up to the last, in percent.
Figure soak(int seconds) {
    core::PluginCatalog catalog(core::bundled_plugin_directories(g_executable));
    auto yaml = pipeline_yaml(0, "{ plugin: sample_detector, params: { processing_delay_ms: 0 } }",
                              10, true);
    auto config = core::parse_host_config(yaml, "soak.yaml", {}, catalog);
    core::Host host(std::move(config));
    host.start();
    int warmup = std::min(30, seconds / 5);
    std::this_thread::sleep_for(std::chrono::seconds(warmup));
    double first = static_cast<double>(core::read_process_resources().rss_bytes);
    double peak = first, last = first;
    for (int t = warmup; t < seconds; t += 5) {
        std::this_thread::sleep_for(std::chrono::seconds(5));
        last = static_cast<double>(core::read_process_resources().rss_bytes);
        peak = std::max(peak, last);
    }
    host.request_stop();
    host.wait();
    auto s = host.states().snapshot();
    Figure f{"RSS growth over " + std::to_string(seconds) + " s (pixel frames, detector)",
             "%",
             {100.0 * (last - first) / first},
             "<= 5",
             ""};
    char note[160];
    std::snprintf(
        note, sizeof note,
        "RSS %.1f MiB after %d s warm-up, %.1f MiB at end, peak %.1f; %llu frames",
        first / (1 << 20), warmup, last / (1 << 20), peak / (1 << 20),
        static_cast<unsigned long long>(s.current[static_cast<int>(core::FrameState::Completed)]));
    f.note = note;
    std::fprintf(stderr, "  %-58s %14.2f %%  (%s)\n", f.name.c_str(), f.median(), note);
    return f;
}

// `n` sample_detector instances (delay 0) in a chain, each under its own name.
std::string detector_chain(int n) {
    std::string yaml;
    for (int i = 0; i < n; ++i)
        yaml += (i ? ", " : "") + std::string("{ plugin: sample_detector, name: d") +
                std::to_string(i) + ", params: { processing_delay_ms: 0 } }";
    return yaml;
}

// In-process plugins for the rows about SDK 1.0's contracts, which no shipped plugin exercises
// alone: they go through the same PluginInstance and Pipeline as loaded plugins.
class GeneratedSource final : public Source {
  public:
    GeneratedSource(std::uint64_t count, int cameras, std::vector<Image> images)
        : count_(count), cameras_(cameras), images_(std::move(images)) {
        for (int c = 0; c < cameras; ++c) ids_.push_back("camera_" + std::to_string(c));
    }
    ReadStatus read(std::vector<Frame>& out, std::size_t max) override {
        if (next_ >= count_) return ReadStatus::EndOfInput;
        for (std::size_t i = 0; i < max && next_ < count_; ++i, ++next_) {
            Frame& f = out.emplace_back();
            f.id = "g";
            f.camera_id = ids_[next_ % static_cast<std::uint64_t>(cameras_)];
            if (!images_.empty()) f.set_image(images_[next_ % images_.size()]);
        }
        return ReadStatus::Frames;
    }

  private:
    std::uint64_t count_;
    int cameras_;
    std::vector<Image> images_;
    std::vector<std::string> ids_;
    std::uint64_t next_ = 0;
};

// A fixed amount of arithmetic per frame (about 2 us here), standing in for a detector's work.
class WorkProcessor final : public Processor {
  public:
    void process(Frame& frame) override {
        std::uint64_t x =
            0x9e3779b97f4a7c15ULL ^ static_cast<std::uint64_t>(frame.camera_id.size());
        for (int i = 0; i < 2000; ++i)
            x = (x ^ (x >> 7)) * 0xbf58476d1ce4e5b9ULL + static_cast<std::uint64_t>(i);
        frame.timestamp_ms = static_cast<std::int64_t>(x & 0xffff);
    }
};

class PassProcessor final : public Processor {
  public:
    void process(Frame&) override {}
};

const PluginDescriptor kGenerated{"generated_source", "0", PluginKind::Source, "", {}};
const PluginDescriptor kWorkReentrant{"work", "0", PluginKind::Processor, "",
                                      {},     {},  Concurrency::Reentrant};
const PluginDescriptor kWorkOrdered{"work", "0", PluginKind::Processor,        "",
                                    {},     {},  Concurrency::OrderedPerCamera};
const PluginDescriptor kPass{"pass", "0", PluginKind::Processor, "",
                             {},     {},  Concurrency::Reentrant};

// One in-process run: `count` frames from `cameras` cameras (each carrying one of `images`, if
// any) through one processor made by `make` under `descriptor`.
struct InProcessRun {
    std::uint64_t count = 0;
    int cameras = 1;
    std::vector<Image> images;
    const PluginDescriptor* descriptor = nullptr;
    std::function<std::shared_ptr<Processor>()> make;
    std::size_t batch = 10;
    std::size_t queue_capacity = 4096;
    int workers = 2;
};

// Frames/s of `run`, memory budget 1 GiB.
double run_in_process(const InProcessRun& run) {
    core::MetricsRegistry metrics;
    core::FrameStates states;
    core::PipelineSettings settings;
    settings.workers = run.workers;
    settings.batch_size = run.batch;
    settings.queue_capacity = run.queue_capacity;
    settings.memory_limit_bytes = std::size_t{1} << 30;
    core::PipelineParts parts;
    auto source = std::make_shared<GeneratedSource>(run.count, run.cameras, run.images);
    parts.sources.push_back(
        {core::PluginInstance::create(kGenerated, "source", Params(), metrics,
                                      [source](PluginContext&) { return source; }),
         {}});
    auto processor = run.make();
    parts.processors.push_back(
        core::PluginInstance::create(*run.descriptor, "processor", Params(), metrics,
                                     [processor](PluginContext&) { return processor; }));
    core::Pipeline pipeline(settings, std::move(parts), metrics, states);
    auto started = Clock::now();
    pipeline.start();
    pipeline.wait();
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return static_cast<double>(
               states.snapshot().current[static_cast<int>(core::FrameState::Completed)]) /
           seconds;
}

// A decoder's frame pool: `count` NV12 frames of `width` x `height` in memory the pipeline does
// not own, wrapped as they are (a decoder cycles through a handful of such buffers).
std::vector<Image> foreign_nv12_frames(int count, int width, int height) {
    std::vector<Image> images;
    const auto luma = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    for (int i = 0; i < count; ++i) {
        auto memory = std::shared_ptr<std::uint8_t[]>(new std::uint8_t[luma * 3 / 2]());
        std::array<ImagePlane, 4> planes{};
        planes[0] = {memory.get(), static_cast<std::size_t>(width), luma};
        planes[1] = {memory.get() + luma, static_cast<std::size_t>(width), luma / 2};
        images.push_back(wrap_image(PixelFormat::NV12, width, height, planes,
                                    std::shared_ptr<const void>(memory, memory.get())));
    }
    return images;
}

// One result row as bench/lib.sh defines it (tab-separated).
std::string row(const Figure& f, const std::string& peer = "", double peer_median = 0) {
    char text[1024];
    std::snprintf(text, sizeof text, "%s\t%.6g\t%.6g\t%.6g\t%s\t%s\t%s\t%s\t%s\n", f.name.c_str(),
                  f.median(), f.min(), f.max(), f.unit.c_str(), peer.c_str(),
                  peer.empty() ? "" : std::to_string(peer_median).c_str(), f.target.c_str(),
                  f.note.c_str());
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    std::error_code ec;
    g_executable = std::filesystem::read_symlink("/proc/self/exe", ec);
    bool quick = false;
    int soak_seconds = 0;
    std::string rows_file;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--quick")
            quick = true;
        else if (a == "--soak-seconds" && i + 1 < argc)
            soak_seconds = std::stoi(argv[++i]);
        else if (a == "--rows" && i + 1 < argc)
            rows_file = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: pipeline_bench [--quick] [--soak-seconds N] [--rows FILE]\n");
            return 2;
        }
    }
    core::set_log_level(LogLevel::Warn);
    const int runs = quick ? 3 : 5;
    const std::uint64_t frames = quick ? 500'000 : 5'000'000;
    const std::uint64_t pixel_frames = quick ? 3'000 : 20'000;
    const std::uint64_t growth_frames = quick ? 100'000 : 500'000;
    const double latency_rate = 10'000;
    const std::uint64_t latency_frames = quick ? 5'000 : 20'000;
    const auto identity = "{ plugin: identity }";
    const auto detector = "{ plugin: sample_detector, params: { processing_delay_ms: 0 } }";

    std::fprintf(stderr, "pipeline_bench on %s\n", machine_line().c_str());
    std::string rows;
    // Measured in turn with GStreamer, run by run (see measure_interleaved). At batch 10 the
    // host is to reach 1.5 times GStreamer's rate; without GStreamer, a floor of 1M frames/s.
    std::optional<GStreamerPeer> gstreamer;
    if (GStreamerPeer::installed())
        gstreamer.emplace(quick ? 500'000 : 3'000'000);
    else
        std::fprintf(stderr, "  gst-launch-1.0 is not installed: no GStreamer peer\n");
    for (int batch : {10, 100}) {
        auto name =
            "pipeline overhead: synthetic -> identity, no pixels, batch " + std::to_string(batch);
        auto host = [&] { return run_host(pipeline_yaml(frames, identity, batch, false)); };
        Figure f;
        std::string peer_name;
        double peer_rate = 0;
        if (gstreamer) {
            auto [figure, peer] = measure_interleaved(
                name, host, GStreamerPeer::kName, [&] { return gstreamer->rate(); }, runs,
                batch == 10 ? "ratio >= 1.5" : ">= 1000000");
            f = figure;
            peer_name = GStreamerPeer::kName;
            peer_rate = peer.median();
        } else {
            f = measure(name, runs, host, ">= 1000000");
        }
        char note[96];
        std::snprintf(note, sizeof note, "%.0f ns/frame", 1e9 / f.median());
        f.note = note;
        rows += row(f, peer_name, peer_rate);
    }
    for (int batch : {10, 100})
        rows += row(measure(
            "metadata frames -> sample_detector (delay 0), batch " + std::to_string(batch), runs,
            [&] { return run_host(pipeline_yaml(frames, detector, batch, false)); }, ">= 500000"));

    auto host_pixels = measure(
        "pixel path: 640x480 RGB -> sample_detector (delay 0), 2 workers", runs,
        [&] { return run_host(pipeline_yaml(pixel_frames, detector, 10, true)); }, "ratio >= 0.5");
    auto bare = measure("bare loop: mean of the same bytes, 1 thread", runs,
                        [&] { return bare_mean_loop(pixel_frames); });
    rows += row(host_pixels, "bare loop over the same bytes, 1 thread", bare.median());

    // Order per camera costs little: 8 cameras through an ordered_per_camera processor beside
    // the same processor declared reentrant.
    const std::uint64_t work_frames = quick ? 200'000 : 1'000'000;
    auto work_run = [&](const PluginDescriptor& descriptor) {
        InProcessRun run{
            work_frames, 8, {}, &descriptor, [] { return std::make_shared<WorkProcessor>(); }};
        return [run] { return run_in_process(run); };
    };
    auto [ordered, reentrant] = measure_interleaved(
        "8 cameras -> the same processor, ordered_per_camera, 2 workers", work_run(kWorkOrdered),
        "8 cameras -> a 2 us processor, reentrant, 2 workers", work_run(kWorkReentrant), runs,
        "ratio >= 0.8");
    rows += row(ordered, "the same processor declared reentrant", reentrant.median());

    // A decoder's 1080p NV12 frame is wrapped, never copied: it costs what a frame without pixels
    // costs. Both runs queue at most 256 frames: 256 such frames (800 MB) fit the 1 GiB budget, so
    // the budget does not bound the wrapped run to fewer frames in flight than the other. One
    // worker, so that the source and the worker have a core each: with two workers on two cores
    // the three threads take turns, and one side's runs spread wider (3.9M to 6.6M frames/s)
    // than the few tens of nanoseconds a frame's image costs. The difference is a few tens of
    // nanoseconds (perf: mostly the source's increment of the owner's reference count, which the
    // worker's core decremented last), below the spread of single runs, so the pair runs more
    // often than the other rows.
    auto nv12 = foreign_nv12_frames(16, 1920, 1080);
    const int nv12_runs = quick ? 5 : 9;
    auto wrapped_run = [&](const std::vector<Image>& images) {
        InProcessRun run{frames, 1, images, &kPass,
                         [] { return std::make_shared<PassProcessor>(); }};
        run.queue_capacity = 256;
        run.workers = 1;
        return [run] { return run_in_process(run); };
    };
    auto [wrapped, metadata_only] = measure_interleaved(
        "wrapped 1920x1080 NV12 frames (a pool of 16) -> the same processor, batch 10, 1 worker",
        wrapped_run(nv12), "metadata-only frames -> a pass-through processor, batch 10, 1 worker",
        wrapped_run({}), nv12_runs, "ratio >= 0.9");
    rows += row(wrapped, "metadata-only frames, same chain", metadata_only.median());
    // What is left between the two is the image's hand-over, not its size: the same pool of
    // 16x16 frames costs what the 1080p one does. A copy anywhere would cost 1080p frames
    // 8,100 times the bytes.
    auto tiny = foreign_nv12_frames(16, 16, 16);
    auto [large, small] = measure_interleaved(
        "wrapped 1920x1080 NV12 frames beside wrapped 16x16 ones (pools of 16), 1 worker",
        wrapped_run(nv12), "wrapped 16x16 NV12 frames, same chain", wrapped_run(tiny), nv12_runs,
        "ratio >= 0.9");
    rows += row(large, "wrapped 16x16 NV12 frames, same chain", small.median());

    // Cost of growth: throughput flat out, and p99 latency at a fixed rate the host sustains.
    auto growth = [&](const std::string& name, const std::string& chain, int batch) {
        auto f = measure(
            name, 3, [&] { return run_host(pipeline_yaml(growth_frames, chain, batch, false)); });
        std::vector<double> p99;
        for (int i = 0; i < (quick ? 1 : 3); ++i)
            p99.push_back(
                run_host_measured(pipeline_yaml(latency_frames, chain, batch, false, latency_rate))
                    .p99_ms);
        std::sort(p99.begin(), p99.end());
        char note[128];
        std::snprintf(note, sizeof note, "p99 %.3f ms at %.0f frames/s", p99[p99.size() / 2],
                      latency_rate);
        f.note = note;
        rows += row(f);
    };
    for (int n : {1, 2, 4, 8})
        growth("growth: " + std::to_string(n) + " x sample_detector, batch 10", detector_chain(n),
               10);
    for (int batch : {1, 5, 10, 25, 50, 100})
        growth("growth: sample_detector, batch " + std::to_string(batch), detector_chain(1), batch);

    if (soak_seconds > 0) {
        auto f = soak(soak_seconds);
        rows += row(f);
    }
    std::cout << rows;
    if (!rows_file.empty()) std::ofstream(rows_file) << rows;
    return 0;
}
