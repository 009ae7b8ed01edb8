// The plugin authors' harness (framehost/testing.hpp), on the shipped sample_detector.so.
#include "framehost/testing.hpp"

#include <doctest/doctest.h>

#include <fstream>

#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using framehost::testing::LoadedPlugin;
using framehost::testing::make_frame;

TEST_CASE("the harness loads a plugin with params over its defaults and runs frames through it") {
    LoadedPlugin detector(framehost::test::kBundledPluginDir + "/sample_detector.so",
                          {{"processing_delay_ms", 0}, {"detection_threshold", 0.0}});
    CHECK(detector.descriptor().name == "sample_detector");
    auto frames = detector.process({make_frame("a", 64, 48, 10), make_frame("b", 64, 48, 200)});
    REQUIRE(frames.size() == 2);
    CHECK_FALSE(frames[0].failed());
    CHECK(frames[0].results["sample_detector"]["frame_shape"] == nlohmann::json({48, 64, 3}));
    CHECK(frames[0].results["sample_detector"]["total_objects"] == frames[0].detections.size());
}

TEST_CASE("the harness refuses unknown, mistyped and out-of-range params, and non-plugins") {
    auto path = framehost::test::kBundledPluginDir + "/sample_detector.so";
    CHECK_THROWS_WITH(LoadedPlugin(path, {{"no_such", 1}}),
                      doctest::Contains("no parameter 'no_such'"));
    CHECK_THROWS_WITH(LoadedPlugin(path, {{"simulate_gpu", "yes"}}),
                      doctest::Contains("expected true or false"));
    CHECK_THROWS_WITH(LoadedPlugin(path, {{"detection_threshold", 3.0}}),
                      doctest::Contains("must be between 0 and 1, got 3.0"));
    CHECK_THROWS_WITH(LoadedPlugin(framehost::test::kFixturePluginDir + "/bad_abi.so"),
                      doctest::Contains("built with SDK 9.0.0 (plugin ABI 999)"));
}

TEST_CASE("the harness turns a throwing process into a failed frame, as the host does") {
    LoadedPlugin fixture(framehost::test::kFixturePluginDir + "/fixture_processor.so",
                         {{"mode", "throw"}});
    auto frames = fixture.process({make_frame("x", 2, 2)});
    CHECK(frames[0].failed());
    CHECK(frames[0].error() == "fixture throws on x");
}

TEST_CASE("the harness reads from a source and writes to a sink as the host does") {
    LoadedPlugin source(framehost::test::kBundledPluginDir + "/synthetic_source.so",
                        {{"count", 5}, {"rate_fps", 0}});
    auto first = source.read(3);
    CHECK(first.status == framehost::ReadStatus::Frames);
    CHECK(first.frames.size() == 3);
    auto second = source.read(3);
    CHECK(second.frames.size() == 2);
    for (const auto& f : first.frames) source.finished(f);

    framehost::test::TempDir dir;
    auto out = (dir.path() / "out.jsonl").string();
    LoadedPlugin sink(framehost::test::kBundledPluginDir + "/jsonl_sink.so", {{"path", out}});
    sink.write(first.frames);
    std::ifstream in(out);
    std::vector<std::string> ids;
    for (std::string line; std::getline(in, line);)
        ids.push_back(nlohmann::json::parse(line)["frame_id"]);
    CHECK(ids ==
          std::vector<std::string>{first.frames[0].id, first.frames[1].id, first.frames[2].id});
    CHECK_THROWS_WITH(sink.process({}), doctest::Contains("jsonl_sink is not a processor"));
}
