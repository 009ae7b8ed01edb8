#include <doctest/doctest.h>

#include "core/config/param_values.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "tests/support/paths.hpp"

using namespace framehost;
using namespace framehost::core;

namespace {
std::shared_ptr<PluginInstance> source(MetricsRegistry& metrics, const std::string& yaml) {
    auto library = PluginLibrary::load(test::kBundledPluginDir + "/synthetic_source.so");
    Diagnostics d("test");
    YAML::Node node = YAML::Load(yaml);
    auto params = validate_params(node, node, library->descriptor().params, "synthetic_source", d);
    d.throw_if_any();
    auto instance = PluginInstance::create(library, "src", params, metrics);
    instance->plugin().start();
    return instance;
}
}  // namespace

TEST_CASE("a counted source gives exactly count frames with sequential ids, then ends") {
    MetricsRegistry metrics;
    auto src = source(metrics, "{count: 25, rate_fps: 0, cameras: 2}");
    std::vector<Frame> frames;
    ReadStatus status;
    while ((status = src->source()->read(frames, 10)) == ReadStatus::Frames) {
    }
    CHECK(status == ReadStatus::EndOfInput);
    REQUIRE(frames.size() == 25);
    CHECK(frames[0].id == "frame-0");
    CHECK(frames[24].id == "frame-24");
    CHECK(frames[0].camera_id == "camera_01");
    CHECK(frames[1].camera_id == "camera_02");
    CHECK(frames[0].image.empty());
}

TEST_CASE("pixel frames share their images instead of copying them") {
    MetricsRegistry metrics;
    auto src = source(
        metrics, "{count: 4, rate_fps: 0, pixels: true, distinct_images: 2, width: 8, height: 2}");
    std::vector<Frame> frames;
    src->source()->read(frames, 10);
    REQUIRE(frames.size() == 4);
    CHECK(frames[0].image.row_bytes(0) == 8 * 3);
    CHECK(frames[0].image.rows(0) == 2);
    CHECK(frames[0].image.planes[0].data == frames[2].image.planes[0].data);
    CHECK(frames[0].image.planes[0].data != frames[1].image.planes[0].data);
}

TEST_CASE("fresh pixel frames are each written anew, every row of the picture") {
    MetricsRegistry metrics;
    auto src = source(metrics,
                      "{count: 3, rate_fps: 0, pixels: true, fresh_pixels: true, width: 8, "
                      "height: 4, pixel_format: GRAY}");
    std::vector<Frame> frames;
    src->source()->read(frames, 10);
    REQUIRE(frames.size() == 3);
    CHECK(frames[0].image.planes[0].data != frames[1].image.planes[0].data);
    for (std::size_t n = 0; n < frames.size(); ++n) {
        const auto& image = frames[n].image;
        REQUIRE(image.rows(0) == 4);
        for (int y = 0; y < 4; ++y)
            for (std::size_t x = 0; x < image.row_bytes(0); ++x)
                CHECK(image.row(0, y)[x] ==
                      static_cast<std::uint8_t>(n + static_cast<std::size_t>(y)));
    }
}

TEST_CASE("a rate-limited source paces its frames") {
    MetricsRegistry metrics;
    auto src = source(metrics, "{count: 0, rate_fps: 200}");
    std::vector<Frame> frames;
    auto started = std::chrono::steady_clock::now();
    while (frames.size() < 40) src->source()->read(frames, 10);
    auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(elapsed >= std::chrono::milliseconds(150));  // 40 frames at 200/s take about 200 ms
}
