#pragma once
// Lets the frames of one camera through an ordered_per_camera plugin one call at a time, in the
// order the source read them (their camera_sequence, given by the queue), while different
// cameras pass in parallel. Each worker brings its batch as runs, one per camera; it waits only
// for a run whose camera's earlier frames have all passed, so the batch popped first can always
// go on, and no worker waits for a frame that nobody holds.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/pipeline/frame_envelope.hpp"

namespace framehost::core {

struct CameraRun {
    const std::string* camera = nullptr;
    std::uint64_t first = 0;  // the camera_sequence of its first and last frame in the batch
    std::uint64_t last = 0;
    std::vector<std::uint32_t> frames;  // indices in the batch of its frames still to process
                                        // (may be none: the run still passes)
    bool taken = false;
};

// Groups a batch's frames by camera, in order: every frame counts for the order, the `live`
// ones (indices) are the ones to process. Frames with no camera_sequence (0) are not ordered and
// come back in `unordered`.
void group_by_camera(const FrameBatch& batch, std::span<const std::uint32_t> live,
                     std::vector<CameraRun>& runs, std::vector<std::uint32_t>& unordered);

class CameraOrder {
  public:
    // `next`: where each camera's order starts (an instance swapped in by a reload starts at the
    // first frame it will see); cameras not in it start at 1.
    explicit CameraOrder(std::unordered_map<std::string, std::uint64_t> next = {})
        : next_(std::move(next)) {}
    // [worker] Blocks until some run not yet taken is next for its camera; marks it taken and
    // returns its index. Runs with nothing before them return at once.
    std::size_t wait_for_turn(std::span<CameraRun> runs);
    // [worker] The run has passed: its camera's next frames may go.
    void done(const CameraRun& run);

  private:
    std::mutex mutex_;
    std::condition_variable turn_;
    std::unordered_map<std::string, std::uint64_t>
        next_;                              // the next camera_sequence to pass, from 1
    std::atomic<std::uint64_t> passed_{0};  // runs passed so far, to notice one without the lock
};

}  // namespace framehost::core
