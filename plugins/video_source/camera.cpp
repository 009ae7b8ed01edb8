#include "camera.hpp"

#include <cmath>
#include <optional>

namespace framehost::video {

namespace {
using Clock = std::chrono::steady_clock;

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// rtsp://user:secret@host/path -> rtsp://host/path: a camera's password shows in no answer.
std::string without_credentials(const std::string& url) {
    auto scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    auto host = scheme + 3;
    auto at = url.find('@', host);
    auto slash = url.find('/', host);
    if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
    return url.substr(0, host) + url.substr(at + 1);
}

std::string megabytes(std::size_t bytes) {
    return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MB";
}

MetricLabel camera_label(const std::string& id) {
    return {"camera", id};
}

// Frames a file read flat out may have decoded ahead of the pipeline.
constexpr std::size_t kFileMailbox = 16;
}  // namespace

const char* to_string(CameraState state) {
    switch (state) {
        case CameraState::Connecting:
            return "connecting";
        case CameraState::Streaming:
            return "streaming";
        case CameraState::Reconnecting:
            return "reconnecting";
        case CameraState::Failed:
            return "failed";
        case CameraState::Finished:
            return "finished";
    }
    return "?";
}

Camera::Camera(CameraSettings settings, PluginContext& context, Arrivals& arrivals)
    : settings_(std::move(settings)),
      arrivals_(arrivals),
      decoded_metric_(context.counter("camera_frames_decoded", "Frames the camera's decoder gave",
                                      std::array{camera_label(settings_.id)})),
      dropped_metric_(context.counter(
          "camera_frames_dropped",
          "Frames dropped because the pipeline was slower than the camera (newest kept)",
          std::array{camera_label(settings_.id)})),
      skipped_metric_(context.counter("camera_frames_skipped", "Frames skipped to keep max_fps",
                                      std::array{camera_label(settings_.id)})),
      reconnects_metric_(context.counter("camera_reconnects",
                                         "Times the camera's input failed and was opened again",
                                         std::array{camera_label(settings_.id)})),
      up_metric_(context.gauge("camera_up", "1 while the camera streams, else 0",
                               std::array{camera_label(settings_.id)})),
      age_metric_(context.gauge("camera_frame_age_seconds",
                                "Time the last frame taken waited between decode and the pipeline",
                                std::array{camera_label(settings_.id)})),
      decode_metric_(context.histogram("camera_decode",
                                       "Time to read, decode and convert one frame",
                                       std::array{camera_label(settings_.id)})),
      budget_(find_extension<MemoryBudget>(context)),
      packets_(settings_.packet_buffer.count() > 0 ? find_extension<PacketRings>(context)
                                                   : nullptr),
      mailbox_memory_(budget_) {
    settings_.mailbox = std::max<std::size_t>(settings_.mailbox, 1);
    // Known from the settings, so fixed before status() can read them from another thread (a
    // camera added over HTTP is listed by GET /cameras while it starts).
    // A network stream is live whatever the pipeline does; a file is live only when paced.
    const auto& url = settings_.input.url;
    file_ = url.find("://") == std::string::npos || url.starts_with("file:");
    live_ = !file_ || settings_.realtime;
    // Read flat out, a file's decoder should not stop each time the source thread is a moment
    // late: a deeper mailbox decouples them (nothing is dropped either way).
    if (!live_) settings_.mailbox = std::max<std::size_t>(settings_.mailbox, kFileMailbox);
}

Camera::~Camera() {
    stop();
}

void Camera::start() {
    thread_ = std::thread([this] { run(); });
}

void Camera::stop() {
    stop_ = true;
    { std::lock_guard lock(wait_mutex_); }
    wake_.notify_all();
    { std::lock_guard lock(mutex_); }
    space_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool Camera::sleep_unless_stopped(Clock::duration duration) {
    std::unique_lock lock(wait_mutex_);
    return !wake_.wait_for(lock, duration, [&] { return stop_.load(); });
}

void Camera::set_state(CameraState state) {
    std::lock_guard lock(mutex_);
    state_ = state;
}

void Camera::run() {
    Retry retry(settings_.retry);
    bool ever_tried = false;
    while (!stop_) {
        if (auto wait = retry.wait_before_attempt(); wait.count() > 0) {
            set_state(CameraState::Failed);
            sleep_unless_stopped(wait);
            continue;
        }
        set_state(ever_tried ? CameraState::Reconnecting : CameraState::Connecting);
        ever_tried = true;
        try {
            VideoInput input(settings_.input, stop_);
            MemoryReservation decoder_memory(budget_);
            reserve_decoder(input, decoder_memory);
            {
                std::lock_guard lock(mutex_);
                stream_description_ = input.description();
                anchored_ = false;
            }
            if (stream(input, retry)) {
                set_state(CameraState::Finished);
                break;
            }
        } catch (const std::exception& e) {
            if (stop_) break;
            auto delay = retry.failed().delay;
            up_metric_.set(0);
            reconnects_metric_.add(1);
            {
                std::lock_guard lock(mutex_);
                last_error_ = e.what();
                ++reconnects_;
                state_ = retry.circuit() == CircuitBreaker::State::Open ? CameraState::Failed
                                                                        : CameraState::Reconnecting;
                next_attempt_ms_ = wall_ms() + delay.count();
            }
            sleep_unless_stopped(delay);
        }
    }
    up_metric_.set(0);
    arrivals_.notify();  // a source waiting for frames learns this camera is done
}

bool Camera::stream(VideoInput& input, Retry& retry) {
    AVFrame* decoded = av_frame_alloc();
    if (!decoded) throw std::runtime_error("out of memory");
    std::unique_ptr<AVFrame, void (*)(AVFrame*)> guard(decoded,
                                                       [](AVFrame* f) { av_frame_free(&f); });
    FrameConverter converter(settings_.shape);
    bool first = true;
    double fallback_rate = input.frame_rate() > 0 ? input.frame_rate() : 25.0;
    std::uint64_t frames_since_open = 0;
    // A looped file's clock carries on from one pass to the next, one frame after the last:
    // realtime pacing and max_fps hold across the loop (a still picture looped as a camera is
    // paced, not spun), and timestamps keep rising.
    double pass_offset = 0, last_pts = 0;
    std::optional<double> pass_start;
    auto stream_time = [&](double pts) {
        if (!file_) return pts;
        if (!pass_start) pass_start = pts;
        return pass_offset + (pts - *pass_start);
    };
    if (packets_) {
        // Every packet of the video stream as read, for recorders: copied once, never decoded
        // again or re-encoded.
        auto stream = std::make_shared<PacketStream>();
        const AVCodecParameters& parameters = input.parameters();
        stream->codec = avcodec_get_name(parameters.codec_id);
        if (parameters.extradata && parameters.extradata_size > 0)
            stream->extradata.assign(parameters.extradata,
                                     parameters.extradata + parameters.extradata_size);
        stream->width = parameters.width;
        stream->height = parameters.height;
        stream->time_base_num = input.time_base().num;
        stream->time_base_den = input.time_base().den;
        stream->generation = ++generation_;
        input.on_packet([this, stream, &stream_time, &input](const AVPacket& packet) {
            EncodedPacket kept;
            kept.stream = stream;
            kept.data = std::make_shared<const std::vector<std::uint8_t>>(
                packet.data, packet.data + packet.size);
            if (packet.pts != AV_NOPTS_VALUE) kept.pts = packet.pts;
            if (packet.dts != AV_NOPTS_VALUE) kept.dts = packet.dts;
            kept.duration = packet.duration;
            kept.keyframe = (packet.flags & AV_PKT_FLAG_KEY) != 0;
            auto ts = packet.pts != AV_NOPTS_VALUE ? packet.pts : packet.dts;
            kept.wall_ms =
                ts == AV_NOPTS_VALUE
                    ? wall_ms()
                    : wall_of(stream_time(static_cast<double>(ts) * av_q2d(input.time_base())));
            packets_->publish(settings_.id, std::move(kept), settings_.packet_buffer);
        });
    }
    for (;;) {
        auto started = Clock::now();
        auto next = input.decode(decoded);
        if (next == VideoInput::Next::EndOfStream) {
            if (!file_) throw std::runtime_error("the stream ended");
            if (!settings_.loop) return true;
            input.rewind();
            pass_offset = last_pts + 1.0 / fallback_rate;
            pass_start.reset();
            continue;
        }
        if (first) {
            // The input works: the next failure starts the backoff from its first step.
            first = false;
            retry.succeeded();
            std::lock_guard lock(mutex_);
            state_ = CameraState::Streaming;
            up_metric_.set(1);
        }
        ++frames_since_open;
        auto ts = decoded->best_effort_timestamp;
        double pts = ts == AV_NOPTS_VALUE ? static_cast<double>(frames_since_open) / fallback_rate
                                          : static_cast<double>(ts) * av_q2d(input.time_base());
        pts = stream_time(pts);
        last_pts = pts;
        deliver(*decoded, converter, pts);
        decode_metric_.observe(std::chrono::duration<double>(Clock::now() - started).count());
        if (stop_) throw std::runtime_error("stopped");
    }
}

std::int64_t Camera::wall_of(double pts) {
    std::lock_guard lock(mutex_);
    if (!anchored_) return wall_ms();
    return anchor_wall_ms_ + static_cast<std::int64_t>(std::llround((pts - anchor_pts_) * 1000.0));
}

void Camera::deliver(const AVFrame& decoded, FrameConverter& converter, double pts) {
    decoded_metric_.add(1);
    Clock::time_point due{};
    {
        std::lock_guard lock(mutex_);
        ++decoded_;
        decode_rate_.add(Clock::now());
        // A clock that goes back (a looped file, a camera that restarted its stream) anchors
        // anew, as does the first frame of an input.
        if (!anchored_ || pts < last_pts_) {
            anchored_ = true;
            anchor_pts_ = pts;
            anchor_wall_ms_ = wall_ms();
            anchor_steady_ = Clock::now();
            last_kept_pts_ = -1e18;
        }
        last_pts_ = pts;
        if (settings_.max_fps > 0 && pts - last_kept_pts_ < 1.0 / settings_.max_fps - 1e-4) {
            ++skipped_;
            skipped_metric_.add(1);
            return;
        }
        last_kept_pts_ = pts;
        due = anchor_steady_ + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(pts - anchor_pts_));
    }
    if (settings_.realtime && file_ && due > Clock::now()) sleep_unless_stopped(due - Clock::now());

    // Charged before the conversion allocates it.
    std::size_t bytes = converter.output_bytes(decoded);
    if (!reserve_frame(bytes)) return;
    Mailed mailed;
    mailed.bytes = bytes;
    Frame& frame = mailed.frame;
    frame.camera_id = settings_.id;
    try {
        frame.set_image(converter.convert(decoded));
    } catch (...) {
        std::lock_guard lock(mutex_);
        mailbox_memory_.shrink(bytes);
        throw;
    }
    mailed.decoded_at = Clock::now();

    std::unique_lock lock(mutex_);
    frame.id = settings_.id + "-" + std::to_string(++sequence_);
    frame.timestamp_ms =
        anchor_wall_ms_ + static_cast<std::int64_t>(std::llround((pts - anchor_pts_) * 1000.0));
    last_frame_wall_ms_ = wall_ms();
    wrapped_ = converter.wrapped();
    if (mailbox_.size() >= settings_.mailbox) {
        if (live_) {
            mailbox_memory_.shrink(mailbox_.front().bytes);
            mailbox_.pop_front();
            ++dropped_;
            dropped_metric_.add(1);
        } else {
            // A file read as fast as the pipeline takes it: wait, drop nothing.
            space_.wait(lock, [&] { return mailbox_.size() < settings_.mailbox || stop_.load(); });
            if (stop_) {
                mailbox_memory_.shrink(bytes);
                return;
            }
        }
    }
    mailbox_.push_back(std::move(mailed));
    lock.unlock();
    arrivals_.notify();
}

void Camera::reserve_decoder(const VideoInput& input, MemoryReservation& memory) {
    if (!budget_) return;
    auto limit = budget_->limit();
    auto frame = output_bytes(settings_.shape, input.pixel_format(), input.width(), input.height());
    if (frame > limit)
        throw std::runtime_error("a frame of " + megabytes(frame) +
                                 " is larger than memory_limit_mb (" + megabytes(limit) + ")");
    auto bytes = input.decoder_bytes();
    if (memory.grow_waiting(bytes, stop_, settings_.input.stall_timeout)) return;
    if (stop_) throw std::runtime_error("stopped");
    throw std::runtime_error(
        "its decoder (" + input.description() + ") needs " + megabytes(bytes) +
        " of pixel memory, and memory_limit_mb (" + megabytes(limit) + ") had no room for " +
        std::to_string(settings_.input.stall_timeout.count() / 1000.0).substr(0, 4) +
        " s beside the frames in flight and the other cameras: raise memory_limit_mb or ask for "
        "a smaller stream");
}

bool Camera::reserve_frame(std::size_t bytes) {
    std::unique_lock lock(mutex_);
    if (mailbox_memory_.grow(bytes)) return true;
    if (bytes > mailbox_memory_.limit())
        throw std::runtime_error("a frame of " + megabytes(bytes) +
                                 " is larger than memory_limit_mb (" +
                                 megabytes(mailbox_memory_.limit()) + ")");
    if (live_) {
        // The newest frame wins, as with a full mailbox: the oldest make room, else this goes.
        while (!mailbox_.empty()) {
            mailbox_memory_.shrink(mailbox_.front().bytes);
            mailbox_.pop_front();
            ++dropped_;
            ++dropped_for_memory_;
            dropped_metric_.add(1);
            if (mailbox_memory_.grow(bytes)) return true;
        }
        ++dropped_;
        ++dropped_for_memory_;
        dropped_metric_.add(1);
        return false;
    }
    // A file waits its turn for the frames in flight to give memory back; nothing is dropped.
    lock.unlock();
    MemoryReservation waited(budget_);
    while (!waited.grow_waiting(bytes, stop_, std::chrono::seconds(1)))
        if (stop_) return false;
    lock.lock();
    mailbox_memory_.absorb(std::move(waited));
    return true;
}

std::size_t Camera::take(std::vector<Frame>& out, std::size_t max) {
    std::size_t taken = 0;
    {
        std::lock_guard lock(mutex_);
        auto now = Clock::now();
        while (taken < max && !mailbox_.empty()) {
            auto& m = mailbox_.front();
            frame_age_s_ = std::chrono::duration<double>(now - m.decoded_at).count();
            out.push_back(std::move(m.frame));
            // The pipeline's queue charges it from here on.
            mailbox_memory_.shrink(m.bytes);
            mailbox_.pop_front();
            ++taken;
        }
        delivered_ += taken;
        if (taken) {
            age_metric_.set(frame_age_s_);
            take_rate_.add(now, taken);
        }
    }
    if (taken) space_.notify_one();
    return taken;
}

bool Camera::done() const {
    std::lock_guard lock(mutex_);
    return state_ == CameraState::Finished && mailbox_.empty();
}

nlohmann::json Camera::status() const {
    std::lock_guard lock(mutex_);
    nlohmann::json s = {{"state", to_string(state_)},
                        {"url", without_credentials(settings_.input.url)},
                        {"frames_decoded", decoded_},
                        {"frames_out", delivered_},
                        {"frames_dropped", dropped_},
                        {"frames_dropped_memory", dropped_for_memory_},
                        {"frames_skipped", skipped_},
                        {"frames_wrapped", wrapped_},
                        {"in_mailbox", mailbox_.size()},
                        {"reconnects", reconnects_},
                        {"frame_age_s", frame_age_s_},
                        {"fps_in", decode_rate_.per_second(Clock::now())},
                        {"fps_out", take_rate_.per_second(Clock::now())},
                        {"live", live_}};
    if (!stream_description_.empty()) s["stream"] = stream_description_;
    if (!last_error_.empty()) s["last_error"] = last_error_;
    if (last_frame_wall_ms_)
        s["last_frame_s_ago"] = static_cast<double>(wall_ms() - last_frame_wall_ms_) / 1000.0;
    if (state_ == CameraState::Reconnecting || state_ == CameraState::Failed)
        s["next_attempt_in_ms"] = std::max<std::int64_t>(0, next_attempt_ms_ - wall_ms());
    return s;
}

}  // namespace framehost::video
