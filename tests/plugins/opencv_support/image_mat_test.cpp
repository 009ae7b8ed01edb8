// opencv_support's pictures of a frame: resize_to_bgr makes a network's input from any format,
// NV12 and I420 resized plane by plane before their colour is converted, odd sides included,
// written into the region it is given.
#include <doctest/doctest.h>

#include <opencv2/imgproc.hpp>

#include "image_mat.hpp"

using namespace framehost;

namespace {
// A width x height 4:2:0 picture of one colour (Y, U, V); make_image's rows are 64-byte aligned,
// so a narrow picture's rows are padded.
Image uniform_yuv(PixelFormat format, int width, int height, std::uint8_t y, std::uint8_t u,
                  std::uint8_t v) {
    auto image = make_image(format, width, height);
    for (int p = 0; p < image.plane_count(); ++p)
        for (int row = 0; row < image.rows(p); ++row) {
            auto* line = image.planes[static_cast<std::size_t>(p)].data +
                         static_cast<std::size_t>(row) * image.stride(p);
            for (std::size_t x = 0; x < image.row_bytes(p); ++x) {
                if (p == 0)
                    line[x] = y;
                else if (format == PixelFormat::NV12)
                    line[x] = x % 2 == 0 ? u : v;
                else
                    line[x] = p == 1 ? u : v;
            }
        }
    return image;
}

// The BGR OpenCV gives one Y, U, V.
cv::Vec3b bgr_of(std::uint8_t y, std::uint8_t u, std::uint8_t v) {
    cv::Mat yuv(3, 2, CV_8UC1);
    yuv.rowRange(0, 2).setTo(y);
    yuv.at<std::uint8_t>(2, 0) = u;
    yuv.at<std::uint8_t>(2, 1) = v;
    cv::Mat bgr;
    cv::cvtColor(yuv, bgr, cv::COLOR_YUV2BGR_I420);
    return bgr.at<cv::Vec3b>(0, 0);
}

bool near(const cv::Vec3b& a, const cv::Vec3b& b) {
    for (int c = 0; c < 3; ++c)
        if (std::abs(a[c] - b[c]) > 2) return false;
    return true;
}
}  // namespace

TEST_CASE(
    "resize_to_bgr converts NV12 and I420 at the small size, odd sides and padding included") {
    const auto expected = bgr_of(120, 90, 200);  // a warm orange
    for (auto format : {PixelFormat::I420, PixelFormat::NV12}) {
        for (cv::Size size : {cv::Size(8, 6), cv::Size(7, 5), cv::Size(1, 1)}) {
            INFO(std::string(to_string(format)), " into ", size.width, "x", size.height);
            auto image = uniform_yuv(format, 33, 17, 120, 90, 200);
            REQUIRE(image.stride(0) > image.row_bytes(0));
            // A region of a larger picture: written where it is, the rest left alone.
            cv::Mat canvas(size.height + 4, size.width + 4, CV_8UC3, cv::Scalar::all(114));
            cv::Mat region = canvas(cv::Rect(2, 2, size.width, size.height));
            REQUIRE(opencv::resize_to_bgr(image, region));
            CHECK(region.data == canvas.ptr(2) + 2 * 3);
            for (int y = 0; y < canvas.rows; ++y)
                for (int x = 0; x < canvas.cols; ++x) {
                    bool in = x >= 2 && y >= 2 && x < size.width + 2 && y < size.height + 2;
                    auto pixel = canvas.at<cv::Vec3b>(y, x);
                    if (in)
                        CHECK(near(pixel, expected));
                    else
                        CHECK(pixel == cv::Vec3b(114, 114, 114));
                }
        }
    }
}

TEST_CASE("resize_to_bgr resizes packed formats, and refuses what it cannot read") {
    auto rgb = make_image(PixelFormat::RGB24, 20, 10);
    for (int y = 0; y < rgb.rows(0); ++y)
        for (std::size_t x = 0; x < rgb.row_bytes(0); x += 3) {
            auto* p = rgb.planes[0].data + static_cast<std::size_t>(y) * rgb.stride(0) + x;
            p[0] = 10, p[1] = 20, p[2] = 30;  // R, G, B
        }
    cv::Mat small(5, 10, CV_8UC3);
    REQUIRE(opencv::resize_to_bgr(rgb, small));
    CHECK(small.at<cv::Vec3b>(4, 9) == cv::Vec3b(30, 20, 10));
    cv::Mat wrong(5, 10, CV_8UC1);
    CHECK_FALSE(opencv::resize_to_bgr(rgb, wrong));
    CHECK_FALSE(opencv::resize_to_bgr(Image{}, small));
}
