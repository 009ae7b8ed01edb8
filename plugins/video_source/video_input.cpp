#include "video_input.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

extern "C" {
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
}

namespace framehost::video {

namespace {
std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
// Packets a decoder may refuse in a row (a damaged stretch of a file or stream) before the input
// counts as broken rather than damaged.
constexpr int kMaxConsecutiveDecodeErrors = 100;
}  // namespace

std::string av_error_text(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}

int VideoInput::interrupted(void* self) {
    auto* input = static_cast<VideoInput*>(self);
    if (input->stop_.load()) return 1;
    auto deadline = input->deadline_ns_.load();
    if (deadline != 0 && now_ns() > deadline) {
        input->timed_out_ = true;
        return 1;
    }
    return 0;
}

void VideoInput::arm(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    deadline_ns_ = now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
}

VideoInput::VideoInput(const InputOptions& options, const std::atomic<bool>& stop)
    : options_(options), stop_(stop) {
    auto fail = [&](const std::string& what, int code) {
        std::string why =
            stop_.load() ? "stopped"
            : timed_out_
                ? "no answer within " + std::to_string(options_.connect_timeout.count()) + " ms"
                : av_error_text(code);
        release();  // the destructor does not run for a constructor that throws
        throw std::runtime_error(what + ": " + why);
    };
    format_ = avformat_alloc_context();
    if (!format_) throw std::runtime_error("out of memory");
    format_->interrupt_callback = {&VideoInput::interrupted, this};
    AVDictionary* dict = nullptr;
    av_dict_set(&dict, "rtsp_transport", options_.rtsp_over_tcp ? "tcp" : "udp", 0);
    // Socket-level timeouts in microseconds, for protocols that read them; the interrupt
    // callback bounds everything else.
    auto read_us = std::to_string(options_.read_timeout.count() * 1000);
    av_dict_set(&dict, "timeout", read_us.c_str(), 0);
    av_dict_set(&dict, "rw_timeout", read_us.c_str(), 0);
    // What an input may open and be read as (cameras added over HTTP: no files, no nested
    // protocols such as concat:, no text demuxers drawing a file as a picture).
    if (!options_.protocols.empty())
        av_dict_set(&dict, "protocol_whitelist", options_.protocols.c_str(), 0);
    if (!options_.formats.empty())
        av_dict_set(&dict, "format_whitelist", options_.formats.c_str(), 0);
    arm(options_.connect_timeout);
    int rc = avformat_open_input(&format_, options_.url.c_str(), nullptr, &dict);
    av_dict_free(&dict);
    if (rc < 0) {
        format_ = nullptr;  // freed by avformat_open_input on failure
        fail("cannot open", rc);
    }
    // FFmpeg reads any file it can make nothing else of as text drawn into a picture (the tty
    // and text-art demuxers): random bytes became a 1280x10000 'video'.
    for (const char* text : {"tty", "bin", "xbin", "adf", "idf"})
        if (std::string_view(format_->iformat->name) == text) {
            release();
            throw std::runtime_error("not a video: FFmpeg can read it only as text (" +
                                     std::string(text) + ")");
        }
    if ((rc = avformat_find_stream_info(format_, nullptr)) < 0) fail("cannot read stream info", rc);
    const AVCodec* codec = nullptr;
    int index = av_find_best_stream(format_, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (index < 0)
        fail(index == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video stream"
                                                : "no video stream",
             index);
    stream_ = format_->streams[index];
    decoder_ = avcodec_alloc_context3(codec);
    if (!decoder_) fail("cannot allocate a decoder", AVERROR(ENOMEM));
    if ((rc = avcodec_parameters_to_context(decoder_, stream_->codecpar)) < 0)
        fail("cannot configure the decoder", rc);
    auto pixels = static_cast<long long>(decoder_->width) * decoder_->height;
    if (pixels > kMaxFramePixels) {
        release();
        throw std::runtime_error(
            "its frames are " + std::to_string(decoder_->width) + "x" +
            std::to_string(decoder_->height) +
            ", over the largest taken (8K: " + std::to_string(kMaxFramePixels) + " pixels)");
    }
    // A stream that changes size midway is held to the same bound by the decoder itself.
    decoder_->max_pixels = kMaxFramePixels;
    decoder_->thread_count = options_.decoder_threads;
    decoder_->pkt_timebase = stream_->time_base;
    if ((rc = avcodec_open2(decoder_, codec, nullptr)) < 0)
        fail(std::string("cannot open decoder ") + codec->name, rc);
    packet_ = av_packet_alloc();
    if (!packet_) fail("cannot allocate a packet", AVERROR(ENOMEM));
    deadline_ns_ = 0;
}

std::size_t VideoInput::decoder_bytes() const {
    int size = av_image_get_buffer_size(decoder_->pix_fmt, decoder_->width, decoder_->height, 1);
    // A format the parameters do not name yet: yuv420p's 1.5 bytes a pixel.
    auto frame = size > 0 ? static_cast<std::size_t>(size)
                          : static_cast<std::size_t>(decoder_->width) * decoder_->height * 3 / 2;
    return frame * static_cast<std::size_t>(4 + std::max(1, decoder_->thread_count));
}

VideoInput::~VideoInput() {
    release();
}

void VideoInput::release() {
    av_packet_free(&packet_);
    avcodec_free_context(&decoder_);
    if (format_) avformat_close_input(&format_);
}

VideoInput::Next VideoInput::decode(AVFrame* frame) {
    av_frame_unref(frame);
    int refused = 0;
    auto stall_deadline =
        now_ns() +
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.stall_timeout).count();
    for (;;) {
        // Packets may keep coming with no picture in them (other streams, a decoder that
        // refuses everything): the stall watchdog.
        if (now_ns() > stall_deadline)
            throw std::runtime_error("no frame for " +
                                     std::to_string(options_.stall_timeout.count()) + " ms");
        int rc = avcodec_receive_frame(decoder_, frame);
        if (rc == 0) return Next::Frame;
        if (rc == AVERROR_EOF) return Next::EndOfStream;
        if (rc != AVERROR(EAGAIN)) throw std::runtime_error("decode: " + av_error_text(rc));
        if (draining_) return Next::EndOfStream;
        arm(options_.read_timeout);
        rc = av_read_frame(format_, packet_);
        deadline_ns_ = 0;
        if (rc == AVERROR_EOF) {
            avcodec_send_packet(decoder_, nullptr);  // drain the frames still in the decoder
            draining_ = true;
            continue;
        }
        if (rc < 0) {
            if (stop_.load()) throw std::runtime_error("stopped");
            if (timed_out_)
                throw std::runtime_error("no data for " +
                                         std::to_string(options_.read_timeout.count()) + " ms");
            throw std::runtime_error("read: " + av_error_text(rc));
        }
        if (packet_->stream_index != stream_->index) {
            av_packet_unref(packet_);
            continue;
        }
        if (on_packet_) on_packet_(*packet_);
        rc = avcodec_send_packet(decoder_, packet_);
        av_packet_unref(packet_);
        // A damaged packet is skipped as FFmpeg's own tools skip it; many in a row are not a
        // damaged stretch but a broken input.
        if (rc < 0 && rc != AVERROR(EAGAIN)) {
            if (++refused >= kMaxConsecutiveDecodeErrors)
                throw std::runtime_error("decode: " + std::to_string(refused) +
                                         " packets in a row refused: " + av_error_text(rc));
        } else {
            refused = 0;
        }
    }
}

void VideoInput::rewind() {
    auto start = stream_->start_time == AV_NOPTS_VALUE ? 0 : stream_->start_time;
    arm(options_.read_timeout);
    int rc = av_seek_frame(format_, stream_->index, start, AVSEEK_FLAG_BACKWARD);
    deadline_ns_ = 0;
    if (rc < 0) throw std::runtime_error("cannot go back to the start: " + av_error_text(rc));
    avcodec_flush_buffers(decoder_);
    draining_ = false;
}

double VideoInput::frame_rate() const {
    AVRational rate = stream_->avg_frame_rate.num ? stream_->avg_frame_rate : stream_->r_frame_rate;
    return rate.num && rate.den ? av_q2d(rate) : 0.0;
}

std::string VideoInput::description() const {
    char fps[32];
    std::snprintf(fps, sizeof fps, "%.3g", frame_rate());
    return std::string(avcodec_get_name(decoder_->codec_id)) + " " + std::to_string(width()) + "x" +
           std::to_string(height()) + " " + fps + " fps";
}

}  // namespace framehost::video
