// dnn_detector with a real pretrained network: MediaPipe's BlazeFace (scripts/models puts it in
// models/), through the presets that ship with the plugin, on real pictures whose faces were
// boxed by hand: found where they are, with their keypoints, and not where there is none.
#include <doctest/doctest.h>

#include <fstream>

#include "tests/support/loaded_processor.hpp"
#include "tests/support/process.hpp"

using namespace framehost;
using namespace framehost::test;

namespace {

// Boxed by a person looking at each picture: eyebrows to chin, ear to ear.
const Box4 kAstronautFace = {177, 66, 272, 161};
const Box4 kFootballerFace = {226, 97, 258, 131};

const std::string kFrontModel =
    kSourceDir + "/models/blazeface/face_detection_front_128x128_barracuda.onnx";

// Inside `box` widened by `margin` of its width on each side.
bool inside(const std::array<float, 2>& point, const Box4& box, double margin = 0) {
    double grow = margin * (box[2] - box[0]);
    return point[0] >= box[0] - grow && point[0] <= box[2] + grow && point[1] >= box[1] &&
           point[1] <= box[3];
}

// The one face `detector` finds in `bgr`, checked: class, box against the hand's, keypoints in
// the box; the same with rows padded.
Detection one_face(LoadedProcessor& detector, const cv::Mat& bgr, const Box4& by_hand) {
    auto found = detector.run(frame_of(bgr)).detections;
    REQUIRE(found.size() == 1);
    const auto& face = found[0];
    CHECK(face.class_name == "face");
    CHECK(face.confidence >= 0.75);
    INFO("box ", face.bbox[0], " ", face.bbox[1], " ", face.bbox[2], " ", face.bbox[3]);
    CHECK(iou(face.bbox, by_hand) >= 0.5);
    REQUIRE(face.keypoints.size() == 6);
    // Eyes, nose and mouth inside the box; the ears (tragions) are its sides, where MediaPipe
    // puts them within a pixel or two either way: 5% of its width is allowed there.
    for (int i = 0; i < 4; ++i) CHECK(inside(face.keypoints[i], face.bbox));
    for (int i = 4; i < 6; ++i) CHECK(inside(face.keypoints[i], face.bbox, 0.05));
    auto padded = detector.run(frame_of(bgr, 24)).detections;
    REQUIRE(padded.size() == 1);
    CHECK(padded[0].bbox == face.bbox);
    CHECK(padded[0].keypoints == face.keypoints);
    return face;
}

}  // namespace

TEST_CASE("blazeface_front_128 finds the astronaut's face with its six keypoints") {
    LoadedProcessor detector("dnn_detector", "{preset: blazeface_front_128}");
    auto face = one_face(detector, picture(kAstronaut), kAstronautFace);
    // Right eye, left eye (as the astronaut sees them), nose, mouth: the eyes above the nose,
    // above the mouth, the right eye on the picture's left.
    const auto& k = face.keypoints;
    CHECK(k[0][0] < k[1][0]);
    CHECK(std::max(k[0][1], k[1][1]) < k[2][1]);
    CHECK(k[2][1] < k[3][1]);
}

TEST_CASE("BlazeFace finds the same face in a camera's NV12 and I420 frames as in BGR") {
    LoadedProcessor detector("dnn_detector", "{preset: blazeface_front_128}");
    auto astronaut = picture(kAstronaut);
    auto in_bgr = one_face(detector, astronaut, kAstronautFace);
    for (auto format : {PixelFormat::I420, PixelFormat::NV12}) {
        for (std::size_t padding : {0, 24}) {
            INFO(std::string(to_string(format)), ", rows padded by ", padding);
            auto found = detector.run(yuv_frame_of(astronaut, format, padding)).detections;
            REQUIRE(found.size() == 1);
            // Converted after resizing rather than before: the same face within a pixel or two.
            CHECK(iou(found[0].bbox, in_bgr.bbox) >= 0.9);
            CHECK(iou(found[0].bbox, kAstronautFace) >= 0.5);
            REQUIRE(found[0].keypoints.size() == 6);
            for (std::size_t k = 0; k < 6; ++k) {
                CHECK(std::abs(found[0].keypoints[k][0] - in_bgr.keypoints[k][0]) <= 3);
                CHECK(std::abs(found[0].keypoints[k][1] - in_bgr.keypoints[k][1]) <= 3);
            }
        }
    }
}

TEST_CASE("blazeface_back_256 finds the astronaut's and the footballer's faces") {
    LoadedProcessor detector("dnn_detector", "{preset: blazeface_back_256}");
    one_face(detector, picture(kAstronaut), kAstronautFace);
    one_face(detector, picture(kFootballer), kFootballerFace);
}

TEST_CASE(
    "BlazeFace finds no face on a uniform frame nor on the pedestrian clip's first 100 frames") {
    for (const char* preset : {"blazeface_front_128", "blazeface_back_256"}) {
        INFO(preset);
        LoadedProcessor detector("dnn_detector", std::string("{preset: ") + preset + "}");
        CHECK(detector.run(frame_of(cv::Mat(480, 640, CV_8UC3, cv::Scalar(200, 180, 160))))
                  .detections.empty());
        // Its people's faces are a few pixels wide: too small for either model.
        int with_faces = 0;
        for (auto& frame : pedestrian_frames(1, 100))
            with_faces += detector.run(std::move(frame)).detections.empty() ? 0 : 1;
        CHECK(with_faces == 0);
    }
}

