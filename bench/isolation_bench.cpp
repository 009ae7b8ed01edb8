// What `isolation: process` costs, each figure beside the same plugin in the host's process,
// measured run by run in turn in the same run (this VM's speed drifts for seconds at a time):
//   identity on 640x480 RGB frames, and on metadata-only frames (the host's own cost);
//   the latency it adds at a fixed 1,000 frames/s (p50, p99 of the end-to-end latency);
//   hog_person_detector on 640x480 frames, where the plugin's work dominates.
// Hosts are built from YAML as `framehost --config` builds them; isolated workers are the
// framehost binary beside this one.
//   isolation_bench [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/host_runs.hpp"
#include "bench/rows.hpp"
#include "core/log/log.hpp"

using namespace framehost;
using bench::HostRun;
using bench::median;
using Run = bench::HostRun;
constexpr auto row = bench::print_row;

namespace {

std::filesystem::path g_executable;

Run run_host(const std::string& yaml) {
    return bench::run_host(g_executable, yaml);
}

std::string config(std::uint64_t count, double rate, bool pixels, const std::string& processor,
                   int batch = 10) {
    return "pipeline: { workers: 2, batch_size: " + std::to_string(batch) +
           ", queue_capacity: 4096, progress_interval_s: 0, memory_limit_mb: 1024 }\n"
           "source: { plugin: synthetic_source, params: { count: " +
           std::to_string(count) + ", rate_fps: " + std::to_string(rate) +
           ", pixels: " + (pixels ? "true" : "false") +
           ", width: 640, height: 480, distinct_images: 8 } }\n"
           "processors: [ " +
           processor + " ]\n";
}

// The figure isolated beside the same in the host, run by run in turn, each first as often.
void compare(const std::string& figure, const std::string& in_host, const std::string& isolated,
             int runs, const std::string& target) {
    std::vector<double> ours, theirs;
    run_host(in_host);
    run_host(isolated);
    for (int i = 0; i < runs; ++i) {
        if (i % 2 == 0) {
            theirs.push_back(run_host(in_host).frames_per_second);
            ours.push_back(run_host(isolated).frames_per_second);
        } else {
            ours.push_back(run_host(isolated).frames_per_second);
            theirs.push_back(run_host(in_host).frames_per_second);
        }
    }
    row(figure, ours, "frames/s", "the same in the host's process", median(theirs), target, "");
}

}  // namespace

int main(int argc, char** argv) {
    g_executable = std::filesystem::read_symlink("/proc/self/exe");
    bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    core::set_log_level(LogLevel::Warn);
    const int runs = quick ? 3 : 5;
    const std::string identity = "{ plugin: identity }";
    const std::string isolated_identity =
        "{ plugin: identity, isolation: process, worker: { "
        "processes: 2 } }";

    auto pixel_frames = quick ? 20'000u : 100'000u;
    compare("isolated identity, 640x480 RGB frames (2 worker processes, batch 10)",
            config(pixel_frames, 0, true, identity),
            config(pixel_frames, 0, true, isolated_identity), runs, "ratio >= 0.8");
    auto meta_frames = quick ? 200'000u : 1'000'000u;
    compare("isolated identity, metadata-only frames (2 worker processes, batch 10)",
            config(meta_frames, 0, false, identity),
            config(meta_frames, 0, false, isolated_identity), runs, "ratio >= 0.5");

    // The latency a crossing adds, at a rate both reach: p50 and p99 of enter-to-last-sink.
    auto paced = quick ? 3'000u : 10'000u;
    std::vector<double> p50_in, p99_in, p50_iso, p99_iso;
    for (int i = 0; i < runs; ++i) {
        auto a = run_host(config(paced, 1000, true, identity, 1));
        auto b = run_host(config(paced, 1000, true, isolated_identity, 1));
        p50_in.push_back(a.p50_ms);
        p99_in.push_back(a.p99_ms);
        p50_iso.push_back(b.p50_ms);
        p99_iso.push_back(b.p99_ms);
    }
    std::vector<double> added50, added99;
    for (int i = 0; i < runs; ++i) {
        added50.push_back(p50_iso[static_cast<std::size_t>(i)] -
                          p50_in[static_cast<std::size_t>(i)]);
        added99.push_back(p99_iso[static_cast<std::size_t>(i)] -
                          p99_in[static_cast<std::size_t>(i)]);
    }
    char note[160];
    std::snprintf(note, sizeof note, "640x480 RGB at 1,000 frames/s, batch 1: p50 %.3f ms isolated",
                  median(p50_iso));
    row("latency isolation adds, p50", added50, "ms", "p50 in the host's process", median(p50_in),
        "", note);
    std::snprintf(note, sizeof note, "640x480 RGB at 1,000 frames/s, batch 1: p99 %.3f ms isolated",
                  median(p99_iso));
    row("latency isolation adds, p99", added99, "ms", "p99 in the host's process", median(p99_in),
        "", note);

    auto hog_frames = quick ? 60u : 200u;
    compare(
        "isolated hog_person_detector, 640x480 frames (2 worker processes)",
        config(hog_frames, 0, true, "{ plugin: hog_person_detector }", 1),
        config(hog_frames, 0, true,
               "{ plugin: hog_person_detector, isolation: process, worker: { processes: 2 } }", 1),
        runs, "ratio >= 0.95");
    return 0;
}
