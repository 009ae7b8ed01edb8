// motion_gate on two cameras whose frames come interleaved: one looks at a still scene, the
// other at a square moving across it.
#include <doctest/doctest.h>

#include <opencv2/imgproc.hpp>

#include "tests/support/loaded_processor.hpp"

using namespace framehost;
using namespace framehost::test;

namespace {
cv::Mat scene() {
    cv::Mat m(240, 320, CV_8UC3, cv::Scalar(60, 70, 80));
    cv::rectangle(m, cv::Rect(20, 20, 60, 40), cv::Scalar(200, 200, 200), cv::FILLED);
    return m;
}
}  // namespace

TEST_CASE("motion_gate filters a still camera and passes a moving one, frames interleaved") {
    LoadedProcessor gate("motion_gate", "{warmup_frames: 5, min_area: 100}");
    int still_passed = 0, moving_passed = 0;
    for (int i = 0; i < 40; ++i) {
        auto still = frame_of(scene(), i % 2 ? 16 : 0);
        still.camera_id = "still";
        auto picture = scene();
        cv::rectangle(picture, cv::Rect(10 + i * 6, 120, 40, 40), cv::Scalar(20, 240, 20),
                      cv::FILLED);
        auto moving = frame_of(picture);
        moving.camera_id = "moving";
        still = gate.run(std::move(still));
        moving = gate.run(std::move(moving));
        if (i < 5) {  // warming up: both pass, marked
            CHECK_FALSE(still.filtered());
            CHECK(still.results["motion_gate"]["warming_up"] == true);
            continue;
        }
        still_passed += !still.filtered();
        moving_passed += !moving.filtered();
        if (!moving.filtered()) {
            auto regions = moving.results["motion_gate"]["regions"];
            REQUIRE(!regions.empty());
            CHECK(regions[0][1].get<int>() >= 100);  // the square's rows, not the still part
        }
    }
    CHECK(still_passed == 0);
    CHECK(moving_passed >= 33);  // of 35
}
