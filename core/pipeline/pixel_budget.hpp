#pragma once
// memory_limit_mb as the plugins see it (framehost.memory): what plugins reserve for pixels
// they hold themselves (decoders, frames decoded ahead) shares the limit with the frames in
// flight in the pipeline's queue. A reservation is refused when it would take the two past the
// limit; the queue itself still waits only on its own bytes, so frames held in a plugin can
// always reach it and give their reservation back.
//
// Waiting reservations are served in arrival order, and while one waits, try_reserve leaves
// room for it: the budget is oversubscribed whenever cameras decode faster than the pipeline
// takes, and the camera that asks most often must not starve the one that asks once.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

#include <framehost/memory_budget.hpp>

#include "core/pipeline/frame_queue.hpp"

namespace framehost::core {

class PixelBudget final : public framehost::MemoryBudget {
  public:
    explicit PixelBudget(std::size_t limit) : limit_(limit) {}

    // The queue whose frames in flight share the limit; until then reservations share it only
    // among themselves. Call before any plugin starts.
    void share_with(const FrameQueue& queue) { queue_.store(&queue); }

    bool try_reserve(std::size_t bytes) override;
    bool reserve(std::size_t bytes, const std::atomic<bool>& stop,
                 std::chrono::milliseconds timeout) override;
    void release(std::size_t bytes) override;
    std::size_t limit() const override { return limit_; }
    std::size_t reserved() const override { return reserved_.load(); }

  private:
    // Takes `bytes` when they fit with `kept_free` more left over.
    bool take(std::size_t bytes, std::size_t kept_free);

    const std::size_t limit_;
    std::atomic<std::size_t> reserved_{0};
    std::atomic<const FrameQueue*> queue_{nullptr};

    std::mutex mutex_;  // guards the waiters
    std::condition_variable released_;
    struct Waiter {
        std::uint64_t ticket;
        std::size_t bytes;
    };
    std::deque<Waiter> waiters_;  // in arrival order
    std::uint64_t next_ticket_ = 0;
    std::atomic<std::size_t> first_waiting_{0};  // bytes the first waiter needs; 0: none
};

}  // namespace framehost::core
