#include "core/plugins/conformance_check.hpp"

#include "core/isolation/isolated_plugin.hpp"
#include "core/isolation/worker_process.hpp"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/config/diagnostics.hpp"
#include "core/config/param_values.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "core/plugins/plugin_library.hpp"
#include "framehost/version.hpp"

namespace framehost::core {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::nanoseconds;

constexpr int kWidth = 640;
constexpr int kHeight = 480;
constexpr int kTimedFrames = 24;
constexpr std::size_t kBatch = 16;
constexpr std::size_t kSourceReadMax = 8;
constexpr auto kReadContract = std::chrono::milliseconds(1000);  // "about 100 ms", ten times over
constexpr auto kStatusContract = std::chrono::milliseconds(10);

bool is_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// MAJOR.MINOR.PATCH, optionally followed by -prerelease or +build.
bool is_semantic_version(std::string_view version) {
    auto core = version.substr(0, version.find_first_of("-+"));
    auto first = core.find('.');
    auto second = first == std::string_view::npos ? first : core.find('.', first + 1);
    if (second == std::string_view::npos) return false;
    return is_digits(core.substr(0, first)) &&
           is_digits(core.substr(first + 1, second - first - 1)) &&
           is_digits(core.substr(second + 1));
}

std::string duration_text(nanoseconds d) {
    std::ostringstream out;
    out.precision(3);
    double us = static_cast<double>(d.count()) / 1000.0;
    if (us < 1000)
        out << us << " µs";
    else if (us < 1e6)
        out << us / 1000 << " ms";
    else
        out << us / 1e6 << " s";
    return out.str();
}

// Frames from two cameras whose content changes from frame to frame (so detectors that compare
// frames have something to see), as a camera through the frame buffer delivers them.
Frame generated_frame(int n, bool with_pixels) {
    Frame f;
    f.id = "check-" + std::to_string(n);
    f.camera_id = n % 2 ? "camera_02" : "camera_01";
    f.timestamp_ms = 1'764'000'000'000 + n * 40;
    f.metadata = {{"sequence", n}};
    if (!with_pixels) return f;
    f.width = kWidth;
    f.height = kHeight;
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(kWidth) * kHeight * 3);
    for (int y = 0; y < kHeight; ++y) {
        for (int x = 0; x < kWidth; ++x) {
            auto* p = &bytes[(static_cast<std::size_t>(y) * kWidth + x) * 3];
            // A moving bright square on a gradient.
            bool square = x / 64 == (n % 10) && y / 64 == (n % 7);
            p[0] = square ? 250 : static_cast<std::uint8_t>(x / 3);
            p[1] = square ? 250 : static_cast<std::uint8_t>(y / 2);
            p[2] = static_cast<std::uint8_t>(n * 5);
        }
    }
    f.set_image(image_from_bytes(PixelFormat::RGB24, kWidth, kHeight, std::move(bytes)));
    return f;
}

// The same frame with the same pixels in rows padded to a wider stride, the padding filled with
// a value no real row has there: a plugin that reads rows as if packed sees other pixels.
Frame padded_copy(const Frame& packed) {
    Frame f = packed;
    const Image& src = packed.image;
    Image padded = make_image(src.format, src.width, src.height);
    std::size_t stride = src.row_bytes(0) + 96;
    auto owner = std::make_shared<std::vector<std::uint8_t>>(
        stride * static_cast<std::size_t>(src.height), 0xA5);
    for (int y = 0; y < src.height; ++y)
        std::copy(src.row(0, y), src.row(0, y) + src.row_bytes(0),
                  owner->data() + stride * static_cast<std::size_t>(y));
    std::array<ImagePlane, 4> planes{};
    planes[0] = {owner->data(), stride, owner->size()};
    f.image = wrap_image(src.format, src.width, src.height, planes, owner);
    return f;
}

// Counts what a sink reports it could not write.
class CountingReport final : public SinkReport {
  public:
    void failed(std::size_t, std::string_view) override { ++count; }
    std::size_t count = 0;
};

