#pragma once
// Where every frame is in its life: received (queued) -> processing -> completed | failed |
// filtered (a processor dropped it on purpose), or dropped (given up unprocessed). Counts,
// transitions and time spent per state are aggregates, so memory stays bounded however long the
// host runs; the only per-frame record kept is a short ring of recent failures.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/metrics/histogram.hpp"

namespace framehost::core {

enum class FrameState { Received, Processing, Completed, Failed, Dropped, Filtered };
inline constexpr std::size_t kStateCount = 6;
inline constexpr std::array<FrameState, kStateCount> kFrameStates = {
    FrameState::Received, FrameState::Processing, FrameState::Completed,
    FrameState::Failed,   FrameState::Dropped,    FrameState::Filtered};
const char* to_string(FrameState state);

struct FrameFailure {
    std::string frame_id;
    std::string stage;  // the plugin instance that failed it
    std::string error;
};

class FrameStates {
  public:
    using Clock = std::chrono::steady_clock;

    // [source thread or HTTP] n frames entered the host.
    void received(std::uint64_t n);
    // [worker] n frames left the queue; `queued_seconds_total` is their summed wait.
    void processing(std::uint64_t n, double queued_seconds_total);
    // [worker] frames left processing; `processing_seconds_total` is summed over all of them.
    void finished(std::uint64_t completed, std::uint64_t failed, std::uint64_t filtered,
                  double processing_seconds_total);
    // n frames were given up in state `from` (queue full, shutdown timeout).
    void dropped(std::uint64_t n, FrameState from);
    // Counts the failure under its stage (error_types) and keeps it in the recent ring.
    void record_failure(FrameFailure failure);
    // [worker] `frames` frames completed, each at this share of its batch's processing time.
    // The last kRecentTimes are kept: the replaced service reports min/avg/max over them.
    void record_processing_time(double seconds_per_frame, std::uint64_t frames);

    struct Snapshot {
        std::array<std::uint64_t, kStateCount>
            current{};  // frames now in each state (finished: totals)
        std::uint64_t total_frames = 0;
        // transitions[from][to], only the ones the life of a frame allows are ever non-zero
        std::array<std::array<std::uint64_t, kStateCount>, kStateCount> transitions{};
        std::array<double, kStateCount>
            seconds_spent{};  // summed time frames spent in received/processing
        std::vector<FrameFailure> recent_failures;
        std::map<std::string, std::uint64_t> failures_by_stage;
        std::vector<double> recent_processing_seconds;  // the last kRecentTimes completed frames
    };
    Snapshot snapshot() const;

    static constexpr std::size_t kRecentFailures = 32;
    static constexpr std::size_t kRecentTimes = 100;

  private:
    static std::size_t index(FrameState s) { return static_cast<std::size_t>(s); }
    std::array<std::atomic<std::uint64_t>, kStateCount> entered_{};
    std::array<std::array<std::atomic<std::uint64_t>, kStateCount>, kStateCount> transitions_{};
    std::array<std::atomic<double>, kStateCount> seconds_spent_{};
    mutable std::mutex failures_mutex_;
    std::deque<FrameFailure> recent_failures_;
    std::map<std::string, std::uint64_t>
        failures_by_stage_;  // bounded: one key per plugin instance
    mutable std::mutex times_mutex_;
    std::array<double, kRecentTimes> recent_times_{};
    std::size_t times_recorded_ = 0;
};

}  // namespace framehost::core
