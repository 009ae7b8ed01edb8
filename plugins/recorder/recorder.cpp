// recorder: event clips, and optionally continuous segments, from each camera's packets as it
// sent them (framehost.packets, kept by video_source's packet_buffer_s), copied into MP4
// without decoding or encoding. A sink only in name: it reads the event store's changes from its
// own cursor, as mqtt_sink does, and the packets from the host's rings, on a thread of its own;
// the frames it is handed are not its business. A clip runs from `pre_s` before its event's
// start (back to the keyframe before) to `post_s` after its end, at most `max_clip_s`; it is
// linked to the event (its `clip`, GET /events/{id}/clip.mp4) when complete. A camera that
// reconnects during an event closes the clip (playable) and starts the next part. Retention by
// age and by the folder's size, oldest first; a write that fails (a full disk) stops that clip,
// says why in /health, and never touches processing.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <framehost/events.hpp>
#include <framehost/export.hpp>
#include <framehost/packets.hpp>
#include <framehost/param_table.hpp>
#include <framehost/recordings.hpp>

#include "clip_writer.hpp"
#include "retention.hpp"

namespace framehost::recorder {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;

struct Settings {
    std::string path;
    double pre_s = 5;
    double post_s = 5;
    double max_clip_s = 300;
    bool continuous = false;
    double segment_s = 60;
    double retention_days = 7;
    double max_size_mb = 0;
};

const ParamTable<Settings>& params() {
    static const ParamTable<Settings> table{
        param::bind(&Settings::path, "path",
                    "Folder of the recordings: <camera>/<event id>.mp4 and <camera>/segments/")
            .mandatory(),
        param::bind(&Settings::pre_s, "pre_s",
                    "Seconds of video before an event's start (from the keyframe before; at most "
                    "the camera's packet_buffer_s)")
            .range(0, 600),
        param::bind(&Settings::post_s, "post_s", "Seconds of video after an event's end")
            .range(0, 600),
        param::bind(&Settings::max_clip_s, "max_clip_s", "The longest clip, in seconds")
            .range(1, 86'400),
        param::bind(&Settings::continuous, "continuous",
                    "Also record every camera all the time, in segments of segment_s"),
        param::bind(&Settings::segment_s, "segment_s",
                    "Length of a continuous segment (cut at the first keyframe after it)")
            .range(1, 86'400),
        param::bind(&Settings::retention_days, "retention_days",
                    "Recordings older than this are removed; 0 keeps them by age")
            .range(0, 36'500),
        param::bind(&Settings::max_size_mb, "max_size_mb",
                    "The folder's largest size; the oldest recordings go first. 0: no bound")
            .range(0, 1e9),
    };
    return table;
}

constexpr auto kTick = milliseconds(100);
// A clip whose camera sends nothing (gone, reconnecting) is closed this long after its end is
// due, with what it has.
constexpr std::int64_t kLateMs = 10'000;
constexpr std::size_t kMaxOpenClips = 64;
constexpr auto kPauseAfterFailure = std::chrono::seconds(5);
constexpr std::size_t kPacketsPerPull = 512;

std::int64_t wall_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A camera id as one folder name: letters, digits, '-', '_' and '.' kept, the rest '_'.
std::string folder_name(const std::string& camera) {
    std::string name;
    for (char c : camera)
        name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'
                    ? c
                    : '_';
    if (name.empty() || name == "." || name == "..") name = "_" + name;
    return name;
}

fs::path created(const fs::path& folder) {
    fs::create_directories(folder);
    return folder;
}

// A file a recorder of an earlier run left, as the catalog lists it: its camera is its folder
// (<camera>/ or <camera>/segments/), its start the time its name gives (a segment's start in
// ms, an event id's start in seconds), its end when it was last written.
RecordingFile found_recording(const Recordings::File& f) {
    RecordingFile r;
    auto folder = f.path.parent_path();
    bool segment = folder.filename() == "segments";
    if (segment) folder = folder.parent_path();
    r.camera = folder.filename().string();
    r.file = f.path.string();
    r.bytes = f.bytes;
    r.end_ms = std::chrono::duration_cast<milliseconds>(
                   std::chrono::file_clock::to_sys(f.written).time_since_epoch())
                   .count();
    auto stem = f.path.stem().string();
    try {
        r.start_ms = segment ? std::stoll(stem) : static_cast<std::int64_t>(std::stod(stem) * 1000);
    } catch (const std::exception&) {
        r.start_ms = r.end_ms;
    }
    if (!segment) r.event_id = stem.substr(0, stem.find('.', stem.find('-')));
    return r;
}

// One recording in progress: an event's clip (its parts, after reconnects) or a continuous
// segment.
struct Recording {
    std::string camera;
    std::string event_id;  // empty: a continuous segment
    std::int64_t from_ms = 0;
    std::optional<std::int64_t> until_ms;  // unset while the event is open
    std::uint64_t last_seq = 0;
    int part = 1;
    std::unique_ptr<ClipWriter> writer;
    bool linked = false;  // the event has its clip
};

class Recorder final : public Sink {
  public:
    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "recorder",
            "1.0.0",
            PluginKind::Sink,
            "Event clips and continuous segments in MP4, from each camera's packets as it sent "
            "them (no re-encoding), with retention by age and size",
            params().specs(),
            std::chrono::microseconds(1),
            Concurrency::Reentrant};
        return d;
    }

    Recorder(const Params& p, PluginContext& context)
        : context_(context),
          settings_(params().read(p)),
          root_(created(fs::absolute(settings_.path))),
          recordings_done_(root_),
          store_(find_extension<EventStore>(context)),
          catalog_(find_extension<RecordingCatalog>(context)),
          rings_(&require_extension<PacketRings>(context)),
          clips_metric_(
              &context.counter("recorder_files_written", "Clips and segments written whole", {})),
          failures_metric_(&context.counter("recorder_failures",
                                            "Clips or segments abandoned: a write failed", {})) {
        if (!store_ && !settings_.continuous)
            throw std::invalid_argument(
                "no event store (the config's events: section) and continuous is false: "
                "nothing to record");
        // What a SIGKILL left half written: never listed, removed now.
        remove_unfinished(root_);
        if (catalog_)
            for (const auto& f : recordings_done_.files()) catalog_->add(found_recording(f));
        if (store_) cursor_ = store_->cursor(context.instance_name());
    }

    ~Recorder() override { stop(); }

    void start() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = false;
        }
        thread_ = std::thread([this] { run(); });
    }

