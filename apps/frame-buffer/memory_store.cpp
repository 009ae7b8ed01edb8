#include "apps/frame-buffer/memory_store.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

namespace framehost::frame_buffer {

EnqueueResult MemoryStore::enqueue(const std::string& frame_id, const std::string& json) {
    std::lock_guard lock(mutex_);
    if (frames_.size() >= max_size_) {
        ++dropped_;
        dead_letters_.push_back(nlohmann::json({{"frame_id", frame_id}, {"reason", "buffer full"}}).dump());
        if (dead_letters_.size() > kDeadLetterLimit) dead_letters_.pop_front();
        return {false, "", frames_.size()};
    }
    // Redis stream ids have this form; the memory backend keeps it so clients see one format.
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
    std::string id = std::to_string(ms) + "-" + std::to_string(++sequence_);
    frames_.push_back({id, json});
    ++enqueued_;
    return {true, id, frames_.size()};
}

std::vector<StoredFrame> MemoryStore::dequeue(std::size_t count, std::size_t& remaining) {
    std::lock_guard lock(mutex_);
    std::vector<StoredFrame> out;
    while (out.size() < count && !frames_.empty()) {
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

}  // namespace framehost::frame_buffer
