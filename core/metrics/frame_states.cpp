#include "core/metrics/frame_states.hpp"

#include <algorithm>

namespace framehost::core {

const char* to_string(FrameState state) {
    switch (state) {
        case FrameState::Received:
            return "received";
        case FrameState::Processing:
            return "processing";
        case FrameState::Completed:
            return "completed";
        case FrameState::Failed:
            return "failed";
        case FrameState::Dropped:
            return "dropped";
        case FrameState::Filtered:
            return "filtered";
    }
    return "?";
}

void FrameStates::received(std::uint64_t n) {
    entered_[index(FrameState::Received)].fetch_add(n, std::memory_order_relaxed);
}

void FrameStates::processing(std::uint64_t n, double queued_seconds_total) {
    entered_[index(FrameState::Processing)].fetch_add(n, std::memory_order_relaxed);
    transitions_[index(FrameState::Received)][index(FrameState::Processing)].fetch_add(
        n, std::memory_order_relaxed);
    seconds_spent_[index(FrameState::Received)].fetch_add(queued_seconds_total,
                                                          std::memory_order_relaxed);
}

void FrameStates::finished(std::uint64_t completed, std::uint64_t failed, std::uint64_t filtered,
                           double processing_seconds_total) {
    auto from = index(FrameState::Processing);
    entered_[index(FrameState::Completed)].fetch_add(completed, std::memory_order_relaxed);
    entered_[index(FrameState::Failed)].fetch_add(failed, std::memory_order_relaxed);
    entered_[index(FrameState::Filtered)].fetch_add(filtered, std::memory_order_relaxed);
    transitions_[from][index(FrameState::Filtered)].fetch_add(filtered, std::memory_order_relaxed);
    transitions_[from][index(FrameState::Completed)].fetch_add(completed,
                                                               std::memory_order_relaxed);
    transitions_[from][index(FrameState::Failed)].fetch_add(failed, std::memory_order_relaxed);
    seconds_spent_[from].fetch_add(processing_seconds_total, std::memory_order_relaxed);
}

void FrameStates::dropped(std::uint64_t n, FrameState from) {
    entered_[index(FrameState::Dropped)].fetch_add(n, std::memory_order_relaxed);
    transitions_[index(from)][index(FrameState::Dropped)].fetch_add(n, std::memory_order_relaxed);
}

void FrameStates::record_failure(FrameFailure failure) {
    std::lock_guard lock(failures_mutex_);
    ++failures_by_stage_[failure.stage];
    recent_failures_.push_back(std::move(failure));
    if (recent_failures_.size() > kRecentFailures) recent_failures_.pop_front();
}

void FrameStates::record_processing_time(double seconds_per_frame, std::uint64_t frames) {
    std::lock_guard lock(times_mutex_);
    for (std::uint64_t i = 0; i < std::min<std::uint64_t>(frames, kRecentTimes); ++i)
        recent_times_[times_recorded_++ % kRecentTimes] = seconds_per_frame;
}

FrameStates::Snapshot FrameStates::snapshot() const {
    Snapshot s;
    for (std::size_t from = 0; from < kStateCount; ++from) {
        for (std::size_t to = 0; to < kStateCount; ++to)
            s.transitions[from][to] = transitions_[from][to].load(std::memory_order_relaxed);
        s.seconds_spent[from] = seconds_spent_[from].load(std::memory_order_relaxed);
    }
    // A state's current population is what entered it minus what left it.
    for (std::size_t state = 0; state < kStateCount; ++state) {
        std::uint64_t left = 0;
        for (std::size_t to = 0; to < kStateCount; ++to) left += s.transitions[state][to];
        std::uint64_t entered = state == index(FrameState::Processing)
                                    ? s.transitions[index(FrameState::Received)][state]
                                    : entered_[state].load(std::memory_order_relaxed);
        s.current[state] = entered >= left ? entered - left : 0;
    }
    s.total_frames = entered_[index(FrameState::Received)].load(std::memory_order_relaxed);
    {
        std::lock_guard lock(failures_mutex_);
        s.recent_failures.assign(recent_failures_.begin(), recent_failures_.end());
        s.failures_by_stage = failures_by_stage_;
    }
    {
        std::lock_guard lock(times_mutex_);
        s.recent_processing_seconds.assign(
            recent_times_.begin(), recent_times_.begin() + std::min(times_recorded_, kRecentTimes));
    }
    return s;
}

}  // namespace framehost::core
