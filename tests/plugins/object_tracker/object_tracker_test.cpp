// object_tracker on boxes moving across a camera's frames: one box keeps its id, two boxes
// crossing each other keep distinct ones, and tracks end when their object is gone.
#include <doctest/doctest.h>

#include <set>

#include "tests/support/loaded_processor.hpp"

using namespace framehost;
using namespace framehost::test;

namespace {
Frame with_boxes(const std::vector<Box4>& boxes, int index, const std::string& camera = "cam") {
    Frame f;
    f.id = camera + "-" + std::to_string(index);
    f.camera_id = camera;
    f.width = 640;
    f.height = 480;
    f.timestamp_ms = 1'000'000 + index * 100;
    for (const auto& b : boxes) f.detections.emplace_back("person", 0.9, b);
    return f;
}
}  // namespace

TEST_CASE("object_tracker keeps one id for a box moving across 50 frames") {
    LoadedProcessor tracker("object_tracker", "{}");
    std::set<std::uint64_t> ids;
    for (int i = 0; i < 50; ++i) {
        auto f = tracker.run(with_boxes({{10 + i * 8, 100, 50 + i * 8, 180}}, i));
        REQUIRE(f.detections.size() == 1);
        ids.insert(f.detections[0].track_id);
        auto tracks = f.results["object_tracker"]["tracks"];
        REQUIRE(tracks.size() == 1);
        CHECK(tracks[0]["age_frames"] == i + 1);
    }
    CHECK(ids.size() == 1);
    CHECK(*ids.begin() != 0);
    // The object leaves: after max_age frames without it, its track ends.
    Frame last;
    for (int i = 50; i < 57; ++i) last = tracker.run(with_boxes({}, i));
    CHECK(last.results["object_tracker"]["tracks_started"] == 1);
    CHECK(last.results["object_tracker"]["tracks_ended"] == 1);
}

TEST_CASE("object_tracker gives two crossing boxes distinct ids that they keep") {
    LoadedProcessor tracker("object_tracker", "{}");
    std::uint64_t left_id = 0, right_id = 0;
    for (int i = 0; i < 40; ++i) {
        // One walks right, the other left, at slightly different heights: they cross at i = 20.
        Box4 rightwards{40 + i * 12, 100, 80 + i * 12, 180};
        Box4 leftwards{520 - i * 12, 110, 560 - i * 12, 190};
        auto f = tracker.run(with_boxes({rightwards, leftwards}, i));
        REQUIRE(f.detections.size() == 2);
        CHECK(f.detections[0].track_id != f.detections[1].track_id);
        if (i == 0) {
            right_id = f.detections[0].track_id;
            left_id = f.detections[1].track_id;
        }
        if (i < 18 || i > 22) {  // away from the crossing each keeps its own
            CHECK(f.detections[0].track_id == right_id);
            CHECK(f.detections[1].track_id == left_id);
        }
    }
}

TEST_CASE(
    "object_tracker: two people walking past each other at one height keep their ids, one hidden "
    "behind the other for two frames") {
    LoadedProcessor tracker("object_tracker", "{}");
    std::uint64_t rightwards_id = 0, leftwards_id = 0;
    for (int i = 0; i < 40; ++i) {
        // They meet at i = 20; at i = 20 and 21 the detector sees only the one in front.
        Box4 rightwards{100 + i * 10, 100, 160 + i * 10, 260};
        Box4 leftwards{500 - i * 10, 104, 560 - i * 10, 264};
        bool hidden = i == 20 || i == 21;
        auto f = tracker.run(with_boxes(
            hidden ? std::vector<Box4>{rightwards} : std::vector{rightwards, leftwards}, i));
        if (i == 0) {
            rightwards_id = f.detections[0].track_id;
            leftwards_id = f.detections[1].track_id;
            REQUIRE(rightwards_id != leftwards_id);
        }
        CAPTURE(i);
        CHECK(f.detections[0].track_id == rightwards_id);
        if (!hidden) CHECK(f.detections[1].track_id == leftwards_id);
    }
}
