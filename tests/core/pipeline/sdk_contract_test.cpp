// What SDK 1.0 promises plugins, through the real pipeline with in-process plugins: foreign
// pixels travel without a copy, the memory budget refunds what it charged, ordered plugins see
// each camera in order, filtered frames reach no sink, sinks settle delivery, and whatever a
// plugin throws or however long it hangs, the host goes on and says so.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "core/pipeline/pipeline.hpp"
#include "framehost/stop_request.hpp"
#include "tests/core/pipeline/in_process_plugins.hpp"

using namespace framehost;
using namespace framehost::core;
using namespace std::chrono_literals;

namespace {

PipelineSettings settings(std::size_t workers = 2, std::size_t batch = 8) {
    PipelineSettings s;
    s.workers = workers;
    s.batch_size = batch;
    s.queue_capacity = 256;
    s.shutdown_timeout = 10s;
    s.progress_interval = 0s;
    return s;
}

const PluginDescriptor kSource{"fn_source", "0", PluginKind::Source, "", {}};
const PluginDescriptor kReentrant{"fn_reentrant",        "0", PluginKind::Processor, "", {}, {},
                                  Concurrency::Reentrant};
const PluginDescriptor kOrdered{"fn_ordered", "0", PluginKind::Processor,        "",
                                {},           {},  Concurrency::OrderedPerCamera};
const PluginDescriptor kSerialized{"fn_serialized",        "0", PluginKind::Processor, "", {}, {},
                                   Concurrency::Serialized};
const PluginDescriptor kSink{"fn_sink", "0", PluginKind::Sink, "", {}};

struct Chain {
    MetricsRegistry metrics;
    FrameStates states;
    PipelineParts parts;
    std::shared_ptr<test::FunctionSource> source;

    Chain& from(std::uint64_t count, std::function<Frame(std::uint64_t)> make) {
        source = std::make_shared<test::FunctionSource>(count, std::move(make));
        parts.sources.push_back({test::instance_with(source, kSource, "src", metrics), {}});
        return *this;
    }
    Chain& then(const PluginDescriptor& d, std::function<void(Frame&)> fn,
                const std::string& name) {
        parts.processors.push_back(test::instance_with(
            std::make_shared<test::FunctionProcessor>(std::move(fn)), d, name, metrics));
        return *this;
    }
    Chain& to(std::function<void(std::span<const Frame* const>, SinkReport&)> fn,
              const std::string& name = "sink") {
        parts.sinks.push_back(test::instance_with(
            std::make_shared<test::FunctionSink>(std::move(fn)), kSink, name, metrics));
        return *this;
    }
    std::unique_ptr<Pipeline> run(PipelineSettings s = settings()) {
        auto pipeline = std::make_unique<Pipeline>(s, std::move(parts), metrics, states);
        pipeline->start();
        return pipeline;
    }
    std::uint64_t count(FrameState s) { return states.snapshot().current[static_cast<int>(s)]; }
};

Frame numbered(std::uint64_t n, int cameras = 1) {
    Frame f;
    f.id = "f" + std::to_string(n);
    f.camera_id = "cam" + std::to_string(n % static_cast<std::uint64_t>(cameras));
    f.metadata = {{"n", n}};
    return f;
}

}  // namespace

TEST_CASE(
    "a wrapped foreign buffer travels the chain with no copy and is released once, after the last "
    "holder") {
    static std::atomic<int> released{0};
    released = 0;
    auto* memory = new std::uint8_t[1920 * 1080 * 3 / 2]();
    std::shared_ptr<const void> owner(memory, [](const void* m) {
        ++released;
        delete[] static_cast<const std::uint8_t*>(m);
    });
    std::array<ImagePlane, 4> planes{};
    planes[0] = {memory, 1920, 1920 * 1080};
    planes[1] = {memory + 1920 * 1080, 1920, 1920 * 540};
    Image foreign = wrap_image(PixelFormat::NV12, 1920, 1080, planes, owner);
    owner.reset();
    std::mutex mutex;
    std::set<const std::uint8_t*> seen;
    {
        Chain c;
        c.from(50,
               [&](std::uint64_t n) {
                   Frame f = numbered(n);
                   f.set_image(foreign);
                   return f;
               })
            .then(
                kReentrant, [](Frame&) {}, "pass")
            .to([&](std::span<const Frame* const> frames, SinkReport&) {
                std::lock_guard lock(mutex);
                for (const Frame* f : frames) seen.insert(f->image.row(0, 0));
            });
        auto pipeline = c.run();
        CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
        CHECK(c.count(FrameState::Completed) == 50);
    }
    CHECK(seen == std::set<const std::uint8_t*>{memory});  // the same memory, never a copy
    CHECK(released == 0);  // every frame let go; the test's own copy still holds it
    foreign = Image{};
    CHECK(released == 1);
}

