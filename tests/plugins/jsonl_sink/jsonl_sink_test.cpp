// jsonl_sink.so through the SDK harness: one line per frame, written_at on request.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>

#include "framehost/testing.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using framehost::testing::LoadedPlugin;
using framehost::testing::make_frame;

namespace {
std::vector<nlohmann::json> lines_of(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}
}  // namespace

TEST_CASE("jsonl_sink writes one line per frame, failed frames with their error") {
    framehost::test::TempDir dir;
    auto path = dir.path() / "out.jsonl";
    {
        LoadedPlugin sink(framehost::test::kBundledPluginDir + "/jsonl_sink.so",
                          {{"path", path.string()}});
        auto bad = make_frame("b", 0, 0);
        bad.fail("refused");
        sink.write({make_frame("a", 0, 0), bad});
    }
    auto lines = lines_of(path);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0]["frame_id"] == "a");
    CHECK(lines[0]["state"] == "completed");
    CHECK_FALSE(lines[0].contains("written_at"));
    CHECK(lines[1]["state"] == "failed");
    CHECK(lines[1]["error"] == "refused");
}

TEST_CASE("jsonl_sink stamps written_at, in Unix seconds, when asked") {
    framehost::test::TempDir dir;
    auto path = dir.path() / "out.jsonl";
    auto now = [] {
        return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    double before = now();
    {
        LoadedPlugin sink(framehost::test::kBundledPluginDir + "/jsonl_sink.so",
                          {{"path", path.string()}, {"written_at", true}});
        sink.write({make_frame("a", 0, 0)});
    }
    double after = now();
    auto lines = lines_of(path);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0]["written_at"].get<double>() >= before);
    CHECK(lines[0]["written_at"].get<double>() <= after);
}
