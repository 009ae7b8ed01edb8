#pragma once
// One camera of video_source: a thread of its own that opens the input, decodes, converts and
// hands frames to a small mailbox, and supervises all of it (reconnect with the host's backoff
// and circuit breaker, timeouts, stall watchdog, end of file). A camera that fails never holds
// up another: the source only ever takes what a mailbox already holds.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <framehost/frame.hpp>
#include <framehost/memory_budget.hpp>
#include <framehost/packets.hpp>
#include <framehost/plugin.hpp>
#include <framehost/source_retry.hpp>
#include <nlohmann/json.hpp>

#include "frame_conversion.hpp"
#include "rate_meter.hpp"
#include "video_input.hpp"

namespace framehost::video {

struct CameraSettings {
    std::string id;
    InputOptions input;
    OutputShape shape;
    bool loop = false;      // files: start again at the end
    bool realtime = false;  // files: hand frames out at the stream's own rate
    double max_fps = 0;     // 0: every frame
    std::size_t mailbox = 2;
    SourceRetry retry;                           // reconnects, paced as the host paces a source
    std::chrono::milliseconds packet_buffer{0};  // of encoded packets kept for recorders
};

enum class CameraState { Connecting, Streaming, Reconnecting, Failed, Finished };
const char* to_string(CameraState state);

// Where every camera of a source announces a new frame, so the source waits on one condition.
struct Arrivals {
    std::mutex mutex;
    std::condition_variable signal;
    std::uint64_t count = 0;
    void notify() {
        {
            std::lock_guard lock(mutex);
            ++count;
        }
        signal.notify_one();
    }
};

class Camera {
  public:
    Camera(CameraSettings settings, PluginContext& context, Arrivals& arrivals);
    ~Camera();  // stops and joins

    void start();
    void stop();
    // [source thread] Moves up to `max` frames out of the mailbox; returns how many.
    std::size_t take(std::vector<Frame>& out, std::size_t max);
    // Ended for good (a file without loop) with nothing left in the mailbox.
    bool done() const;
    nlohmann::json status() const;
    const std::string& id() const { return settings_.id; }

  private:
    struct Mailed {
        Frame frame;
        std::chrono::steady_clock::time_point decoded_at;
        std::size_t bytes = 0;  // reserved of the host's memory budget for its pixels
    };
    void run();
    // Reads the opened input until it ends (true) or throws.
    bool stream(VideoInput& input, Retry& retry);
    void deliver(const AVFrame& decoded, FrameConverter& converter, double pts_seconds);
    // Reserves the memory budget for the decoder of `input`, or throws saying what does not fit
    // (a frame larger than the whole budget, or no room within the stall timeout).
    void reserve_decoder(const VideoInput& input, MemoryReservation& memory);
    // Reserves `bytes` for a frame about to be converted into the mailbox. A live camera that
    // finds no room drops its oldest frame, then this one (false), counted; a file waits for the
    // pipeline to give memory back. Throws when one frame is larger than the whole budget.
    bool reserve_frame(std::size_t bytes);
    void set_state(CameraState state);
    // The wall clock of stream time `pts` (seconds), as frames are stamped.
    std::int64_t wall_of(double pts);
    bool sleep_unless_stopped(std::chrono::steady_clock::duration duration);

    CameraSettings settings_;
    Arrivals& arrivals_;
    bool file_ = false;  // a local file, not a network stream
    bool live_ = true;   // newest frames win: a full mailbox drops its oldest

    CounterMetric& decoded_metric_;
    CounterMetric& dropped_metric_;
    CounterMetric& skipped_metric_;
    CounterMetric& reconnects_metric_;
    GaugeMetric& up_metric_;
    GaugeMetric& age_metric_;
    HistogramMetric& decode_metric_;

    MemoryBudget* budget_;          // the host's memory_limit_mb, or null without a host
    PacketRings* packets_;          // where its encoded packets go, or null (no host, or none kept)
    std::uint64_t generation_ = 0;  // inputs opened, for the packets' stream

    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::mutex wait_mutex_;
    std::condition_variable wake_;

    mutable std::mutex mutex_;  // guards everything below
    std::condition_variable space_;
    std::deque<Mailed> mailbox_;
    MemoryReservation mailbox_memory_;  // the pixels of the frames in the mailbox
    CameraState state_ = CameraState::Connecting;
    std::string last_error_;
    std::string stream_description_;
    std::uint64_t sequence_ = 0;  // frames numbered from 1, across reconnects
    std::uint64_t decoded_ = 0;
    std::uint64_t delivered_ = 0;
    std::uint64_t dropped_ = 0;  // the mailbox was full: an older frame made room for a newer
    std::uint64_t dropped_for_memory_ = 0;  // of dropped_: no room in the memory budget
    std::uint64_t skipped_ = 0;             // over max_fps
    std::uint64_t reconnects_ = 0;
    std::uint64_t wrapped_ = 0;
    double frame_age_s_ = 0;         // of the last frame the source took: decode to take
    mutable RateMeter decode_rate_;  // mutable: reading prunes old events
    mutable RateMeter take_rate_;
    std::int64_t next_attempt_ms_ = 0;
    std::int64_t last_frame_wall_ms_ = 0;

    // Stream clock to wall clock: set at the first frame after (re)opening or rewinding.
    bool anchored_ = false;
    double anchor_pts_ = 0;
    std::int64_t anchor_wall_ms_ = 0;
    std::chrono::steady_clock::time_point anchor_steady_{};
    double last_pts_ = 0;
    double last_kept_pts_ = -1e18;
};

}  // namespace framehost::video