    void stop() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    void write(std::span<const Frame* const>, SinkReport&) override {}

    nlohmann::json status() const override {
        std::lock_guard lock(mutex_);
        nlohmann::json s = {{"path", root_.string()},
                            {"recording", open_},
                            {"files_written", written_},
                            {"failures", failures_},
                            {"healthy", problem_.empty()}};
        if (!problem_.empty()) s["error"] = problem_;
        if (!last_file_.empty()) s["last_file"] = last_file_;
        return s;
    }

  private:
    void run() {
        for (;;) {
            {
                std::unique_lock lock(mutex_);
                if (stopping_) break;
            }
            if (store_)
                take_changes();  // waits up to a tick for one
            else {
                std::unique_lock lock(mutex_);
                wake_.wait_for(lock, kTick, [&] { return stopping_; });
            }
            if (settings_.continuous) start_segments();
            for (auto it = recordings_.begin(); it != recordings_.end();)
                it = pump(it->second) ? recordings_.erase(it) : std::next(it);
            // Every tick: the index is in memory and oldest first, so a look costs nothing
            // when nothing is due, and the files being written grow meanwhile.
            apply_retention();
            std::lock_guard lock(mutex_);
            open_ = recordings_.size();
        }
        // Stopping: what is recorded so far is closed whole.
        for (auto& [key, r] : recordings_) close(r);
        recordings_.clear();
    }

