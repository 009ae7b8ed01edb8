// Generates frames without any server: for demos, tests and benchmarks. Pixel frames share a
// few pre-rendered images, so generating a frame never writes pixels and the cost measured
// downstream is the reader's alone. With fresh_pixels each frame's pixels are written anew, as a
// decoder writes each picture of a camera: the cost of a real capture, once a frame.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <framehost/export.hpp>
#include <framehost/frame_memory.hpp>
#include <framehost/param_table.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
    std::uint64_t count = 0;
    double rate_fps = 30;
    int width = 640;
    int height = 480;
    std::string pixel_format = "RGB";
    bool pixels = false;
    int distinct_images = 8;
    bool fresh_pixels = false;
    int cameras = 1;
    std::string id_prefix = "frame-";
};

class SyntheticSource final : public framehost::Source {
  public:
    static const framehost::ParamTable<Settings>& params() {
        namespace param = framehost::param;
        static const framehost::ParamTable<Settings> table{
            param::bind(&Settings::count, "count", "Frames to generate before ending; 0 never ends")
                .at_least(0),
            param::bind(&Settings::rate_fps, "rate_fps",
                        "Frames per second; 0 as fast as the host takes them")
                .range(0, 1e9),
            param::bind(&Settings::width, "width", "Frame width in pixels").range(1, 16384),
            param::bind(&Settings::height, "height", "Frame height in pixels").range(1, 16384),
            param::bind(&Settings::pixel_format, "pixel_format", "Pixel format of generated frames")
                .one_of({"RGB", "BGR", "RGBA", "BGRA", "GRAY"}),
            param::bind(&Settings::pixels, "pixels",
                        "Attach pixel bytes (width*height*channels); off sends metadata only"),
            param::bind(&Settings::distinct_images, "distinct_images",
                        "Different images the pixel frames cycle through")
                .range(1, 1024),
            param::bind(&Settings::fresh_pixels, "fresh_pixels",
                        "Write each frame's pixels anew (into the host's frame memory when it "
                        "offers it), as a decoder does, instead of sharing distinct_images"),
            param::bind(&Settings::cameras, "cameras",
                        "Camera ids camera_01..camera_NN, round robin")
                .range(1, 10000),
            param::bind(&Settings::id_prefix, "id_prefix",
                        "Frame ids are this prefix plus a number"),
        };
        return table;
    }

    static const framehost::PluginDescriptor& descriptor() {
        using namespace framehost;
        static const PluginDescriptor d{
            "synthetic_source", "1.0.0", PluginKind::Source,
            "Generates frames at a set rate and count, with or without pixel bytes",
            params().specs()};
        return d;
    }

    SyntheticSource(const framehost::Params& p, framehost::PluginContext& context)
        : SyntheticSource(params().read(p),
                          framehost::find_extension<framehost::FrameMemory>(context)) {}

    // `memory`: the host's frame memory, or null.
    SyntheticSource(const Settings& settings, framehost::FrameMemory* memory)
        : count_(settings.count),
          rate_(settings.rate_fps),
          width_(settings.width),
          height_(settings.height),
          format_(framehost::parse_pixel_format(settings.pixel_format)),
          id_prefix_(settings.id_prefix),
          fresh_pixels_(settings.pixels && settings.fresh_pixels),
          memory_(memory) {
        auto cameras = settings.cameras;
        for (int c = 1; c <= cameras; ++c) {
            char name[32];
            std::snprintf(name, sizeof name, "camera_%02d", c);
            camera_ids_.emplace_back(name);
        }
        if (settings.pixels && !fresh_pixels_) {
            auto images = settings.distinct_images;
            for (int k = 0; k < images; ++k) {
                // From the host's frame memory when it offers it: isolated plugins then read
                // these pictures where they are.
                auto image = framehost::make_frame_image(memory, format_, width_, height_);
                // Each image has its own brightness, so the detector sees different content.
                auto base = static_cast<std::uint8_t>(20 + (k * 53) % 200);
                std::size_t i = 0;
                for (int y = 0; y < image.rows(0); ++y) {
                    auto* row =
                        image.planes[0].data + static_cast<std::size_t>(y) * image.stride(0);
                    for (std::size_t x = 0; x < image.row_bytes(0); ++x, ++i)
                        row[x] = static_cast<std::uint8_t>(base + (i % 31));
                }
                images_.push_back(std::move(image));
            }
        }
    }

    void start() override { started_ = Clock::now(); }

    framehost::ReadStatus read(std::vector<framehost::Frame>& out, std::size_t max) override {
        if (count_ != 0 && next_ >= count_) return framehost::ReadStatus::EndOfInput;
        std::uint64_t allowed = max;
        if (rate_ > 0) {
            auto elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
            auto due = static_cast<std::uint64_t>(elapsed * rate_) + 1;
            if (due <= next_) {
                auto wait =
                    std::chrono::duration<double>(static_cast<double>(next_) / rate_ - elapsed);
                std::this_thread::sleep_for(
                    std::min<std::chrono::duration<double>>(wait, std::chrono::milliseconds(100)));
                return framehost::ReadStatus::Idle;
            }
            allowed = std::min<std::uint64_t>(allowed, due - next_);
        }
        if (count_ != 0) allowed = std::min<std::uint64_t>(allowed, count_ - next_);
        auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
        for (std::uint64_t i = 0; i < allowed; ++i, ++next_) {
            framehost::Frame& f = out.emplace_back();
            f.id = id_prefix_ + std::to_string(next_);
            f.camera_id = camera_ids_[next_ % camera_ids_.size()];
            f.timestamp_ms = now_ms;
            f.width = width_;
            f.height = height_;
            f.format = format_;
            if (fresh_pixels_)
                f.image = fresh_image(next_);
            else if (!images_.empty())
                f.image = images_[next_ % images_.size()];
        }
        generated_.store(next_, std::memory_order_relaxed);
        return framehost::ReadStatus::Frames;
    }

    nlohmann::json status() const override {
        return {{"generated", generated_.load(std::memory_order_relaxed)},
                {"count", count_},
                {"rate_fps", rate_}};
    }

  private:
    // A picture written whole: every row a shade of its own that moves from frame to frame.
    framehost::Image fresh_image(std::uint64_t n) const {
        auto image = framehost::make_frame_image(memory_, format_, width_, height_);
        for (int p = 0; p < image.plane_count(); ++p)
            for (int y = 0; y < image.rows(p); ++y)
                std::memset(image.planes[static_cast<std::size_t>(p)].data +
                                static_cast<std::size_t>(y) * image.stride(p),
                            static_cast<int>((n + static_cast<std::uint64_t>(y)) & 0xff),
                            image.row_bytes(p));
        return image;
    }

    std::uint64_t count_;
    double rate_;
    int width_;
    int height_;
    framehost::PixelFormat format_;
    std::string id_prefix_;
    std::vector<std::string> camera_ids_;
    bool fresh_pixels_;
    framehost::FrameMemory* memory_;  // may be null
    std::vector<framehost::Image> images_;
    std::uint64_t next_ = 0;                   // source thread only
    std::atomic<std::uint64_t> generated_{0};  // next_ as status() may read it, any thread
    Clock::time_point started_ = Clock::now();
};

}  // namespace

FRAMEHOST_PLUGIN(SyntheticSource)
