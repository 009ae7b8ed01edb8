// configs/people-counting.yaml end to end on Debian's pedestrian clip: people found, tracked
// with stable ids, and drawn on pictures a JPEG decoder reads at the frame's size.
#include <doctest/doctest.h>

#include <map>

#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;

TEST_CASE("the people-counting config tracks pedestrians with stable ids and draws them") {
    TempDir dir;
    auto results = dir / "people.jsonl";
    auto snapshots = dir / "snapshots";
    // One frame a second of the 10 fps clip, to keep the test short under the sanitizers; the
    // config is the shipped one. (HOG stays at full size: at half size vtest.avi's people are
    // smaller than its 64x128 window, and it finds them in a fifth of the frames.)
    auto r = run_program(kFramehostBinary,
                         {"--config", kSourceDir + "/configs/people-counting.yaml", "--set",
                          "http.port=0", "--set", "source.params.max_fps=1"},
                         {{"RESULTS_PATH", results.string()},
                          {"SNAPSHOT_DIR", snapshots.string()},
                          {"EVENTS_PATH", (dir / "events.db").string()}},
                         std::chrono::seconds(280));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto lines = read_jsonl(results);
    REQUIRE(lines.size() >= 75);  // 795 frames at 10 fps, one a second kept: 80
    std::map<std::uint64_t, int> frames_of_track;
    int with_people = 0;
    for (const auto& line : lines) {
        with_people += !line["detections"].empty();
        for (const auto& d : line["detections"])
            if (d.contains("track_id")) ++frames_of_track[d["track_id"].get<std::uint64_t>()];
    }
    CHECK(with_people >= static_cast<int>(lines.size() * 9 / 10));
    int long_tracks = 0;
    for (const auto& [id, n] : frames_of_track) long_tracks += n >= 10;
    CHECK(long_tracks >= 2);  // people followed over ten seconds and more
    auto& last = lines.back()["results"]["object_tracker"];
    CHECK(last["tracks_started"].get<int>() >= 3);

    std::vector<std::filesystem::path> pictures;
    for (const auto& e : std::filesystem::directory_iterator(snapshots / "street"))
        pictures.push_back(e.path());
    REQUIRE(!pictures.empty());
    CHECK(pictures.size() <= 50);
    auto decoded = run_program("/usr/bin/djpeg", {"-pnm", pictures.front().string()});
    REQUIRE(decoded.exit_code == 0);
    CHECK(decoded.out.rfind("P6\n768 576\n255\n", 0) == 0);
}

TEST_CASE(
    "two runs of the people-counting config over the pedestrian clip count the same "
    "crossings of the walkway line") {
    auto totals = [](int run) {
        TempDir dir;
        auto results = dir / "people.jsonl";
        auto r = run_program(kFramehostBinary,
                             {"--config", kSourceDir + "/configs/people-counting.yaml", "--set",
                              "http.port=0", "--set", "source.params.max_fps=1"},
                             {{"RESULTS_PATH", results.string()},
                              {"SNAPSHOT_DIR", (dir / "snapshots").string()},
                              {"EVENTS_PATH", (dir / "events.db").string()}},
                             std::chrono::seconds(280));
        INFO("run ", run, ": ", r.err);
        REQUIRE(r.exit_code == 0);
        std::map<std::string, int> crossings;
        for (const auto& line : read_jsonl(results))
            for (const auto& c : line["results"]["zones"]["changes"])
                if (c["type"] == "crossing") ++crossings[c["direction"].get<std::string>()];
        return crossings;
    };
    auto first = totals(1);
    auto second = totals(2);
    CHECK(first == second);
    // People walk both ways past the middle of the clip.
    CHECK(first["in"] >= 1);
    CHECK(first["out"] >= 1);
    MESSAGE("walkway crossings: ", first["in"], " in, ", first["out"], " out");
}
