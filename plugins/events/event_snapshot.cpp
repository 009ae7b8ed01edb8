#include "event_snapshot.hpp"

#include <algorithm>
#include <cstdio>

#include "drawing.hpp"
#include "wire_pixels.hpp"

namespace framehost::events {

std::shared_ptr<const std::vector<std::uint8_t>> draw_snapshot(const Frame& frame,
                                                               const Event& event, int max_width,
                                                               int quality) {
    double scale = 1;
    cv::Mat picture = opencv::drawable_copy(frame.image, max_width, scale);
    auto at = [&](int v) { return static_cast<int>(v * scale); };
    cv::Rect box(cv::Point(at(event.bbox[0]), at(event.bbox[1])),
                 cv::Point(at(event.bbox[2]), at(event.bbox[3])));
    int thickness = std::max(2, picture.cols / 240);
    char label[96];
    std::snprintf(label, sizeof label, "%s %.2f", event.label.c_str(), event.score);
    opencv::draw_labelled_box(picture, box, cv::Scalar(0, 200, 255), label, thickness,
                              0.45 * std::max(1, picture.cols / 320));
    opencv::draw_keypoints(picture, event.keypoints, scale, cv::Scalar(0, 200, 255), thickness);
    std::array<ImagePlane, 4> planes{};
    planes[0] = {picture.data, picture.step[0],
                 picture.step[0] * static_cast<std::size_t>(picture.rows)};
    return std::make_shared<const std::vector<std::uint8_t>>(wire_pixels::encode_jpeg(
        wrap_image(PixelFormat::BGR24, picture.cols, picture.rows, planes, nullptr), quality));
}

}  // namespace framehost::events
