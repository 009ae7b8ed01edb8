#pragma once
// A frame's image as OpenCV sees it. Views wrap the planes with their strides (no copy) when the
// format allows; other formats are converted into `scratch`. Detectors then never assume packed
// rows.
#include <opencv2/core.hpp>

#include <framehost/frame.hpp>

namespace framehost::opencv {

// 8-bit, one channel: GRAY8 and the Y plane of NV12/I420 as they are; colour converted.
// Empty when the image has no pixels framehost can read.
cv::Mat gray_view(const Image& image, cv::Mat& scratch);
// 8-bit BGR: BGR24 as it is; everything else converted. Empty as above.
cv::Mat bgr_view(const Image& image, cv::Mat& scratch);
// `image` resized into `bgr`, 8-bit BGR, which has the size wanted and is written where it is
// (a region of a larger picture stays one). NV12 and I420 are resized plane by plane before
// the colour conversion, so only the small picture's pixels are converted: a network's input
// is a fraction of the frame. False when the image has no pixels framehost can read.
bool resize_to_bgr(const Image& image, cv::Mat& bgr);

// A rectangle as a detection box inside a width x height frame (x1, y1, x2, y2, clamped).
std::array<int, 4> box_of(const cv::Rect& r, int width, int height);
// The part of a rectangle inside the frame.
cv::Rect clamp(const cv::Rect& r, int width, int height);

}  // namespace framehost::opencv
