#pragma once
// What a detection network takes and gives, as data: how a frame becomes its input tensor and
// how its output tensors become boxes, scores and keypoints. Each preset (YOLOv3/v5/v8, SSD,
// MediaPipe's BlazeFace) is one such description; the config may start from a preset and
// change any part of it, so a new network needs a config, not code.
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace framehost::dnn {

struct InputDescription {
    bool channels_last = false;  // [1, H, W, 3] (TensorFlow exports) instead of [1, 3, H, W]
    cv::Size size{640, 640};
    bool letterbox = false;  // aspect kept with grey bars, instead of stretched
    double scale = 1.0 / 255;
    cv::Scalar mean;  // subtracted before scaling, in the network's channel order
    bool rgb = true;  // channel order the network expects
};

// MediaPipe's SSD anchors: for each stride, a grid of (input / stride) cells, row by row, with
// `per_cell` anchors in each, centred at (column + offset) / cells, (row + offset) / cells of the
// input. Regressed boxes and keypoints are offsets from their anchor's centre; the anchors'
// size is fixed (MediaPipe's fixed_anchor_size), so sizes are as regressed.
struct AnchorSpec {
    std::vector<int> strides;
    std::vector<int> per_cell;
    double offset = 0.5;

    bool empty() const { return strides.empty(); }
    // Anchor centres in input pixels, in the order the outputs' rows follow.
    std::vector<cv::Point2f> centres(cv::Size input) const;
};

// Which tensors and which of their values carry what. A tensor is read as rows, one candidate
// per row: leading dimensions of 1 dropped, [boxes, values] (or [values, boxes] when
// `values_first`). Several tensors named for one part are stacked row after row (BlazeFace
// gives its 896 candidates as 512 rows then 384). A part naming no tensor reads all outputs.
struct OutputDescription {
    bool values_first = false;  // [1, values, boxes], as YOLOv8 exports

    std::vector<std::string> boxes_from;  // output names, or their indices ("0", "1"...)
    int box_column = 0;                   // first of the four box values
    bool box_corners = false;             // x1, y1, x2, y2 instead of cx, cy, w, h
    bool box_fractions = false;           // in fractions of the input instead of its pixels
    int keypoints = 0;                    // (x, y) pairs after... keypoints_column, in box units
    int keypoints_column = 4;

    std::vector<std::string> scores_from;
    int score_column = 4;        // first class score
    int score_count = 0;         // classes scored; 0: to the end of the row
    bool score_logits = false;   // raw logits: a sigmoid makes them probabilities
    int objectness_column = -1;  // multiplies the class score when >= 0
    int class_id_column = -1;    // the class as a value (SSD): then score_column is its score

    AnchorSpec anchors;
};

struct Preset {
    std::string name;
    InputDescription input;
    OutputDescription output;
    double confidence_threshold = 0.5;
    double nms_threshold = 0.45;
    std::vector<std::string> class_names;  // when no classes_file is given
    std::string model;  // file under the models folder scripts/models fills; "" for none
};

// The presets that ship with the plugin: yolov3, yolov5, yolov8, ssd, blazeface_front_128,
// blazeface_back_256.
const std::vector<Preset>& presets();
const std::vector<std::string>& preset_names();
const Preset& preset_named(const std::string& name);

}  // namespace framehost::dnn
