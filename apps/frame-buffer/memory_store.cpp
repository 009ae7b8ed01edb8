#include "apps/frame-buffer/memory_store.hpp"

#include <chrono>

namespace framehost::frame_buffer {

std::string MemoryStore::next_id() {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    return std::to_string(ms) + "-" + std::to_string(++sequence_);
}

void MemoryStore::push_dead_letter(DeadLetter letter) {
    dead_letter_bytes_ += letter.json.size();
    dead_letters_.push_back(std::move(letter));
    while (dead_letters_.size() > kDeadLetterLimit ||
           (dead_letter_bytes_ > kDeadLetterBytes && dead_letters_.size() > 1)) {
        dead_letter_bytes_ -= dead_letters_.front().json.size();
        dead_letters_.pop_front();
    }
}

EnqueueResult MemoryStore::enqueue(const std::string& frame_id, const std::string& json) {
    std::lock_guard lock(mutex_);
    if (frames_.size() >= max_size_) {
        ++dropped_;
        push_dead_letter({next_id(), frame_id, json, kBufferFullReason});
        return {false, "", frames_.size()};
    }
    std::string id = next_id();
    frames_.push_back({id, json});
    ++enqueued_;
    return {true, id, frames_.size()};
}

// In memory, frames handed out are gone at once: a server killed loses what it holds anyway.
std::vector<StoredFrame> MemoryStore::dequeue(std::size_t count, std::size_t max_bytes,
                                              std::size_t& remaining, std::shared_ptr<Receipt>&) {
    std::lock_guard lock(mutex_);
    std::vector<StoredFrame> out;
    std::size_t bytes = 0;
    while (out.size() < count && !frames_.empty()) {
        bytes += frames_.front().json.size();
        if (!out.empty() && bytes > max_bytes) break;
        out.push_back(std::move(frames_.front()));
        frames_.pop_front();
    }
    dequeued_ += out.size();
    remaining = frames_.size();
    return out;
}

std::size_t MemoryStore::clear() {
    std::lock_guard lock(mutex_);
    auto n = frames_.size();
    frames_.clear();
    return n;
}

StoreStatus MemoryStore::status() {
    std::lock_guard lock(mutex_);
    StoreStatus s;
    s.size = frames_.size();
    s.max_size = max_size_;
    s.dropped = dropped_;
    s.total_enqueued = enqueued_;
    s.total_dequeued = dequeued_;
    s.dead_letters = dead_letters_.size();
    s.backend = "memory";
    return s;
}

std::vector<DeadLetter> MemoryStore::dead_letters(std::size_t count, std::size_t& size) {
    std::lock_guard lock(mutex_);
    size = dead_letters_.size();
    return {dead_letters_.begin(),
            dead_letters_.begin() + static_cast<std::ptrdiff_t>(std::min(count, size))};
}

std::size_t MemoryStore::clear_dead_letters() {
    std::lock_guard lock(mutex_);
    auto n = dead_letters_.size();
    dead_letters_.clear();
    dead_letter_bytes_ = 0;
    return n;
}

ReprocessResult MemoryStore::reprocess_dead_letters(std::size_t max_items) {
    std::lock_guard lock(mutex_);
    ReprocessResult r;
    while (r.reprocessed < max_items && !dead_letters_.empty()) {
        if (frames_.size() >= max_size_) {
            r.failed = std::min(max_items - r.reprocessed, dead_letters_.size());
            break;
        }
        auto letter = std::move(dead_letters_.front());
        dead_letters_.pop_front();
        dead_letter_bytes_ -= letter.json.size();
        frames_.push_back({next_id(), std::move(letter.json)});
        ++enqueued_;
        ++r.reprocessed;
    }
    r.remaining = dead_letters_.size();
    return r;
}

}  // namespace framehost::frame_buffer
