#include "apps/frame-buffer/redis_store.hpp"

#include <hiredis/hiredis.h>

#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace framehost::frame_buffer {

namespace {
struct ReplyDeleter {
    void operator()(redisReply* r) const { if (r) freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
}  // namespace

RedisAddress parse_redis_url(const std::string& url) {
    const std::string scheme = "redis://";
    if (url.rfind(scheme, 0) != 0)
        throw std::invalid_argument("'" + url + "' is not a redis:// URL (redis://[:password@]host[:port][/db])");
    RedisAddress a;
    std::string rest = url.substr(scheme.size());
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        auto credentials = rest.substr(0, at);
        a.password = credentials.substr(credentials.find(':') == std::string::npos ? 0 : credentials.find(':') + 1);
        rest = rest.substr(at + 1);
    }
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        auto db = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
        if (!db.empty()) {
            try {
                a.db = std::stoi(db);
            } catch (...) {
                throw std::invalid_argument("'" + db + "' in " + url + " is not a database number");
            }
        }
    }
    if (auto colon = rest.rfind(':'); colon != std::string::npos) {
        try {
            a.port = std::stoi(rest.substr(colon + 1));
        } catch (...) {
            throw std::invalid_argument("'" + rest.substr(colon + 1) + "' in " + url + " is not a port");
        }
        rest = rest.substr(0, colon);
    }
    if (!rest.empty()) a.host = rest;
    return a;
}

RedisStore::RedisStore(RedisAddress address, std::string stream, std::size_t max_size)
    : address_(std::move(address)),
      stream_(std::move(stream)),
      stats_(stream_ + ":stats"),
      dead_letters_(stream_ + ":dlq"),
      max_size_(max_size) {
    std::lock_guard lock(mutex_);
    connection();  // fail at start, with the reason, rather than at the first frame
}

RedisStore::~RedisStore() {
    if (context_) redisFree(context_);
}

void RedisStore::drop_connection(const std::string& why) {
    last_error_ = why;
    if (context_) redisFree(context_);
    context_ = nullptr;
}

redisContext* RedisStore::connection() {
    if (context_) return context_;
    timeval timeout{2, 0};
    redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port, timeout);
    if (!c || c->err) {
        std::string why = c ? c->errstr : "cannot allocate a Redis context";
        if (c) redisFree(c);
        last_error_ = "Redis at " + address_.host + ":" + std::to_string(address_.port) + ": " + why;
        throw std::runtime_error(last_error_);
    }
    redisSetTimeout(c, timeout);
    context_ = c;
    if (!address_.password.empty()) Reply(command({"AUTH", address_.password}));
    if (address_.db != 0) Reply(command({"SELECT", std::to_string(address_.db)}));
    // The group that makes every entry go to exactly one dequeue; it exists already after a
    // restart (BUSYGROUP), which is fine.
    Reply created(static_cast<redisReply*>(
        redisCommand(c, "XGROUP CREATE %s %s 0 MKSTREAM", stream_.c_str(), group_.c_str())));
    if (!created) {
        drop_connection("Redis went away while creating the consumer group");
        throw std::runtime_error(last_error_);
    }
    last_error_.clear();
    return context_;
}

redisReply* RedisStore::command(const std::vector<std::string>& args) {
    redisContext* c = connection();
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data()));
    if (!reply) {
        drop_connection(std::string("Redis connection lost: ") + c->errstr);
        throw std::runtime_error(last_error_);
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        std::string error(reply->str, reply->len);
        freeReplyObject(reply);
        throw std::runtime_error("Redis " + args[0] + ": " + error);
    }
    return reply;
}

long long RedisStore::integer(const std::vector<std::string>& args) {
    Reply r(command(args));
    return r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
}

EnqueueResult RedisStore::enqueue(const std::string& frame_id, const std::string& json) {
    std::lock_guard lock(mutex_);
    auto size = static_cast<std::size_t>(integer({"XLEN", stream_}));
    if (size >= max_size_) {
        integer({"HINCRBY", stats_, "dropped", "1"});
        Reply(command({"LPUSH", dead_letters_,
                       nlohmann::json({{"frame_id", frame_id}, {"reason", "buffer full"}}).dump()}));
        Reply(command({"LTRIM", dead_letters_, "0", std::to_string(kDeadLetterLimit - 1)}));
        return {false, "", size};
    }
    Reply added(command({"XADD", stream_, "*", "frame_id", frame_id, "frame", json}));
    integer({"HINCRBY", stats_, "enqueued", "1"});
    return {true, std::string(added->str, added->len), size + 1};
}

std::vector<StoredFrame> RedisStore::dequeue(std::size_t count, std::size_t& remaining) {
    std::lock_guard lock(mutex_);
    std::vector<StoredFrame> out;
    Reply read(command({"XREADGROUP", "GROUP", group_, "frame-buffer", "COUNT", std::to_string(count),
                        "STREAMS", stream_, ">"}));
    std::vector<std::string> ids;
    if (read->type == REDIS_REPLY_ARRAY && read->elements > 0) {
        redisReply* entries = read->element[0]->element[1];
        for (std::size_t i = 0; i < entries->elements; ++i) {
            redisReply* entry = entries->element[i];
            std::string id(entry->element[0]->str, entry->element[0]->len);
            redisReply* fields = entry->element[1];
            for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
                if (std::string(fields->element[f]->str, fields->element[f]->len) == "frame")
                    out.push_back({id, std::string(fields->element[f + 1]->str, fields->element[f + 1]->len)});
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
    drop_connection("");  // reconnecting recreates the stream and its group
    connection();
    return size;
}

StoreStatus RedisStore::status() {
    std::lock_guard lock(mutex_);
    StoreStatus s;
    s.backend = "redis";
    s.max_size = max_size_;
    try {
        s.size = static_cast<std::size_t>(integer({"XLEN", stream_}));
        Reply stats(command({"HGETALL", stats_}));
        for (std::size_t i = 0; i + 1 < stats->elements; i += 2) {
            std::string key(stats->element[i]->str, stats->element[i]->len);
            auto value = std::stoull(std::string(stats->element[i + 1]->str, stats->element[i + 1]->len));
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
