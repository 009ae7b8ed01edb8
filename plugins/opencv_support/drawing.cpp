#include "drawing.hpp"

#include <algorithm>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "image_mat.hpp"

namespace framehost::opencv {

cv::Mat drawable_copy(const Image& image, int max_width, double& scale) {
    cv::Mat scratch, picture;
    cv::Mat bgr = bgr_view(image, scratch);
    if (bgr.empty())
        throw std::runtime_error(std::string("cannot draw on ") + to_string(image.format) +
                                 " pixels");
    scale = 1;
    if (max_width > 0 && bgr.cols > max_width) {
        scale = static_cast<double>(max_width) / bgr.cols;
        cv::resize(bgr, picture,
                   cv::Size(max_width, std::max(1, static_cast<int>(bgr.rows * scale))), 0, 0,
                   cv::INTER_AREA);
    } else {
        picture = bgr.clone();  // never draw on the frame's own pixels: they are shared
    }
    return picture;
}

void draw_labelled_box(cv::Mat& picture, const cv::Rect& box, const cv::Scalar& colour,
                       const std::string& label, int thickness, double font_scale) {
    cv::rectangle(picture, box, colour, thickness);
    int baseline = 0;
    auto size = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, font_scale, 1, &baseline);
    cv::Point at(box.x, std::max(size.height + 2, box.y - 2));
    cv::rectangle(picture, at + cv::Point(0, baseline),
                  at + cv::Point(size.width, -size.height - 2), colour, cv::FILLED);
    cv::putText(picture, label, at, cv::FONT_HERSHEY_SIMPLEX, font_scale, cv::Scalar(0, 0, 0), 1,
                cv::LINE_AA);
}

void draw_keypoints(cv::Mat& picture, const std::vector<std::array<float, 2>>& keypoints,
                    double scale, const cv::Scalar& colour, int thickness) {
    int radius = std::max(2, thickness + 1);
    for (const auto& k : keypoints) {
        cv::Point at(cvRound(k[0] * scale), cvRound(k[1] * scale));
        cv::circle(picture, at, radius + 1, cv::Scalar(0, 0, 0), cv::FILLED, cv::LINE_AA);
        cv::circle(picture, at, radius, colour, cv::FILLED, cv::LINE_AA);
    }
}

}  // namespace framehost::opencv
