#include "output_decoding.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <opencv2/dnn.hpp>

namespace framehost::dnn {
namespace {

std::string dims_of(const cv::Mat& m) {
    std::string s = "[";
    for (int i = 0; i < m.dims; ++i) s += (i ? ", " : "") + std::to_string(m.size[i]);
    return s + "]";
}

// A tensor as [rows, values]: leading dimensions of 1 dropped, transposed when its values come
// first. Empty when it is not a table of 32-bit floats.
cv::Mat table_of(const cv::Mat& m, bool values_first) {
    if (m.type() != CV_32F || m.dims < 1) return {};
    std::vector<int> dims(m.size.p, m.size.p + m.dims);
    while (dims.size() > 2 && dims.front() == 1) dims.erase(dims.begin());
    if (dims.size() == 1) dims.push_back(1);
    if (dims.size() != 2) return {};
    cv::Mat view(dims[0], dims[1], CV_32F, const_cast<uchar*>(m.data));
    if (!values_first) return view;
    cv::Mat transposed;
    cv::transpose(view, transposed);
    return transposed;
}

float sigmoid(float x) {
    return 1.0f / (1.0f + std::exp(-x));
}

std::string joined(const std::vector<int>& values) {
    std::string s = "[";
    for (std::size_t i = 0; i < values.size(); ++i)
        s += (i ? ", " : "") + std::to_string(values[i]);
    return s + "]";
}

}  // namespace

OutputReader::OutputReader(OutputDescription description, cv::Size input,
                           std::vector<std::string> output_names,
                           const std::vector<cv::Mat>& outputs)
    : description_(std::move(description)), input_(input), names_(std::move(output_names)) {
    if (outputs.empty()) throw std::runtime_error("the model has no output");
    auto all_outputs = [&] {
        std::string s;
        for (std::size_t i = 0; i < outputs.size(); ++i)
            s += (i ? ", " : "") + (i < names_.size() ? names_[i] : std::to_string(i)) + " " +
                 dims_of(outputs[i]);
        return s;
    };
    auto resolve = [&](const std::vector<std::string>& from, const char* param) {
        std::vector<int> tensors;
        if (from.empty())
            for (int i = 0; i < static_cast<int>(outputs.size()); ++i) tensors.push_back(i);
        for (const auto& name : from) {
            auto it = std::find(names_.begin(), names_.end(), name);
            int index = -1;
            if (it != names_.end()) {
                index = static_cast<int>(it - names_.begin());
            } else if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos &&
                       name.size() < 6 && std::stoi(name) < static_cast<int>(outputs.size())) {
                index = std::stoi(name);
            }
            if (index < 0)
                throw std::runtime_error(std::string(param) + " names '" + name +
                                         "', which is not an output of the model; its outputs "
                                         "are " +
                                         all_outputs());
            if (table_of(outputs[index], false).empty())
                throw std::runtime_error(std::string(param) + " names " +
                                         shapes_of({index}, outputs) +
                                         ", which is not a table of float rows (all but its "
                                         "last two dimensions 1)");
            tensors.push_back(index);
        }
        return tensors;
    };
    boxes_ = resolve(description_.boxes_from, "boxes_from");
    scores_ = resolve(description_.scores_from, "scores_from");

    const auto& d = description_;
    cv::Mat boxes = rows_of(boxes_, outputs);
    cv::Mat scores = rows_of(scores_, outputs);
    auto need = [&](const cv::Mat& rows, const std::vector<int>& tensors, int values,
                    const std::string& what) {
        if (rows.cols < values)
            throw std::runtime_error("the description reads " + what + ", " +
                                     std::to_string(values) + " values a row, but the model's " +
                                     shapes_of(tensors, outputs) +
                                     (tensors.size() == 1 ? " gives" : " give") + " rows of " +
                                     std::to_string(rows.cols));
    };
    need(boxes, boxes_, d.box_column + 4,
         "boxes at values " + std::to_string(d.box_column) + " to " +
             std::to_string(d.box_column + 3));
    if (d.keypoints > 0)
        need(boxes, boxes_, d.keypoints_column + 2 * d.keypoints,
             std::to_string(d.keypoints) + " keypoints from value " +
                 std::to_string(d.keypoints_column));
    int last_score = d.score_count > 0 ? d.score_column + d.score_count : d.score_column + 1;
    need(scores, scores_, last_score,
         "scores from value " + std::to_string(d.score_column) +
             (d.score_count > 0 ? " (" + std::to_string(d.score_count) + " of them)" : ""));
    if (d.objectness_column >= 0)
        need(scores, scores_, d.objectness_column + 1,
             "the objectness at value " + std::to_string(d.objectness_column));
    if (d.class_id_column >= 0)
        need(scores, scores_, d.class_id_column + 1,
             "the class at value " + std::to_string(d.class_id_column));
    score_count_ = d.class_id_column >= 0 ? 1
                   : d.score_count > 0    ? d.score_count
                                          : scores.cols - d.score_column;
    if (boxes.rows != scores.rows)
        throw std::runtime_error("the description reads boxes from " + shapes_of(boxes_, outputs) +
                                 " (" + std::to_string(boxes.rows) + " rows) and scores from " +
                                 shapes_of(scores_, outputs) + " (" + std::to_string(scores.rows) +
                                 " rows): they must match");
    if (!d.anchors.empty()) {
        anchors_ = d.anchors.centres(input_);
        if (static_cast<int>(anchors_.size()) != boxes.rows)
            throw std::runtime_error(
                "the description's anchors (strides " + joined(d.anchors.strides) + ", " +
                joined(d.anchors.per_cell) + " a cell, on a " + std::to_string(input_.width) + "x" +
                std::to_string(input_.height) + " input) are " + std::to_string(anchors_.size()) +
                ", but the model's " + shapes_of(boxes_, outputs) +
                (boxes_.size() == 1 ? " gives " : " give ") + std::to_string(boxes.rows) + " rows");
    }
}

