#pragma once
// Frames in a Redis stream, so they survive a frame-buffer restart. Entries carry the frame's
// JSON in the field "frame" (and its id in "frame_id"); a consumer group hands each entry to
// exactly one dequeue, which then acknowledges and deletes it.
#include <mutex>
#include <string>

#include "apps/frame-buffer/frame_store.hpp"

struct redisContext;
struct redisReply;

namespace framehost::frame_buffer {

struct RedisAddress {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string password;
    int db = 0;
};
// redis://[:password@]host[:port][/db]; throws std::invalid_argument naming what is wrong.
RedisAddress parse_redis_url(const std::string& url);

class RedisStore final : public FrameStore {
public:
    RedisStore(RedisAddress address, std::string stream, std::size_t max_size);
    ~RedisStore() override;
    EnqueueResult enqueue(const std::string& frame_id, const std::string& json) override;
    std::vector<StoredFrame> dequeue(std::size_t count, std::size_t& remaining) override;
    std::size_t clear() override;
    StoreStatus status() override;

private:
    redisContext* connection();  // connects (again) when needed; throws when Redis is away
    redisReply* command(const std::vector<std::string>& args);  // caller frees; throws
    void drop_connection(const std::string& why);
    long long integer(const std::vector<std::string>& args);

    std::mutex mutex_;
    RedisAddress address_;
    std::string stream_;
    std::string group_ = "frame-buffer";
    std::string stats_;
    std::string dead_letters_;
    std::size_t max_size_;
    redisContext* context_ = nullptr;
    std::string last_error_;
};

}  // namespace framehost::frame_buffer
