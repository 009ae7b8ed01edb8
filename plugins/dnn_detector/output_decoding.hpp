#pragma once
// A detection network's raw outputs as boxes: the layouts the common detectors export, read
// into candidates in the network's input pixels, then non-maximum suppression per class.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace framehost::dnn {

enum class OutputLayout {
    Yolov3,  // Darknet YOLOv3/v4 through OpenCV: rows of cx, cy, w, h (0..1 of the input),
             // objectness, class scores (OpenCV's region layer already multiplied them by it)
    Yolov5,  // [1, boxes, 5 + classes]: cx, cy, w, h in input pixels, objectness, class scores
    Yolov8,  // [1, 4 + classes, boxes]: cx, cy, w, h in input pixels, class scores
    Ssd,     // [1, 1, boxes, 7]: image, class, confidence, x1, y1, x2, y2 (0..1 of the input)
};

// The names `output:` takes, in the order of the enum, and the layout of one.
const std::vector<std::string>& layout_names();
OutputLayout layout_named(const std::string& name);

struct Candidate {
    int class_id = 0;
    float confidence = 0;
    cv::Rect2f box;  // in the network's input pixels
};

// The candidates of at least `min_confidence`. Throws std::runtime_error naming the layout and
// the shape when an output does not have the layout's shape.
std::vector<Candidate> decode(OutputLayout layout, const std::vector<cv::Mat>& outputs,
                              cv::Size input, float min_confidence);

// The number of classes the outputs score (YOLO layouts), or -1 when the layout does not say
// (SSD). Throws as decode() does.
int class_count(OutputLayout layout, const std::vector<cv::Mat>& outputs);

// Non-maximum suppression within each class (a person never suppresses a car), best first, at
// most `max_detections` kept.
std::vector<Candidate> suppress(const std::vector<Candidate>& candidates, float iou_threshold,
                                int max_detections);

}  // namespace framehost::dnn