class Checker {
  public:
    explicit Checker(const ConformanceOptions& options) : options_(options) {}

    // Isolated, a call's time includes the frame's crossing to the worker (a copy of its
    // pixels: the check has no frame pool), which the budget does not count: only a warning.
    void over_budget(const std::string& what) {
        if (options_.isolated)
            warn(what + ", crossing to the worker included");
        else
            fail(what);
    }

    std::shared_ptr<PluginInstance> create() {
        const auto& d = library_->descriptor();
        if (!options_.isolated || d.kind == PluginKind::Source)
            return PluginInstance::create(library_, d.name, params_, metrics_);
        isolation::WorkerSpec spec;
        spec.executable = isolation::worker_executable();
        spec.plugin_file = library_->file();
        spec.instance_name = d.name;
        nlohmann::json values = nlohmann::json::object();  // JSON is YAML too
        for (const auto& [name, entry] : params_.json().items())
            if (!entry["value"].is_null()) values[name] = entry["value"];
        spec.params_yaml = values.dump();
        spec.settings.kill_after = options_.call_timeout;
        spec.settings.start_timeout = options_.call_timeout;
        spec.arena_bytes = 256u << 20;
        return PluginInstance::create(library_, d.name, params_, metrics_,
                                      [spec, &d](PluginContext& context) {
                                          return isolation::make_isolated(spec, d, context);
                                      });
    }

    ConformanceVerdict run() {
        if (!load()) return finish();
        lint_descriptor();
        if (!build_params()) return finish();
        if (!call("the constructor", [&] { instance_ = create(); })) return finish();
        ok(std::string(options_.isolated ? "created in a worker process with " : "created with ") +
           params_summary_);
        if (!call("start()", [&] { instance_->plugin().start(); })) return finish();
        ok("start() returned in " + duration_text(last_elapsed_));
        check_status();
        if (auto* processor = instance_->processor()) check_processor(*processor);
        if (auto* source = instance_->source()) check_source(*source);
        if (auto* sink = instance_->sink()) check_sink(*sink);
        check_status();
        if (options_.isolated) check_worker();
        if (call("stop()", [&] { instance_->plugin().stop(); }))
            ok("stop() returned in " + duration_text(last_elapsed_));
        if (call("destroy", [&] { instance_.reset(); })) ok("destroyed");
        return finish();
    }

  private:
    void ok(const std::string& text) { options_.report(CheckLevel::Ok, text); }
    void warn(const std::string& text) {
        ++warnings_;
        options_.report(CheckLevel::Warn, text);
    }
    void fail(const std::string& text) {
        ++failures_;
        options_.report(CheckLevel::Fail, text);
    }

    ConformanceVerdict finish() {
        std::string name =
            library_ ? library_->descriptor().name : options_.file.filename().string();
        std::string summary = name + ": " + (failures_ ? "FAILS" : "passes") + " (" +
                              std::to_string(failures_) + " problem" + (failures_ == 1 ? "" : "s") +
                              ", " + std::to_string(warnings_) + " warning" +
                              (warnings_ == 1 ? "" : "s") + ")";
        options_.report(failures_ ? CheckLevel::Fail : CheckLevel::Ok, summary);
        return failures_ ? ConformanceVerdict::Fail : ConformanceVerdict::Pass;
    }

