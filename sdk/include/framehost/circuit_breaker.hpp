#pragma once
// Closed: attempts go through. After `threshold` consecutive failures it opens: no attempt for
// `open_for`. Then half-open: one trial; success closes it, failure opens it again.
#include <chrono>
#include <string>

namespace framehost {

class CircuitBreaker {
  public:
    using Clock = std::chrono::steady_clock;
    enum class State { Closed, Open, HalfOpen };

    CircuitBreaker(int threshold, std::chrono::milliseconds open_for)
        : threshold_(threshold < 1 ? 1 : threshold), open_for_(open_for) {}

    // Whether an attempt may be made now; moves Open to HalfOpen when the open time is over.
    bool allow(Clock::time_point now = Clock::now()) {
        if (state_ == State::Open && now >= opened_at_ + open_for_) state_ = State::HalfOpen;
        return state_ != State::Open;
    }
    void record_success() {
        state_ = State::Closed;
        failures_ = 0;
    }
    void record_failure(Clock::time_point now = Clock::now()) {
        ++failures_;
        if (state_ == State::HalfOpen || failures_ >= threshold_) {
            state_ = State::Open;
            opened_at_ = now;
            ++times_opened_;
        }
    }
    State state() const { return state_; }
    Clock::duration open_remaining(Clock::time_point now = Clock::now()) const {
        return state_ == State::Open && opened_at_ + open_for_ > now ? opened_at_ + open_for_ - now
                                                                     : Clock::duration::zero();
    }
    int times_opened() const { return times_opened_; }

  private:
    int threshold_;
    std::chrono::milliseconds open_for_;
    State state_ = State::Closed;
    int failures_ = 0;
    int times_opened_ = 0;
    Clock::time_point opened_at_{};
};

inline const char* to_string(CircuitBreaker::State s) {
    switch (s) {
        case CircuitBreaker::State::Closed:
            return "closed";
        case CircuitBreaker::State::Open:
            return "open";
        case CircuitBreaker::State::HalfOpen:
            return "half_open";
    }
    return "?";
}

}  // namespace framehost
