#pragma once
// The bounded hand-off between the source thread and the workers. Two limits pause the source:
// the number of queued frames (queue_capacity) and the pixel bytes in flight, counted from push
// until the workers release them when the frame is finished (memory_limit_mb).
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

#include "framehost/frame.hpp"

namespace framehost::core {

class FrameQueue {
public:
    FrameQueue(std::size_t capacity, std::size_t byte_budget);

    // [source] Blocks until `frames` more fit and in-flight bytes are under budget. Returns false
    // once the queue is closed or `stop` is set (wake it with notify_producers()).
    bool wait_for_room(std::size_t frames, const std::atomic<bool>& stop);
    // [source] Moves every frame of `frames` in (it is left empty). Call after wait_for_room.
    void push(std::vector<Frame>& frames);
    void notify_producers();

    // [worker] Blocks until frames are queued, then moves up to `max` of them into `out`.
    // Returns false when the queue is closed and empty.
    bool pop(std::vector<Frame>& out, std::size_t max);
    // [worker] Finished frames give back their pixel bytes.
    void release_bytes(std::size_t bytes);

    // No more pushes; pops drain what is left.
    void close();
    // Closes and takes every queued frame out (they will not be processed).
    std::vector<Frame> abandon();

    std::size_t depth() const;
    std::size_t capacity() const { return capacity_; }
    std::size_t bytes_in_flight() const;

private:
    Frame& slot(std::size_t i) { return slots_[(head_ + i) % slots_.size()]; }
    void grow();

    const std::size_t capacity_;
    const std::size_t byte_budget_;
    mutable std::mutex mutex_;
    std::condition_variable not_empty_;
    std::condition_variable not_full_;
    // A ring that grows to `capacity_` on demand, so an idle host with a large queue_capacity
    // costs nothing and a busy one never allocates per frame.
    std::vector<Frame> slots_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::size_t bytes_in_flight_ = 0;
    bool closed_ = false;
};

}  // namespace framehost::core