    // Runs `body` on its own thread under the deadline. False (and reported) when it threw or
    // did not return; `last_elapsed_` holds how long it took.
    bool call(const std::string& what, std::function<void()> body, std::string* error = nullptr) {
        options_.entering(what);
        struct Shared {
            std::mutex mutex;
            std::condition_variable done_cv;
            bool done = false;
            std::string error;
            nanoseconds elapsed{};
        };
        auto shared = std::make_shared<Shared>();
        std::thread([shared, body = std::move(body)] {
            auto started = Clock::now();
            std::string error;
            try {
                body();
            } catch (const std::exception& e) {
                error = e.what();
                if (error.empty()) error = "an exception with an empty message";
            } catch (...) {
                error = "an exception that is not a std::exception";
            }
            std::lock_guard lock(shared->mutex);
            shared->elapsed = Clock::now() - started;
            shared->error = std::move(error);
            shared->done = true;
            shared->done_cv.notify_all();
        }).detach();
        std::unique_lock lock(shared->mutex);
        if (!shared->done_cv.wait_for(lock, options_.call_timeout, [&] { return shared->done; })) {
            fail(what + " did not return within " + duration_text(options_.call_timeout) +
                 budget_note() + ": it must return (a hung call stalls a host worker forever)");
            finish();
            options_.abandon();
            std::abort();  // abandon() must not return
        }
        last_elapsed_ = shared->elapsed;
        if (shared->error.empty()) return true;
        if (error)
            *error = shared->error;
        else
            fail(what + " threw: " + shared->error);
        return false;
    }

    std::string budget_note() const {
        if (!library_ || library_->descriptor().frame_budget.count() <= 0) return "";
        return " (declared frame budget " + duration_text(library_->descriptor().frame_budget) +
               ")";
    }

    bool load() {
        try {
            library_ = PluginLibrary::load(options_.file);
        } catch (const PluginLoadError& e) {
            fail("refused: " + e.reason());
            return false;
        }
        const auto& d = library_->descriptor();
        ok("loads: " + d.name + " " + d.version + ", " + to_string(d.kind) + ", built with SDK " +
           library_->sdk_version() + " (plugin ABI " + std::to_string(kAbiVersion) + ")");
        ok("parameter spec: " + std::to_string(d.params.size()) + " parameter" +
           (d.params.size() == 1 ? "" : "s") + ", defaults within their ranges");
        return true;
    }

    void lint_descriptor() {
        const auto& d = library_->descriptor();
        if (!is_lower_snake_case(d.name))
            warn("name '" + d.name + "' is not lower_snake_case: configs will have to quote it");
        if (!is_semantic_version(d.version))
            warn("version '" + d.version + "' is not MAJOR.MINOR.PATCH");
        if (d.description.empty()) warn("the descriptor has no description (inspect shows it)");
        for (const auto& p : d.params)
            if (p.description.empty()) warn("parameter '" + p.name + "' has no description");
        if (d.kind != PluginKind::Source && d.frame_budget.count() <= 0)
            warn(
                "declares no frame_budget: nothing to hold its speed to (set it in the "
                "descriptor)");
    }

    bool build_params() {
        const auto& d = library_->descriptor();
        YAML::Node values(YAML::NodeType::Map);
        Diagnostics diagnostics("check-plugin");
        params_summary_ = "default parameters";
        for (const auto& o : options_.params) {
            YAML::Node value;
            try {
                value = YAML::Load(o.value);
            } catch (const YAML::Exception&) {
                value = YAML::Node(o.value);
            }
            values[o.path] = value;
            diagnostics.mark_override(values[o.path], "--set " + o.path + "=" + o.value);
            params_summary_ +=
                (o.path == options_.params.front().path ? " and " : ", ") + o.path + "=" + o.value;
        }
        try {
            params_ =
                validate_params(values, values, d.params, "plugin '" + d.name + "'", diagnostics);
            diagnostics.throw_if_any();
        } catch (const ConfigErrors& e) {
            for (const auto& error : e.errors()) {
                bool missing = error.message.find("required") != std::string::npos;
                fail(error.to_string() + (missing ? " (give it with --set NAME=VALUE)" : ""));
            }
            return false;
        }
        return true;
    }

    // In a worker, a crash costs only the frames of that call, and the frames come back failed:
    // the worker's restarts are what says it crashed.
    void check_worker() {
        auto isolation = instance_->plugin().status().value("isolation", nlohmann::json::object());
        auto restarts = isolation.value("restarts", 0);
        if (restarts > 0)
            fail("its worker process crashed and was restarted " + std::to_string(restarts) +
                 " time(s) (last: " + isolation.value("last_crash", std::string()) + ")");
        else
            ok("its worker process never crashed");
    }