    void take_changes() {
        auto changes = store_->changes_after(cursor_, 64, kTick);
        for (const auto& change : changes) {
            const Event& e = change.event;
            cursor_ = change.seq;
            if (change.kind == "new") {
                if (recordings_.size() >= kMaxOpenClips) {
                    fail("more than " + std::to_string(kMaxOpenClips) + " clips at once: event " +
                         e.id + " has none");
                    continue;
                }
                Recording r;
                r.camera = e.camera_id;
                r.event_id = e.id;
                r.from_ms = e.start_ms - static_cast<std::int64_t>(settings_.pre_s * 1000);
                recordings_.emplace(e.id, std::move(r));
            }
            auto found = recordings_.find(e.id);
            if (found != recordings_.end() && e.end_ms)
                found->second.until_ms =
                    *e.end_ms + static_cast<std::int64_t>(settings_.post_s * 1000);
        }
        if (!changes.empty()) store_->acknowledge(context_.instance_name(), cursor_);
    }

    void start_segments() {
        for (const auto& [camera, newest] : rings_->cameras()) {
            auto key = "segment:" + camera;
            if (recordings_.count(key)) continue;
            if (auto paused = paused_until_.find(camera);
                paused != paused_until_.end() && std::chrono::steady_clock::now() < paused->second)
                continue;
            Recording r;
            r.camera = camera;
            r.from_ms = wall_ms();
            recordings_.emplace(key, std::move(r));
        }
    }

    fs::path file_for(const Recording& r, const EncodedPacket& first) const {
        fs::path folder = root_ / folder_name(r.camera);
        if (r.event_id.empty())
            return folder / "segments" / (std::to_string(first.wall_ms) + ".mp4");
        auto name = r.event_id + (r.part > 1 ? "." + std::to_string(r.part) : "") + ".mp4";
        return folder / name;
    }

    // Writes what the camera's ring has for `r`; true when `r` is done.
    bool pump(Recording& r) {
        try {
            std::vector<EncodedPacket> packets =
                r.last_seq == 0 ? rings_->since(r.camera, r.from_ms)
                                : rings_->after(r.camera, r.last_seq, kPacketsPerPull);
            for (const auto& packet : packets) {
                r.last_seq = packet.seq;
                if (r.writer && packet.stream->generation != r.writer->generation()) {
                    // The camera reconnected: this part ends playable, the next starts.
                    close(r);
                    ++r.part;
                }
                // A segment ends before the first keyframe past its length; the next one
                // starts with it.
                if (r.writer && r.event_id.empty() && packet.keyframe &&
                    packet.wall_ms - r.writer->first_wall_ms() >= segment_ms())
                    close(r);
                if (!r.writer) {
                    if (!packet.keyframe) continue;  // a file starts where a decoder can
                    auto file = file_for(r, packet);
                    fs::create_directories(file.parent_path());
                    r.writer = std::make_unique<ClipWriter>(file, *packet.stream);
                }
                r.writer->write(packet);
                if (!r.event_id.empty() && clip_done(r, packet)) {
                    close(r);
                    return true;
                }
            }
            // Nothing more comes in time (the camera is gone): closed with what it has.
            auto now = wall_ms();
            bool late = r.until_ms ? now > *r.until_ms + kLateMs
                                   : r.writer && now - r.writer->last_wall_ms() > kLateMs;
            if (late ||
                (r.writer && now - r.writer->first_wall_ms() >
                                 (r.event_id.empty() ? segment_ms() : max_clip_ms()) + kLateMs)) {
                close(r);
                return true;
            }
            return false;
        } catch (const std::exception& e) {
            r.writer.reset();  // its .part goes
            // A camera whose file failed (a full disk) starts no segment for a while.
            paused_until_[r.camera] = std::chrono::steady_clock::now() + kPauseAfterFailure;
            fail(std::string(r.event_id.empty() ? "segment of " + r.camera
                                                : "clip of event " + r.event_id) +
                 ": " + e.what());
            return true;
        }
    }

