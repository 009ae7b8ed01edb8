#pragma once
// Events per second over the last few seconds (frames decoded, frames taken), for a camera's
// status: the page and /cameras show a camera's rates without sampling it themselves. Not
// thread-safe: the camera's lock guards it.
#include <chrono>
#include <cstddef>
#include <deque>
#include <utility>

namespace framehost::video {

class RateMeter {
  public:
    using Clock = std::chrono::steady_clock;
    explicit RateMeter(Clock::duration window = std::chrono::seconds(5)) : window_(window) {}

    void add(Clock::time_point now, std::size_t count = 1) {
        if (events_.empty() && started_ == Clock::time_point{}) started_ = now;
        events_.emplace_back(now, count);
        prune(now);
    }
    // Over the window, or over the time since the first event when that is shorter.
    double per_second(Clock::time_point now) {
        prune(now);
        if (started_ == Clock::time_point{}) return 0;
        auto span = std::min<Clock::duration>(window_, now - started_);
        double seconds = std::chrono::duration<double>(span).count();
        if (seconds < 0.2) return 0;  // too early to say
        std::size_t total = 0;
        for (const auto& e : events_) total += e.second;
        return static_cast<double>(total) / seconds;
    }

  private:
    void prune(Clock::time_point now) {
        while (!events_.empty() && now - events_.front().first > window_) events_.pop_front();
    }
    Clock::duration window_;
    Clock::time_point started_{};
    std::deque<std::pair<Clock::time_point, std::size_t>> events_;
};

}  // namespace framehost::video