    void check_status() {
        nlohmann::json status;
        if (!call("status()", [&] { status = instance_->plugin().status(); })) return;
        if (!status.is_object())
            fail("status() must return a JSON object, returned " + std::string(status.type_name()));
        else if (last_elapsed_ > kStatusContract)
            warn("status() took " + duration_text(last_elapsed_) +
                 ": /health calls it on every request, it must not block");
    }

    // Frame by frame, as the host calls it with batch size 1; then one batch; then from several
    // threads at once (the host's workers share one instance).
    void check_processor(Processor& processor) {
        const auto budget = library_->descriptor().frame_budget;

        Frame bare = generated_frame(0, false);
        std::vector<Frame*> one{&bare};
        if (!call("process() of a frame without pixels", [&] { processor.process_batch(one); }))
            return;
        ok(bare.failed() ? "a frame without pixels is failed: \"" + bare.error() + "\""
                         : "a frame without pixels passes");

        std::vector<Frame> frames;
        for (int n = 1; n <= kTimedFrames; ++n) frames.push_back(generated_frame(n, true));
        std::vector<nanoseconds> times;
        std::size_t failed = 0;
        for (auto& frame : frames) {
            std::vector<Frame*> single{&frame};
            if (!call("process() of frame " + frame.id, [&] { processor.process_batch(single); }))
                return;
            times.push_back(last_elapsed_);
            failed += frame.failed();
            check_results(frame);
        }
        std::sort(times.begin(), times.end());
        auto median = times[times.size() / 2];
        std::string timing = std::to_string(frames.size()) + " frames of " +
                             std::to_string(kWidth) + "x" + std::to_string(kHeight) + " RGB, " +
                             std::to_string(failed) + " failed, median " + duration_text(median) +
                             ", slowest " + duration_text(times.back());
        if (budget.count() > 0 && median > budget * options_.budget_tolerance)
            over_budget("process() takes far longer than its declared frame budget of " +
                        duration_text(budget) + ": " + timing);
        else
            ok("process(): " + timing +
               (budget.count() > 0 ? " (budget " + duration_text(budget) + ")" : ""));
        if (failed == frames.size())
            warn("every generated frame failed (first: \"" + frames.front().error() +
                 "\"): is the plugin meant to refuse 640x480 RGB?");

        std::vector<Frame> batch;
        std::vector<Frame*> pointers;
        for (std::size_t i = 0; i < kBatch; ++i) batch.push_back(frames[i % frames.size()]);
        for (auto& f : batch) {
            f.results = nullptr;
            f.detections.clear();
            pointers.push_back(&f);
        }
        if (!call("process_batch() of " + std::to_string(kBatch) + " frames",
                  [&] { processor.process_batch(pointers); }))
            return;
        ok("process_batch() of " + std::to_string(kBatch) + " frames in " +
           duration_text(last_elapsed_));

        check_strides(processor, frames);
        check_concurrency(processor, frames);
    }

    // Detections and the frame's fate; results are left out, as they may hold timings.
    static bool same_output(const Frame& a, const Frame& b) {
        if (a.failed() != b.failed() || a.filtered() != b.filtered() ||
            a.detections.size() != b.detections.size())
            return false;
        for (std::size_t i = 0; i < a.detections.size(); ++i)
            if (a.detections[i].class_name != b.detections[i].class_name ||
                a.detections[i].bbox != b.detections[i].bbox ||
                a.detections[i].confidence != b.detections[i].confidence)
                return false;
        return true;
    }

    static Frame fresh(const Frame& f) {
        Frame copy = f;
        copy.results = nullptr;
        copy.detections.clear();
        return copy;
    }

