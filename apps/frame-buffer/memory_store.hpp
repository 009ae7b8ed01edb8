#pragma once
// A bounded FIFO in memory: nothing to install, gone when the process ends.
#include <deque>
#include <mutex>

#include "apps/frame-buffer/frame_store.hpp"

namespace framehost::frame_buffer {

class MemoryStore final : public FrameStore {
  public:
    explicit MemoryStore(std::size_t max_size) : max_size_(max_size) {}
    EnqueueResult enqueue(const std::string& frame_id, const std::string& json) override;
    std::vector<StoredFrame> dequeue(std::size_t count, std::size_t max_bytes,
                                     std::size_t& remaining,
                                     std::shared_ptr<Receipt>& receipt) override;
    std::size_t clear() override;
    StoreStatus status() override;
    std::vector<DeadLetter> dead_letters(std::size_t count, std::size_t& size) override;
    std::size_t clear_dead_letters() override;
    ReprocessResult reprocess_dead_letters(std::size_t max_items) override;

  private:
    // Redis stream ids have this form; the memory backend keeps it so clients see one format.
    std::string next_id();
    void push_dead_letter(DeadLetter letter);

    std::mutex mutex_;
    std::size_t max_size_;
    std::deque<StoredFrame> frames_;
    std::deque<DeadLetter> dead_letters_;
    std::size_t dead_letter_bytes_ = 0;
    std::uint64_t sequence_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t enqueued_ = 0;
    std::uint64_t dequeued_ = 0;
};

}  // namespace framehost::frame_buffer
