// Decodes real video with FFmpeg: files, RTSP cameras, HTTP streams; one camera or many, each
// supervised on its own thread (camera.hpp). Frames are `<camera>-<sequence>`, stamped with the
// stream's clock mapped to wall time at the first frame after each (re)open.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>
#include <framehost/source_retry.hpp>

extern "C" {
#include <libavutil/log.h>
}

#include "camera.hpp"
#include "ffmpeg_log.hpp"

namespace {

using namespace framehost;
using namespace framehost::video;

const std::vector<std::string> kFormats = {"bgr24", "rgb24", "gray", "nv12", "yuv420p", "native"};

// One line of `cameras`: what a camera may set for itself; unset, it has the source's value.
struct CameraRecord {
    std::string id;
    std::string url;
    std::optional<bool> loop;
    std::optional<bool> realtime;
    std::optional<double> max_fps;
    std::optional<std::string> transport;
};

const ParamTable<CameraRecord>& camera_fields() {
    static const ParamTable<CameraRecord> table{
        param::bind(&CameraRecord::id, "id", "The camera's id: frame ids are <id>-<sequence>")
            .mandatory(),
        param::bind(&CameraRecord::url, "url", "What libavformat opens: a file, rtsp://, http://")
            .mandatory(),
        param::bind(&CameraRecord::loop, "loop", "Overrides the source's loop"),
        param::bind(&CameraRecord::realtime, "realtime", "Overrides the source's realtime"),
        param::bind(&CameraRecord::max_fps, "max_fps", "Overrides the source's max_fps")
            .range(0, 1000),
        param::bind(&CameraRecord::transport, "transport", "Overrides the source's transport")
            .one_of({"tcp", "udp"}),
    };
    return table;
}

struct Settings {
    std::string url;
    std::string camera_id = "camera";
    std::vector<CameraRecord> cameras;
    bool loop = false;
    bool realtime = false;
    std::string format = "bgr24";
    int width = 0;
    int height = 0;
    double max_fps = 0;
    std::string transport = "tcp";
    std::size_t mailbox = 2;
    int decoder_threads = 1;
    std::chrono::milliseconds connect_timeout_ms{5000};
    std::chrono::milliseconds read_timeout_ms{5000};
    std::chrono::milliseconds stall_timeout_ms{10000};
    double packet_buffer_s = 10;
    std::string protocol_whitelist;
    std::string format_whitelist;
    SourceRetry retry;  // each camera's reconnects, paced as the host paces a source
};

const ParamTable<Settings>& params() {
    static const ParamTable<Settings> table = [] {
        ParamTable<Settings> t{
            param::bind(&Settings::url, "url",
                        "One camera: what libavformat opens (a file path, rtsp://, http://); "
                        "empty when `cameras` lists them"),
            param::bind(&Settings::camera_id, "camera_id", "The id of the camera given by `url`"),
            param::records(&Settings::cameras, "cameras", camera_fields(),
                           "Many cameras, one line each: {id: door, url: rtsp://...}; each may "
                           "override loop, realtime, max_fps and transport"),
            param::bind(&Settings::loop, "loop", "Files: start again at the end instead of ending"),
            param::bind(&Settings::realtime, "realtime",
                        "Files: hand frames out at the stream's own rate, as a live camera would "
                        "(newest kept when the pipeline is slower); off reads as fast as the "
                        "pipeline takes them, dropping nothing"),
            param::bind(&Settings::format, "format",
                        "Pixel format of the frames; native keeps the decoder's (no copy)")
                .one_of(kFormats),
            param::bind(&Settings::width, "width", "Resize to this width; 0 keeps the stream's")
                .range(0, 16384),
            param::bind(&Settings::height, "height", "Resize to this height; 0 keeps the stream's")
                .range(0, 16384),
            param::bind(&Settings::max_fps, "max_fps",
                        "Hand out at most this many frames a second per camera, skipping the "
                        "others (counted); 0 every frame")
                .range(0, 1000),
            param::bind(&Settings::transport, "transport", "RTSP over TCP or UDP")
                .one_of({"tcp", "udp"}),
            param::bind(&Settings::mailbox, "mailbox",
                        "Frames a live camera keeps for the pipeline; when full the oldest is "
                        "dropped (counted)")
                .range(1, 256),
            param::bind(&Settings::decoder_threads, "decoder_threads",
                        "Decoder threads per camera; 0 lets FFmpeg choose")
                .range(0, 64),
            param::bind(&Settings::connect_timeout_ms, "connect_timeout_ms",
                        "Longest wait to open an input and read its stream info")
                .range(1, 600'000),
            param::bind(&Settings::read_timeout_ms, "read_timeout_ms",
                        "Longest wait for data from an open input")
                .range(1, 600'000),
            param::bind(&Settings::stall_timeout_ms, "stall_timeout_ms",
                        "Reconnect when no frame was decoded for this long")
                .range(1, 3'600'000),
            param::bind(&Settings::packet_buffer_s, "packet_buffer_s",
                        "Seconds of each camera's encoded packets kept before its newest keyframe, "
                        "as received, for recorders (framehost.packets); 0 keeps none")
                .range(0, 600),
            param::bind(&Settings::protocol_whitelist, "protocol_whitelist",
                        "FFmpeg's protocol_whitelist: the protocols an input may use, "
                        "comma-separated (e.g. rtsp,rtp,udp,tcp); empty: FFmpeg's default. The "
                        "host sets it for cameras added over HTTP"),
            param::bind(&Settings::format_whitelist, "format_whitelist",
                        "FFmpeg's format_whitelist: the container formats an input may be read "
                        "as; empty: any. The host sets it for cameras added over HTTP"),
        };
        t.include(&Settings::retry, source_retry_params());
        return t;
    }();
    return table;
}

class VideoSource final : public Source {
  public:
    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{"video_source", "1.0.0", PluginKind::Source,
                                        "Decodes files, RTSP cameras and HTTP streams with "
                                        "FFmpeg, one supervised thread per camera",
                                        params().specs()};
        return d;
    }

    VideoSource(const Params& p, PluginContext& context) : context_(context) {
        // FFmpeg's errors only (its warnings and notes are many and say little to operators),
        // into the host's log (ffmpeg_log.hpp).
        av_log_set_level(AV_LOG_ERROR);
        const Settings settings = params().read(p);
        CameraSettings common;
        common.loop = settings.loop;
        common.realtime = settings.realtime;
        common.max_fps = settings.max_fps;
        common.mailbox = settings.mailbox;
        common.shape.format = settings.format == "native" ? PixelFormat::Unknown
                                                          : parse_pixel_format(settings.format);
        common.shape.width = settings.width;
        common.shape.height = settings.height;
        if ((common.shape.width == 0) != (common.shape.height == 0))
            throw std::invalid_argument("width and height are given together or not at all");
        if (static_cast<long long>(common.shape.width) * common.shape.height > kMaxFramePixels)
            throw std::invalid_argument("width x height is " + std::to_string(common.shape.width) +
                                        "x" + std::to_string(common.shape.height) +
                                        ", over the largest frame taken (8K: " +
                                        std::to_string(kMaxFramePixels) + " pixels)");
        common.input.rtsp_over_tcp = settings.transport == "tcp";
        common.input.protocols = settings.protocol_whitelist;
        common.input.formats = settings.format_whitelist;
        common.input.decoder_threads = settings.decoder_threads;
        common.input.connect_timeout = settings.connect_timeout_ms;
        common.input.read_timeout = settings.read_timeout_ms;
        common.input.stall_timeout = settings.stall_timeout_ms;
        common.retry = settings.retry;
        common.packet_buffer = std::chrono::milliseconds(
            static_cast<std::int64_t>(std::llround(settings.packet_buffer_s * 1000)));

        std::vector<CameraSettings> cameras;
        if (!settings.url.empty()) {
            auto one = common;
            one.id = settings.camera_id;
            one.input.url = settings.url;
            cameras.push_back(std::move(one));
        }
        for (const auto& record : settings.cameras) {
            auto camera = common;
            camera.id = record.id;
            camera.input.url = record.url;
            camera.loop = record.loop.value_or(camera.loop);
            camera.realtime = record.realtime.value_or(camera.realtime);
            camera.max_fps = record.max_fps.value_or(camera.max_fps);
            if (record.transport) camera.input.rtsp_over_tcp = *record.transport == "tcp";
            cameras.push_back(std::move(camera));
        }
        if (cameras.empty())
            throw std::invalid_argument("no camera: give `url` (and `camera_id`) or `cameras`");
        std::set<std::string> ids;
        for (const auto& c : cameras) {
            if (c.id.empty()) throw std::invalid_argument("a camera has an empty id");
            if (c.input.url.empty())
                throw std::invalid_argument("camera '" + c.id + "' has an empty url");
            if (!ids.insert(c.id).second)
                throw std::invalid_argument("camera id '" + c.id + "' is given twice");
        }
        for (auto& c : cameras)
            cameras_.push_back(std::make_unique<Camera>(std::move(c), context_, arrivals_));
    }

    ~VideoSource() override { stop(); }

    void start() override {
        for (auto& camera : cameras_) camera->start();
        context_.log(LogLevel::Info, std::to_string(cameras_.size()) + " camera(s) started");
    }

    void stop() override {
        for (auto& camera : cameras_) camera->stop();
    }

    ReadStatus read(std::vector<Frame>& out, std::size_t max) override {
        std::uint64_t seen = 0;
        {
            std::lock_guard lock(arrivals_.mutex);
            seen = arrivals_.count;
        }
        if (take(out, max)) return ReadStatus::Frames;
        if (all_done()) return ReadStatus::EndOfInput;
        // Within the contract's 100 ms: wake on the first arrival from any camera.
        std::unique_lock lock(arrivals_.mutex);
        arrivals_.signal.wait_for(lock, std::chrono::milliseconds(50),
                                  [&] { return arrivals_.count != seen; });
        lock.unlock();
        return take(out, max) ? ReadStatus::Frames : ReadStatus::Idle;
    }

    nlohmann::json status() const override {
        nlohmann::json cameras = nlohmann::json::object();
        std::vector<std::string> problems;
        for (const auto& camera : cameras_) {
            auto s = camera->status();
            auto state = s["state"].get<std::string>();
            if (state == "reconnecting" || state == "failed" ||
                (state == "connecting" && s.contains("last_error")))
                problems.push_back(
                    "camera '" + camera->id() + "' " + state +
                    (s.contains("last_error") ? ": " + s["last_error"].get<std::string>() : ""));
            cameras[camera->id()] = std::move(s);
        }
        nlohmann::json status = {{"cameras", std::move(cameras)}, {"healthy", problems.empty()}};
        if (!problems.empty()) {
            std::string text;
            for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
            status["error"] = text;
        }
        return status;
    }

  private:
    // Round robin from where the last read stopped, so one busy camera cannot starve another.
    std::size_t take(std::vector<Frame>& out, std::size_t max) {
        std::size_t taken = 0;
        for (std::size_t n = 0; n < cameras_.size() && taken < max; ++n) {
            next_ = (next_ + 1) % cameras_.size();
            taken += cameras_[next_]->take(out, std::max<std::size_t>(1, (max - taken) / 2));
        }
        for (std::size_t n = 0; n < cameras_.size() && taken < max; ++n)
            taken += cameras_[n]->take(out, max - taken);
        return taken;
    }
    bool all_done() const {
        for (const auto& camera : cameras_)
            if (!camera->done()) return false;
        return true;
    }

    PluginContext& context_;
    FfmpegLog ffmpeg_log_{context_};  // before the cameras: outlives their threads
    Arrivals arrivals_;
    std::vector<std::unique_ptr<Camera>> cameras_;
    std::size_t next_ = 0;
};

}  // namespace

FRAMEHOST_PLUGIN(VideoSource)