    // The same pixels, packed and in padded rows, must give the same output. Temporal plugins
    // see each twice in a row, so each frame goes to a fresh camera id.
    void check_strides(Processor& processor, const std::vector<Frame>& frames) {
        int camera = 0;
        for (const auto& original : frames) {
            Frame packed = fresh(original), padded = padded_copy(fresh(original));
            packed.camera_id = padded.camera_id = "stride-check-" + std::to_string(camera++);
            Frame warm_packed = packed,
                  warm_padded = padded;  // a first frame per camera, for temporal plugins
            std::vector<Frame*> a{&warm_packed}, b{&packed};
            if (!call("process() of a frame in packed rows", [&] {
                    processor.process_batch(a);
                    processor.process_batch(b);
                }))
                return;
            warm_padded.camera_id = padded.camera_id = "stride-check-" + std::to_string(camera++);
            std::vector<Frame*> c{&warm_padded}, d{&padded};
            if (!call("process() of the same frame in padded rows", [&] {
                    processor.process_batch(c);
                    processor.process_batch(d);
                }))
                return;
            if (!same_output(packed, padded)) {
                fail("process() gives other output for the same pixels in padded rows (stride " +
                     std::to_string(padded.image.stride(0)) + " bytes for " +
                     std::to_string(padded.image.row_bytes(0)) +
                     "-byte rows): it must read rows through frame.image.row(plane, y), not assume "
                     "them packed");
                return;
            }
        }
        ok("reads pixels through their strides: padded rows give the same output as packed ones");
    }

    // A reentrant plugin is called from several threads at once and must give what it gives
    // one call at a time; the others are called as they declare.
    void check_concurrency(Processor& processor, const std::vector<Frame>& frames) {
        auto concurrency = library_->descriptor().concurrency;
        if (concurrency != Concurrency::Reentrant) {
            ok(std::string("declares ") + to_string(concurrency) +
               ": the host calls it accordingly, so it is not called from several threads at once "
               "here");
            return;
        }
        std::vector<Frame> sequential;
        for (const auto& f : frames) {
            sequential.push_back(fresh(f));
            sequential.back().camera_id = "concurrency-check";
        }
        if (!call("process() one frame at a time", [&] {
                for (auto& f : sequential) {
                    std::vector<Frame*> one{&f};
                    processor.process_batch(one);
                }
            }))
            return;
        unsigned threads = std::max(2u, std::min(4u, std::thread::hardware_concurrency()));
        std::vector<std::vector<Frame>> outputs(threads);
        if (!call("process() from " + std::to_string(threads) + " threads at once", [&] {
                std::vector<std::thread> workers;
                std::vector<std::exception_ptr> errors(threads);
                for (unsigned t = 0; t < threads; ++t) {
                    workers.emplace_back([&, t] {
                        try {
                            for (const auto& f : frames) {
                                outputs[t].push_back(fresh(f));
                                outputs[t].back().camera_id =
                                    "concurrency-check-" + std::to_string(t);
                                std::vector<Frame*> single{&outputs[t].back()};
                                processor.process_batch(single);
                            }
                        } catch (...) {
                            errors[t] = std::current_exception();
                        }
                    });
                }
                for (auto& w : workers) w.join();
                for (auto& e : errors)
                    if (e) std::rethrow_exception(e);
            }))
            return;
        for (unsigned t = 0; t < threads; ++t)
            for (std::size_t i = 0; i < sequential.size(); ++i)
                if (!same_output(outputs[t][i], sequential[i])) {
                    fail("declares reentrant, but called from " + std::to_string(threads) +
                         " threads at once it gives other output than one call at a time (frame " +
                         frames[i].id +
                         "): keep per-frame state out of the instance, or declare serialized or "
                         "ordered_per_camera");
                    return;
                }
        ok("process() from " + std::to_string(threads) +
           " threads at once: same output as one call at a time");
    }

