#include "core/pipeline/frame_queue.hpp"

#include <algorithm>
#include <iterator>

namespace framehost::core {

FrameQueue::FrameQueue(std::size_t capacity, std::size_t byte_budget, bool sequence_cameras)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      byte_budget_(byte_budget),
      low_mark_(byte_budget - byte_budget / 8),
      room_low_mark_(capacity_ - capacity_ / 8),
      sequence_cameras_(sequence_cameras) {
    batches_.resize(16);
}

bool FrameQueue::wait_for_room(std::size_t frames, const std::atomic<bool>& stop) {
    frames = std::min(frames, capacity_);
    std::unique_lock lock(mutex_);
    // Once it had to wait, a producer waits for the low marks, not just for one more batch's
    // room: otherwise every pop or refund of every batch would wake it to read one more batch and
    // sleep again. Such a wake-up per batch cost a third of the frame rate with 1080p frames
    // (bytes), and with a full queue of small frames it took a core from a worker per batch
    // (slots), which stalls the workers of an ordered_per_camera plugin in turn.
    std::size_t limit = byte_budget_;
    bool waited_for_room = false;
    while (!closed_ && !stop.load()) {
        bool room = count_ + frames <= capacity_ && (!waited_for_room || count_ <= room_low_mark_);
        bool budget = bytes_in_flight_.load() < limit;
        if (room && budget) break;
        auto& waiters = budget ? room_waiters_ : budget_waiters_;
        waiters.fetch_add(1);
        if (budget || bytes_in_flight_.load() >= low_mark_) not_full_.wait(lock);
        waiters.fetch_sub(1);
        if (budget)
            waited_for_room = true;
        else
            limit = low_mark_;
    }
    return !closed_ && !stop.load();
}

void FrameQueue::notify_producers() {
    std::lock_guard lock(mutex_);
    not_full_.notify_all();
}

void FrameQueue::grow() {
    std::vector<FrameBatch> bigger(batches_.size() * 2);
    for (std::size_t i = 0; i < batch_count_; ++i) bigger[i] = std::move(batch(i));
    batches_ = std::move(bigger);
    head_ = 0;
}

void FrameQueue::push(FrameBatch& frames) {
    if (frames.empty()) return;
    std::size_t charged = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const Image& image = frames.frames[i].image;
        frames.host[i].charged_bytes = image.empty() ? 0 : image.byte_size();
        charged += frames.host[i].charged_bytes;
    }
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (sequence_cameras_)
            for (std::size_t i = 0; i < frames.size(); ++i) {
                auto& host = frames.host[i];
                host.camera_id = frames.frames[i].camera_id;
                host.camera_sequence = ++camera_sequences_[host.camera_id];
            }
        if (batch_count_ == batches_.size()) grow();
        bytes_in_flight_ += charged;
        count_ += frames.size();
        batch(batch_count_++) = std::move(frames);
        frames = FrameBatch();
        if (!spare_.empty()) {
            frames = std::move(spare_.back());
            spare_.pop_back();
        }
        wake = idle_workers_ > 0;
    }
    // One worker: it wakes the next if it leaves frames behind (pop). Waking every worker for
    // every push cost the source a futex call and the mutex a fight per batch.
    if (wake) not_empty_.notify_one();
}

// [mutex_ held] Moves frames of the oldest batch into `out` until it holds `limit`: the whole
// vector when `out` is empty and it fits (the common case: a source's batch to a worker).
void FrameQueue::take_front(FrameBatch& out, std::size_t limit) {
    auto& front = batch(0);
    std::size_t room = limit - out.size();
    if (front.size() <= room) {
        count_ -= front.size();
        if (out.empty()) {
            std::swap(out, front);
        } else {
            std::move(front.frames.begin(), front.frames.end(), std::back_inserter(out.frames));
            std::move(front.host.begin(), front.host.end(), std::back_inserter(out.host));
            front.clear();
        }
        if (front.frames.capacity() > 0 && spare_.size() < batches_.size())
            spare_.push_back(std::move(front));
        front = FrameBatch();
        head_ = (head_ + 1) % batches_.size();
        --batch_count_;
        return;
    }
    auto n = static_cast<std::ptrdiff_t>(room);
    std::move(front.frames.begin(), front.frames.begin() + n, std::back_inserter(out.frames));
    std::move(front.host.begin(), front.host.begin() + n, std::back_inserter(out.host));
    front.frames.erase(front.frames.begin(), front.frames.begin() + n);
    front.host.erase(front.host.begin(), front.host.begin() + n);
    count_ -= room;
}

