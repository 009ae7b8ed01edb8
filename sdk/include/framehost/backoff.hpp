#pragma once
// The host's retry pacing, for sources that supervise connections of their own (one per
// camera) the way the host supervises a source. Exponential backoff with jitter:
// initial * 2^(n-1), capped, each delay spread by +-20% so that many hosts retrying the same
// upstream do not retry in step.
#include <algorithm>
#include <chrono>
#include <random>

namespace framehost {

class Backoff {
  public:
    using ms = std::chrono::milliseconds;
    Backoff(ms initial, ms maximum) : initial_(initial), maximum_(std::max(initial, maximum)) {}

    // The delay before the next attempt; each call doubles the base up to the cap.
    ms next() {
        ++failures_;
        double base = static_cast<double>(initial_.count());
        for (int i = 1; i < failures_ && base < static_cast<double>(maximum_.count()); ++i)
            base *= 2;
        base = std::min(base, static_cast<double>(maximum_.count()));
        std::uniform_real_distribution<double> spread(0.8, 1.2);
        current_ = ms(static_cast<long long>(
            std::min(base * spread(random_), static_cast<double>(maximum_.count()))));
        return current_;
    }
    void reset() {
        failures_ = 0;
        current_ = ms(0);
    }
    int failures() const { return failures_; }
    ms current() const { return current_; }

  private:
    ms initial_;
    ms maximum_;
    int failures_ = 0;
    ms current_{0};
    std::minstd_rand random_{std::random_device{}()};
};

}  // namespace framehost
