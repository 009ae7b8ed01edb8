#pragma once
// Frames in Redis streams, so they survive a frame-buffer restart and many hosts can share
// them. Producers' frames are entries of `stream` (field "frame": the JSON as posted). With
// `capture_stream` set, the original capture's stream (flat string fields) is served too,
// converted as the original Frame Buffer does (capture_entry.hpp). A consumer group per stream
// hands each entry to exactly one dequeue, which acknowledges it once its answer is handed to
// the client (a server killed before that serves it again: at least once, never lost); entries
// that every consumer group of the stream has acknowledged are trimmed, so Redis holds what
// still waits.
//
// "What still waits" is the buffer's size: for each consumer group of the stream (this
// server's, created at its first dequeue, and those of hosts reading the stream directly with
// redis_streams_source) the entries not yet delivered (XINFO GROUPS lag, Redis 7) plus those
// delivered and not acknowledged; the largest of them. With no group yet it is the stream's
// length. Every group of the stream counts: a group nobody reads any more holds frames back
// until it is destroyed (XGROUP DESTROY), which is at-least-once doing its job.
#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "apps/frame-buffer/capture_entry.hpp"
#include "apps/frame-buffer/frame_store.hpp"
#include "redis_connection.hpp"

namespace framehost::frame_buffer {

struct RedisStoreSettings {
    redis_support::Address address;
    std::string stream = "framehost:frames";
    std::string capture_stream;  // empty: serve only what producers post
    std::string dead_letters;    // empty: <stream>:dlq
    std::string group = "frame-buffer";
    std::string capture_group = "frame-buffer-group";  // the original Frame Buffer's group
    std::string consumer = "frame-buffer";
    std::size_t max_size = 10000;
};

class RedisStore final : public FrameStore {
  public:
    explicit RedisStore(RedisStoreSettings settings);
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
    struct Group {
        std::string name;
        long long pending = 0;
        std::string last_delivered;
        std::optional<long long>
            lag;  // null when Redis cannot tell (entries deleted inside the stream)
    };
    struct Backlog {
        std::size_t waiting = 0;
        long long length = 0;
        std::vector<Group> groups;
    };

    // Connects (again) when needed; throws when Redis is away.
    redis_support::Reply command(const std::vector<std::string>& args);
    // Opens the connection again if the last command lost it.
    void reopen_if_lost();
    long long integer(const std::vector<std::string>& args);
    Backlog backlog(const std::string& stream);
    // Drops the entries every group has acknowledged. At most once a second unless forced.
    void trim(const std::string& stream, const Backlog& backlog, bool force);
    void ensure_groups();
    // Reads entries of one stream for this server's consumer: "0" its own unacknowledged
    // ones (left by a server killed, or an answer not sent) but those in hand, ">" new ones.
    void read_group(const std::string& stream, const std::string& group, const char* from,
                    std::size_t count, std::vector<StoredFrame>& out,
                    std::vector<std::string>& ids);
    std::size_t waiting_in_capture();

    class HandedOut;
    // The receipt's end: acknowledged when the answer was handed over, else served again.
    void settle(const std::vector<std::string>& own_ids,
                const std::vector<std::string>& capture_ids, bool handed);

    std::mutex mutex_;
    RedisStoreSettings settings_;
    // Entries of answers not yet sent: pending with this consumer, but not to be served again.
    std::set<std::string> in_hand_;
    std::string stats_;
    redis_support::Connection redis_;
    bool groups_ready_ = false;      // this connection made sure the groups exist
    bool check_own_pending_ = true;  // after a start or a failed acknowledgement
    std::chrono::steady_clock::time_point last_trim_{};
    std::string last_error_;
};

}  // namespace framehost::frame_buffer
