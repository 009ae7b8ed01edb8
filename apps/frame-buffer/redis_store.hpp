#pragma once
// Frames in a Redis stream, so they survive a frame-buffer restart. Entries carry the frame's
// JSON in the field "frame" (and its id in "frame_id"); a consumer group hands each entry to
// exactly one dequeue, which then acknowledges and deletes it.
#include <mutex>
#include <string>

#include "apps/frame-buffer/frame_store.hpp"
#include "redis_connection.hpp"

namespace framehost::frame_buffer {

class RedisStore final : public FrameStore {
public:
    RedisStore(redis_support::Address address, std::string stream, std::size_t max_size);
    EnqueueResult enqueue(const std::string& frame_id, const std::string& json) override;
    std::vector<StoredFrame> dequeue(std::size_t count, std::size_t& remaining) override;
    std::size_t clear() override;
    StoreStatus status() override;

private:
    // Connects (again) when needed and makes sure the group exists; throws when Redis is away.
    redis_support::Reply command(const std::vector<std::string>& args);
    long long integer(const std::vector<std::string>& args);

    std::mutex mutex_;
    redis_support::Address address_;
    std::string stream_;
    std::string group_ = "frame-buffer";
    std::string stats_;
    std::string dead_letters_;
    std::size_t max_size_;
    redis_support::Connection redis_;
    std::string last_error_;
};

}  // namespace framehost::frame_buffer
