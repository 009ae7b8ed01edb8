#include "core/pipeline/pixel_budget.hpp"

#include <algorithm>

namespace framehost::core {

namespace {
// How often a waiter looks again: the frames in flight give memory back through the queue,
// which does not signal this budget.
constexpr auto kRecheck = std::chrono::milliseconds(5);
}  // namespace

bool PixelBudget::take(std::size_t bytes, std::size_t kept_free) {
    const FrameQueue* queue = queue_.load();
    std::size_t in_flight = queue ? queue->bytes_in_flight() : 0;
    std::size_t held = reserved_.load();
    do {
        std::size_t used = held + in_flight;
        if (used > limit_ || bytes > limit_ - used || kept_free > limit_ - used - bytes)
            return false;
    } while (!reserved_.compare_exchange_weak(held, held + bytes));
    return true;
}

bool PixelBudget::try_reserve(std::size_t bytes) {
    return take(bytes, first_waiting_.load());
}

bool PixelBudget::reserve(std::size_t bytes, const std::atomic<bool>& stop,
                          std::chrono::milliseconds timeout) {
    if (bytes > limit_) return false;
    std::unique_lock lock(mutex_);
    if (waiters_.empty() && take(bytes, 0)) return true;
    auto ticket = next_ticket_++;
    waiters_.push_back({ticket, bytes});
    if (waiters_.size() == 1) first_waiting_.store(bytes);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool taken = false;
    while (!stop.load() && std::chrono::steady_clock::now() < deadline) {
        if (waiters_.front().ticket == ticket && take(bytes, 0)) {
            taken = true;
            break;
        }
        released_.wait_for(lock, kRecheck);
    }
    waiters_.erase(std::find_if(waiters_.begin(), waiters_.end(),
                                [&](const Waiter& w) { return w.ticket == ticket; }));
    first_waiting_.store(waiters_.empty() ? 0 : waiters_.front().bytes);
    lock.unlock();
    released_.notify_all();
    return taken;
}

void PixelBudget::release(std::size_t bytes) {
    std::size_t held = reserved_.load();
    while (!reserved_.compare_exchange_weak(held, held - std::min(bytes, held))) {
    }
    if (first_waiting_.load()) released_.notify_all();
}

}  // namespace framehost::core
