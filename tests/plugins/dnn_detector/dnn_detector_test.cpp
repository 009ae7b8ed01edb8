// dnn_detector on tiny ONNX networks the test builds with python3-onnx (make-model beside this
// file): their outputs are set by the test, so what is checked is dnn_detector's part, namely
// loading, preprocessing (scale, channel order, resize, strides), decoding of each output
// layout, suppression and mapping back onto the frame. No real detector's accuracy is tested
// here: Debian ships no weights.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/support/loaded_processor.hpp"
#include "tests/support/process.hpp"

using namespace framehost;
using namespace framehost::test;

namespace {

struct TinyModel {
    TempDir dir;
    std::string path;
    // A network with input [1, 3, 64, 64] whose output of `shape` is `values`, plus, for each
    // {index, channel, weight}, weight x the mean of that channel of the input blob.
    TinyModel(std::vector<int> shape, std::vector<float> values,
              std::vector<std::array<double, 3>> from_channel = {}) {
        nlohmann::json spec = {{"input", {1, 3, 64, 64}},
                               {"shape", shape},
                               {"values", values},
                               {"from_channel", from_channel}};
        auto spec_file = dir.write("spec.json", spec.dump());
        path = (dir / "model.onnx").string();
        auto r = run_program(
            "/usr/bin/python3",
            {kSourceDir + "/tests/plugins/dnn_detector/make-model", path, spec_file.string()});
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
    // dnn_detector's parameters for this network, plus `more` ("key: value, ...").
    std::string config(const std::string& more = "") const {
        return "{input_width: 64, input_height: 64, model: '" + path + "'" + more + "}";
    }
};

cv::Mat uniform(cv::Scalar bgr) {
    return cv::Mat(480, 640, CV_8UC3, bgr);
}

// Detections as "class confidence x1 y1 x2 y2; ...", confidence to two places: easy to compare
// and to read when a check fails.
std::string described(const Frame& f) {
    std::string out;
    for (const auto& d : f.detections) {
        char text[128];
        std::snprintf(text, sizeof text, "%s%s %.2f %d %d %d %d", out.empty() ? "" : "; ",
                      d.class_name.c_str(), d.confidence, d.bbox[0], d.bbox[1], d.bbox[2],
                      d.bbox[3]);
        out += text;
    }
    return out;
}

// YOLOv8's layout, [1, 4 + 2 classes, 5 boxes], one row of values per line:
//   A person 0.9; B person 0.8 overlapping A (IoU 0.88, suppressed); C car 0.7;
//   D person 0.3, plus 0.5 x the mean of input channel 0 (red when channel_order is rgb);
//   E car 0.6 on A's box (another class: not suppressed by A).
const std::vector<float> kYolov8 = {
    16, 17, 48, 40, 16,  // cx, in input pixels
    16, 16, 48, 10, 16,  // cy
    16, 16, 20, 8,  16,  // w
    16, 16, 12, 8,  16,  // h
    .9, .8, 0,  .3, 0,   // person
    0,  0,  .7, 0,  .6,  // car
};
constexpr double kDPersonScore = 4 * 5 + 3;  // row 4 (person), column 3 (D)

}  // namespace

TEST_CASE("dnn_detector decodes YOLOv8 outputs, suppresses per class and maps boxes back") {
    TinyModel model({1, 6, 5}, kYolov8, {{kDPersonScore, 0, 0.5}});
    TempDir dir;
    auto names = dir.write("names.txt", "person\ncar\n");
    LoadedProcessor detector("dnn_detector",
                             model.config(", classes_file: '" + names.string() + "'"));
    // A blue frame: channel 0 of the RGB blob is 0, so D stays at 0.3, under the threshold.
    // 640x480 onto 64x64 stretched: x by 10, y by 7.5.
    for (std::size_t padding : {0, 24})
        CHECK(described(detector.run(frame_of(uniform({255, 0, 0}), padding))) ==
              "person 0.90 80 60 240 180; car 0.70 380 315 580 405; car 0.60 80 60 240 180");

    SUBCASE("scale and channel order reach the network") {
        // Red: channel 0 is 255 x 1/255 = 1, so D scores 0.3 + 0.5 (rows padded or not).
        for (std::size_t padding : {0, 24}) {
            CHECK(described(detector.run(frame_of(uniform({0, 0, 255}), padding))) ==
                  "person 0.90 80 60 240 180; person 0.80 360 45 440 105; "
                  "car 0.70 380 315 580 405; car 0.60 80 60 240 180");
        }
        LoadedProcessor bgr("dnn_detector", model.config(", channel_order: bgr, scale: 0.001"));
        CHECK(bgr.run(frame_of(uniform({0, 0, 255}))).detections.size() == 3);
        // Blue in BGR order is channel 0: 0.3 + 0.5 x 0.255 = 0.43, still under 0.5.
        CHECK(bgr.run(frame_of(uniform({255, 0, 0}))).detections.size() == 3);
        LoadedProcessor low(
            "dnn_detector",
            model.config(", channel_order: bgr, confidence_threshold: 0.4, scale: 0.001"));
        CHECK(described(low.run(frame_of(uniform({255, 0, 0}))))
                  .ends_with("; class_0 0.43 360 45 440 105"));
    }
    SUBCASE("letterboxed: the frame keeps its aspect, boxes come back through the bars") {
        // 640x480 into 64x64 at 1/10: 64x48 with 8-pixel bars above and below.
        LoadedProcessor letterbox("dnn_detector", model.config(", resize: letterbox"));
        CHECK(described(letterbox.run(frame_of(uniform({255, 0, 0}))))
                  .starts_with("class_0 0.90 80 0 240 160; "));
    }
    SUBCASE("classes keeps only the names asked for, max_detections the best") {
        LoadedProcessor cars("dnn_detector", model.config(", classes_file: '" + names.string() +
                                                          "', classes: [car]"));
        CHECK(described(cars.run(frame_of(uniform({255, 0, 0})))) ==
              "car 0.70 380 315 580 405; car 0.60 80 60 240 180");
        LoadedProcessor best("dnn_detector", model.config(", max_detections: 1"));
        CHECK(described(best.run(frame_of(uniform({255, 0, 0})))) == "class_0 0.90 80 60 240 180");
    }
    SUBCASE("a frame without pixels is left alone") {
        Frame empty;
        empty.width = 640;
        empty.height = 480;
        CHECK(detector.run(empty).detections.empty());
    }
}

TEST_CASE("dnn_detector decodes the YOLOv5, Darknet YOLOv3 and SSD layouts") {
    SUBCASE("yolov5: [1, boxes, 5 + classes], confidence = objectness x class score") {
        // Box 1: objectness 0.9 x 0.5 = 0.45, dropped; box 2: 1 x 0.8.
        TinyModel model({1, 2, 7}, {32, 32, 16, 16, .9, .5, 0, /**/ 8, 8, 8, 8, 1, 0, .8});
        LoadedProcessor detector("dnn_detector", model.config(", preset: yolov5"));
        CHECK(described(detector.run(frame_of(uniform({0, 0, 0})))) == "class_1 0.80 40 30 120 90");
    }
    SUBCASE("yolov3: coordinates as fractions of the input") {
        TinyModel model({1, 1, 6}, {.25, .5, .5, .25, 1, .75});
        LoadedProcessor detector("dnn_detector", model.config(", preset: yolov3"));
        CHECK(described(detector.run(frame_of(uniform({0, 0, 0})))) ==
              "class_0 0.75 0 180 320 300");
    }
    SUBCASE("ssd: [1, 1, boxes, 7] of image, class, confidence, corners as fractions") {
        TinyModel model({1, 1, 2, 7}, {0, 15, .9, .1, .2, .5, .6, /**/ 0, 3, .2, 0, 0, 1, 1});
        LoadedProcessor detector("dnn_detector", model.config(", preset: ssd"));
        CHECK(described(detector.run(frame_of(uniform({0, 0, 0})))) ==
              "class_15 0.90 64 96 320 288");
    }
}

TEST_CASE("dnn_detector refuses at start what cannot work, saying why") {
    TempDir dir;
    auto refused = [](const std::string& yaml, const std::string& reason) {
        CHECK_THROWS_WITH_AS(LoadedProcessor("dnn_detector", yaml),
                             doctest::Contains(reason.c_str()), std::exception);
    };
    refused("{model: /nonexistent/yolo.onnx}",
            "model file '/nonexistent/yolo.onnx' does not exist");
    auto corrupt = dir.write("corrupt.onnx", std::string(4096, '\x7f') + "not a network");
    refused("{model: '" + corrupt.string() + "'}", "is not a network OpenCV can load");

    TinyModel model({1, 6, 5}, kYolov8);
    refused(model.config(", backend: cuda, target: cuda"),
            "backend cuda with target cuda is not in this OpenCV build (it offers opencv/cpu");
    refused(model.config(", preset: ssd"),
            "the description reads boxes at values 3 to 6, 7 values a row, but the model's "
            "output [1, 6, 5] gives rows of 5");
    // A tensor the description names that the model does not have: its outputs are listed.
    refused(model.config(", scores_from: [logits]"),
            "scores_from names 'logits', which is not an output of the model; its outputs are "
            "output [1, 6, 5]");
    refused(model.config(", anchor_strides: [8], anchors_per_cell: [2, 6]"),
            "anchors_per_cell: give one count for every stride of anchor_strides (1)");
    refused(model.config(", input_layout: nhwc"),
            "does not run on a 64x64 nhwc ([1, H, W, 3]) input");
    refused("{preset: ssd}", "model: required with preset ssd");
    auto three = dir.write("three.txt", "person\ncar\nbus\n");
    refused(model.config(", classes_file: '" + three.string() + "'"),
            "the model scores 2 classes, classes_file names 3");
    refused(model.config(", mean: [0, zero, 0]"), "mean: 'zero' is not a number");
}
