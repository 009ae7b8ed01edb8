#include "image_mat.hpp"

#include <opencv2/imgproc.hpp>

namespace framehost::opencv {

namespace {
cv::Mat plane(const Image& image, int p, int type) {
    return cv::Mat(image.rows(p), static_cast<int>(image.row_bytes(p)) / CV_ELEM_SIZE(type), type,
                   const_cast<std::uint8_t*>(image.planes[static_cast<std::size_t>(p)].data),
                   image.stride(p));
}

// NV12 and I420 as the one contiguous buffer cvtColor wants (Y rows, then chroma).
cv::Mat packed_yuv(const Image& image) {
    auto bytes = packed_bytes(image);
    cv::Mat yuv(image.height * 3 / 2, image.width, CV_8UC1);
    std::memcpy(yuv.data, bytes.data(), std::min(bytes.size(), yuv.total()));
    return yuv;
}
}  // namespace

cv::Mat gray_view(const Image& image, cv::Mat& scratch) {
    if (image.empty() || !image_problem(image).empty()) return {};
    switch (image.format) {
        case PixelFormat::GRAY8:
        case PixelFormat::NV12:
        case PixelFormat::I420:
            return plane(image, 0, CV_8UC1);
        case PixelFormat::BGR24:
            cv::cvtColor(plane(image, 0, CV_8UC3), scratch, cv::COLOR_BGR2GRAY);
            return scratch;
        case PixelFormat::RGB24:
            cv::cvtColor(plane(image, 0, CV_8UC3), scratch, cv::COLOR_RGB2GRAY);
            return scratch;
        case PixelFormat::BGRA:
            cv::cvtColor(plane(image, 0, CV_8UC4), scratch, cv::COLOR_BGRA2GRAY);
            return scratch;
        case PixelFormat::RGBA:
            cv::cvtColor(plane(image, 0, CV_8UC4), scratch, cv::COLOR_RGBA2GRAY);
            return scratch;
        default:
            return {};
    }
}

cv::Mat bgr_view(const Image& image, cv::Mat& scratch) {
    if (image.empty() || !image_problem(image).empty()) return {};
    switch (image.format) {
        case PixelFormat::BGR24:
            return plane(image, 0, CV_8UC3);
        case PixelFormat::RGB24:
            cv::cvtColor(plane(image, 0, CV_8UC3), scratch, cv::COLOR_RGB2BGR);
            return scratch;
        case PixelFormat::BGRA:
            cv::cvtColor(plane(image, 0, CV_8UC4), scratch, cv::COLOR_BGRA2BGR);
            return scratch;
        case PixelFormat::RGBA:
            cv::cvtColor(plane(image, 0, CV_8UC4), scratch, cv::COLOR_RGBA2BGR);
            return scratch;
        case PixelFormat::GRAY8:
            cv::cvtColor(plane(image, 0, CV_8UC1), scratch, cv::COLOR_GRAY2BGR);
            return scratch;
        case PixelFormat::NV12:
            cv::cvtColor(packed_yuv(image), scratch, cv::COLOR_YUV2BGR_NV12);
            return scratch;
        case PixelFormat::I420:
            cv::cvtColor(packed_yuv(image), scratch, cv::COLOR_YUV2BGR_I420);
            return scratch;
        default:
            return {};
    }
}

cv::Rect clamp(const cv::Rect& r, int width, int height) {
    return r & cv::Rect(0, 0, width, height);
}

std::array<int, 4> box_of(const cv::Rect& r, int width, int height) {
    auto c = clamp(r, width, height);
    return {c.x, c.y, c.x + c.width, c.y + c.height};
}

}  // namespace framehost::opencv
