// Decodes real video with FFmpeg: files, RTSP cameras, HTTP streams; one camera or many, each
// supervised on its own thread (camera.hpp). Frames are `<camera>-<sequence>`, stamped with the
// stream's clock mapped to wall time at the first frame after each (re)open.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <framehost/export.hpp>
#include <framehost/source_retry.hpp>

extern "C" {
#include <libavutil/log.h>
}

#include "camera.hpp"

namespace {

using namespace framehost;
using namespace framehost::video;

// Names configs, docs and outside checks rely on; declared once here.
namespace name {
constexpr const char* kUrl = "url";
constexpr const char* kCameraId = "camera_id";
constexpr const char* kCameras = "cameras";
constexpr const char* kId = "id";
constexpr const char* kLoop = "loop";
constexpr const char* kRealtime = "realtime";
constexpr const char* kFormat = "format";
constexpr const char* kWidth = "width";
constexpr const char* kHeight = "height";
constexpr const char* kMaxFps = "max_fps";
constexpr const char* kTransport = "transport";
constexpr const char* kMailbox = "mailbox";
constexpr const char* kDecoderThreads = "decoder_threads";
constexpr const char* kConnectTimeout = "connect_timeout_ms";
constexpr const char* kReadTimeout = "read_timeout_ms";
constexpr const char* kStallTimeout = "stall_timeout_ms";
}  // namespace name

const std::vector<std::string> kFormats = {"bgr24", "rgb24", "gray", "nv12", "yuv420p", "native"};

// Options a camera of `cameras` may set for itself; the others are the source's for all.
std::vector<ParamSpec> per_camera_fields() {
    return {
        param::String(name::kId, "", "The camera's id: frame ids are <id>-<sequence>").mandatory(),
        param::String(name::kUrl, "", "What libavformat opens: a file, rtsp://, http://")
            .mandatory(),
        param::Bool(name::kLoop, false, "Overrides the source's loop").unset(),
        param::Bool(name::kRealtime, false, "Overrides the source's realtime").unset(),
        param::Double(name::kMaxFps, 0, "Overrides the source's max_fps").range(0, 1000).unset(),
        param::String(name::kTransport, "tcp", "Overrides the source's transport")
            .one_of({"tcp", "udp"})
            .unset(),
    };
}

class VideoSource final : public Source {
  public:
    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d = [] {
            std::vector<ParamSpec> params = {
                param::String(name::kUrl, "",
                              "One camera: what libavformat opens (a file path, rtsp://, "
                              "http://); empty when `cameras` lists them"),
                param::String(name::kCameraId, "camera", "The id of the camera given by `url`"),
                param::Records(name::kCameras, per_camera_fields(),
                               "Many cameras, one line each: {id: door, url: rtsp://...}; "
                               "each may override loop, realtime, max_fps and transport"),
                param::Bool(name::kLoop, false, "Files: start again at the end instead of ending"),
                param::Bool(name::kRealtime, false,
                            "Files: hand frames out at the stream's own rate, as a live camera "
                            "would (newest kept when the pipeline is slower); off reads as fast "
                            "as the pipeline takes them, dropping nothing"),
                param::String(name::kFormat, "bgr24",
                              "Pixel format of the frames; native keeps the decoder's (no copy)")
                    .one_of(kFormats),
                param::Int(name::kWidth, 0, "Resize to this width; 0 keeps the stream's")
                    .range(0, 16384),
                param::Int(name::kHeight, 0, "Resize to this height; 0 keeps the stream's")
                    .range(0, 16384),
                param::Double(name::kMaxFps, 0,
                              "Hand out at most this many frames a second per camera, skipping "
                              "the others (counted); 0 every frame")
                    .range(0, 1000),
                param::String(name::kTransport, "tcp", "RTSP over TCP or UDP")
                    .one_of({"tcp", "udp"}),
                param::Int(name::kMailbox, 2,
                           "Frames a live camera keeps for the pipeline; when full the oldest "
                           "is dropped (counted)")
                    .range(1, 256),
                param::Int(name::kDecoderThreads, 1,
                           "Decoder threads per camera; 0 lets FFmpeg "
                           "choose")
                    .range(0, 64),
                param::Duration(name::kConnectTimeout, std::chrono::milliseconds(5000),
                                "Longest wait to open an input and read its stream info")
                    .range(1, 600'000),
                param::Duration(name::kReadTimeout, std::chrono::milliseconds(5000),
                                "Longest wait for data from an open input")
                    .range(1, 600'000),
                param::Duration(name::kStallTimeout, std::chrono::milliseconds(10000),
                                "Reconnect when no frame was decoded for this long")
                    .range(1, 3'600'000),
            };
            for (auto& p : source_retry_params({1000, 30000, 5, 30000}))
                params.push_back(std::move(p));
            return PluginDescriptor{"video_source", "1.0.0", PluginKind::Source,
                                    "Decodes files, RTSP cameras and HTTP streams with FFmpeg, one "
                                    "supervised thread per camera",
                                    std::move(params)};
        }();
        return d;
    }

    VideoSource(const Params& params, PluginContext& context) : context_(context) {
        av_log_set_level(AV_LOG_ERROR);
        CameraSettings common;
        common.loop = params.boolean(name::kLoop);
        common.realtime = params.boolean(name::kRealtime);
        common.max_fps = params.number(name::kMaxFps);
        common.mailbox = static_cast<std::size_t>(params.integer(name::kMailbox));
        auto format = params.string(name::kFormat);
        common.shape.format =
            format == "native" ? PixelFormat::Unknown : parse_pixel_format(format);
        common.shape.width = static_cast<int>(params.integer(name::kWidth));
        common.shape.height = static_cast<int>(params.integer(name::kHeight));
        if ((common.shape.width == 0) != (common.shape.height == 0))
            throw std::invalid_argument("width and height are given together or not at all");
        common.input.rtsp_over_tcp = params.string(name::kTransport) == "tcp";
        common.input.decoder_threads = static_cast<int>(params.integer(name::kDecoderThreads));
        common.input.connect_timeout = params.duration(name::kConnectTimeout);
        common.input.read_timeout = params.duration(name::kReadTimeout);
        common.input.stall_timeout = params.duration(name::kStallTimeout);
        common.backoff = std::chrono::milliseconds(params.integer(retry_param::kBackoffMs));
        common.max_backoff = std::chrono::milliseconds(params.integer(retry_param::kMaxBackoffMs));
        common.circuit_failure_threshold =
            static_cast<int>(params.integer(retry_param::kCircuitFailureThreshold));
        common.circuit_open =
            std::chrono::milliseconds(params.integer(retry_param::kCircuitOpenMs));

        std::vector<CameraSettings> cameras;
        if (!params.string(name::kUrl).empty()) {
            auto one = common;
            one.id = params.string(name::kCameraId);
            one.input.url = params.string(name::kUrl);
            cameras.push_back(std::move(one));
        }
        for (const auto& record : params.records(name::kCameras)) {
            auto camera = common;
            camera.id = record.string(name::kId);
            camera.input.url = record.string(name::kUrl);
            if (record.has(name::kLoop)) camera.loop = record.boolean(name::kLoop);
            if (record.has(name::kRealtime)) camera.realtime = record.boolean(name::kRealtime);
            if (record.has(name::kMaxFps)) camera.max_fps = record.number(name::kMaxFps);
            if (record.has(name::kTransport))
                camera.input.rtsp_over_tcp = record.string(name::kTransport) == "tcp";
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
    Arrivals arrivals_;
    std::vector<std::unique_ptr<Camera>> cameras_;
    std::size_t next_ = 0;
};

}  // namespace

FRAMEHOST_PLUGIN(VideoSource)
