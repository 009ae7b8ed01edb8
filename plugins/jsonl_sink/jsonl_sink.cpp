// One JSON line per finished frame, to a file or stdout. Lines are built outside the lock and
// written a batch at a time, so concurrent workers contend once per batch, not per frame.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include <framehost/export.hpp>

namespace {

using framehost::Frame;

nlohmann::json frame_line(const Frame& frame) {
    nlohmann::json line = {{"frame_id", frame.id},
                           {"camera_id", frame.camera_id},
                           {"timestamp", frame.timestamp_ms},
                           {"state", frame.failed() ? "failed" : "completed"},
                           {"detections", frame.detections},
                           {"total_objects", frame.detections.size()}};
    if (!frame.results.is_null()) line["results"] = frame.results;
    if (!frame.traceparent.empty()) line["traceparent"] = frame.traceparent;
    if (frame.failed()) {
        line["error"] = frame.error();
        line["failed_in"] = frame.failed_in();
    }
    return line;
}

class JsonlSink final : public framehost::Sink {
  public:
    static const framehost::PluginDescriptor& descriptor() {
        using namespace framehost;
        static const PluginDescriptor d{
            "jsonl_sink",
            "1.0.0",
            PluginKind::Sink,
            "Writes one JSON line per finished frame (id, state, detections, results, error)",
            {
                param::String("path", "-", "File to write; '-' is standard output"),
                param::Bool("append", false, "Append to the file instead of replacing it"),
                param::Bool("flush", true, "Flush after every batch (lines visible at once)"),
                param::Bool("written_at", false,
                            "Add written_at: when the line was written (Unix seconds, "
                            "microseconds), for measuring latency against timestamp"),
            },
            std::chrono::milliseconds(1)};
        return d;
    }

    JsonlSink(const framehost::Params& params, framehost::PluginContext&)
        : path_(params.string("path")),
          append_(params.boolean("append")),
          flush_(params.boolean("flush")),
          written_at_(params.boolean("written_at")) {}

    void start() override {
        if (path_ == "-") {
            out_ = stdout;
            return;
        }
        out_ = std::fopen(path_.c_str(), append_ ? "ab" : "wb");
        if (!out_) throw std::runtime_error("cannot open " + path_ + ": " + std::strerror(errno));
    }

    void stop() override {
        if (out_ && out_ != stdout)
            std::fclose(out_);
        else if (out_)
            std::fflush(out_);
        out_ = nullptr;
    }

    // A failed write throws: the host then counts the whole batch not written.
    void write(std::span<const Frame* const> frames, framehost::SinkReport&) override {
        std::string text;
        double now =
            written_at_
                ? std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                      .count()
                : 0.0;
        for (const Frame* frame : frames) {
            auto line = frame_line(*frame);
            if (written_at_) line["written_at"] = now;
            text += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            text += '\n';
        }
        std::lock_guard lock(mutex_);
        if (!out_) throw std::runtime_error("jsonl_sink is not started");
        if (std::fwrite(text.data(), 1, text.size(), out_) != text.size())
            throw std::runtime_error("write to " + path_ + " failed: " + std::strerror(errno));
        if (flush_) std::fflush(out_);
    }

  private:
    std::string path_;
    bool append_;
    bool flush_;
    bool written_at_;
    std::mutex mutex_;
    std::FILE* out_ = nullptr;
};

}  // namespace

FRAMEHOST_PLUGIN(JsonlSink)
