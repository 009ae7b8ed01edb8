// One JSON line per finished frame, to a file or stdout. Lines are built outside the lock and
// written a batch at a time, so concurrent workers contend once per batch, not per frame.
#include <stdio_ext.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

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

struct Settings {
    std::string path = "-";
    bool append = false;
    bool flush = true;  // no longer honoured when false: see start()
    bool fsync = false;
    bool written_at = false;
};

class JsonlSink final : public framehost::Sink {
  public:
    static const framehost::ParamTable<Settings>& params() {
        namespace param = framehost::param;
        static const framehost::ParamTable<Settings> table{
            param::bind(&Settings::path, "path", "File to write; '-' is standard output"),
            param::bind(&Settings::append, "append", "Append to the file instead of replacing it"),
            param::bind(&Settings::flush, "flush",
                        "Kept for old configs: every batch is flushed and checked before its "
                        "frames are reported written (false is logged and ignored)"),
            param::bind(&Settings::fsync, "fsync",
                        "Also fsync the file after every batch: frames reported written survive "
                        "the machine crashing (slower)"),
            param::bind(
                &Settings::written_at, "written_at",
                "Add written_at: when the line was written (Unix seconds, microseconds), for "
                "measuring latency against timestamp"),
        };
        return table;
    }

    static const framehost::PluginDescriptor& descriptor() {
        using namespace framehost;
        static const PluginDescriptor d{
            "jsonl_sink",
            "1.0.0",
            PluginKind::Sink,
            "Writes one JSON line per finished frame (id, state, detections, results, error)",
            params().specs(),
            std::chrono::milliseconds(1)};
        return d;
    }

    JsonlSink(const framehost::Params& p, framehost::PluginContext& context)
        : context_(context), settings_(params().read(p)) {}

    void start() override {
        // Frames a buffer held were reported written, and lost when a later flush failed (a
        // full disk): at-least-once delivery lied exactly then.
        if (!settings_.flush)
            context_.log(framehost::LogLevel::Warn,
                         "flush: false is ignored: every batch is flushed and checked before its "
                         "frames are reported written");
        if (settings_.path == "-") {
            out_ = stdout;
            return;
        }
        out_ = std::fopen(settings_.path.c_str(), settings_.append ? "ab" : "wb");
        if (!out_)
            throw std::runtime_error("cannot open " + settings_.path + ": " + std::strerror(errno));
    }

    void stop() override {
        // Every batch was flushed already; a failure here loses nothing reported, but is told.
        int closed = out_ && out_ != stdout ? std::fclose(out_) : out_ ? std::fflush(out_) : 0;
        if (closed != 0)
            context_.log(framehost::LogLevel::Warn,
                         "closing " + settings_.path + " failed: " + std::strerror(errno));
        out_ = nullptr;
    }

    // A failed write throws: the host then counts the whole batch not written.
    void write(std::span<const Frame* const> frames, framehost::SinkReport&) override {
        std::string text;
        double now =
            settings_.written_at
                ? std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                      .count()
                : 0.0;
        for (const Frame* frame : frames) {
            auto line = frame_line(*frame);
            if (settings_.written_at) line["written_at"] = now;
            text += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            text += '\n';
        }
        std::lock_guard lock(mutex_);
        if (!out_) throw std::runtime_error("jsonl_sink is not started");
        // Complete and checked before the frames count as written: fwrite may only fill stdio's
        // buffer, and the file system's refusal (ENOSPC, EIO) comes at the flush.
        long before = std::ftell(out_);  // -1 for a pipe or a device
        if (std::fwrite(text.data(), 1, text.size(), out_) != text.size() ||
            std::fflush(out_) != 0 || (settings_.fsync && ::fsync(::fileno(out_)) != 0)) {
            auto reason = std::string(std::strerror(errno));
            // The batch is undone: what stdio still holds is dropped (a later flush would carry
            // it out after the host was told it failed), and a file is cut back to where the
            // batch began, so no half line stays; the source hands the frames again.
            __fpurge(out_);
            std::clearerr(out_);
            if (before >= 0 && ::ftruncate(::fileno(out_), before) == 0)
                std::fseek(out_, before, SEEK_SET);
            throw std::runtime_error("write to " + settings_.path + " failed: " + reason);
        }
    }

  private:
    framehost::PluginContext& context_;
    const Settings settings_;
    std::mutex mutex_;
    std::FILE* out_ = nullptr;
};

}  // namespace

FRAMEHOST_PLUGIN(JsonlSink)