TEST_CASE(
    "models_dir moves where the presets find their files, and a folder without them is refused") {
    TempDir dir;
    std::filesystem::create_directories(dir / "blazeface");
    std::filesystem::copy_file(kFrontModel,
                               dir / "blazeface/face_detection_front_128x128_barracuda.onnx");
    LoadedProcessor moved(
        "dnn_detector", "{preset: blazeface_front_128, models_dir: '" + dir.path().string() + "'}");
    CHECK(moved.run(frame_of(picture(kAstronaut))).detections.size() == 1);
    CHECK_THROWS_WITH_AS(
        LoadedProcessor("dnn_detector",
                        "{preset: blazeface_back_256, models_dir: '" + dir.path().string() + "'}"),
        doctest::Contains("face_detection_back_256x256_barracuda.onnx', which is not there: "
                          "scripts/models fetches it"),
        std::exception);
}

TEST_CASE("a network described in the config alone finds what its preset finds") {
    // BlazeFace's front model with every part of its description written out, over the yolov8
    // preset: what a user of a network framehost has no preset for writes.
    LoadedProcessor described("dnn_detector", "{preset: yolov8, model: '" + kFrontModel +
                                                  "', input_layout: nhwc, input_width: 128, "
                                                  "input_height: 128, resize: letterbox, "
                                                  "scale: 0.0078431373, mean: [127.5], "
                                                  "channel_order: rgb, values_first: false, "
                                                  "boxes_from: [Identity_2:0, Identity_3:0], "
                                                  "box_column: 0, box_format: center_size, "
                                                  "box_units: pixels, keypoints: 6, "
                                                  "keypoints_column: 4, scores_from: [0, 1], "
                                                  "score_column: 0, score_count: 1, "
                                                  "score_kind: logits, anchor_strides: [8, 16], "
                                                  "anchors_per_cell: [2, 6], anchor_offset: 0.5, "
                                                  "confidence_threshold: 0.75, "
                                                  "nms_threshold: 0.3}");
    LoadedProcessor preset("dnn_detector", "{preset: blazeface_front_128}");
    auto astronaut = picture(kAstronaut);
    auto by_description = described.run(frame_of(astronaut)).detections;
    auto by_preset = preset.run(frame_of(astronaut)).detections;
    REQUIRE(by_description.size() == 1);
    REQUIRE(by_preset.size() == 1);
    CHECK(by_description[0].bbox == by_preset[0].bbox);
    CHECK(by_description[0].keypoints == by_preset[0].keypoints);
    CHECK(by_description[0].class_name == "class_0");  // no names given: the class's number
}

TEST_CASE("a BlazeFace description that does not fit the network is refused with both shapes") {
    auto refused = [](const std::string& yaml, std::vector<std::string> says) {
        try {
            LoadedProcessor("dnn_detector", yaml);
            FAIL("accepted: " << yaml);
        } catch (const std::exception& e) {
            for (const auto& s : says)
                CHECK_MESSAGE(std::string(e.what()).find(s) != std::string::npos, e.what());
        }
    };
    // Channels first: the network's first convolution refuses the blob.
    refused("{preset: blazeface_front_128, input_layout: nchw}",
            {"does not run on a 128x128 nchw ([1, 3, H, W]) input",
             "input channels should be multiple of 3 but got 128"});
    // One grid of anchors where the network has two.
    refused("{preset: blazeface_front_128, anchor_strides: [8], anchors_per_cell: [2]}",
            {"anchors (strides [8], [2] a cell, on a 128x128 input) are 512",
             "Identity_2:0 [1, 512, 16] + Identity_3:0 [1, 384, 16] give 896 rows"});
    // The 256 model's anchors on the 128 model.
    refused("{preset: blazeface_front_128, anchor_strides: [16, 32]}",
            {"are 224", "give 896 rows"});
    refused("{preset: blazeface_front_128, scores_from: [scores]}",
            {"scores_from names 'scores', which is not an output of the model",
             "Identity:0 [1, 512, 1], Identity_1:0 [1, 384, 1], Identity_2:0 [1, 512, 16]"});
    // Scores and regressors swapped: the scores hold one value a row, boxes need four.
    refused("{preset: blazeface_front_128, boxes_from: [Identity:0, Identity_1:0]}",
            {"boxes at values 0 to 3",
             "Identity:0 [1, 512, 1] + Identity_1:0 [1, 384, 1] give "
             "rows of 1"});
    refused("{preset: blazeface_front_128, keypoints: 7}",
            {"7 keypoints from value 4, 18 values a row", "give rows of 16"});

    TempDir dir;
    std::ifstream in(kFrontModel, std::ios::binary);
    std::string whole((std::istreambuf_iterator<char>(in)), {});
    REQUIRE(whole.size() == 442005u);
    auto truncated = dir.write("front.onnx", whole.substr(0, whole.size() / 2));
    refused("{preset: blazeface_front_128, model: '" + truncated.string() + "'}",
            {"is not a network OpenCV can load"});
    std::string corrupt = whole;
    for (std::size_t i = 1000; i < corrupt.size(); i += 997)
        corrupt[i] = static_cast<char>(~corrupt[i]);
    refused(
        "{preset: blazeface_front_128, model: '" + dir.write("bad.onnx", corrupt).string() + "'}",
        {"is not a network OpenCV can load"});
}