TEST_CASE(
    "the budget refunds what a frame was charged: a processor that drops the pixels does not stall "
    "the source") {
    Chain c;
    c.from(200,
           [](std::uint64_t n) {
               Frame f = numbered(n);
               f.set_image(image_from_bytes(PixelFormat::GRAY8, 1024, 1024,
                                            std::vector<std::uint8_t>(1 << 20, 1)));
               return f;
           })
        .then(
            kReentrant, [](Frame& f) { f.image = Image{}; }, "dropper")
        .to([](std::span<const Frame* const>, SinkReport&) {});
    auto s = settings();
    s.memory_limit_bytes = 4u << 20;  // four frames' worth
    auto pipeline = c.run(s);
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    CHECK(c.count(FrameState::Completed) == 200);
    CHECK(pipeline->status().bytes_in_flight == 0);
}

TEST_CASE("a source waiting on the memory budget says so in its status") {
    std::atomic<bool> release{false};
    Chain c;
    c.from(100,
           [](std::uint64_t n) {
               Frame f = numbered(n);
               f.set_image(image_from_bytes(PixelFormat::GRAY8, 1024, 1024,
                                            std::vector<std::uint8_t>(1 << 20, 1)));
               return f;
           })
        .then(
            kReentrant,
            [&](Frame&) {
                while (!release) std::this_thread::sleep_for(1ms);
            },
            "slow")
        .to([](std::span<const Frame* const>, SinkReport&) {});
    auto s = settings(1, 1);
    s.memory_limit_bytes = 2u << 20;
    auto pipeline = c.run(s);
    std::this_thread::sleep_for(300ms);
    auto source = pipeline->status().sources.at(0);
    CHECK(source.blocked_on_memory_s > 0.1);
    release = true;
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    CHECK(pipeline->status().sources.at(0).blocked_on_memory_s == 0);
}

TEST_CASE(
    "8 cameras through 2 workers reach an ordered_per_camera processor each in exact order, a "
    "reentrant one in parallel") {
    constexpr int kCameras = 8, kFrames = 4000;
    std::mutex mutex;
    std::map<std::string, std::vector<std::uint64_t>>
        order;                          // per camera, as the ordered plugin saw them
    std::map<std::string, int> inside;  // calls per camera in the ordered plugin now
    std::atomic<int> ordered_overlap{0}, reentrant_now{0}, reentrant_peak{0};
    Chain c;
    c.from(kFrames, [](std::uint64_t n) { return numbered(n, kCameras); })
        .then(
            kReentrant,
            [&](Frame&) {
                int now = ++reentrant_now;
                int peak = reentrant_peak.load();
                while (now > peak && !reentrant_peak.compare_exchange_weak(peak, now)) {
                }
                std::this_thread::sleep_for(50us);
                --reentrant_now;
            },
            "parallel")
        .then(
            kOrdered,
            [&](Frame& f) {
                {
                    std::lock_guard lock(mutex);
                    if (++inside[f.camera_id] > 1) ++ordered_overlap;
                    order[f.camera_id].push_back(f.metadata["n"].get<std::uint64_t>());
                }
                std::this_thread::sleep_for(20us);
                std::lock_guard lock(mutex);
                --inside[f.camera_id];
            },
            "ordered")
        .to([](std::span<const Frame* const>, SinkReport&) {});
    auto pipeline = c.run(settings(2, 10));
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    CHECK(c.count(FrameState::Completed) == kFrames);
    CHECK(ordered_overlap == 0);  // one frame of a camera at a time
    REQUIRE(order.size() == kCameras);
    for (const auto& [camera, seen] : order) {
        CAPTURE(camera);
        REQUIRE(seen.size() == kFrames / kCameras);
        CHECK(std::is_sorted(seen.begin(), seen.end()));
    }
    CHECK(reentrant_peak >= 2);  // the reentrant one ran on both workers at once
}

