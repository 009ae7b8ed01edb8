#pragma once
// The host's own record of its last minutes, for the live page's charts (GET /metrics/history):
// every `interval`, the frames finished and failed a second since the sample before, and the p99
// of the end-to-end latency of the frames finished in between (not since start). The page draws
// what the host has, so its charts are full the moment it opens.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/metrics/frame_states.hpp"
#include "core/metrics/histogram.hpp"

namespace framehost::core {

class MetricsHistory {
  public:
    MetricsHistory(const FrameStates& states, const Histogram& latency,
                   std::chrono::milliseconds interval, std::size_t points);
    ~MetricsHistory();  // stops sampling
    MetricsHistory(const MetricsHistory&) = delete;
    MetricsHistory& operator=(const MetricsHistory&) = delete;

    void start();
    void stop();
    // Takes one sample now (the sampling thread's step; public for tests).
    void sample();
    // {"interval_s": 2, "points": [{"at_s", "frames_per_s", "failed_per_s", "latency_p99_ms"}]},
    // oldest first; at_s is the wall clock in seconds. [any thread]
    nlohmann::json report() const;

  private:
    struct Point {
        double at_s, frames_per_s, failed_per_s, latency_p99_ms;
    };
    void run();

    const FrameStates& states_;
    const Histogram& latency_;
    const std::chrono::milliseconds interval_;
    const std::size_t points_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
    std::deque<Point> history_;
    // The sample before: counters and the latency histogram then.
    bool primed_ = false;
    std::chrono::steady_clock::time_point last_at_{};
    std::uint64_t last_done_ = 0, last_failed_ = 0;
    Histogram::Snapshot last_latency_;
};

}  // namespace framehost::core
