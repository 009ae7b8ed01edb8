// What each camera sees, with what was found drawn on it: boxes, class, confidence and track
// id on a copy of the frame, encoded as JPEG (libturbojpeg). The latest picture per camera is
// kept in memory (for a live preview) and, with a directory, one file per camera every
// interval is written there (written aside, then renamed into place, so a reader never sees
// half a file), keeping the newest max_files per camera.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <opencv2/imgproc.hpp>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>
#include <framehost/preview.hpp>

#include "drawing.hpp"
#include "wire_pixels.hpp"

namespace {

using namespace framehost;
namespace fs = std::filesystem;

// A camera id as a folder name: letters, digits, '-', '_' and '.'; anything else '_', and never
// "." or "..".
std::string folder_name(const std::string& camera) {
    std::string out;
    for (char c : camera)
        out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'
                   ? c
                   : '_';
    if (out.empty() || out == "." || out == "..") out = "_" + out;
    return out;
}

cv::Scalar colour_of(const Detection& d) {
    // A track keeps its colour; untracked detections are green.
    if (d.track_id == 0) return {40, 220, 40};
    static const cv::Scalar kPalette[] = {{255, 80, 80},  {80, 80, 255}, {80, 220, 255},
                                          {255, 80, 255}, {255, 200, 0}, {0, 160, 255}};
    return kPalette[d.track_id % std::size(kPalette)];
}

struct Settings {
    int jpeg_quality = 80;
    int max_width = 0;
    std::string directory;
    std::chrono::milliseconds interval_ms{10'000};
    std::size_t max_files = 100;
};

class AnnotatedSnapshot final : public Sink {
  public:
    static const ParamTable<Settings>& params() {
        static const ParamTable<Settings> table{
            param::bind(&Settings::jpeg_quality, "jpeg_quality", "JPEG quality, 1..100")
                .range(1, 100),
            param::bind(&Settings::max_width, "max_width",
                        "Shrink wider pictures to this width; 0 full size")
                .range(0, 8192),
            param::bind(&Settings::directory, "directory",
                        "Write pictures here, one folder per camera; empty keeps them in memory "
                        "only"),
            param::bind(&Settings::interval_ms, "interval_ms",
                        "Least time between two files of one camera")
                .range(0, 86'400'000),
            param::bind(&Settings::max_files, "max_files", "Newest files kept per camera")
                .range(1, 1'000'000),
        };
        return table;
    }

    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "annotated_snapshot", "1.0.0", PluginKind::Sink,
            "Draws detections on each camera's frames and keeps the latest as JPEG (in memory, "
            "and optionally as files)",
            params().specs(),
            // Drawing and encoding a 640x480 picture.
            std::chrono::milliseconds(10), Concurrency::OrderedPerCamera};
        return d;
    }

    AnnotatedSnapshot(const Params& p, PluginContext& context)
        : context_(context), settings_(params().read(p)) {
        cv::setNumThreads(1);
    }

    void start() override {
        if (settings_.directory.empty()) return;
        std::error_code ec;
        fs::create_directories(settings_.directory, ec);
        if (ec || !fs::is_directory(settings_.directory))
            throw std::runtime_error("cannot use directory '" + settings_.directory +
                                     "': " + (ec ? ec.message() : "not a directory"));
    }

    void write(std::span<const Frame* const> frames, SinkReport& report) override {
        for (std::size_t i = 0; i < frames.size(); ++i) {
            try {
                snapshot(*frames[i]);
            } catch (const std::exception& e) {
                report.failed(i, e.what());
            }
        }
    }

    nlohmann::json status() const override {
        std::lock_guard lock(mutex_);
        nlohmann::json cameras = nlohmann::json::object();
        auto now = std::chrono::steady_clock::now();
        for (const auto& [id, c] : cameras_)
            cameras[id] = {{"frame_id", c.frame_id},
                           {"jpeg_bytes", c.jpeg ? c.jpeg->size() : 0},
                           {"age_s", std::chrono::duration<double>(now - c.updated).count()},
                           {"files_written", c.files_written}};
        return {{"cameras", cameras}, {"frames_without_picture", frames_without_picture_.load()}};
    }

