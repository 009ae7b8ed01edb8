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

bool resize_to_bgr(const Image& image, cv::Mat& bgr) {
    if (image.empty() || !image_problem(image).empty() || bgr.empty() || bgr.type() != CV_8UC3)
        return false;
    const cv::Size size = bgr.size();
    if (image.format != PixelFormat::I420 && image.format != PixelFormat::NV12) {
        cv::Mat scratch;
        cv::Mat whole = bgr_view(image, scratch);
        if (whole.empty()) return false;
        cv::resize(whole, bgr, size, 0, 0, cv::INTER_LINEAR);
        return true;
    }
    // 4:2:0 wants even sides: the small picture is made so, and a last odd row or column is
    // resized away after the conversion.
    const cv::Size even((size.width + 1) & ~1, (size.height + 1) & ~1);
    const cv::Size half(even.width / 2, even.height / 2);
    cv::Mat yuv(even.height * 3 / 2, even.width, CV_8UC1);
    cv::Mat luma = yuv.rowRange(0, even.height);
    cv::resize(plane(image, 0, CV_8UC1), luma, even, 0, 0, cv::INTER_LINEAR);
    std::uint8_t* chroma = yuv.data + yuv.step * static_cast<std::size_t>(even.height);
    if (image.format == PixelFormat::NV12) {
        cv::Mat uv(half, CV_8UC2, chroma);
        cv::resize(plane(image, 1, CV_8UC2), uv, half, 0, 0, cv::INTER_LINEAR);
    } else {
        cv::Mat u(half, CV_8UC1, chroma);
        cv::Mat v(half, CV_8UC1, chroma + half.area());
        cv::resize(plane(image, 1, CV_8UC1), u, half, 0, 0, cv::INTER_LINEAR);
        cv::resize(plane(image, 2, CV_8UC1), v, half, 0, 0, cv::INTER_LINEAR);
    }
    const auto code =
        image.format == PixelFormat::NV12 ? cv::COLOR_YUV2BGR_NV12 : cv::COLOR_YUV2BGR_I420;
    if (even == size) {
        cv::cvtColor(yuv, bgr, code);
    } else {
        cv::Mat converted;
        cv::cvtColor(yuv, converted, code);
        cv::resize(converted, bgr, size, 0, 0, cv::INTER_LINEAR);
    }
    return true;
}

cv::Rect clamp(const cv::Rect& r, int width, int height) {
    return r & cv::Rect(0, 0, width, height);
}

std::array<int, 4> box_of(const cv::Rect& r, int width, int height) {
    auto c = clamp(r, width, height);
    return {c.x, c.y, c.x + c.width, c.y + c.height};
}

}  // namespace framehost::opencv
