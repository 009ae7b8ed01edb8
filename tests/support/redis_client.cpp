#include "tests/support/redis_client.hpp"

#include <hiredis/hiredis.h>

#include <stdexcept>

namespace framehost::test {

namespace {
redisReply* run(void* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(
        static_cast<redisContext*>(c), static_cast<int>(args.size()), argv.data(), lengths.data()));
    if (!r) throw std::runtime_error("Redis connection lost");
    if (r->type == REDIS_REPLY_ERROR) {
        std::string e(r->str, r->len);
        freeReplyObject(r);
        throw std::runtime_error("Redis " + args[0] + ": " + e);
    }
    return r;
}
}  // namespace

RedisClient::RedisClient(int port) {
    auto* c = redisConnect("127.0.0.1", port);
    if (!c || c->err)
        throw std::runtime_error("cannot connect to Redis on port " + std::to_string(port));
    context_ = c;
}

RedisClient::~RedisClient() {
    redisFree(static_cast<redisContext*>(context_));
}

long long RedisClient::integer(const std::vector<std::string>& args) {
    auto* r = run(context_, args);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
    freeReplyObject(r);
    return v;
}

void RedisClient::pipeline(const std::vector<std::vector<std::string>>& commands) {
    auto* c = static_cast<redisContext*>(context_);
    for (const auto& args : commands) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
        }
        redisAppendCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data());
    }
    for (std::size_t i = 0; i < commands.size(); ++i) {
        void* reply = nullptr;
        if (redisGetReply(c, &reply) != REDIS_OK) throw std::runtime_error("Redis pipeline failed");
        freeReplyObject(reply);
    }
}

long long RedisClient::pending(const std::string& stream, const std::string& group) {
    auto* r = run(context_, {"XPENDING", stream, group});
    long long n = r->type == REDIS_REPLY_ARRAY && r->elements > 0 ? r->element[0]->integer : -1;
    freeReplyObject(r);
    return n;
}

std::vector<std::string> RedisClient::pending_ids(const std::string& stream,
                                                  const std::string& group, int count) {
    std::vector<std::string> out;
    auto* r = run(context_, {"XPENDING", stream, group, "-", "+", std::to_string(count)});
    for (std::size_t i = 0; i < r->elements; ++i)
        out.emplace_back(r->element[i]->element[0]->str, r->element[i]->element[0]->len);
    freeReplyObject(r);
    return out;
}

long long RedisClient::pending_of(const std::string& stream, const std::string& group,
                                  const std::string& consumer) {
    auto* r = run(context_, {"XPENDING", stream, group, "-", "+", "100000", consumer});
    long long n = static_cast<long long>(r->elements);
    freeReplyObject(r);
    return n;
}

std::vector<std::string> RedisClient::field_values(const std::string& stream,
                                                   const std::string& field) {
    std::vector<std::string> out;
    auto* r = run(context_, {"XRANGE", stream, "-", "+"});
    for (std::size_t i = 0; i < r->elements; ++i) {
        auto* fields = r->element[i]->element[1];
        for (std::size_t f = 0; f + 1 < fields->elements; f += 2)
            if (std::string(fields->element[f]->str, fields->element[f]->len) == field)
                out.emplace_back(fields->element[f + 1]->str, fields->element[f + 1]->len);
    }
    freeReplyObject(r);
    return out;
}

}  // namespace framehost::test
