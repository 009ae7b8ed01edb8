#pragma once
// Where the frame buffer keeps frames between producers and consumers. A frame is stored as
// the JSON text it was enqueued with, so it comes back exactly as it went in.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace framehost::frame_buffer {

struct StoredFrame {
    std::string message_id;
    std::string json;
};

struct EnqueueResult {
    bool accepted = false;  // false: the buffer is full (the frame went to the dead-letter list)
    std::string message_id;
    std::size_t queue_size = 0;
};

struct StoreStatus {
    bool connected = true;
    std::size_t size = 0;
    std::size_t max_size = 0;
    std::uint64_t dropped = 0;
    std::uint64_t total_enqueued = 0;
    std::uint64_t total_dequeued = 0;
    std::size_t dead_letters = 0;
    std::string backend;
    std::string last_error;
};

class FrameStore {
public:
    virtual ~FrameStore() = default;
    // [any thread] Every call is atomic: no frame is handed out twice, none is lost between
    // calls. Backend failures throw std::runtime_error.
    virtual EnqueueResult enqueue(const std::string& frame_id, const std::string& json) = 0;
    virtual std::vector<StoredFrame> dequeue(std::size_t count, std::size_t& remaining) = 0;
    virtual std::size_t clear() = 0;
    virtual StoreStatus status() = 0;
};

// Dead letters kept per buffer, oldest dropped first: enough to see what was refused and why.
inline constexpr std::size_t kDeadLetterLimit = 1000;

}  // namespace framehost::frame_buffer
