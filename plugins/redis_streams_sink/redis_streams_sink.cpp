// Publishes each finished frame's results to a Redis stream (XADD ... MAXLEN ~ N), so
// downstream services consume detections as they happen. One round trip per batch: the
// commands of a batch are pipelined.
#include <hiredis/hiredis.h>

#include <mutex>
#include <stdexcept>
#include <string>

#include <framehost/export.hpp>

namespace {

using framehost::Frame;

struct Address {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string password;
    int db = 0;
};

Address parse_url(const std::string& url) {
    if (url.rfind("redis://", 0) != 0) throw std::invalid_argument("url '" + url + "' is not a redis:// URL");
    Address a;
    std::string rest = url.substr(8);
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        auto credentials = rest.substr(0, at);
        auto colon = credentials.find(':');
        a.password = colon == std::string::npos ? credentials : credentials.substr(colon + 1);
        rest = rest.substr(at + 1);
    }
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        if (slash + 1 < rest.size()) a.db = std::stoi(rest.substr(slash + 1));
        rest = rest.substr(0, slash);
    }
    if (auto colon = rest.rfind(':'); colon != std::string::npos) {
        a.port = std::stoi(rest.substr(colon + 1));
        rest = rest.substr(0, colon);
    }
    if (!rest.empty()) a.host = rest;
    return a;
}

class RedisStreamsSink final : public framehost::Sink {
public:
    static const framehost::PluginDescriptor& descriptor() {
        using namespace framehost;
        static const PluginDescriptor d{
            "redis_streams_sink", "1.0.0", PluginKind::Sink,
            "Publishes each finished frame's detections and results to a Redis stream",
            {
                param::String("url", "redis://127.0.0.1:6379", "Redis URL: redis://[:password@]host[:port][/db]"),
                param::String("stream", "framehost:results", "Stream key to publish to"),
                param::Int("max_length", 100000, "Approximate cap of the stream (MAXLEN ~)").range(1, 1'000'000'000),
            }};
        return d;
    }

    RedisStreamsSink(const framehost::Params& p, framehost::PluginContext&)
        : address_(parse_url(p.string("url"))), stream_(p.string("stream")),
          max_length_(std::to_string(p.integer("max_length"))) {}

    ~RedisStreamsSink() override {
        if (context_) redisFree(context_);
    }

    void start() override {
        std::lock_guard lock(mutex_);
        connect();
    }

    void write(std::span<const Frame* const> frames) override {
        std::lock_guard lock(mutex_);
        if (!context_) connect();
        for (const Frame* f : frames) {
            nlohmann::json detections = nlohmann::json::array();
            for (const auto& d : f->detections)
                detections.push_back({{"class", d.class_name}, {"confidence", d.confidence},
                                      {"bbox", {d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]}}});
            std::string state = f->failed() ? "failed" : "completed";
            std::string det = detections.dump();
            std::string results = f->results.is_null() ? "{}" : f->results.dump();
            const char* argv[] = {"XADD", stream_.c_str(), "MAXLEN", "~", max_length_.c_str(), "*",
                                  "frame_id", f->id.c_str(), "camera_id", f->camera_id.c_str(),
                                  "state", state.c_str(), "detections", det.c_str(),
                                  "results", results.c_str(), "error", f->error().c_str()};
            const std::size_t lengths[] = {4, stream_.size(), 6, 1, max_length_.size(), 1,
                                           8, f->id.size(), 9, f->camera_id.size(),
                                           5, state.size(), 10, det.size(),
                                           7, results.size(), 5, f->error().size()};
            redisAppendCommandArgv(context_, 18, argv, lengths);
        }
        std::string error;
        for (std::size_t i = 0; i < frames.size(); ++i) {
            void* raw = nullptr;
            if (redisGetReply(context_, &raw) != REDIS_OK) {
                error = std::string("Redis connection lost: ") + context_->errstr;
                redisFree(context_);
                context_ = nullptr;
                break;
            }
            auto* reply = static_cast<redisReply*>(raw);
            if (reply->type == REDIS_REPLY_ERROR && error.empty()) error = std::string(reply->str, reply->len);
            freeReplyObject(reply);
        }
        if (!error.empty()) throw std::runtime_error("XADD " + stream_ + ": " + error);
    }

private:
    void connect() {
        timeval timeout{2, 0};
        context_ = redisConnectWithTimeout(address_.host.c_str(), address_.port, timeout);
        if (!context_ || context_->err) {
            std::string why = context_ ? context_->errstr : "cannot allocate a context";
            if (context_) redisFree(context_);
            context_ = nullptr;
            throw std::runtime_error("Redis at " + address_.host + ":" + std::to_string(address_.port) + ": " + why);
        }
        redisSetTimeout(context_, timeval{5, 0});
        auto run = [&](std::initializer_list<std::string> args) {
            std::vector<const char*> argv;
            std::vector<std::size_t> lengths;
            for (const auto& a : args) {
                argv.push_back(a.c_str());
                lengths.push_back(a.size());
            }
            auto* r = static_cast<redisReply*>(redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
            bool ok = r && r->type != REDIS_REPLY_ERROR;
            if (r) freeReplyObject(r);
            if (!ok) throw std::runtime_error("Redis " + *args.begin() + " failed");
        };
        if (!address_.password.empty()) run({"AUTH", address_.password});
        if (address_.db != 0) run({"SELECT", std::to_string(address_.db)});
    }

    std::mutex mutex_;  // workers write concurrently; one hiredis context is single-threaded
    Address address_;
    std::string stream_;
    std::string max_length_;
    redisContext* context_ = nullptr;
};

}  // namespace

FRAMEHOST_PLUGIN(RedisStreamsSink)
