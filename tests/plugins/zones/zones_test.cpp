// zones on tracked boxes with known paths: entries and exits when the anchor crosses a zone's
// edge, crossings with their direction, one crossing for an object that jitters on the line,
// dwell, fractional coordinates, per-camera state, and configs refused at their position.
#include <doctest/doctest.h>

#include "tests/support/loaded_processor.hpp"

using namespace framehost;
using namespace framehost::test;

namespace {
// A 40x80 person whose feet (the box's bottom centre) stand at (x, y), tracked as `track`.
Frame person_at(double x, double y, int index, std::uint64_t track = 1,
                const std::string& camera = "cam") {
    Frame f;
    f.id = camera + "-" + std::to_string(index);
    f.camera_id = camera;
    f.width = 640;
    f.height = 480;
    f.timestamp_ms = 1'000'000 + index * 100;  // 10 frames a second
    int xi = static_cast<int>(x), yi = static_cast<int>(y);
    f.detections.emplace_back("person", 0.9, Box4{xi - 20, yi - 80, xi + 20, yi}, track);
    return f;
}

std::vector<nlohmann::json> changes_of(const Frame& f, const char* type) {
    std::vector<nlohmann::json> out;
    for (const auto& c : f.results["zones"]["changes"])
        if (c["type"] == type) out.push_back(c);
    return out;
}

const char* kDoorAndLine =
    "{zones: [{name: door, points: [[100, 100], [300, 100], [300, 300], [100, 300]], "
    "labels: [person], min_frames: 2, dwell_s: 1}], "
    "lines: [{name: walkway, points: [[320, 0], [320, 480]], in: [600, 240]}], "
    "line_clearance_px: 10}";
}  // namespace

TEST_CASE("zones: an object walking through a zone enters and leaves it after min_frames") {
    LoadedProcessor zones("zones", kDoorAndLine);
    // Feet at y 200, x from 40 to 400 in steps of 20: inside for x 100..300.
    int entered_at = -1, left_at = -1;
    for (int i = 0; i <= 18; ++i) {
        auto f = zones.run(person_at(40 + i * 20, 200, i));
        if (!changes_of(f, "enter").empty()) entered_at = i;
        if (!changes_of(f, "exit").empty()) left_at = i;
        bool named = !f.detections[0].zones.empty();
        CHECK(named == (entered_at >= 0 && (left_at < 0 || i < left_at)));
    }
    // x 100 at i 3 is the first frame inside, x 120 at i 4 the second: entered at 4 (min_frames 2).
    CHECK(entered_at == 4);
    // x 320 at i 14 is the first outside, i 15 the second.
    CHECK(left_at == 15);
    auto status = zones.instance->plugin().status();
    CHECK(status["cameras"]["cam"]["zones"]["door"]["occupancy"]["person"] == 0);
}

TEST_CASE("zones: crossings counted with their direction, once per crossing however it jitters") {
    LoadedProcessor zones("zones", kDoorAndLine);
    int index = 0;
    // Left to right across x 320, towards the `in` point: in.
    for (double x = 250; x <= 400; x += 10) zones.run(person_at(x, 400, index++));
    // Back and forth within the clearance around the line: nothing.
    for (int k = 0; k < 20; ++k) zones.run(person_at(k % 2 ? 326 : 314, 400, index++));
    // Then right to left, away from it: out.
    std::size_t outs = 0;
    for (double x = 400; x >= 250; x -= 10)
        outs += changes_of(zones.run(person_at(x, 400, index++)), "crossing").size();
    CHECK(outs == 1);
    auto lines = zones.instance->plugin().status()["cameras"]["cam"]["lines"];
    CHECK(lines["walkway"]["in"] == 1);
    CHECK(lines["walkway"]["out"] == 1);
}

TEST_CASE("zones: jitter that goes clear of the line on both sides counts each real crossing") {
    LoadedProcessor zones("zones", kDoorAndLine);
    int index = 0, crossings = 0;
    for (int k = 0; k < 6; ++k)
        crossings +=
            changes_of(zones.run(person_at(k % 2 ? 340 : 300, 400, index++)), "crossing").size();
    CHECK(crossings == 5);
}

