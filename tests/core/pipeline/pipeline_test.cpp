#include "core/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "tests/core/pipeline/in_process_plugins.hpp"

using namespace framehost;
using namespace framehost::core;
using namespace std::chrono_literals;

namespace {

struct Rig {
    MetricsRegistry metrics;
    FrameStates states;
    std::shared_ptr<test::CountingSource> source;
    std::shared_ptr<test::RecordingProcessor> processor =
        std::make_shared<test::RecordingProcessor>();
    std::shared_ptr<test::CollectingSink> sink = std::make_shared<test::CollectingSink>();
    PipelineSettings settings;

    explicit Rig(std::uint64_t count, std::size_t pixel_bytes = 0)
        : source(std::make_shared<test::CountingSource>(count, pixel_bytes)) {
        settings.workers = 2;
        settings.batch_size = 8;
        settings.queue_capacity = 64;
        settings.shutdown_timeout = 10s;
        settings.progress_interval = 0s;
    }

    std::unique_ptr<Pipeline> make(SourceRetry retry = {}) {
        PipelineParts parts;
        parts.sources.push_back(
            {test::instance_of(source, PluginKind::Source, "src", metrics), retry});
        parts.processors.push_back(
            test::instance_of(processor, PluginKind::Processor, "proc", metrics));
        parts.sinks.push_back(test::instance_of(sink, PluginKind::Sink, "out", metrics));
        return std::make_unique<Pipeline>(settings, std::move(parts), metrics, states);
    }

    std::uint64_t count(FrameState s) { return states.snapshot().current[static_cast<int>(s)]; }
};

}  // namespace

