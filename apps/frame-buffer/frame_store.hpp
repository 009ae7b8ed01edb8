#pragma once
// Where the frame buffer keeps frames between producers and consumers. A frame is stored as
// the JSON text it was enqueued with, so it comes back exactly as it went in.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace framehost::frame_buffer {

struct StoredFrame {
    std::string message_id;
    std::string json;
};

struct EnqueueResult {
    bool accepted = false;  // false: the buffer is full (the frame went to the dead-letter queue)
    std::string message_id;
    std::size_t queue_size = 0;
};

struct StoreStatus {
    bool connected = true;
    bool uses_redis = false;
    std::size_t size = 0;  // frames waiting: not yet handed out, or handed out and unacknowledged
    std::size_t max_size = 0;
    std::uint64_t dropped = 0;
    std::uint64_t total_enqueued = 0;
    std::uint64_t total_dequeued = 0;
    std::size_t dead_letters = 0;
    // Redis only: the entries of the stream itself and of the capture's stream still to read;
    // -1 where there is no such stream.
    long long stream_length = -1;
    long long capture_waiting = -1;
    std::string backend;
    std::string last_error;
};

// A frame refused by the buffer, with what it was and why.
struct DeadLetter {
    std::string
        id;  // the dead-letter entry's id; its part before '-' is milliseconds since the epoch
    std::string frame_id;
    std::string json;
    std::string reason;  // "buffer_full", as the original Frame Buffer names it
};

struct ReprocessResult {
    std::size_t reprocessed = 0;  // back in the buffer
    std::size_t failed = 0;       // stayed in the dead-letter queue (the buffer is full again)
    std::size_t remaining = 0;    // dead letters left
};

// The entries one dequeue handed out, until the answer that carries them is sent: settled
// (acknowledged) when it was handed to the client, given back (served again, first) when it
// could not be. One never settled is given back when the last reference goes.
class Receipt {
  public:
    virtual ~Receipt() = default;
    virtual void settle(bool handed) = 0;
};

class FrameStore {
  public:
    virtual ~FrameStore() = default;
    // [any thread] Every call is atomic: no frame is handed out twice, none is lost between
    // calls. Backend failures throw std::runtime_error.
    virtual EnqueueResult enqueue(const std::string& frame_id, const std::string& json) = 0;
    // The oldest frames, at most `count` of them and at most `max_bytes` of JSON in all (the
    // first is given whatever its size): what does not fit stays, first in line. A store that
    // can wait for the answer to be sent before it lets the frames go sets `receipt`.
    virtual std::vector<StoredFrame> dequeue(std::size_t count, std::size_t max_bytes,
                                             std::size_t& remaining,
                                             std::shared_ptr<Receipt>& receipt) = 0;
    virtual std::size_t clear() = 0;
    virtual StoreStatus status() = 0;

    // The oldest `count` dead letters, the whole queue's size in `size`.
    virtual std::vector<DeadLetter> dead_letters(std::size_t count, std::size_t& size) = 0;
    virtual std::size_t clear_dead_letters() = 0;
    // Puts up to `max_items` dead letters, oldest first, back into the buffer while it has room.
    virtual ReprocessResult reprocess_dead_letters(std::size_t max_items) = 0;
};

// Dead letters kept per buffer, oldest dropped first: enough to see what was refused and why,
// and to put it back. The memory backend also holds them to kDeadLetterBytes in all.
inline constexpr std::size_t kDeadLetterLimit = 1000;
inline constexpr std::size_t kDeadLetterBytes = 64u << 20;
inline constexpr const char* kBufferFullReason = "buffer_full";

}  // namespace framehost::frame_buffer