TEST_CASE("zones: a path that passes beyond the end of the line is no crossing") {
    LoadedProcessor zones(
        "zones", "{lines: [{name: short, points: [[320, 0], [320, 200]], in: [600, 100]}]}");
    int crossings = 0, index = 0;
    for (double x = 250; x <= 400; x += 10)
        crossings += changes_of(zones.run(person_at(x, 400, index++)), "crossing").size();
    CHECK(crossings == 0);
}

TEST_CASE("zones: dwell beyond dwell_s is raised once, and a lost track leaves its zone") {
    LoadedProcessor zones("zones", kDoorAndLine);
    int dwells = 0, index = 0;
    for (; index < 30; ++index)
        dwells += changes_of(zones.run(person_at(200, 200, index)), "dwell").size();
    CHECK(dwells == 1);
    CHECK(zones.instance->plugin()
              .status()["cameras"]["cam"]["zones"]["door"]["occupancy"]["person"] == 1);
    // The object is gone: track_lost_frames (10) frames later it has left.
    std::vector<nlohmann::json> exits;
    for (int k = 0; k < 12; ++k) {
        Frame empty = person_at(0, 0, index++);
        empty.detections.clear();
        for (auto& c : changes_of(zones.run(empty), "exit")) exits.push_back(c);
    }
    REQUIRE(exits.size() == 1);
    CHECK(exits[0]["track_ended"] == true);
    CHECK(exits[0]["dwell_s"].get<double>() >= 2.9);
}

TEST_CASE("zones: fractional coordinates scale to each frame, and labels not watched are ignored") {
    LoadedProcessor zones(
        "zones",
        "{zones: [{name: half, points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]], "
        "labels: [car]}, {name: left, points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]}]}");
    auto f = zones.run(person_at(100, 200, 0));
    CHECK(f.detections[0].zones == std::vector<std::string>{"left"});
    auto g = zones.run(person_at(500, 200, 1));
    CHECK(g.detections[0].zones.empty());
}

TEST_CASE("zones: each camera has its own tracks, zones and counts") {
    LoadedProcessor zones(
        "zones",
        "{zones: [{name: door, camera: a, points: [[0, 0], [640, 0], [640, 480], [0, 480]]}]}");
    auto a = zones.run(person_at(100, 200, 0, 1, "a"));
    auto b = zones.run(person_at(100, 200, 0, 1, "b"));
    CHECK(a.detections[0].zones.size() == 1);
    CHECK(b.detections[0].zones.empty());
}

TEST_CASE("zones: coordinates outside the frame are the camera's error in the plugin's status") {
    LoadedProcessor zones("zones",
                          "{zones: [{name: wide, points: [[0, 0], [2000, 0], [2000, 100]]}]}");
    zones.run(person_at(10, 10, 0));
    auto status = zones.instance->plugin().status();
    CHECK(status["healthy"] == false);
    CHECK(status["error"].get<std::string>().find("outside the 640x480 frame") !=
          std::string::npos);
}

TEST_CASE("zones: a crossed polygon, a line of no length and a name given twice are refused") {
    auto refusal = [](const std::string& yaml) {
        try {
            LoadedProcessor zones("zones", yaml);
        } catch (const ConfigErrors& e) {
            return e.errors()[0].to_string();
        }
        return std::string("accepted");
    };
    CHECK(refusal("{zones: [{name: bow, points: [[0, 0], [10, 10], [10, 0], [0, 10]]}]}")
              .find("crosses itself") != std::string::npos);
    CHECK(refusal("{zones: [{name: flat, points: [[0, 0], [5, 0], [10, 0]]}]}").find("no area") !=
          std::string::npos);
    CHECK(refusal("{zones: [{name: two, points: [[0, 0], [5, 0]]}]}").find("at least 3 points") !=
          std::string::npos);
    CHECK(
        refusal("{lines: [{name: dot, points: [[5, 5], [5, 5]], in: [9, 9]}]}").find("no length") !=
        std::string::npos);
    CHECK(refusal("{lines: [{name: l, points: [[0, 0], [9, 9]], in: [5, 5]}]}")
              .find("names no side") != std::string::npos);
    CHECK(refusal("{zones: [{name: a, points: [[0, 0], [5, 0], [5, 5]]}, "
                  "{name: a, points: [[0, 0], [6, 0], [6, 6]]}]}")
              .find("zone 'a' is given twice") != std::string::npos);
    CHECK(refusal("{zones: [{name: a, points: [[0, 0], [5, 0], [5, 5]]}]}") == "accepted");
}