TEST_CASE("a serialized plugin is called once at a time") {
    std::atomic<int> now{0}, overlap{0};
    Chain c;
    c.from(500, [](std::uint64_t n) { return numbered(n, 4); })
        .then(
            kSerialized,
            [&](Frame&) {
                if (++now > 1) ++overlap;
                std::this_thread::sleep_for(20us);
                --now;
            },
            "serial")
        .to([](std::span<const Frame* const>, SinkReport&) {});
    auto pipeline = c.run(settings(2, 4));
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    CHECK(c.count(FrameState::Completed) == 500);
    CHECK(overlap == 0);
}

TEST_CASE(
    "filtered frames skip later processors, reach no sink, are counted, and the source settles "
    "them filtered") {
    std::atomic<int> after{0}, written{0};
    Chain c;
    c.from(90, [](std::uint64_t n) { return numbered(n); })
        .then(
            kReentrant,
            [](Frame& f) {
                if (f.metadata["n"].get<int>() % 3 == 0) f.filter("no motion");
            },
            "gate")
        .then(
            kReentrant,
            [&](Frame& f) {
                CHECK_FALSE(f.filtered());
                ++after;
            },
            "detector")
        .to([&](std::span<const Frame* const> frames, SinkReport&) {
            for (const Frame* f : frames) {
                CHECK_FALSE(f->filtered());
                ++written;
            }
        });
    auto pipeline = c.run();
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    CHECK(after == 60);
    CHECK(written == 60);
    CHECK(c.count(FrameState::Filtered) == 30);
    CHECK(c.count(FrameState::Completed) == 60);
    std::lock_guard lock(c.source->mutex);
    CHECK(c.source->outcomes["f3"] == Outcome::Filtered);
    CHECK(c.source->outcomes["f4"] == Outcome::Completed);
}

TEST_CASE(
    "a frame a sink reports not written is failed with the sink's reason and undelivered to its "
    "source") {
    Chain c;
    c.from(70, [](std::uint64_t n) { return numbered(n); })
        .to(
            [](std::span<const Frame* const> frames, SinkReport& report) {
                for (std::size_t i = 0; i < frames.size(); ++i)
                    if (frames[i]->metadata["n"].get<int>() % 7 == 0) report.failed(i, "disk full");
            },
            "picky")
        .to([](std::span<const Frame* const> frames,
               SinkReport&) { throw std::runtime_error("down " + std::to_string(frames.size())); },
            "broken");
    auto pipeline = c.run(settings(2, 10));
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    // The broken sink fails every frame: all are undelivered, the picky sink's reason wins for its
    // own.
    CHECK(c.count(FrameState::Failed) == 70);
    std::lock_guard lock(c.source->mutex);
    REQUIRE(c.source->outcomes.size() == 70);
    for (const auto& [id, outcome] : c.source->outcomes) CHECK(outcome == Outcome::Undelivered);
    auto failures = c.states.snapshot().failures_by_stage;
    CHECK(failures["picky"] == 10);
    CHECK(failures["broken"] == 60);
}

TEST_CASE(
    "a source and a processor that throw something that is not a std::exception leave the pipeline "
    "running") {
    Chain c;
    c.from(40, [](std::uint64_t n) { return numbered(n); })
        .then(
            kReentrant,
            [](Frame& f) {
                if (f.metadata["n"].get<int>() % 4 == 0) throw 42;
            },
            "thrower")
        .to([](std::span<const Frame* const>, SinkReport&) {});
    int reads = 0;
    c.source->before_read = [&](std::uint64_t) {
        if (++reads == 2) throw 7;  // once: the host backs off and reads again
    };
    c.parts.sources[0].retry = {5ms, 10ms, 100, 10ms};
    auto pipeline = c.run();
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    CHECK(c.count(FrameState::Failed) == 10);
    CHECK(c.count(FrameState::Completed) == 30);
    auto failure = c.states.snapshot().recent_failures.front();
    CHECK(failure.error == "threw something that is not a std::exception");
    CHECK(failure.stage == "thrower");
}

TEST_CASE(
    "a process() that hangs shows its instance stuck within seconds, and it clears when the call "
    "returns") {
    std::atomic<bool> release{false};
    Chain c;
    c.from(3, [](std::uint64_t n) { return numbered(n); })
        .then(
            kReentrant,
            [&](Frame& f) {
                if (f.id == "f1")
                    while (!release) std::this_thread::sleep_for(1ms);
            },
            "hanger")
        .to([](std::span<const Frame* const>, SinkReport&) {});
    auto s = settings(2, 1);
    s.stuck_call_timeout = 300ms;
    auto pipeline = c.run(s);
    std::vector<StuckInstance> stuck;
    for (int i = 0; i < 100 && stuck.empty(); ++i) {
        std::this_thread::sleep_for(50ms);
        stuck = pipeline->stuck();
    }
    REQUIRE(stuck.size() == 1);
    CHECK(stuck[0].instance == "hanger");
    CHECK(stuck[0].call.what == "process");
    CHECK(stuck[0].call.seconds > 0.3);
    release = true;
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    CHECK(pipeline->stuck().empty());
}