bool FrameQueue::pop(FrameBatch& out, std::size_t max, std::shared_ptr<void>* epoch) {
    std::unique_lock lock(mutex_);
    while (count_ == 0 && !closed_) {
        ++idle_workers_;
        not_empty_.wait(lock);
        --idle_workers_;
    }
    if (count_ == 0) return false;
    if (epoch) *epoch = epoch_;
    std::size_t limit = out.size() + std::max<std::size_t>(max, 1);
    while (batch_count_ > 0 && out.size() < limit) take_front(out, limit);
    bool more = count_ > 0 && idle_workers_ > 0;
    // A producer registers under the mutex this pop holds, so one that waits is counted here.
    bool room = room_waiters_.load() > 0 && count_ <= room_low_mark_;
    lock.unlock();
    if (more) not_empty_.notify_one();
    if (room) not_full_.notify_all();
    return true;
}

void FrameQueue::refund(std::size_t bytes) {
    auto held = bytes_in_flight_.load();
    while (!bytes_in_flight_.compare_exchange_weak(held, held - std::min(bytes, held))) {
    }
}

void FrameQueue::wake_waiting_producers() {
    // Every source may be waiting on the budget, not only one. Taking the mutex orders this
    // wake-up after a producer that checked the budget and is about to sleep.
    if (budget_waiters_.load() == 0 || bytes_in_flight_.load() >= low_mark_) return;
    { std::lock_guard lock(mutex_); }
    not_full_.notify_all();
}

void FrameQueue::release(const FrameBatch& frames) {
    std::size_t bytes = 0;
    for (const auto& h : frames.host) bytes += h.charged_bytes;
    if (bytes == 0) return;
    refund(bytes);
    wake_waiting_producers();
}

void FrameQueue::replace_epoch(
    const std::function<std::shared_ptr<void>(const NextSequences&)>& make, bool sequence_cameras) {
    std::lock_guard lock(mutex_);
    NextSequences next;
    for (const auto& [camera, last] : camera_sequences_) next[camera] = last + 1;
    for (std::size_t b = 0; b < batch_count_; ++b)
        for (const auto& h : batch(b).host)
            if (h.camera_sequence != 0) {
                auto& n = next[h.camera_id];
                n = std::min(n, h.camera_sequence);
            }
    sequence_cameras_ = sequence_cameras_ || sequence_cameras;
    epoch_ = make(next);
}

std::uint64_t FrameQueue::sequence_for(const std::string& camera, std::shared_ptr<void>* epoch) {
    std::lock_guard lock(mutex_);
    if (epoch) *epoch = epoch_;
    if (!sequence_cameras_) return 0;
    return ++camera_sequences_[camera];
}

bool FrameQueue::over_byte_budget() const {
    return bytes_in_flight_.load() >= byte_budget_;
}

void FrameQueue::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
}

FrameBatch FrameQueue::abandon() {
    FrameBatch left;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        for (std::size_t i = 0; i < batch_count_; ++i) {
            auto& b = batch(i);
            for (std::size_t k = 0; k < b.size(); ++k) {
                refund(b.host[k].charged_bytes);
                left.frames.push_back(std::move(b.frames[k]));
                left.host.push_back(std::move(b.host[k]));
            }
        }
        for (std::size_t i = 0; i < batch_count_; ++i) batch(i).clear();
        batch_count_ = 0;
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
    return bytes_in_flight_.load();
}

}  // namespace framehost::core
