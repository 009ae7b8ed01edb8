#include "core/pipeline/frame_queue.hpp"

#include <algorithm>

namespace framehost::core {

FrameQueue::FrameQueue(std::size_t capacity, std::size_t byte_budget, bool sequence_cameras)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      byte_budget_(byte_budget),
      sequence_cameras_(sequence_cameras) {
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
            frame.host.charged_bytes = frame.image.empty() ? 0 : frame.image.byte_size();
            bytes_in_flight_ += frame.host.charged_bytes;
            if (sequence_cameras_)
                frame.host.camera_sequence = ++camera_sequences_[frame.camera_id];
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
    not_full_.notify_all();
    return true;
}

void FrameQueue::release_locked(std::size_t bytes) {
    bytes_in_flight_ -= std::min(bytes, bytes_in_flight_);
}

void FrameQueue::release(std::span<const Frame> frames) {
    std::size_t bytes = 0;
    for (const auto& f : frames) bytes += f.host.charged_bytes;
    if (bytes == 0) return;
    {
        std::lock_guard lock(mutex_);
        release_locked(bytes);
    }
    // Every source may be waiting on the budget, not only one.
    not_full_.notify_all();
}

std::uint64_t FrameQueue::sequence_for(const std::string& camera) {
    if (!sequence_cameras_) return 0;
    std::lock_guard lock(mutex_);
    return ++camera_sequences_[camera];
}

bool FrameQueue::over_byte_budget() const {
    std::lock_guard lock(mutex_);
    return bytes_in_flight_ >= byte_budget_;
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
            release_locked(slot(i).host.charged_bytes);
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
