#include "frame_conversion.hpp"

#include <stdexcept>
#include <string>

extern "C" {
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace framehost::video {

PixelFormat sdk_format(int av_format) {
    switch (av_format) {
        case AV_PIX_FMT_BGR24:
            return PixelFormat::BGR24;
        case AV_PIX_FMT_RGB24:
            return PixelFormat::RGB24;
        case AV_PIX_FMT_RGBA:
            return PixelFormat::RGBA;
        case AV_PIX_FMT_BGRA:
            return PixelFormat::BGRA;
        case AV_PIX_FMT_GRAY8:
            return PixelFormat::GRAY8;
        case AV_PIX_FMT_NV12:
            return PixelFormat::NV12;
        case AV_PIX_FMT_YUV420P:
        case AV_PIX_FMT_YUVJ420P:
            return PixelFormat::I420;
        default:
            return PixelFormat::Unknown;
    }
}

AVPixelFormat av_format(PixelFormat format) {
    switch (format) {
        case PixelFormat::BGR24:
            return AV_PIX_FMT_BGR24;
        case PixelFormat::RGB24:
            return AV_PIX_FMT_RGB24;
        case PixelFormat::RGBA:
            return AV_PIX_FMT_RGBA;
        case PixelFormat::BGRA:
            return AV_PIX_FMT_BGRA;
        case PixelFormat::GRAY8:
            return AV_PIX_FMT_GRAY8;
        case PixelFormat::NV12:
            return AV_PIX_FMT_NV12;
        case PixelFormat::I420:
            return AV_PIX_FMT_YUV420P;
        default:
            return AV_PIX_FMT_NONE;
    }
}

FrameConverter::~FrameConverter() {
    sws_freeContext(sws_);
}

Image FrameConverter::wrap(const AVFrame& frame, PixelFormat format) {
    AVFrame* reference = av_frame_clone(&frame);
    if (!reference) throw std::runtime_error("out of memory referencing a decoded frame");
    std::shared_ptr<AVFrame> owner(reference, [](AVFrame* f) { av_frame_free(&f); });
    std::array<ImagePlane, 4> planes{};
    for (int p = 0; p < plane_count(format); ++p) {
        auto stride = static_cast<std::size_t>(reference->linesize[p]);
        auto rows = static_cast<std::size_t>(plane_rows(format, p, frame.height));
        planes[static_cast<std::size_t>(p)] = {
            reference->data[p], stride,
            stride * (rows - 1) + plane_row_bytes(format, p, frame.width)};
    }
    ++wrapped_;
    return wrap_image(format, frame.width, frame.height, planes,
                      std::shared_ptr<const void>(owner, reference));
}

OutputShape output_shape(const OutputShape& asked, int av_format, int width, int height) {
    PixelFormat decoded = sdk_format(av_format);
    OutputShape t = asked;
    if (t.format == PixelFormat::Unknown)
        t.format = decoded == PixelFormat::Unknown ? PixelFormat::I420 : decoded;
    if (!t.width) t.width = width;
    if (!t.height) t.height = height;
    return t;
}

std::size_t output_bytes(const OutputShape& asked, int av_format, int width, int height) {
    auto t = output_shape(asked, av_format, width, height);
    return packed_image_bytes(t.format, t.width, t.height);
}

std::size_t FrameConverter::output_bytes(const AVFrame& frame) const {
    return video::output_bytes(shape_, frame.format, frame.width, frame.height);
}

Image FrameConverter::convert(const AVFrame& frame) {
    PixelFormat decoded = sdk_format(frame.format);
    auto [wanted, width, height] = output_shape(shape_, frame.format, frame.width, frame.height);
    // Half-size chroma planes: an odd size has no agreed layout (OpenCV's conversions refuse
    // it with an assertion deep in a processor), so the camera is told here instead.
    if ((wanted == PixelFormat::I420 || wanted == PixelFormat::NV12) && (width % 2 || height % 2))
        throw std::runtime_error(
            std::string(to_string(wanted)) + " needs an even width and height; the " +
            "frames are " + std::to_string(width) + "x" + std::to_string(height) +
            " (ask for format bgr24, or a width " + "and height that are even)");
    bool flipped = false;
    for (int p = 0; p < 4; ++p) flipped = flipped || frame.linesize[p] < 0;
    if (decoded == wanted && width == frame.width && height == frame.height && !flipped)
        return wrap(frame, wanted);

    sws_ = sws_getCachedContext(sws_, frame.width, frame.height,
                                static_cast<AVPixelFormat>(frame.format), width, height,
                                av_format(wanted), SWS_BILINEAR, nullptr, nullptr, nullptr);
    if (!sws_)
        throw std::runtime_error(
            std::string("cannot convert ") +
            (av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame.format)) ?: "?") + " to " +
            to_string(wanted));
    Image image = make_image(wanted, width, height);
    std::uint8_t* data[4] = {};
    int strides[4] = {};
    for (int p = 0; p < plane_count(wanted); ++p) {
        data[p] = image.planes[static_cast<std::size_t>(p)].data;
        strides[p] = static_cast<int>(image.stride(p));
    }
    sws_scale(sws_, frame.data, frame.linesize, 0, frame.height, data, strides);
    ++converted_;
    return image;
}

}  // namespace framehost::video