TEST_CASE(
    "two sources feed one queue, each supervised on its own: one failing leaves the other "
    "unaffected") {
    Chain c;
    c.from(300, [](std::uint64_t n) { return numbered(n); });
    auto failing =
        std::make_shared<test::FunctionSource>(10, [](std::uint64_t n) { return numbered(n); });
    failing->before_read = [](std::uint64_t) { throw std::runtime_error("camera unreachable"); };
    c.parts.sources.push_back(
        {test::instance_with(failing, kSource, "dead", c.metrics), {5ms, 20ms, 3, 50ms}});
    c.to([](std::span<const Frame* const>, SinkReport&) {});
    auto pipeline = c.run();
    // The good source can finish before the dead one's thread has made its first attempt: wait
    // for both, or the test reads the dead source's status before it has anything to say.
    auto dead_has_failed = [&] {
        auto sources = pipeline->status().sources;
        return sources.size() == 2 && sources[1].consecutive_failures > 0;
    };
    for (int i = 0; i < 100 && (c.count(FrameState::Completed) < 300 || !dead_has_failed()); ++i)
        std::this_thread::sleep_for(20ms);
    CHECK(c.count(FrameState::Completed) == 300);
    auto status = pipeline->status();
    REQUIRE(status.sources.size() == 2);
    CHECK(status.sources[0].name == "src");
    CHECK(status.sources[0].finished);
    CHECK(status.sources[0].frames == 300);
    CHECK(status.sources[1].name == "dead");
    CHECK_FALSE(status.sources[1].finished);
    CHECK(status.sources[1].consecutive_failures > 0);
    CHECK(status.sources[1].last_error.find("camera unreachable") != std::string::npos);
    CHECK(status.sources_running());  // the host goes on while one finite source has not ended
    pipeline->request_stop();
    CHECK(pipeline->wait() == Pipeline::Outcome::Stopped);
}

namespace {
// A source whose read waits on an upstream that never answers, as frame_buffer_consumer's does
// on a frozen Frame Buffer, giving up only when the host asks it to stop.
class WaitingSource final : public Source {
  public:
    explicit WaitingSource(PluginContext& context) : context_(context) {}
    ReadStatus read(std::vector<Frame>&, std::size_t) override {
        in_read = true;
        auto give_up = std::chrono::steady_clock::now() + 30s;
        while (!stop_requested(context_) && std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(1ms);
        return ReadStatus::Idle;
    }
    std::atomic<bool> in_read{false};

  private:
    PluginContext& context_;
};
}  // namespace

TEST_CASE(
    "stop_requested() tells a waiting source that the host is stopping it, and only that source") {
    Chain c;
    std::shared_ptr<WaitingSource> waiting;
    c.parts.sources.push_back({PluginInstance::create(kSource, "waiting", Params(), c.metrics,
                                                      [&](PluginContext& context) {
                                                          waiting = std::make_shared<WaitingSource>(
                                                              context);
                                                          return waiting;
                                                      }),
                               {}});
    PluginContext* processor_context = nullptr;
    c.parts.processors.push_back(PluginInstance::create(
        kReentrant, "bystander", Params(), c.metrics, [&](PluginContext& context) {
            processor_context = &context;
            return std::make_shared<test::FunctionProcessor>([](Frame&) {});
        }));
    c.to([](std::span<const Frame* const>, SinkReport&) {});
    auto pipeline = c.run();
    while (!waiting->in_read) std::this_thread::sleep_for(1ms);
    CHECK_FALSE(stop_requested(*processor_context));
    auto asked = std::chrono::steady_clock::now();
    pipeline->request_stop();
    CHECK(pipeline->wait() == Pipeline::Outcome::Stopped);
    CHECK(std::chrono::steady_clock::now() - asked < 5s);  // not the read's 30 s
    CHECK_FALSE(stop_requested(*processor_context));       // processors drain; they are never asked
}
