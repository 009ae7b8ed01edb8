#include "core/pipeline/frame_queue.hpp"

#include <algorithm>

namespace framehost::core {

FrameQueue::FrameQueue(std::size_t capacity, std::size_t byte_budget)
    : capacity_(std::max<std::size_t>(capacity, 1)), byte_budget_(byte_budget) {
    slots_.resize(std::min<std::size_t>(capacity_, 64));
}

bool FrameQueue::wait_for_room(std::size_t frames, const std::atomic<bool>& stop) {
    frames = std::min(frames, capacity_);
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] {
        return closed_ || stop.load() ||
               (count_ + frames <= capacity_ && bytes_in_flight_ < byte_budget_);
    });
    return !closed_ && !stop.load();
}

void FrameQueue::notify_producers() {
    std::lock_guard lock(mutex_);
    not_full_.notify_all();
}

void FrameQueue::grow() {
    std::vector<Frame> bigger(std::max<std::size_t>(slots_.size() * 2, 1));
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = std::move(slot(i));
    slots_ = std::move(bigger);
    head_ = 0;
}

void FrameQueue::push(std::vector<Frame>& frames) {
    {
        std::lock_guard lock(mutex_);
        for (auto& frame : frames) {
            if (count_ == slots_.size()) grow();
            bytes_in_flight_ += frame.pixels ? frame.pixels->size() : 0;
            slot(count_) = std::move(frame);
            ++count_;
        }
    }
    frames.clear();
    not_empty_.notify_all();
}

bool FrameQueue::pop(std::vector<Frame>& out, std::size_t max) {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return count_ > 0 || closed_; });
    if (count_ == 0) return false;
    std::size_t n = std::min(max, count_);
    for (std::size_t i = 0; i < n; ++i) out.push_back(std::move(slot(i)));
    head_ = (head_ + n) % slots_.size();
    count_ -= n;
    lock.unlock();
    not_full_.notify_one();
    return true;
}

void FrameQueue::release_bytes(std::size_t bytes) {
    if (bytes == 0) return;
    {
        std::lock_guard lock(mutex_);
        bytes_in_flight_ -= std::min(bytes, bytes_in_flight_);
    }
    not_full_.notify_one();
}

void FrameQueue::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
}

std::vector<Frame> FrameQueue::abandon() {
    std::vector<Frame> left;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        for (std::size_t i = 0; i < count_; ++i) {
            bytes_in_flight_ -= std::min(bytes_in_flight_,
                                         slot(i).pixels ? slot(i).pixels->size() : std::size_t{0});
            left.push_back(std::move(slot(i)));
        }
        count_ = 0;
        head_ = 0;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
    return left;
}

std::size_t FrameQueue::depth() const {
    std::lock_guard lock(mutex_);
    return count_;
}

std::size_t FrameQueue::bytes_in_flight() const {
    std::lock_guard lock(mutex_);
    return bytes_in_flight_;
}

}  // namespace framehost::core
