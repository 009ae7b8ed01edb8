#pragma once
// Where every frame is in its life: received (queued) -> processing -> completed | failed, or
// dropped. Counts, transitions and time spent per state are aggregates, so memory stays bounded
// however long the host runs; the only per-frame record kept is a short ring of recent failures.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "core/metrics/histogram.hpp"

namespace framehost::core {

enum class FrameState { Received, Processing, Completed, Failed, Dropped };
inline constexpr std::array<FrameState, 5> kFrameStates = {
    FrameState::Received, FrameState::Processing, FrameState::Completed, FrameState::Failed,
    FrameState::Dropped};
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
    void finished(std::uint64_t completed, std::uint64_t failed, double processing_seconds_total);
    // n frames were given up in state `from` (queue full, shutdown timeout).
    void dropped(std::uint64_t n, FrameState from);
    void record_failure(FrameFailure failure);

    struct Snapshot {
        std::array<std::uint64_t, 5> current{};  // frames now in each state (finished: totals)
        std::uint64_t total_frames = 0;
        // transitions[from][to], only the ones the life of a frame allows are ever non-zero
        std::array<std::array<std::uint64_t, 5>, 5> transitions{};
        std::array<double, 5> seconds_spent{};  // summed time frames spent in received/processing
        std::vector<FrameFailure> recent_failures;
    };
    Snapshot snapshot() const;

    static constexpr std::size_t kRecentFailures = 32;

private:
    static std::size_t index(FrameState s) { return static_cast<std::size_t>(s); }
    std::array<std::atomic<std::uint64_t>, 5> entered_{};
    std::array<std::array<std::atomic<std::uint64_t>, 5>, 5> transitions_{};
    std::array<std::atomic<double>, 5> seconds_spent_{};
    mutable std::mutex failures_mutex_;
    std::deque<FrameFailure> recent_failures_;
};

}  // namespace framehost::core
