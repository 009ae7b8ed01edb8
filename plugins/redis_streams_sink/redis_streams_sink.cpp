// Publishes each finished frame to a Redis stream (XADD ... MAXLEN ~ N): its results, so
// downstream services consume detections as they happen, or (entry: capture) the frame itself
// in the original capture's flat form, so the original Frame Buffer and processors consume
// framehost's capture of `frames:metadata` unchanged. One round trip per batch: the commands of
// a batch are pipelined.
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <framehost/event_delivery.hpp>
#include <framehost/export.hpp>

#include "redis_connection.hpp"
#include "wire_pixels.hpp"

namespace {

using framehost::Frame;

class RedisStreamsSink final : public framehost::Sink {
  public:
    struct Settings {
        std::string url = "redis://127.0.0.1:6379";
        std::string stream = "framehost:results";
        int max_length = 100000;
        std::string entry = "results";
        std::string processor_id;
        std::string events_stream;
        framehost::wire_pixels::Settings pixels;
    };

    static const framehost::ParamTable<Settings>& params() {
        namespace param = framehost::param;
        static const framehost::ParamTable<Settings> table = [] {
            framehost::ParamTable<Settings> t{
                param::bind(&Settings::url, "url",
                            "Redis URL: redis://[:password@]host[:port][/db]"),
                param::bind(&Settings::stream, "stream", "Stream key to publish to"),
                param::bind(&Settings::max_length, "max_length",
                            "Approximate cap of the stream (MAXLEN ~)")
                    .range(1, 1'000'000'000),
                param::bind(
                    &Settings::entry, "entry",
                    "What an entry holds: results (frame_id, camera_id, state, detections, "
                    "results, error), capture (the frame in the original capture's flat form, "
                    "for frames:metadata), or v2_result (a Frame Buffer v2 processor's result: "
                    "frame_id, processor_id, timestamp, result as JSON)")
                    .one_of({"results", "capture", "v2_result"}),
                param::bind(&Settings::processor_id, "processor_id",
                            "entry: v2_result: the processor_id its results carry (the id this "
                            "host registered with the orchestrator)"),
                param::bind(&Settings::events_stream, "events_stream",
                            "Also publish every event change from the host's event store to "
                            "this stream (event_id, change, camera_id, type, event as JSON), in "
                            "order and at least once; empty: no events"),
            };
            // Only entry: capture carries pixels.
            t.include(&Settings::pixels, framehost::wire_pixels::params("none"));
            return t;
        }();
        return table;
    }

    static const framehost::PluginDescriptor& descriptor() {
        using namespace framehost;
        static const PluginDescriptor d{
            "redis_streams_sink", "1.0.0", PluginKind::Sink,
            "Publishes each finished frame's detections and results to a Redis stream",
            params().specs(),
            // One pipelined XADD per frame on loopback.
            std::chrono::milliseconds(1)};
        return d;
    }

    RedisStreamsSink(const framehost::Params& p, framehost::PluginContext& context)
        : settings_(params().read(p)),
          address_(framehost::redis_support::parse_url(settings_.url)),
          stream_(settings_.stream),
          max_length_(std::to_string(settings_.max_length)),
          capture_(settings_.entry == "capture"),
          payload_(settings_.pixels.payload()) {
        if (!capture_ && payload_ != framehost::wire_pixels::Payload::None)
            throw std::invalid_argument("pixels travel only with entry: capture");
        if ((settings_.entry == "v2_result") == settings_.processor_id.empty())
            throw std::invalid_argument(
                "processor_id is given with entry: v2_result, and only with it");
        if (!settings_.events_stream.empty()) {
            auto* store = framehost::find_extension<framehost::EventStore>(context);
            if (!store)
                throw std::invalid_argument(
                    "events_stream publishes the host's stored events: give the config an "
                    "`events:` section with a `path` (the SQLite file)");
            events_ = std::make_unique<framehost::EventDelivery>(
                *store, context.instance_name(), 100,
                framehost::Backoff(std::chrono::milliseconds(200), std::chrono::seconds(30)),
                [this](const std::vector<framehost::EventChange>& batch) {
                    return publish_events(batch);
                });
        }
    }

    void start() override {
        {
            std::lock_guard lock(mutex_);
            redis_.open(address_);
        }
        if (events_) events_->start();
    }

    void stop() override {
        if (events_) events_->stop();
        std::lock_guard lock(mutex_);
        redis_.close();
    }

    nlohmann::json status() const override {
        if (!events_) return nlohmann::json::object();
        auto s = events_->status();
        nlohmann::json status = {{"events_delivered", s.delivered},
                                 {"events_acknowledged_seq", s.acknowledged_seq},
                                 {"healthy", s.error.empty()}};
        if (!s.error.empty())
            status["error"] = "events to " + settings_.events_stream + ": " + s.error;
        return status;
    }

    // A lost connection throws (the batch is not written); an error reply fails its frame only.
    void write(std::span<const Frame* const> frames, framehost::SinkReport& report) override {
        std::vector<std::vector<std::string>> commands;
        commands.reserve(frames.size());
        for (const Frame* f : frames) {
            if (capture_) {
                std::vector<std::string> command = {"XADD", stream_,     "MAXLEN",
                                                    "~",    max_length_, "*"};
                auto pixels = framehost::wire_pixels::encode(f->image, payload_,
                                                             settings_.pixels.jpeg_quality);
                for (auto& [key, value] : framehost::capture_entry_fields(*f, pixels)) {
                    command.push_back(std::move(key));
                    command.push_back(std::move(value));
                }
                commands.push_back(std::move(command));
                continue;
            }
            if (settings_.entry == "v2_result") {
                // As a v2 processor publishes it (services/shared/processor_client.py):
                // timestamp in epoch seconds, the result as JSON text.
                nlohmann::json result = {
                    {"camera_id", f->camera_id},
                    {"state", f->failed() ? "failed" : "completed"},
                    {"detections", f->detections},
                    {"total_objects", f->detections.size()},
                    {"results", f->results.is_null() ? nlohmann::json::object() : f->results}};
                if (f->failed()) result["error"] = f->error();
                auto now = std::chrono::duration<double>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
                char timestamp[32];
                std::snprintf(timestamp, sizeof timestamp, "%.6f", now);
                commands.push_back(
                    {"XADD", stream_, "MAXLEN", "~", max_length_, "*", "frame_id", f->id,
                     "processor_id", settings_.processor_id, "timestamp", timestamp, "result",
                     result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
                continue;
            }
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
    // [the events' delivery thread] One pipelined XADD per change; "" when Redis took them all.
    std::string publish_events(const std::vector<framehost::EventChange>& batch) {
        std::vector<std::vector<std::string>> commands;
        for (const auto& change : batch)
            commands.push_back({"XADD", settings_.events_stream, "MAXLEN", "~", max_length_, "*",
                                "event_id", change.event.id, "change", change.kind, "camera_id",
                                change.event.camera_id, "type", change.event.type, "event",
                                nlohmann::json(change.event).dump()});
        try {
            if (!events_redis_.is_open()) events_redis_.open(address_);
            auto replies = events_redis_.pipeline(commands);
            for (const auto& reply : replies)
                if (reply->type == REDIS_REPLY_ERROR)
                    return "XADD " + settings_.events_stream + ": " +
                           framehost::redis_support::str(reply.get());
        } catch (const std::exception& e) {
            events_redis_.close();
            return e.what();
        }
        return "";
    }

    std::mutex mutex_;  // workers write concurrently; one hiredis context is single-threaded
    const Settings settings_;
    framehost::redis_support::Address address_;
    std::string stream_;
    std::string max_length_;
    bool capture_;
    framehost::wire_pixels::Payload payload_;
    framehost::redis_support::Connection redis_;
    framehost::redis_support::Connection events_redis_;  // the events' delivery thread's
    std::unique_ptr<framehost::EventDelivery> events_;   // last: stopped before the rest goes
};

}  // namespace

FRAMEHOST_PLUGIN(RedisStreamsSink)
