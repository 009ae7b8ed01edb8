#include "apps/frame-buffer/redis_store.hpp"

#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace framehost::frame_buffer {

using redis_support::Reply;
using redis_support::str;

RedisStore::RedisStore(redis_support::Address address, std::string stream, std::size_t max_size)
    : address_(std::move(address)),
      stream_(std::move(stream)),
      stats_(stream_ + ":stats"),
      dead_letters_(stream_ + ":dlq"),
      max_size_(max_size) {
    std::lock_guard lock(mutex_);
    integer({"XLEN", stream_});  // fail at start, with the reason, rather than at the first frame
}

Reply RedisStore::command(const std::vector<std::string>& args) {
    try {
        if (!redis_.is_open()) {
            redis_.open(address_);
            // The group that makes every entry go to exactly one dequeue; after a restart it
            // exists already (BUSYGROUP), which is fine.
            try {
                redis_.run({"XGROUP", "CREATE", stream_, group_, "0", "MKSTREAM"});
            } catch (const std::runtime_error& e) {
                if (std::string(e.what()).find("BUSYGROUP") == std::string::npos) throw;
            }
        }
        auto reply = redis_.run(args);
        last_error_.clear();
        return reply;
    } catch (const std::exception& e) {
        last_error_ = e.what();
        throw;
    }
}

long long RedisStore::integer(const std::vector<std::string>& args) {
    Reply r = command(args);
    return r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
}

EnqueueResult RedisStore::enqueue(const std::string& frame_id, const std::string& json) {
    std::lock_guard lock(mutex_);
    auto size = static_cast<std::size_t>(integer({"XLEN", stream_}));
    if (size >= max_size_) {
        integer({"HINCRBY", stats_, "dropped", "1"});
        command({"LPUSH", dead_letters_, nlohmann::json({{"frame_id", frame_id}, {"reason", "buffer full"}}).dump()});
        command({"LTRIM", dead_letters_, "0", std::to_string(kDeadLetterLimit - 1)});
        return {false, "", size};
    }
    Reply added = command({"XADD", stream_, "*", "frame_id", frame_id, "frame", json});
    integer({"HINCRBY", stats_, "enqueued", "1"});
    return {true, str(added.get()), size + 1};
}

std::vector<StoredFrame> RedisStore::dequeue(std::size_t count, std::size_t& remaining) {
    std::lock_guard lock(mutex_);
    std::vector<StoredFrame> out;
    Reply read = command({"XREADGROUP", "GROUP", group_, "frame-buffer", "COUNT", std::to_string(count),
                          "STREAMS", stream_, ">"});
    std::vector<std::string> ids;
    if (read->type == REDIS_REPLY_ARRAY && read->elements > 0) {
        redisReply* entries = read->element[0]->element[1];
        for (std::size_t i = 0; i < entries->elements; ++i) {
            redisReply* entry = entries->element[i];
            std::string id = str(entry->element[0]);
            redisReply* fields = entry->element[1];
            for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
                if (str(fields->element[f]) == "frame") out.push_back({id, str(fields->element[f + 1])});
            }
            ids.push_back(id);
        }
    }
    if (!ids.empty()) {
        std::vector<std::string> ack = {"XACK", stream_, group_};
        std::vector<std::string> del = {"XDEL", stream_};
        ack.insert(ack.end(), ids.begin(), ids.end());
        del.insert(del.end(), ids.begin(), ids.end());
        integer(ack);
        integer(del);
        integer({"HINCRBY", stats_, "dequeued", std::to_string(out.size())});
    }
    remaining = static_cast<std::size_t>(integer({"XLEN", stream_}));
    return out;
}

std::size_t RedisStore::clear() {
    std::lock_guard lock(mutex_);
    auto size = static_cast<std::size_t>(integer({"XLEN", stream_}));
    integer({"DEL", stream_});
    redis_.close();  // reconnecting recreates the stream and its group
    integer({"XLEN", stream_});
    return size;
}

StoreStatus RedisStore::status() {
    std::lock_guard lock(mutex_);
    StoreStatus s;
    s.backend = "redis";
    s.max_size = max_size_;
    try {
        s.size = static_cast<std::size_t>(integer({"XLEN", stream_}));
        Reply stats = command({"HGETALL", stats_});
        for (std::size_t i = 0; i + 1 < stats->elements; i += 2) {
            std::string key = str(stats->element[i]);
            auto value = std::stoull(str(stats->element[i + 1]));
            if (key == "dropped") s.dropped = value;
            if (key == "enqueued") s.total_enqueued = value;
            if (key == "dequeued") s.total_dequeued = value;
        }
        s.dead_letters = static_cast<std::size_t>(integer({"LLEN", dead_letters_}));
    } catch (const std::exception& e) {
        s.connected = false;
        s.last_error = e.what();
    }
    return s;
}

}  // namespace framehost::frame_buffer
