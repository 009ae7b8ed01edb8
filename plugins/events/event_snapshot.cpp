#include "event_snapshot.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "image_mat.hpp"
#include "wire_pixels.hpp"

namespace framehost::events {

std::shared_ptr<const std::vector<std::uint8_t>> draw_snapshot(const Frame& frame,
                                                               const Event& event, int max_width,
                                                               int quality) {
    cv::Mat scratch, picture;
    cv::Mat bgr = opencv::bgr_view(frame.image, scratch);
    if (bgr.empty())
        throw std::runtime_error(std::string("cannot draw a snapshot on ") +
                                 to_string(frame.format) + " pixels");
    double scale = 1;
    if (max_width > 0 && bgr.cols > max_width) {
        scale = static_cast<double>(max_width) / bgr.cols;
        cv::resize(bgr, picture,
                   cv::Size(max_width, std::max(1, static_cast<int>(bgr.rows * scale))), 0, 0,
                   cv::INTER_AREA);
    } else {
        picture = bgr.clone();  // never draw on the frame's own pixels: they are shared
    }
    auto at = [&](int v) { return static_cast<int>(v * scale); };
    cv::Rect box(cv::Point(at(event.bbox[0]), at(event.bbox[1])),
                 cv::Point(at(event.bbox[2]), at(event.bbox[3])));
    int thickness = std::max(2, picture.cols / 240);
    const cv::Scalar colour(0, 200, 255);
    cv::rectangle(picture, box, colour, thickness);
    char label[96];
    std::snprintf(label, sizeof label, "%s %.2f", event.label.c_str(), event.score);
    int baseline = 0;
    double font = 0.45 * std::max(1, picture.cols / 320);
    auto size = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, font, 1, &baseline);
    cv::Point text_at(box.x, std::max(size.height + 2, box.y - 2));
    cv::rectangle(picture, text_at + cv::Point(0, baseline),
                  text_at + cv::Point(size.width, -size.height - 2), colour, cv::FILLED);
    cv::putText(picture, label, text_at, cv::FONT_HERSHEY_SIMPLEX, font, cv::Scalar(0, 0, 0), 1,
                cv::LINE_AA);
    std::array<ImagePlane, 4> planes{};
    planes[0] = {picture.data, picture.step[0],
                 picture.step[0] * static_cast<std::size_t>(picture.rows)};
    return std::make_shared<const std::vector<std::uint8_t>>(wire_pixels::encode_jpeg(
        wrap_image(PixelFormat::BGR24, picture.cols, picture.rows, planes, nullptr), quality));
}

}  // namespace framehost::events
