// Publishes each finished frame's results to a Redis stream (XADD ... MAXLEN ~ N), so
// downstream services consume detections as they happen. One round trip per batch: the
// commands of a batch are pipelined.
#include <mutex>
#include <stdexcept>
#include <string>

#include <framehost/export.hpp>

#include "redis_connection.hpp"

namespace {

using framehost::Frame;

class RedisStreamsSink final : public framehost::Sink {
  public:
    static const framehost::PluginDescriptor& descriptor() {
        using namespace framehost;
        static const PluginDescriptor d{
            "redis_streams_sink",
            "1.0.0",
            PluginKind::Sink,
            "Publishes each finished frame's detections and results to a Redis stream",
            {
                param::String("url", "redis://127.0.0.1:6379",
                              "Redis URL: redis://[:password@]host[:port][/db]"),
                param::String("stream", "framehost:results", "Stream key to publish to"),
                param::Int("max_length", 100000, "Approximate cap of the stream (MAXLEN ~)")
                    .range(1, 1'000'000'000),
            },
            // One pipelined XADD per frame on loopback.
            std::chrono::milliseconds(1)};
        return d;
    }

    RedisStreamsSink(const framehost::Params& p, framehost::PluginContext&)
        : address_(framehost::redis_support::parse_url(p.string("url"))),
          stream_(p.string("stream")),
          max_length_(std::to_string(p.integer("max_length"))) {}

    void start() override {
        std::lock_guard lock(mutex_);
        redis_.open(address_);
    }

    void stop() override {
        std::lock_guard lock(mutex_);
        redis_.close();
    }

    // A lost connection throws (the batch is not written); an error reply fails its frame only.
    void write(std::span<const Frame* const> frames, framehost::SinkReport& report) override {
        std::vector<std::vector<std::string>> commands;
        commands.reserve(frames.size());
        for (const Frame* f : frames) {
            commands.push_back(
                {"XADD", stream_, "MAXLEN", "~", max_length_, "*", "frame_id", f->id, "camera_id",
                 f->camera_id, "state", f->failed() ? "failed" : "completed", "detections",
                 nlohmann::json(f->detections).dump(), "results",
                 f->results.is_null() ? "{}" : f->results.dump(), "error", f->error()});
        }
        std::lock_guard lock(mutex_);
        if (!redis_.is_open()) redis_.open(address_);
        auto replies = redis_.pipeline(commands);
        for (std::size_t i = 0; i < replies.size(); ++i)
            if (replies[i]->type == REDIS_REPLY_ERROR)
                report.failed(
                    i, "XADD " + stream_ + ": " + framehost::redis_support::str(replies[i].get()));
    }

  private:
    std::mutex mutex_;  // workers write concurrently; one hiredis context is single-threaded
    framehost::redis_support::Address address_;
    std::string stream_;
    std::string max_length_;
    framehost::redis_support::Connection redis_;
};

}  // namespace

FRAMEHOST_PLUGIN(RedisStreamsSink)
