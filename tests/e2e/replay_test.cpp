// framehost replay (apps/framehost/replay.cpp): a config's processors over a recorded clip,
// every frame in order, the events as JSON lines and a summary, compared with what the live run
// of the same config over the same frames stored.
#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/cameras.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost::test;
using nlohmann::json;

namespace {

// The people-counting config at 1 frame a second of the clip (80 frames): quick, and the same
// frames for the live run and the replay, since max_fps picks them by their times.
const std::string kConfig = kSourceDir + "/configs/people-counting.yaml";
const std::vector<std::string> kOneFps = {"--set", "source.params.max_fps=1"};

// "type label line direction" of an event: what a replay must find as the live run did.
std::string kind_of(const json& event) {
    return event["type"].get<std::string>() + " " + event["label"].get<std::string>() + " " +
           event.value("line", "") + " " + event.value("direction", "");
}

struct Replayed {
    std::map<std::string, int> kinds;
    json summary;
};

Replayed replay(const std::filesystem::path& clip) {
    std::vector<std::string> args = {"replay", "--config", kConfig};
    args.insert(args.end(), kOneFps.begin(), kOneFps.end());
    args.push_back(clip.string());
    auto r = run_program(kFramehostBinary, args, {}, std::chrono::seconds(280));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    Replayed out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("summary ", 0) == 0) {
            out.summary = json::parse(line.substr(8));
            continue;
        }
        auto event = json::parse(line);
        CHECK(event["camera_id"] == "street");  // the config's camera, for a single clip
        ++out.kinds[kind_of(event)];
    }
    REQUIRE(out.summary.is_object());
    return out;
}

}  // namespace

TEST_CASE(
    "framehost replay of the people-counting config over the pedestrian clip finds the live "
    "run's events and prints the same summary twice") {
    // The live run: the host over the clip as a camera (not in real time), its events stored.
    TempDir dir;
    std::vector<std::string> live_args = {"--config", kConfig, "--set", "http.port=0"};
    live_args.insert(live_args.end(), kOneFps.begin(), kOneFps.end());
    auto live = run_program(kFramehostBinary, live_args,
                            {{"RESULTS_PATH", (dir / "people.jsonl").string()},
                             {"SNAPSHOT_DIR", (dir / "snapshots").string()},
                             {"EVENTS_PATH", (dir / "events.db").string()}},
                            std::chrono::seconds(280));
    REQUIRE_MESSAGE(live.exit_code == 0, live.err);
    auto stored =
        run_program("/usr/bin/sqlite3", {(dir / "events.db").string(), "SELECT body FROM events"});
    REQUIRE(stored.exit_code == 0);
    std::map<std::string, int> live_kinds;
    std::istringstream bodies(stored.out);
    for (std::string body; std::getline(bodies, body);) ++live_kinds[kind_of(json::parse(body))];
    REQUIRE(!live_kinds.empty());

    auto first = replay(kPedestrianClip);
    auto second = replay(kPedestrianClip);
    CHECK(first.kinds == live_kinds);
    CHECK(first.summary == second.summary);
    CHECK(first.summary["frames"] == 80);
    const auto& person = first.summary["cameras"]["street"]["labels"]["person"];
    CHECK(person["objects"].get<int>() >= 1);
    // The summary's crossings are the events' and the zones processor's own line counts.
    const auto& walkway = first.summary["cameras"]["street"]["lines"]["walkway"];
    CHECK(person["crossings"]["walkway"].value("in", 0) == walkway["in"]);
    CHECK(person["crossings"]["walkway"].value("out", 0) == walkway["out"]);
    MESSAGE("replay: ", first.summary.dump());
}

TEST_CASE("framehost replay refuses a clip it cannot read and a config with errors") {
    auto missing =
        run_program(kFramehostBinary, {"replay", "--config", kConfig, "/nonexistent/clip.mp4"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("/nonexistent/clip.mp4 is not a readable file") != std::string::npos);
    auto no_clip = run_program(kFramehostBinary, {"replay", "--config", kConfig});
    CHECK(no_clip.exit_code == 2);
    TempDir dir;
    auto bad = dir.write("bad.yaml", "processors:\n  - plugin: no_such_plugin\n");
    auto refused = run_program(kFramehostBinary,
                               {"replay", "--config", bad.string(), kPedestrianClip.string()});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("bad.yaml:2:") != std::string::npos);
    CHECK(refused.out.empty());
}
