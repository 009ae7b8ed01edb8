#pragma once
// One opened video: libavformat's demuxer and libavcodec's decoder for its best video stream,
// every blocking call bounded by a deadline through FFmpeg's interrupt callback (a server that
// accepts the connection and never answers fails within the timeout, and stop() gets out of any
// read). Errors are thrown as std::runtime_error naming what failed and FFmpeg's reason.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace framehost::video {

// The largest frame a camera may deliver or be resized to: 8K UHD (7680x4320). A frame is
// allocated before the host can charge it to memory_limit_mb, so a stream declaring 16384x16384
// (805 MB a frame in BGR) is refused when it is opened.
inline constexpr long long kMaxFramePixels = 7680LL * 4320;

struct InputOptions {
    std::string url;
    bool rtsp_over_tcp = true;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds read_timeout{5000};    // bounds each read of the input
    std::chrono::milliseconds stall_timeout{10000};  // bounds the wait for one decoded frame
    int decoder_threads = 1;                         // 0: as many as FFmpeg chooses
    // FFmpeg's protocol_whitelist and format_whitelist (comma-separated); empty: FFmpeg's own.
    std::string protocols, formats;
};

class VideoInput {
  public:
    // Opens and probes the input, finds its video stream and opens a decoder; throws on failure
    // or when `stop` is set meanwhile.
    VideoInput(const InputOptions& options, const std::atomic<bool>& stop);
    ~VideoInput();
    VideoInput(const VideoInput&) = delete;
    VideoInput& operator=(const VideoInput&) = delete;

    enum class Next { Frame, EndOfStream };
    // Decodes the next frame into `frame` (unreferenced first). Throws on a read or decode error,
    // on a read that passes the read timeout, and when `stop` is set.
    Next decode(AVFrame* frame);
    // Back to the start (for looping files); throws when the input cannot seek.
    void rewind();

    int width() const { return decoder_->width; }
    int height() const { return decoder_->height; }
    int pixel_format() const { return decoder_->pix_fmt; }  // an AVPixelFormat; may be NONE
    const AVCodecParameters& parameters() const { return *stream_->codecpar; }
    // Called with each packet of the video stream as it is read, before it is decoded.
    void on_packet(std::function<void(const AVPacket&)> callback) {
        on_packet_ = std::move(callback);
    }
    AVRational time_base() const { return stream_->time_base; }
    // The pixel memory the decoder will hold: its reference and output frames at the stream's
    // size and format, counted as 4 frames plus one a decoding thread (H.264 streams of
    // cameras keep 1 to 4 references). An estimate, known before the first frame is decoded.
    std::size_t decoder_bytes() const;
    double frame_rate() const;        // frames per second the stream declares; 0 when unknown
    std::string description() const;  // "h264 640x480 25 fps"

  private:
    static int interrupted(void* self);
    void release();
    void arm(std::chrono::milliseconds timeout);

    InputOptions options_;
    const std::atomic<bool>& stop_;
    std::atomic<std::int64_t> deadline_ns_{0};
    AVFormatContext* format_ = nullptr;
    AVCodecContext* decoder_ = nullptr;
    AVStream* stream_ = nullptr;
    AVPacket* packet_ = nullptr;
    bool draining_ = false;
    std::function<void(const AVPacket&)> on_packet_;
    bool timed_out_ = false;
};

// FFmpeg's text for an error code.
std::string av_error_text(int code);

}  // namespace framehost::video
