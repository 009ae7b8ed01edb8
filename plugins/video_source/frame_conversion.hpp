#pragma once
// A decoded AVFrame as the SDK's image. When the frame already is in the format and size asked
// for, the image wraps the decoder's buffers (a new reference, no copy: it keeps them alive for
// as long as any copy of the image exists); otherwise libswscale converts it into fresh memory.
#include <cstddef>
#include <cstdint>

#include <framehost/image.hpp>

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>
}

struct SwsContext;

namespace framehost::video {

// The SDK's format for an FFmpeg pixel format; Unknown when framehost has no name for it.
// yuvj420p (full-range, from MJPEG) is I420: the same planes, wider value range.
PixelFormat sdk_format(int av_format);
AVPixelFormat av_format(PixelFormat format);

struct OutputShape {
    PixelFormat format = PixelFormat::BGR24;  // Unknown: as decoded (I420 if framehost has no
                                              // name for the decoder's format)
    int width = 0;                            // 0: the frame's own
    int height = 0;
};

// The shape a frame of `av_format`, `width` x `height` is converted to: the asked one, with
// the frame's own where unset; and the bytes of its image.
OutputShape output_shape(const OutputShape& asked, int av_format, int width, int height);
std::size_t output_bytes(const OutputShape& asked, int av_format, int width, int height);

class FrameConverter {
  public:
    explicit FrameConverter(OutputShape shape) : shape_(shape) {}
    ~FrameConverter();
    FrameConverter(const FrameConverter&) = delete;
    FrameConverter& operator=(const FrameConverter&) = delete;

    // Throws std::runtime_error when libswscale cannot convert the frame.
    Image convert(const AVFrame& frame);
    // The bytes convert() will give `frame`'s image: what to reserve before it allocates them.
    std::size_t output_bytes(const AVFrame& frame) const;
    std::uint64_t wrapped() const { return wrapped_; }
    std::uint64_t converted() const { return converted_; }

  private:
    Image wrap(const AVFrame& frame, PixelFormat format);

    OutputShape shape_;
    SwsContext* sws_ = nullptr;
    std::uint64_t wrapped_ = 0;
    std::uint64_t converted_ = 0;
};

}  // namespace framehost::video