    std::int64_t max_clip_ms() const {
        return static_cast<std::int64_t>(settings_.max_clip_s * 1000);
    }
    std::int64_t segment_ms() const {
        return static_cast<std::int64_t>(settings_.segment_s * 1000);
    }

    // An event's clip is complete at `post_s` after its end, or at max_clip_s.
    bool clip_done(const Recording& r, const EncodedPacket& packet) const {
        if (r.until_ms && packet.wall_ms >= *r.until_ms) return true;
        return packet.wall_ms - r.writer->first_wall_ms() >= max_clip_ms();
    }

    void close(Recording& r) {
        if (!r.writer) return;
        auto writer = std::move(r.writer);
        if (writer->packets() == 0) return;
        writer->finish();
        std::error_code unknown;
        auto bytes = fs::file_size(writer->file(), unknown);
        recordings_done_.add(writer->file(), unknown ? 0 : bytes);
        if (catalog_)
            catalog_->add({r.camera, writer->first_wall_ms(), writer->last_wall_ms(),
                           writer->file().string(), unknown ? 0 : bytes, r.event_id});
        {
            std::lock_guard lock(mutex_);
            ++written_;
            last_file_ = writer->file().string();
            problem_.clear();
        }
        clips_metric_->add(1);
        if (!r.event_id.empty() && !r.linked && store_) {
            r.linked = store_->attach_clip(r.event_id, writer->file().string());
        }
    }

    void fail(const std::string& why) {
        failures_metric_->add(1);
        std::lock_guard lock(mutex_);
        ++failures_;
        if (why != problem_) context_.log(LogLevel::Warn, why);  // once, not once a file
        problem_ = why;
    }

    void apply_retention() {
        try {
            // The files being written count against the quota too, and a twentieth is kept
            // free for what they write before the next look.
            std::uintmax_t open_bytes = 0;
            for (const auto& [key, r] : recordings_)
                if (r.writer) open_bytes += r.writer->bytes();
            auto quota = static_cast<std::uintmax_t>(settings_.max_size_mb * 1024 * 1024 * 0.95);
            auto removed = recordings_done_.remove_old(settings_.retention_days,
                                                       quota == 0           ? 0
                                                       : quota > open_bytes ? quota - open_bytes
                                                                            : 1);
            for (const auto& file : removed)
                if (catalog_) catalog_->remove(file.string());
            if (!removed.empty())
                context_.log(LogLevel::Debug, "retention removed " +
                                                  std::to_string(removed.size()) + " recording(s)");
        } catch (const std::exception& e) {
            fail(std::string("retention: ") + e.what());
        }
    }

    PluginContext& context_;
    const Settings settings_;
    const fs::path root_;
    Recordings recordings_done_;  // the files finished, oldest first (the thread's)
    EventStore* store_;
    RecordingCatalog* catalog_;  // the host's list of recordings, or null
    PacketRings* rings_;
    CounterMetric* clips_metric_;
    CounterMetric* failures_metric_;
    std::uint64_t cursor_ = 0;
    std::map<std::string, Recording> recordings_;  // by event id, or segment:<camera>
    std::map<std::string, std::chrono::steady_clock::time_point> paused_until_;  // by camera

    std::thread thread_;
    mutable std::mutex mutex_;  // guards what status() reads, and stopping_
    std::condition_variable wake_;
    bool stopping_ = false;
    std::size_t open_ = 0;
    std::uint64_t written_ = 0;
    std::uint64_t failures_ = 0;
    std::string problem_;
    std::string last_file_;
};

}  // namespace
}  // namespace framehost::recorder

FRAMEHOST_PLUGIN(framehost::recorder::Recorder)