    void check_results(const Frame& frame) {
        if (!frame.results.is_null() && !frame.results.is_object() && !results_warned_) {
            results_warned_ = true;
            warn("frame.results is a " + std::string(frame.results.type_name()) +
                 ": outputs expect an object keyed by instance name");
        }
        for (const auto& d : frame.detections) {
            bool inside = d.bbox[0] >= 0 && d.bbox[1] >= 0 && d.bbox[0] <= d.bbox[2] &&
                          d.bbox[1] <= d.bbox[3] && d.bbox[2] <= frame.width &&
                          d.bbox[3] <= frame.height;
            if ((!inside || d.confidence < 0 || d.confidence > 1) && !detections_warned_) {
                detections_warned_ = true;
                warn("a detection of " + frame.id +
                     " is outside the frame or its confidence outside 0..1: " +
                     nlohmann::json(d).dump());
            }
        }
    }

    void check_source(Source& source) {
        std::string error;
        if (!call(
                "connect()", [&] { source.connect(); }, &error)) {
            warn("connect() threw: " + error +
                 " (expected when its upstream is not running; reads were not checked)");
            return;
        }
        ok("connect() returned in " + duration_text(last_elapsed_));
        std::size_t total = 0;
        for (int attempt = 0; attempt < 5; ++attempt) {
            std::vector<Frame> out;
            ReadStatus status = ReadStatus::Idle;
            if (!call("read()", [&] { status = source.read(out, kSourceReadMax); })) return;
            if (last_elapsed_ > kReadContract)
                fail("read() took " + duration_text(last_elapsed_) +
                     ": it must return within about 100 ms when nothing arrives");
            if (out.size() > kSourceReadMax)
                fail("read() appended " + std::to_string(out.size()) +
                     " frames when asked for at most " + std::to_string(kSourceReadMax));
            for (auto& f : out) {
                if (f.id.empty()) fail("read() produced a frame without an id");
                if (!call("finished()", [&] { source.finished(f, Outcome::Completed); })) return;
            }
            total += out.size();
            if (status == ReadStatus::EndOfInput || status == ReadStatus::NotConnected) break;
        }
        ok("read(): " + std::to_string(total) +
           " frames in 5 calls, each within the read contract, finished() on each");
    }

    void check_sink(Sink& sink) {
        std::vector<Frame> frames;
        for (int n = 1; n <= 4; ++n) frames.push_back(generated_frame(n, true));
        frames.push_back(generated_frame(5, false));
        frames.back().fail("failed upstream (check-plugin)");
        std::vector<const Frame*> pointers;
        for (const auto& f : frames) pointers.push_back(&f);
        CountingReport report;
        if (!call("write() of 5 frames (one failed)", [&] { sink.write(pointers, report); }))
            return;
        if (report.count > 0)
            warn("write() reported " + std::to_string(report.count) +
                 " of 5 frames not written (with nothing wrong upstream of it: is its output "
                 "reachable?)");
        auto per_frame = last_elapsed_ / static_cast<long>(frames.size());
        auto budget = library_->descriptor().frame_budget;
        if (budget.count() > 0 && per_frame > budget * options_.budget_tolerance)
            over_budget("write() takes far longer than its declared frame budget of " +
                        duration_text(budget) + ": " + duration_text(per_frame) + " per frame");
        else
            ok("write() of 5 frames (one failed) in " + duration_text(last_elapsed_));
    }

    const ConformanceOptions& options_;
    std::shared_ptr<PluginLibrary> library_;
    MetricsRegistry metrics_;
    Params params_;
    std::string params_summary_;
    std::shared_ptr<PluginInstance> instance_;
    nanoseconds last_elapsed_{};
    int failures_ = 0;
    int warnings_ = 0;
    bool results_warned_ = false;
    bool detections_warned_ = false;
};

}  // namespace

bool is_lower_snake_case(std::string_view name) {
    if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

ConformanceVerdict check_plugin_conformance(const ConformanceOptions& options) {
    return Checker(options).run();
}

}  // namespace framehost::core