TEST_CASE("a finite source is processed completely, every frame once, then the pipeline ends") {
    Rig rig(10'000);
    auto pipeline = rig.make();
    pipeline->start();
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    CHECK(rig.sink->completed.size() == 10'000);
    CHECK(rig.processor->processed == 10'000);
    CHECK(rig.source->finished_total == 10'000);
    CHECK(rig.count(FrameState::Completed) == 10'000);
    CHECK(rig.states.snapshot().total_frames == 10'000);
    CHECK(rig.sink->stopped);
}

TEST_CASE("workers take batches of at most batch_size, and more than one frame when queued") {
    Rig rig(5'000);
    rig.processor->sleep_per_frame = 20us;  // lets the queue fill so batches form
    auto pipeline = rig.make();
    pipeline->start();
    pipeline->wait();
    std::size_t largest = 0;
    for (auto size : rig.processor->batch_sizes) {
        CHECK(size >= 1);
        CHECK(size <= rig.settings.batch_size);
        largest = std::max(largest, size);
    }
    CHECK(largest == rig.settings.batch_size);
}

TEST_CASE("a full queue pauses the source instead of growing") {
    Rig rig(0);  // endless
    rig.settings.queue_capacity = 16;
    rig.processor->sleep_per_frame = 200us;
    auto pipeline = rig.make();
    pipeline->start();
    std::size_t deepest = 0;
    std::uint64_t most_ahead = 0;
    for (int i = 0; i < 200; ++i) {
        deepest = std::max(deepest, pipeline->status().queue_depth);
        std::uint64_t read = rig.source->read_total;
        std::uint64_t done = rig.processor->processed;
        most_ahead = std::max(most_ahead, read > done ? read - done : 0);
        std::this_thread::sleep_for(1ms);
    }
    pipeline->request_stop();
    pipeline->wait();
    CHECK(deepest <= 16);
    // Read but not processed: at most the queue plus what each worker holds in its batch.
    CHECK(most_ahead <= 16 + rig.settings.workers * rig.settings.batch_size);
    CHECK(rig.processor->processed > 0);
}

TEST_CASE("pixel bytes in flight stay under memory_limit plus one source batch") {
    Rig rig(0, 1 << 20);  // 1 MiB frames
    rig.settings.memory_limit_bytes = 4u << 20;
    rig.settings.queue_capacity = 1000;
    rig.processor->sleep_per_frame = 500us;
    auto pipeline = rig.make();
    pipeline->start();
    std::size_t most = 0;
    for (int i = 0; i < 200; ++i) {
        most = std::max(most, pipeline->status().bytes_in_flight);
        std::this_thread::sleep_for(1ms);
    }
    pipeline->request_stop();
    pipeline->wait();
    CHECK(most > 0);
    CHECK(most <= (4u << 20) + rig.settings.batch_size * (1u << 20));
}

TEST_CASE("a processor that throws fails those frames only, and the pipeline goes on") {
    Rig rig(3'000);
    rig.processor->throw_every = 3;
    auto pipeline = rig.make();
    pipeline->start();
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    CHECK(rig.count(FrameState::Failed) == 1'000);
    CHECK(rig.count(FrameState::Completed) == 2'000);
    REQUIRE(rig.sink->failed.size() == 1'000);
    CHECK(rig.sink->failed[0].find(": proc: bad frame f") != std::string::npos);
    auto failures = rig.states.snapshot().recent_failures;
    REQUIRE_FALSE(failures.empty());
    CHECK(failures.back().stage == "proc");
}

TEST_CASE("on stop, frames already queued are drained within the timeout, none dropped") {
    Rig rig(0);
    rig.processor->sleep_per_frame = 100us;
    auto pipeline = rig.make();
    pipeline->start();
    std::this_thread::sleep_for(100ms);
    pipeline->request_stop();
    CHECK(pipeline->wait() == Pipeline::Outcome::Stopped);
    auto s = rig.states.snapshot();
    CHECK(s.total_frames == rig.source->read_total);
    CHECK(s.current[static_cast<int>(FrameState::Completed)] == s.total_frames);
    CHECK(s.current[static_cast<int>(FrameState::Dropped)] == 0);
    CHECK(rig.sink->completed.size() == s.total_frames);
}

TEST_CASE("when the drain exceeds the timeout, queued frames are dropped and counted") {
    Rig rig(0);
    rig.settings.queue_capacity = 64;
    rig.settings.shutdown_timeout = 0s;
    rig.processor->sleep_per_frame = 2ms;
    auto pipeline = rig.make();
    pipeline->start();
    std::this_thread::sleep_for(100ms);
    pipeline->request_stop();
    CHECK(pipeline->wait() == Pipeline::Outcome::DrainTimedOut);
    auto s = rig.states.snapshot();
    auto done = s.current[static_cast<int>(FrameState::Completed)];
    auto dropped = s.current[static_cast<int>(FrameState::Dropped)];
    CHECK(dropped > 0);
    CHECK(done + dropped == s.total_frames);
    // A dropped frame is never reported finished to its source (it stays unacknowledged).
    CHECK(rig.source->finished_total == done);
}

TEST_CASE("a plugin that fails to start stops the ones started before it") {
    Rig rig(10);
    rig.processor->throw_on_start = true;
    auto pipeline = rig.make();
    CHECK_THROWS_WITH(pipeline->start(), doctest::Contains("'proc' failed to start: cannot start"));
    CHECK(rig.sink->stopped);
}

TEST_CASE("a source that cannot connect is retried with backoff until it can") {
    Rig rig(100);
    rig.source->failing_connects = 3;
    auto pipeline = rig.make(SourceRetry{5ms, 20ms});
    pipeline->start();
    CHECK(pipeline->wait() == Pipeline::Outcome::SourceExhausted);
    CHECK(rig.source->failing_connects == 0);
    CHECK(rig.sink->completed.size() == 100);
    CHECK(pipeline->status().sources[0].last_error.find("upstream refused") != std::string::npos);
}

TEST_CASE("process_now runs one frame through the chain and counts it") {
    Rig rig(0);
    auto pipeline = rig.make();
    Frame frame;
    frame.id = "direct";
    pipeline->process_now(frame);
    CHECK(frame.detections.size() == 1);
    CHECK(rig.sink->completed.count("direct") == 1);
    CHECK(rig.count(FrameState::Completed) == 1);
}

TEST_CASE("a frame whose pixels contradict its size fails before any plugin sees it") {
    Rig rig(0);
    auto pipeline = rig.make();
    Frame frame;
    frame.id = "bad";
    frame.width = 4;
    frame.height = 4;
    frame.format = PixelFormat::RGB24;
    frame.image = image_from_bytes(PixelFormat::RGB24, 4, 4, std::vector<std::uint8_t>(10));
    pipeline->process_now(frame);
    CHECK(frame.failed());
    CHECK(frame.failed_in() == "host");
    CHECK(frame.error() == "plane 0 of a 4x4 RGB image has 10 bytes, its rows need 48");
    CHECK(rig.processor->processed == 0);
}
