#include "output_decoding.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <opencv2/dnn.hpp>

namespace framehost::dnn {
namespace {

std::string shape_of(const cv::Mat& m) {
    std::string s = "[";
    for (int i = 0; i < m.dims; ++i) s += (i ? ", " : "") + std::to_string(m.size[i]);
    return s + "]";
}

[[noreturn]] void wrong_shape(OutputLayout layout, const cv::Mat& m, const char* expected) {
    throw std::runtime_error("output layout " + layout_names()[static_cast<int>(layout)] +
                             " needs outputs of shape " + expected + "; the model gives " +
                             shape_of(m));
}

// A YOLO output as rows of one candidate each: [boxes, values] (transposed for v8).
cv::Mat rows_of(OutputLayout layout, const cv::Mat& out) {
    if (out.type() != CV_32F) wrong_shape(layout, out, "of 32-bit floats");
    switch (layout) {
        case OutputLayout::Yolov3:
            // OpenCV's region layer gives [boxes, 5 + classes]; ONNX exports add a batch of 1.
            if (out.dims == 2 && out.cols > 5) return out;
            if (out.dims == 3 && out.size[0] == 1 && out.size[2] > 5)
                return cv::Mat(out.size[1], out.size[2], CV_32F, const_cast<uchar*>(out.data));
            wrong_shape(layout, out, "[boxes, 5 + classes] or [1, boxes, 5 + classes]");
        case OutputLayout::Yolov5:
            if (out.dims == 3 && out.size[0] == 1 && out.size[2] > 5)
                return cv::Mat(out.size[1], out.size[2], CV_32F, const_cast<uchar*>(out.data));
            wrong_shape(layout, out, "[1, boxes, 5 + classes]");
        case OutputLayout::Yolov8:
            if (out.dims == 3 && out.size[0] == 1 && out.size[1] > 4) {
                cv::Mat transposed;
                cv::transpose(
                    cv::Mat(out.size[1], out.size[2], CV_32F, const_cast<uchar*>(out.data)),
                    transposed);
                return transposed;
            }
            wrong_shape(layout, out, "[1, 4 + classes, boxes]");
        case OutputLayout::Ssd:
            break;
    }
    throw std::logic_error("rows_of: not a YOLO layout");
}

const float* ssd_rows(const cv::Mat& out, int& count) {
    if (out.type() != CV_32F || out.dims != 4 || out.size[0] != 1 || out.size[1] != 1 ||
        out.size[3] != 7)
        wrong_shape(OutputLayout::Ssd, out, "[1, 1, boxes, 7]");
    count = out.size[2];
    return out.ptr<float>();
}

}  // namespace

const std::vector<std::string>& layout_names() {
    static const std::vector<std::string> names = {"yolov3", "yolov5", "yolov8", "ssd"};
    return names;
}

OutputLayout layout_named(const std::string& name) {
    auto& names = layout_names();
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) throw std::invalid_argument("no output layout named '" + name + "'");
    return static_cast<OutputLayout>(it - names.begin());
}

int class_count(OutputLayout layout, const std::vector<cv::Mat>& outputs) {
    if (outputs.empty()) throw std::runtime_error("the model has no output");
    if (layout == OutputLayout::Ssd) {
        int count = 0;
        for (const auto& out : outputs) ssd_rows(out, count);
        return -1;
    }
    int classes = -1;
    for (const auto& out : outputs) {
        cv::Mat rows = rows_of(layout, out);
        int here = rows.cols - (layout == OutputLayout::Yolov8 ? 4 : 5);
        if (classes >= 0 && here != classes)
            throw std::runtime_error("the model's outputs score " + std::to_string(classes) +
                                     " and " + std::to_string(here) + " classes");
        classes = here;
    }
    return classes;
}

std::vector<Candidate> decode(OutputLayout layout, const std::vector<cv::Mat>& outputs,
                              cv::Size input, float min_confidence) {
    std::vector<Candidate> found;
    if (layout == OutputLayout::Ssd) {
        for (const auto& out : outputs) {
            int count = 0;
            const float* r = ssd_rows(out, count);
            for (int i = 0; i < count; ++i, r += 7) {
                if (r[2] < min_confidence) continue;
                float x1 = r[3] * input.width, y1 = r[4] * input.height;
                float x2 = r[5] * input.width, y2 = r[6] * input.height;
                found.push_back({static_cast<int>(r[1]), r[2], {x1, y1, x2 - x1, y2 - y1}});
            }
        }
        return found;
    }
    bool normalised = layout == OutputLayout::Yolov3;
    int first_score = layout == OutputLayout::Yolov8 ? 4 : 5;
    for (const auto& out : outputs) {
        cv::Mat rows = rows_of(layout, out);
        for (int i = 0; i < rows.rows; ++i) {
            const float* r = rows.ptr<float>(i);
            const float* best = std::max_element(r + first_score, r + rows.cols);
            float confidence = *best * (layout == OutputLayout::Yolov5 ? r[4] : 1.0f);
            if (confidence < min_confidence) continue;
            float sx = normalised ? static_cast<float>(input.width) : 1.0f;
            float sy = normalised ? static_cast<float>(input.height) : 1.0f;
            float w = r[2] * sx, h = r[3] * sy;
            found.push_back({static_cast<int>(best - (r + first_score)),
                             confidence,
                             {r[0] * sx - w / 2, r[1] * sy - h / 2, w, h}});
        }
    }
    return found;
}

std::vector<Candidate> suppress(const std::vector<Candidate>& candidates, float iou_threshold,
                                int max_detections) {
    std::map<int, std::vector<int>> by_class;
    for (int i = 0; i < static_cast<int>(candidates.size()); ++i)
        by_class[candidates[i].class_id].push_back(i);
    std::vector<Candidate> kept;
    for (const auto& [class_id, members] : by_class) {
        std::vector<cv::Rect2d> boxes;
        std::vector<float> scores;
        for (int i : members) {
            boxes.emplace_back(candidates[i].box);
            scores.push_back(candidates[i].confidence);
        }
        std::vector<int> survivors;
        cv::dnn::NMSBoxes(boxes, scores, 0.0f, iou_threshold, survivors);
        for (int s : survivors) kept.push_back(candidates[members[s]]);
    }
    std::stable_sort(kept.begin(), kept.end(), [](const Candidate& a, const Candidate& b) {
        return a.confidence > b.confidence;
    });
    if (static_cast<int>(kept.size()) > max_detections) kept.resize(max_detections);
    return kept;
}

}  // namespace framehost::dnn
