// The detector of the Python sample-processor service, made deterministic: the same frame gives
// the same detections, so results can be checked frame by frame.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

namespace {

using framehost::Detection;
using framehost::Frame;

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// Summed in blocks with 32-bit lanes so the compiler vectorises it; a block is small enough
// that no lane can overflow.
std::uint64_t byte_sum(const std::uint8_t* bytes, std::size_t size) {
    constexpr std::size_t kBlock = 1 << 16;
    std::uint64_t total = 0;
    for (std::size_t start = 0; start < size; start += kBlock) {
        std::size_t end = std::min(size, start + kBlock);
        std::uint32_t block = 0;
        for (std::size_t i = start; i < end; ++i) block += bytes[i];
        total += block;
    }
    return total;
}

// The mean of every pixel byte of every plane, row by row through the strides (the padding
// between rows is not the picture); opaque images by their bytes. Negative: no pixels.
double mean_intensity(const framehost::Image& image) {
    if (image.empty()) return -1;
    if (image.plane_count() == 0) {
        auto bytes = image.encoded_bytes();
        return bytes.empty() ? -1
                             : static_cast<double>(byte_sum(bytes.data(), bytes.size())) /
                                   static_cast<double>(bytes.size());
    }
    std::uint64_t total = 0, count = 0;
    for (int p = 0; p < image.plane_count(); ++p) {
        if (image.packed()) {  // one run over the plane: the common case, and the fastest
            total += byte_sum(image.row(p, 0),
                              image.row_bytes(p) * static_cast<std::size_t>(image.rows(p)));
        } else {
            for (int y = 0; y < image.rows(p); ++y)
                total += byte_sum(image.row(p, y), image.row_bytes(p));
        }
        count += image.row_bytes(p) * static_cast<std::size_t>(image.rows(p));
    }
    return count ? static_cast<double>(total) / static_cast<double>(count) : -1;
}

struct Settings {
    double detection_threshold = 0.5;
    bool simulate_gpu = false;
    bool prefer_gpu = true;
    int processing_delay_ms = 10;
    std::vector<std::string> classes = {"person", "car", "bicycle", "dog", "cat"};
};

class SampleDetector final : public framehost::Processor {
  public:
    static const framehost::ParamTable<Settings>& params() {
        namespace param = framehost::param;
        static const framehost::ParamTable<Settings> table{
            param::bind(&Settings::detection_threshold, "detection_threshold",
                        "Detections below this confidence are dropped")
                .range(0, 1),
            param::bind(&Settings::simulate_gpu, "simulate_gpu",
                        "Pretend a GPU runs the model: the delay is a quarter, gpu_used true"),
            param::bind(&Settings::prefer_gpu, "prefer_gpu",
                        "Use the (simulated) GPU when simulate_gpu is on; off forces CPU"),
            param::bind(&Settings::processing_delay_ms, "processing_delay_ms",
                        "Simulated inference time per frame (sleep); 0 for none")
                .range(0, 60000),
            param::bind(&Settings::classes, "classes", "Class names detections are drawn from")
                .at_least(1)
                .range(1, 1000),
        };
        return table;
    }

    static const framehost::PluginDescriptor& descriptor() {
        using namespace framehost;
        static const PluginDescriptor d{
            "sample_detector", "1.0.0", PluginKind::Processor,
            "Deterministic stand-in detector: 0 to 5 boxes derived from the frame's content",
            params().specs(),
            // processing_delay_ms' default plus headroom for hashing a 640x480 frame.
            std::chrono::milliseconds(20)};
        return d;
    }

    SampleDetector(const framehost::Params& p, framehost::PluginContext& context)
        : SampleDetector(params().read(p), context) {}
    SampleDetector(const Settings& settings, framehost::PluginContext& context)
        : name_(context.instance_name()),
          threshold_(settings.detection_threshold),
          gpu_(settings.simulate_gpu && settings.prefer_gpu),
          delay_(std::chrono::milliseconds(settings.processing_delay_ms) / (gpu_ ? 4 : 1)),
          classes_(settings.classes) {}

    void process(Frame& frame) override {
        auto started = std::chrono::steady_clock::now();
        int width = std::max(frame.width, 1);
        int height = std::max(frame.height, 1);
        std::uint64_t seed;
        double mean = mean_intensity(frame.image);
        if (mean >= 0) {
            auto milli_mean = static_cast<std::uint64_t>(mean * 1000.0 + 0.5);
            seed = mix(milli_mean ^ mix(static_cast<std::uint64_t>(width) << 32 |
                                        static_cast<std::uint32_t>(height)));
        } else {
            seed = mix(
                std::hash<std::string>{}(frame.id) ^
                mix(static_cast<std::uint64_t>(width) << 32 | static_cast<std::uint32_t>(height)));
        }
        auto candidates = static_cast<int>(seed % 6);
        std::size_t kept = 0;
        for (int i = 0; i < candidates; ++i) {
            std::uint64_t h = mix(seed + static_cast<std::uint64_t>(i) + 1);
            double confidence = 0.3 + 0.7 * static_cast<double>(h >> 11) * 0x1.0p-53;
            confidence = static_cast<double>(static_cast<int>(confidence * 1000)) / 1000;
            if (confidence < threshold_) continue;
            std::uint64_t g = mix(h);
            int box_w =
                1 + static_cast<int>(g % static_cast<std::uint64_t>(std::max(1, width / 2)));
            int box_h = 1 + static_cast<int>((g >> 20) %
                                             static_cast<std::uint64_t>(std::max(1, height / 2)));
            int x1 = static_cast<int>((g >> 40) %
                                      static_cast<std::uint64_t>(std::max(1, width - box_w + 1)));
            int y1 = static_cast<int>((h >> 3) %
                                      static_cast<std::uint64_t>(std::max(1, height - box_h + 1)));
            frame.detections.push_back(
                Detection{classes_[h % classes_.size()],
                          confidence,
                          {x1, y1, std::min(x1 + box_w, width), std::min(y1 + box_h, height)}});
            ++kept;
        }
        if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
        double elapsed_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
        int channels = std::max(framehost::bytes_per_pixel(frame.format), 1);
        frame.results[name_] = {{"total_objects", kept},
                                {"processing_time_ms", elapsed_ms},
                                {"frame_shape", {frame.height, frame.width, channels}},
                                {"gpu_used", gpu_}};
    }

  private:
    std::string name_;
    double threshold_;
    bool gpu_;
    std::chrono::microseconds delay_;
    std::vector<std::string> classes_;
};

}  // namespace

FRAMEHOST_PLUGIN(SampleDetector)
