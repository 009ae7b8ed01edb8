// cascade_detector on the astronaut of python3-skimage, a uniform frame, padded rows, and
// cascades that do not exist or do not load.
#include <doctest/doctest.h>

#include <fstream>

#include "tests/support/loaded_processor.hpp"
#include "tests/support/process.hpp"

using namespace framehost;
using namespace framehost::test;

TEST_CASE("cascade_detector finds the astronaut's face where it is, and nothing on a wall") {
    auto astronaut = picture(kAstronaut);
    LoadedProcessor faces("cascade_detector", "{cascade: frontalface_default}");
    for (std::size_t padding : {0, 24}) {
        auto out = faces.run(frame_of(astronaut, padding));
        REQUIRE(out.detections.size() == 1);
        CHECK(out.detections[0].class_name == "face");
        // Where a person marks her face by hand: x 177..272, y 66..161.
        CHECK(iou(out.detections[0].bbox, {177, 66, 272, 161}) >= 0.5);
    }
    CHECK(faces.run(frame_of(cv::Mat(480, 640, CV_8UC3, cv::Scalar(200, 180, 160))))
              .detections.empty());
}

TEST_CASE("cascade_detector refuses an unknown cascade name and a file that is not a cascade") {
    CHECK_THROWS_WITH_AS(LoadedProcessor("cascade_detector", "{cascade: no_such_thing}"),
                         doctest::Contains("no cascade named 'no_such_thing'"), std::exception);
    test::TempDir dir;
    auto bogus = dir / "bogus.xml";
    std::ofstream(bogus) << "<opencv_storage><nothing/></opencv_storage>";
    CHECK_THROWS_WITH_AS(LoadedProcessor("cascade_detector", "{cascade: '" + bogus.string() + "'}"),
                         doctest::Contains("is not a cascade OpenCV can load"), std::exception);
}
