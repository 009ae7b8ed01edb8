#pragma once
// A detection network's raw outputs as candidates, read as its OutputDescription says, in the
// network's input pixels; then non-maximum suppression per class.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "network_description.hpp"

namespace framehost::dnn {

struct Candidate {
    int class_id = 0;
    float confidence = 0;
    cv::Rect2f box;                      // in the network's input pixels
    std::vector<cv::Point2f> keypoints;  // likewise
};

// A description bound to one network's outputs. Built from the outputs of one run, it checks
// that the description fits them: every tensor it names exists, each part has the values it
// reads, stacked tensors agree, boxes and scores have as many rows as each other and as the
// anchors; else it throws std::runtime_error naming what the description needs and the shapes
// the model gives.
class OutputReader {
  public:
    OutputReader(OutputDescription description, cv::Size input,
                 std::vector<std::string> output_names, const std::vector<cv::Mat>& outputs);

    // The number of classes the scores hold, or -1 when a value gives the class (SSD).
    int class_count() const;

    // The candidates of at least `min_confidence` in `outputs` (as many, in the same order, as
    // the run the reader was built from).
    std::vector<Candidate> decode(const std::vector<cv::Mat>& outputs, float min_confidence) const;

  private:
    // One part's tensors (indices into the outputs) as rows of values, stacked.
    cv::Mat rows_of(const std::vector<int>& tensors, const std::vector<cv::Mat>& outputs) const;
    std::string shapes_of(const std::vector<int>& tensors,
                          const std::vector<cv::Mat>& outputs) const;

    OutputDescription description_;
    cv::Size input_;
    std::vector<std::string> names_;
    std::vector<int> boxes_;
    std::vector<int> scores_;
    std::vector<cv::Point2f> anchors_;
    int score_count_ = 0;
};

// Non-maximum suppression within each class (a person never suppresses a car), best first, at
// most `max_detections` kept.
std::vector<Candidate> suppress(const std::vector<Candidate>& candidates, float iou_threshold,
                                int max_detections);

}  // namespace framehost::dnn