std::string OutputReader::shapes_of(const std::vector<int>& tensors,
                                    const std::vector<cv::Mat>& outputs) const {
    std::string s;
    for (int t : tensors)
        s += (s.empty() ? "" : " + ") +
             (t < static_cast<int>(names_.size()) ? names_[t] : std::to_string(t)) + " " +
             dims_of(outputs[t]);
    return s;
}

cv::Mat OutputReader::rows_of(const std::vector<int>& tensors,
                              const std::vector<cv::Mat>& outputs) const {
    if (tensors.size() == 1) return table_of(outputs[tensors[0]], description_.values_first);
    std::vector<cv::Mat> tables;
    for (int t : tensors) {
        tables.push_back(table_of(outputs[t], description_.values_first));
        if (tables.back().cols != tables.front().cols)
            throw std::runtime_error("stacked outputs " + shapes_of(tensors, outputs) +
                                     " have rows of different lengths");
    }
    cv::Mat stacked;
    cv::vconcat(tables, stacked);
    return stacked;
}

int OutputReader::class_count() const {
    return description_.class_id_column >= 0 ? -1 : score_count_;
}

std::vector<Candidate> OutputReader::decode(const std::vector<cv::Mat>& outputs,
                                            float min_confidence) const {
    const auto& d = description_;
    cv::Mat boxes = rows_of(boxes_, outputs);
    cv::Mat scores = boxes_ == scores_ ? boxes : rows_of(scores_, outputs);
    float sx = d.box_fractions ? static_cast<float>(input_.width) : 1.0f;
    float sy = d.box_fractions ? static_cast<float>(input_.height) : 1.0f;
    auto probability = [&](float value) { return d.score_logits ? sigmoid(value) : value; };
    std::vector<Candidate> found;
    for (int i = 0; i < boxes.rows && i < scores.rows; ++i) {
        const float* s = scores.ptr<float>(i);
        Candidate c;
        if (d.class_id_column >= 0) {
            c.class_id = static_cast<int>(s[d.class_id_column]);
            c.confidence = probability(s[d.score_column]);
        } else {
            const float* first = s + d.score_column;
            const float* best = std::max_element(first, first + score_count_);
            c.class_id = static_cast<int>(best - first);
            c.confidence = probability(*best);
        }
        if (d.objectness_column >= 0) c.confidence *= probability(s[d.objectness_column]);
        if (!(c.confidence >= min_confidence)) continue;  // NaN too
        cv::Point2f anchor = anchors_.empty() ? cv::Point2f(0, 0) : anchors_[i];
        const float* b = boxes.ptr<float>(i) + d.box_column;
        if (d.box_corners) {
            float x1 = b[0] * sx + anchor.x, y1 = b[1] * sy + anchor.y;
            c.box = {x1, y1, b[2] * sx + anchor.x - x1, b[3] * sy + anchor.y - y1};
        } else {
            float w = b[2] * sx, h = b[3] * sy;
            c.box = {b[0] * sx + anchor.x - w / 2, b[1] * sy + anchor.y - h / 2, w, h};
        }
        const float* k = boxes.ptr<float>(i) + d.keypoints_column;
        for (int p = 0; p < d.keypoints; ++p)
            c.keypoints.emplace_back(k[2 * p] * sx + anchor.x, k[2 * p + 1] * sy + anchor.y);
        found.push_back(std::move(c));
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
