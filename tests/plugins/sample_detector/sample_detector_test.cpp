// The shipped sample_detector.so, loaded as the host loads it.
#include <doctest/doctest.h>

#include "core/config/param_values.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "tests/support/paths.hpp"

using namespace framehost;
using namespace framehost::core;

namespace {

struct Detector {
    MetricsRegistry metrics;
    std::shared_ptr<PluginInstance> instance;

    explicit Detector(const std::string& params_yaml) {
        auto library = PluginLibrary::load(test::kBundledPluginDir + "/sample_detector.so");
        Diagnostics d("test");
        YAML::Node node = YAML::Load(params_yaml);
        auto params =
            validate_params(node, node, library->descriptor().params, "sample_detector", d);
        d.throw_if_any();
        instance = PluginInstance::create(library, "det", params, metrics);
    }
    Frame run(Frame frame) {
        instance->processor()->process(frame);
        return frame;
    }
};

Frame pixel_frame(std::uint8_t fill, int width = 64, int height = 48) {
    Frame f;
    f.id = "px";
    f.width = width;
    f.height = height;
    f.set_image(image_from_bytes(
        PixelFormat::RGB24, width, height,
        std::vector<std::uint8_t>(static_cast<std::size_t>(width * height * 3), fill)));
    return f;
}

Frame empty_frame(const std::string& id) {
    Frame f;
    f.id = id;
    f.width = 640;
    f.height = 480;
    return f;
}

bool same(const std::vector<framehost::Detection>& a, const std::vector<framehost::Detection>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].class_name != b[i].class_name || a[i].confidence != b[i].confidence ||
            a[i].bbox != b[i].bbox)
            return false;
    }
    return true;
}

}  // namespace

TEST_CASE("the same frame gives the same detections, from pixels or from id and size") {
    Detector det("{processing_delay_ms: 0, detection_threshold: 0}");
    for (std::uint8_t fill : {0, 17, 128, 255})
        CHECK(same(det.run(pixel_frame(fill)).detections, det.run(pixel_frame(fill)).detections));
    for (auto id : {"a", "frame-1", "frame-2"})
        CHECK(same(det.run(empty_frame(id)).detections, det.run(empty_frame(id)).detections));
}

TEST_CASE("content decides: different brightness or ids give different detections somewhere") {
    Detector det("{processing_delay_ms: 0, detection_threshold: 0}");
    int differing = 0;
    auto base = det.run(pixel_frame(0)).detections;
    for (int fill = 1; fill < 40; ++fill)
        differing += !same(base, det.run(pixel_frame(static_cast<std::uint8_t>(fill))).detections);
    CHECK(differing > 30);
}

TEST_CASE("0 to 5 detections, boxes inside the frame, classes from the list") {
    Detector det("{processing_delay_ms: 0, detection_threshold: 0, classes: [a, b]}");
    std::set<std::size_t> counts;
    for (int i = 0; i < 300; ++i) {
        auto frame = det.run(empty_frame("f" + std::to_string(i)));
        counts.insert(frame.detections.size());
        CHECK(frame.detections.size() <= 5);
        for (const auto& d : frame.detections) {
            CHECK((d.class_name == "a" || d.class_name == "b"));
            CHECK(d.bbox[0] >= 0);
            CHECK(d.bbox[1] >= 0);
            CHECK(d.bbox[0] < d.bbox[2]);
            CHECK(d.bbox[1] < d.bbox[3]);
            CHECK(d.bbox[2] <= 640);
            CHECK(d.bbox[3] <= 480);
        }
        CHECK(frame.results["det"]["total_objects"] == frame.detections.size());
    }
    CHECK(counts.size() == 6);  // every count from 0 to 5 occurs
}

TEST_CASE("the threshold keeps exactly the detections at or above it") {
    Detector all("{processing_delay_ms: 0, detection_threshold: 0}");
    Detector high("{processing_delay_ms: 0, detection_threshold: 0.8}");
    for (int i = 0; i < 200; ++i) {
        auto id = "f" + std::to_string(i);
        std::vector<framehost::Detection> expected;
        for (const auto& d : all.run(empty_frame(id)).detections)
            if (d.confidence >= 0.8) expected.push_back(d);
        CHECK(same(high.run(empty_frame(id)).detections, expected));
    }
}

TEST_CASE("results report shape, gpu use and time, simulate_gpu quarters the delay") {
    Detector cpu("{processing_delay_ms: 20}");
    Detector gpu("{processing_delay_ms: 20, simulate_gpu: true}");
    auto c = cpu.run(pixel_frame(9)).results["det"];
    auto g = gpu.run(pixel_frame(9)).results["det"];
    CHECK(c["frame_shape"] == nlohmann::json({48, 64, 3}));
    CHECK(c["gpu_used"] == false);
    CHECK(g["gpu_used"] == true);
    CHECK(c["processing_time_ms"].get<double>() >= 20);
    CHECK(g["processing_time_ms"].get<double>() >= 5);
    CHECK(g["processing_time_ms"].get<double>() < 20);
}
