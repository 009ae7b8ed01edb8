#pragma once
// The bounded hand-off between the source threads and the workers. Two limits pause the
// sources: the number of queued frames (queue_capacity) and the pixel bytes in flight (the
// memory budget, memory_limit_mb). A frame is charged its image's bytes when it is pushed,
// the charge is recorded with it, and exactly that is refunded when it leaves, whatever a
// processor did to its pixels meanwhile.
//
// With camera sequencing on (some plugin is ordered_per_camera), each frame is numbered among
// its camera's frames as it is pushed, so the order the sources read is the order kept.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/pipeline/frame_envelope.hpp"

namespace framehost::core {

class FrameQueue {
  public:
    FrameQueue(std::size_t capacity, std::size_t byte_budget, bool sequence_cameras = false);

    // [source] Blocks until `frames` more fit and in-flight bytes are under budget. Once it had
    // to wait, it waits for the queue to fall to seven eighths of its capacity, or the bytes to
    // seven eighths of the budget. Returns false once the queue is closed or `stop` is set (wake
    // it with notify_producers()).
    bool wait_for_room(std::size_t frames, const std::atomic<bool>& stop);
    // [source] Moves every frame of `frames` in (it is left empty). Call after wait_for_room.
    void push(FrameBatch& frames);
    void notify_producers();

    // [worker] Blocks until frames are queued, then moves up to `max` of them into `out`.
    // Returns false when the queue is closed and empty. With `epoch`, also what the pipeline
    // set with replace_epoch() when these frames were taken (the chain they run on).
    bool pop(FrameBatch& out, std::size_t max, std::shared_ptr<void>* epoch = nullptr);
    // [worker] Finished frames give back exactly what they were charged.
    void release(const FrameBatch& frames);
    // [any thread] The next camera_sequence of a frame that does not go through the queue
    // (/process), so ordered plugins see it in its place; 0 when sequencing is off.
    std::uint64_t sequence_for(const std::string& camera, std::shared_ptr<void>* epoch = nullptr);

    // Where each camera's frames not yet taken begin: the camera_sequence of its first frame
    // still queued, or of its next one.
    using NextSequences = std::unordered_map<std::string, std::uint64_t>;
    // [any thread] Replaces what pops hand out from now on with `make(next)`, atomically with
    // the pops: a frame is taken with the old epoch or the new one, never between. With
    // `sequence_cameras`, numbering is turned on (never off) from here.
    void replace_epoch(const std::function<std::shared_ptr<void>(const NextSequences&)>& make,
                       bool sequence_cameras);

    // No more pushes; pops drain what is left.
    void close();
    // Closes and takes every queued frame out (they will not be processed).
    FrameBatch abandon();

    std::size_t depth() const;
    std::size_t capacity() const { return capacity_; }
    std::size_t bytes_in_flight() const;
    std::size_t byte_budget() const { return byte_budget_; }
    // True while the pixel bytes in flight have reached the budget, so sources wait.
    bool over_byte_budget() const;

  private:
    FrameBatch& batch(std::size_t i) { return batches_[(head_ + i) % batches_.size()]; }
    void grow();
    void take_front(FrameBatch& out, std::size_t limit);
    void refund(std::size_t bytes);
    void wake_waiting_producers();

    const std::size_t capacity_;
    const std::size_t byte_budget_;
    const std::size_t low_mark_;       // seven eighths of the budget
    const std::size_t room_low_mark_;  // seven eighths of the capacity
    bool sequence_cameras_;
    std::shared_ptr<void> epoch_;
    mutable std::mutex mutex_;
    std::condition_variable not_empty_;
    std::condition_variable not_full_;
    // The frames, held as the batches they were pushed in: a push or a pop hands over a vector
    // under the mutex, never frame by frame (a frame is over 400 bytes; moving ten in and out under
    // the lock held the workers and the source apart). A ring that grows on demand, and vectors
    // that go round (a pop leaves the worker's empty one, the next push hands it to the source),
    // so a busy host never allocates per batch.
    std::vector<FrameBatch> batches_;
    std::size_t head_ = 0;
    std::size_t batch_count_ = 0;
    std::vector<FrameBatch> spare_;  // emptied vectors, capacity kept
    std::size_t count_ = 0;          // frames queued
    // Refunds come from every worker after every batch: atomics let release() skip the mutex and
    // the wake-up unless a producer is waiting (seq_cst on both, so a refund and a producer going
    // to sleep always see each other).
    std::atomic<std::size_t> bytes_in_flight_{0};
    std::atomic<int> room_waiters_{0};    // producers waiting for a free slot
    std::atomic<int> budget_waiters_{0};  // producers waiting for the bytes to fall under low_mark_
    std::size_t idle_workers_ = 0;        // workers waiting in pop()
    bool closed_ = false;
    std::unordered_map<std::string, std::uint64_t> camera_sequences_;  // last given, per camera
};

}  // namespace framehost::core