  private:
    struct Camera {
        std::shared_ptr<const std::vector<std::uint8_t>> jpeg;
        std::string frame_id;
        std::chrono::steady_clock::time_point updated{};
        std::chrono::steady_clock::time_point written{};
        std::uint64_t files_written = 0;
    };

    void snapshot(const Frame& frame) {
        if (frame.image.empty()) return;  // metadata only: nothing to draw on
        // Bytes whose format and size nobody declared (/process with frame_data alone, as the
        // replaced service takes it): the frame is fine, there is just no picture to take.
        if (frame.image.format == PixelFormat::Unknown) {
            ++frames_without_picture_;
            return;
        }
        double scale = 1;
        cv::Mat picture = opencv::drawable_copy(frame.image, settings_.max_width, scale);
        int thickness = std::max(1, picture.cols / 320);
        for (const auto& d : frame.detections) {
            cv::Rect box(
                cv::Point(static_cast<int>(d.bbox[0] * scale), static_cast<int>(d.bbox[1] * scale)),
                cv::Point(static_cast<int>(d.bbox[2] * scale),
                          static_cast<int>(d.bbox[3] * scale)));
            char label[96];
            if (d.track_id)
                std::snprintf(label, sizeof label, "%s %.2f #%llu", d.class_name.c_str(),
                              d.confidence, static_cast<unsigned long long>(d.track_id));
            else
                std::snprintf(label, sizeof label, "%s %.2f", d.class_name.c_str(), d.confidence);
            opencv::draw_labelled_box(picture, box, colour_of(d), label, thickness,
                                      0.4 * thickness);
            opencv::draw_keypoints(picture, d.keypoints, scale, colour_of(d), thickness);
        }
        std::array<ImagePlane, 4> planes{};
        planes[0] = {picture.data, picture.step[0],
                     picture.step[0] * static_cast<std::size_t>(picture.rows)};
        auto jpeg = std::make_shared<const std::vector<std::uint8_t>>(wire_pixels::encode_jpeg(
            wrap_image(PixelFormat::BGR24, picture.cols, picture.rows, planes, nullptr),
            settings_.jpeg_quality));

        auto now = std::chrono::steady_clock::now();
        bool to_file = false;
        {
            std::lock_guard lock(mutex_);
            auto& camera = cameras_[frame.camera_id];
            camera.jpeg = jpeg;
            camera.frame_id = frame.id;
            camera.updated = now;
            if (!settings_.directory.empty() &&
                (camera.files_written == 0 || now - camera.written >= settings_.interval_ms)) {
                camera.written = now;
                ++camera.files_written;
                to_file = true;
            }
        }
        publish_preview(context_, frame.camera_id, frame.id, jpeg, picture.cols, picture.rows);
        if (to_file) write_file(frame, *jpeg);
    }

    void write_file(const Frame& frame, const std::vector<std::uint8_t>& jpeg) {
        auto folder = fs::path(settings_.directory) / folder_name(frame.camera_id);
        fs::create_directories(folder);
        // Names sort by time: the newest are the last.
        char stamp[32];
        std::snprintf(stamp, sizeof stamp, "%013lld", static_cast<long long>(frame.timestamp_ms));
        auto name = std::string(stamp) + "-" + folder_name(frame.id) + ".jpg";
        auto aside = folder / ("." + name + ".tmp");
        {
            std::ofstream out(aside, std::ios::binary | std::ios::trunc);
            out.write(reinterpret_cast<const char*>(jpeg.data()),
                      static_cast<std::streamsize>(jpeg.size()));
            out.close();  // a full disk may refuse only the last bytes, at the close
            if (!out) {
                std::error_code ignored;
                fs::remove(aside, ignored);
                throw std::runtime_error("cannot write " + aside.string());
            }
        }
        fs::rename(aside, folder / name);
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(folder))
            if (entry.path().extension() == ".jpg") files.push_back(entry.path());
        if (files.size() <= settings_.max_files) return;
        std::sort(files.begin(), files.end());
        for (std::size_t i = 0; i + settings_.max_files < files.size(); ++i) fs::remove(files[i]);
    }

    PluginContext& context_;
    const Settings settings_;
    std::atomic<std::uint64_t> frames_without_picture_{0};  // pixels of an undeclared format
    mutable std::mutex mutex_;
    std::map<std::string, Camera> cameras_;
};

}  // namespace

FRAMEHOST_PLUGIN(AnnotatedSnapshot)
