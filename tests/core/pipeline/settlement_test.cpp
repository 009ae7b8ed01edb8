// Settlement is the pipeline's, not the frame's: what a processor writes in a frame cannot change
// which source settles it, how often, or with which delivery token; and the table of sources
// never fills up with removed ones.
#include <doctest/doctest.h>

#include <map>
#include <thread>

#include "core/pipeline/pipeline.hpp"
#include "tests/core/pipeline/in_process_plugins.hpp"

using namespace framehost;
using namespace framehost::core;
using namespace std::chrono_literals;

namespace {

// Reads `count` frames whose delivery tokens are first, first + 1, ...; records every
// finished() call by token.
class TokenSource final : public Source {
  public:
    TokenSource(std::uint64_t first, std::uint64_t count, std::string camera)
        : next_(first), end_(first + count), camera_(std::move(camera)) {}
    ReadStatus read(std::vector<Frame>& out, std::size_t max) override {
        if (next_ >= end_) return ReadStatus::EndOfInput;
        for (std::size_t i = 0; i < max && next_ < end_; ++i, ++next_) {
            Frame& f = out.emplace_back();
            f.id = camera_ + "-" + std::to_string(next_);
            f.camera_id = camera_;
            f.delivery = next_;
        }
        return ReadStatus::Frames;
    }
    void finished(const Frame& frame, Outcome) override {
        std::lock_guard lock(mutex);
        ++settled[frame.delivery];
    }
    std::mutex mutex;
    std::map<std::uint64_t, int> settled;  // token -> finished() calls

  private:
    std::uint64_t next_;
    std::uint64_t end_;
    std::string camera_;
};

// Rewrites every field a processor can reach, each frame differently.
void scribble(Frame& f) {
    static std::atomic<std::uint64_t> n{0};
    auto k = ++n;
    f.id = "forged-" + std::to_string(k % 7);
    f.camera_id = k % 2 ? "other-camera" : "";
    f.timestamp_ms = -1;
    f.width = 1;
    f.height = 1;
    f.format = PixelFormat::GRAY8;
    f.image = image_from_bytes(PixelFormat::GRAY8, 1, 1, std::vector<std::uint8_t>(1, 0));
    f.metadata = {{"forged", true}};
    f.traceparent = "garbage";
    f.delivery = k * 1'000'003;  // another source's token, or nobody's
    f.detections.assign(3, Detection{"x", 2.0, {5, 5, 1, 1}, k});
    f.results = {{"forged", k}};
    f.set_failed_in("nobody");
}

const PluginDescriptor kOrdered{"ordered_probe",
                                "0",
                                PluginKind::Processor,
                                "",
                                {},
                                std::chrono::microseconds(0),
                                Concurrency::OrderedPerCamera};

}  // namespace

TEST_CASE(
    "a processor that rewrites every field of its frames cannot settle a frame twice, lose one, "
    "or reach another source's frames") {
    MetricsRegistry metrics;
    FrameStates states;
    PipelineSettings settings;
    settings.workers = 2;
    settings.batch_size = 8;
    settings.queue_capacity = 64;
    settings.shutdown_timeout = 10s;
    auto door = std::make_shared<TokenSource>(0, 3000, "door");
    auto yard = std::make_shared<TokenSource>(1'000'000, 3000, "yard");
    PipelineParts parts;
    parts.sources.push_back({test::instance_of(door, PluginKind::Source, "door", metrics), {}});
    parts.sources.push_back({test::instance_of(yard, PluginKind::Source, "yard", metrics), {}});
    parts.processors.push_back(
        test::instance_of(std::make_shared<test::FunctionProcessor>(scribble),
                          PluginKind::Processor, "scribbler", metrics));
    // An ordered plugin after it: its turns come from the camera the source named, so the
    // rewritten camera ids neither reorder nor stall it.
    std::atomic<std::uint64_t> ordered_calls{0};
    parts.processors.push_back(test::instance_with(
        std::make_shared<test::FunctionProcessor>([&](Frame&) { ++ordered_calls; }), kOrdered,
        "ordered", metrics));
    auto sink = std::make_shared<test::CollectingSink>();
    parts.sinks.push_back(test::instance_of(sink, PluginKind::Sink, "out", metrics));
    Pipeline pipeline(settings, std::move(parts), metrics, states);
    pipeline.start();
    REQUIRE(pipeline.wait() == Pipeline::Outcome::SourceExhausted);

    CHECK(ordered_calls == 6000);
    for (auto* source : {door.get(), yard.get()}) {
        std::lock_guard lock(source->mutex);
        CHECK(source->settled.size() == 3000);  // none lost, none of the other's
        std::size_t twice = 0;
        for (const auto& [token, calls] : source->settled) twice += calls != 1;
        CHECK(twice == 0);
    }
    CHECK(door->settled.begin()->first == 0);
    CHECK(door->settled.rbegin()->first == 2999);
    CHECK(yard->settled.begin()->first == 1'000'000);
    CHECK(yard->settled.rbegin()->first == 1'002'999);
}

TEST_CASE("a host that added and removed 1,000 sources at run time still adds more") {
    MetricsRegistry metrics;
    FrameStates states;
    PipelineSettings settings;
    settings.workers = 2;
    settings.batch_size = 4;
    settings.queue_capacity = 64;
    settings.shutdown_timeout = 10s;
    auto sink = std::make_shared<test::CollectingSink>();
    PipelineParts parts;
    parts.sinks.push_back(test::instance_of(sink, PluginKind::Sink, "out", metrics));
    Pipeline pipeline(settings, std::move(parts), metrics, states);
    pipeline.start();

    std::vector<std::shared_ptr<test::CountingSource>> gone;
    for (int i = 0; i < 1000; ++i) {
        auto source = std::make_shared<test::CountingSource>(3);
        auto name = "camera-" + std::to_string(i);
        pipeline.add_source({test::instance_of(source, PluginKind::Source, name, metrics), {}});
        pipeline.remove_source(name);
        gone.push_back(source);
    }
    // Every frame a removed source read was settled with it before it went.
    std::uint64_t read = 0, finished = 0;
    for (const auto& s : gone) {
        read += s->read_total;
        finished += s->finished_total;
    }
    CHECK(finished == read);

    // As many sources at once as the table holds.
    std::vector<std::shared_ptr<test::CountingSource>> now;
    for (std::size_t i = 0; i < Pipeline::kMaxSources; ++i) {
        auto source = std::make_shared<test::CountingSource>(2);
        now.push_back(source);
        pipeline.add_source(
            {test::instance_of(source, PluginKind::Source, "live-" + std::to_string(i), metrics),
             {}});
    }
    CHECK(pipeline.status().sources.size() == Pipeline::kMaxSources);
    // One more is refused while all of them are present, naming why.
    auto extra = std::make_shared<test::CountingSource>(1);
    CHECK_THROWS_WITH_AS(
        pipeline.add_source(
            {test::instance_of(extra, PluginKind::Source, "one-too-many", metrics), {}}),
        doctest::Contains("most sources at once"), std::runtime_error);
    pipeline.request_stop();
    pipeline.wait();
    for (const auto& s : now) CHECK(s->finished_total == s->read_total);
}
