#include "network_description.hpp"

#include <algorithm>
#include <stdexcept>

namespace framehost::dnn {

std::vector<cv::Point2f> AnchorSpec::centres(cv::Size input) const {
    std::vector<cv::Point2f> out;
    for (std::size_t layer = 0; layer < strides.size(); ++layer) {
        int columns = std::max(1, input.width / strides[layer]);
        int rows = std::max(1, input.height / strides[layer]);
        int count = per_cell[std::min(layer, per_cell.size() - 1)];
        for (int y = 0; y < rows; ++y)
            for (int x = 0; x < columns; ++x)
                for (int a = 0; a < count; ++a)
                    out.emplace_back(static_cast<float>((x + offset) / columns * input.width),
                                     static_cast<float>((y + offset) / rows * input.height));
    }
    return out;
}

namespace {

Preset yolo(const std::string& name) {
    Preset p;
    p.name = name;
    p.input.size = {640, 640};
    p.output.box_column = 0;
    if (name == "yolov8") {
        // [1, 4 + classes, boxes]: cx, cy, w, h in input pixels, class scores.
        p.output.values_first = true;
        p.output.score_column = 4;
    } else {
        // [1, boxes, 5 + classes]: cx, cy, w, h, objectness, class scores.
        p.output.score_column = 5;
        if (name == "yolov5") {
            p.output.objectness_column = 4;
        } else {
            // Darknet through OpenCV: fractions of the input, and its region layer has already
            // multiplied the class scores by the objectness.
            p.input.size = {416, 416};
            p.output.box_fractions = true;
        }
    }
    return p;
}

Preset ssd() {
    // [1, 1, boxes, 7]: image, class, confidence, x1, y1, x2, y2 in fractions of the input.
    Preset p;
    p.name = "ssd";
    p.input.size = {300, 300};
    p.output.box_column = 3;
    p.output.box_corners = true;
    p.output.box_fractions = true;
    p.output.class_id_column = 1;
    p.output.score_column = 2;
    p.output.score_count = 1;
    return p;
}

// MediaPipe's short-range (front camera, 128) and full-range (back camera, 256) face
// detectors as keijiro's ONNX export gives them: input "input:0" [1, H, W, 3], RGB in [-1, 1];
// scores Identity:0 [1, 512, 1] and Identity_1:0 [1, 384, 1] as logits; regressors
// Identity_2:0 [1, 512, 16] and Identity_3:0 [1, 384, 16]: box centre offset and size, then
// six keypoints (right eye, left eye, nose, mouth, right ear, left ear), in input pixels, from
// 896 anchors (2 a cell of a 16x16 grid, 6 a cell of an 8x8 one).
Preset blazeface(const std::string& name, int size, std::vector<int> strides,
                 const std::string& file) {
    Preset p;
    p.name = name;
    p.input.channels_last = true;
    p.input.size = {size, size};
    p.input.letterbox = true;
    p.input.scale = 1.0 / 127.5;
    p.input.mean = cv::Scalar::all(127.5);
    p.output.boxes_from = {"Identity_2:0", "Identity_3:0"};
    p.output.box_column = 0;
    p.output.keypoints = 6;
    p.output.keypoints_column = 4;
    p.output.scores_from = {"Identity:0", "Identity_1:0"};
    p.output.score_column = 0;
    p.output.score_count = 1;
    p.output.score_logits = true;
    p.output.anchors = {std::move(strides), {2, 6}, 0.5};
    // What keijiro's FaceDetector uses: 0.75 keeps a poster's or a shadow's near-faces out.
    p.confidence_threshold = 0.75;
    p.nms_threshold = 0.3;
    p.class_names = {"face"};
    p.model = "blazeface/" + file;
    return p;
}

}  // namespace

const std::vector<Preset>& presets() {
    static const std::vector<Preset> all = {
        yolo("yolov3"),
        yolo("yolov5"),
        yolo("yolov8"),
        ssd(),
        blazeface("blazeface_front_128", 128, {8, 16},
                  "face_detection_front_128x128_barracuda.onnx"),
        blazeface("blazeface_back_256", 256, {16, 32},
                  "face_detection_back_256x256_barracuda.onnx"),
    };
    return all;
}

const std::vector<std::string>& preset_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& p : presets()) out.push_back(p.name);
        return out;
    }();
    return names;
}

const Preset& preset_named(const std::string& name) {
    for (const auto& p : presets())
        if (p.name == name) return p;
    throw std::invalid_argument("no preset named '" + name + "'");
}

}  // namespace framehost::dnn
