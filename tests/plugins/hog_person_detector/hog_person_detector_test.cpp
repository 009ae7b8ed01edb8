// hog_person_detector on Debian's pedestrian clip (opencv-doc, decoded by video_source), a
// uniform frame and padded rows.
#include <doctest/doctest.h>

#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "tests/support/loaded_processor.hpp"

using namespace framehost;
using namespace framehost::test;

TEST_CASE("hog_person_detector finds people in at least 90% of 32 sampled pedestrian frames") {
    auto frames = pedestrian_frames(25);
    REQUIRE(frames.size() == 32);
    LoadedProcessor hog("hog_person_detector", "{}");
    int with_people = 0;
    for (auto& f : frames) {
        auto out = hog.run(std::move(f));
        with_people += !out.detections.empty();
        for (const auto& d : out.detections) {
            CHECK(d.class_name == "person");
            CHECK((d.confidence >= 0.5 && d.confidence <= 1));
            CHECK((d.bbox[0] >= 0 && d.bbox[2] <= 768 && d.bbox[1] >= 0 && d.bbox[3] <= 576));
            CHECK(d.bbox[3] - d.bbox[1] > d.bbox[2] - d.bbox[0]);  // people stand
        }
    }
    CHECK(with_people >= 29);  // 90%
}

TEST_CASE("hog_person_detector: nobody on a uniform frame, and padded rows change nothing") {
    LoadedProcessor hog("hog_person_detector", "{working_width: 384}");
    CHECK(hog.run(frame_of(cv::Mat(576, 768, CV_8UC3, cv::Scalar(90, 90, 90)))).detections.empty());
    auto frames = pedestrian_frames(200);
    cv::Mat picture(576, 768, CV_8UC3);
    for (int y = 0; y < 576; ++y) std::memcpy(picture.ptr(y), frames[2].image.row(0, y), 768 * 3);
    auto packed = hog.run(frame_of(picture));
    auto padded = hog.run(frame_of(picture, 40));
    REQUIRE(!packed.detections.empty());
    REQUIRE(packed.detections.size() == padded.detections.size());
    for (std::size_t i = 0; i < packed.detections.size(); ++i)
        CHECK(packed.detections[i].bbox == padded.detections[i].bbox);
}
