#pragma once
// Plugins of the tree driven as the host drives them (params validated by the host's own
// rules), and real frames to give them: pictures as BGR frames (rows optionally padded), and
// Debian's pedestrian clip decoded by video_source.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/config/param_values.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/plugins/host_extensions.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "tests/support/cameras.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/pictures.hpp"

namespace framehost::test {
using namespace framehost::core;
using Box4 = std::array<int, 4>;

struct LoadedProcessor {
    MetricsRegistry metrics;
    std::shared_ptr<PluginInstance> instance;
    LoadedProcessor(const std::string& name, const std::string& yaml,
                    const HostExtensions* extensions = nullptr) {
        auto library = PluginLibrary::load(kBundledPluginDir + "/" + name + ".so");
        Diagnostics d("test");
        YAML::Node node = YAML::Load(yaml);
        auto params = validate_params(node, node, library->descriptor().params, name, d);
        d.throw_if_any();
        instance = PluginInstance::create(library, name, params, metrics, extensions);
        instance->plugin().start();
    }
    ~LoadedProcessor() { instance->plugin().stop(); }
    Frame run(Frame frame) {
        instance->processor()->process(frame);
        return frame;
    }
};

// A BGR picture as a frame, its rows `padding` bytes longer than the picture (filled with 0xA5).
inline Frame frame_of(const cv::Mat& bgr, std::size_t padding = 0) {
    Frame f;
    f.id = "f";
    f.camera_id = "cam";
    auto row = static_cast<std::size_t>(bgr.cols) * 3;
    std::vector<std::uint8_t> bytes((row + padding) * static_cast<std::size_t>(bgr.rows), 0xA5);
    for (int y = 0; y < bgr.rows; ++y) std::memcpy(&bytes[y * (row + padding)], bgr.ptr(y), row);
    auto shared = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
    std::array<ImagePlane, 4> planes{};
    planes[0] = {shared->data(), row + padding, shared->size()};
    f.set_image(wrap_image(PixelFormat::BGR24, bgr.cols, bgr.rows, planes,
                           std::shared_ptr<const void>(shared, shared->data())));
    return f;
}

// A BGR picture (even sides) as an NV12 or I420 frame, as a camera's decoder gives it, each
// plane's rows `padding` bytes longer.
inline Frame yuv_frame_of(const cv::Mat& bgr, PixelFormat format, std::size_t padding = 0) {
    cv::Mat i420;  // Y rows, then U's and V's quarter-size planes, one after the other
    cv::cvtColor(bgr, i420, cv::COLOR_BGR2YUV_I420);
    const int w = bgr.cols, h = bgr.rows;
    cv::Mat u(h / 2, w / 2, CV_8UC1, i420.ptr(h));
    cv::Mat v(h / 2, w / 2, CV_8UC1, i420.ptr(h) + static_cast<std::size_t>(w / 2) * (h / 2));
    std::vector<cv::Mat> planes = {i420.rowRange(0, h), u, v};
    if (format == PixelFormat::NV12) {
        cv::Mat uv;
        cv::merge(std::vector<cv::Mat>{u, v}, uv);
        planes = {i420.rowRange(0, h), uv};
    }
    std::size_t total = 0;
    for (const auto& m : planes) total += (m.cols * m.elemSize() + padding) * m.rows;
    auto bytes = std::make_shared<std::vector<std::uint8_t>>(total, 0xA5);
    std::array<ImagePlane, 4> wrapped{};
    std::uint8_t* at = bytes->data();
    for (std::size_t p = 0; p < planes.size(); ++p) {
        const auto row = planes[p].cols * planes[p].elemSize();
        const auto stride = row + padding;
        wrapped[p] = {at, stride, stride * static_cast<std::size_t>(planes[p].rows)};
        for (int r = 0; r < planes[p].rows; ++r)
            std::memcpy(at + static_cast<std::size_t>(r) * stride, planes[p].ptr(r), row);
        at += wrapped[p].size;
    }
    Frame f;
    f.id = "f";
    f.camera_id = "cam";
    f.set_image(
        wrap_image(format, w, h, wrapped, std::shared_ptr<const void>(bytes, bytes->data())));
    return f;
}

// A picture file as BGR (pictures.hpp decodes it).
inline cv::Mat picture(const std::filesystem::path& path) {
    auto rgb = decoded_picture(path);
    cv::Mat bgr;
    cv::cvtColor(cv::Mat(rgb.height, rgb.width, CV_8UC3, rgb.pixels.data()), bgr,
                 cv::COLOR_RGB2BGR);
    return bgr;
}

inline double iou(const std::array<int, 4>& a, const std::array<int, 4>& b) {
    int w = std::max(0, std::min(a[2], b[2]) - std::max(a[0], b[0]));
    int h = std::max(0, std::min(a[3], b[3]) - std::max(a[1], b[1]));
    double inter = static_cast<double>(w) * h;
    double area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return area > 0 ? inter / area : 0;
}

// Every `step`th frame of the first `count` of the pedestrian clip (all by default), decoded by
// video_source as BGR.
inline std::vector<Frame> pedestrian_frames(int step, std::size_t count = 795) {
    // Loaded for good: the frames' images are freed by code in video_source.so (their owners'
    // deleters), so the library must outlive every frame, as the host keeps its libraries.
    static auto library = PluginLibrary::load(kBundledPluginDir + "/video_source.so");
    Diagnostics d("test");
    YAML::Node node = YAML::Load("{url: '" + kPedestrianClip.string() + "'}");
    MetricsRegistry metrics;
    auto source = PluginInstance::create(
        library, "video", validate_params(node, node, library->descriptor().params, "v", d),
        metrics);
    source->plugin().start();
    std::vector<Frame> all, sampled;
    while (all.size() < count && source->source()->read(all, 50) != ReadStatus::EndOfInput) {
    }
    if (all.size() > count) all.resize(count);
    source->plugin().stop();
    for (std::size_t i = 0; i < all.size(); i += static_cast<std::size_t>(step))
        sampled.push_back(std::move(all[i]));
    return sampled;
}

}  // namespace framehost::test
