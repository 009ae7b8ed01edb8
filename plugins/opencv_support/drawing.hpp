#pragma once
// Pictures to draw on, for the plugins that publish annotated frames (annotated_snapshot,
// events' snapshots): a copy of the frame (never the frame's own shared pixels), and boxes
// with a label on a filled tab.
#include <array>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include <framehost/image.hpp>

namespace framehost::opencv {

// The image as a BGR copy at most `max_width` wide (0: its own size); `scale` says how much it
// was scaled. Throws std::runtime_error naming the format when it cannot be read.
cv::Mat drawable_copy(const Image& image, int max_width, double& scale);

// A box with `label` on a tab of the box's colour above it (inside the picture).
void draw_labelled_box(cv::Mat& picture, const cv::Rect& box, const cv::Scalar& colour,
                       const std::string& label, int thickness, double font_scale);

// Keypoints (frame pixels, multiplied by `scale` as the picture was) as filled dots ringed in
// black, so they show on any colour: a face detector's eyes, nose, mouth and ears.
void draw_keypoints(cv::Mat& picture, const std::vector<std::array<float, 2>>& keypoints,
                    double scale, const cv::Scalar& colour, int thickness);

}  // namespace framehost::opencv
