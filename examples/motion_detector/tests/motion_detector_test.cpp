// motion_detector.so as the host runs it, through the SDK's harness (framehost/testing.hpp).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>

#include <framehost/testing.hpp>

using framehost::Frame;
using framehost::testing::LoadedPlugin;

namespace {

struct Square {
    int x, y, side;
    std::uint8_t value;
};

// A 160x120 RGB frame: flat grey with bright squares.
Frame scene(const std::string& id, const std::string& camera, std::vector<Square> squares) {
    const int width = 160, height = 120;
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(width) * height * 3, 60);
    for (const auto& s : squares)
        for (int y = s.y; y < s.y + s.side; ++y)
            for (int x = s.x; x < s.x + s.side; ++x)
                for (int c = 0; c < 3; ++c)
                    bytes[(static_cast<std::size_t>(y) * width + x) * 3 + c] = s.value;
    Frame f;
    f.id = id;
    f.camera_id = camera;
    f.width = width;
    f.height = height;
    f.set_image(framehost::image_from_bytes(framehost::PixelFormat::RGB24, width, height,
                                            std::move(bytes)));
    return f;
}

const nlohmann::json& result(const Frame& f) {
    return f.results["motion_detector"];
}

}  // namespace

TEST_CASE("the first frame of a camera only warms up, an unchanged scene has no motion") {
    LoadedPlugin plugin(PLUGIN_FILE);
    auto frames = plugin.process(
        {scene("1", "cam", {{32, 32, 32, 250}}), scene("2", "cam", {{32, 32, 32, 250}})});
    CHECK(result(frames[0])["warming_up"] == true);
    CHECK(result(frames[0])["motion"] == false);
    CHECK(result(frames[1])["motion"] == false);
    CHECK(result(frames[1])["regions"] == 0);
    CHECK(frames[1].detections.empty());
}

TEST_CASE("a moved square is one motion box covering where it was and where it is") {
    LoadedPlugin plugin(PLUGIN_FILE);  // cells of 16 px
    auto frames = plugin.process(
        {scene("1", "cam", {{32, 32, 32, 250}}), scene("2", "cam", {{64, 32, 32, 250}})});
    REQUIRE(frames[1].detections.size() == 1);
    const auto& box = frames[1].detections[0];
    CHECK(box.class_name == "motion");
    // The changed cells: x 32..63 (left behind) and 64..95 (newly covered), y 32..63.
    CHECK(box.bbox == std::array<int, 4>{32, 32, 96, 64});
    CHECK(box.confidence > 0.5);
    CHECK(result(frames[1])["motion"] == true);
    CHECK(result(frames[1])["changed_fraction"].get<double>() == doctest::Approx(8.0 / 80.0));
    CHECK(plugin.metric("frames_with_motion") == 1);
}

TEST_CASE("a square moved by less than its size leaves two regions: behind it and ahead") {
    LoadedPlugin plugin(PLUGIN_FILE);
    auto frames = plugin.process(
        {scene("1", "cam", {{32, 32, 32, 250}}), scene("2", "cam", {{48, 32, 32, 250}})});
    REQUIRE(frames[1].detections.size() == 2);
    std::vector<std::array<int, 4>> boxes{frames[1].detections[0].bbox,
                                          frames[1].detections[1].bbox};
    std::sort(boxes.begin(), boxes.end());
    CHECK(boxes == std::vector<std::array<int, 4>>{{32, 32, 48, 64}, {64, 32, 80, 64}});
}

TEST_CASE("separate changes are separate regions, largest first, at most max_regions") {
    LoadedPlugin plugin(PLUGIN_FILE, {{"max_regions", 1}});
    auto frames = plugin.process(
        {scene("1", "cam", {}), scene("2", "cam", {{0, 0, 32, 250}, {96, 64, 48, 250}})});
    REQUIRE(frames[1].detections.size() == 1);
    CHECK(frames[1].detections[0].bbox == std::array<int, 4>{96, 64, 144, 112});
    CHECK(result(frames[1])["regions"] == 1);

    LoadedPlugin all(PLUGIN_FILE);
    auto both = all.process(
        {scene("1", "cam", {}), scene("2", "cam", {{0, 0, 32, 250}, {96, 64, 48, 250}})});
    CHECK(both[1].detections.size() == 2);
}

TEST_CASE("small and faint changes are ignored") {
    LoadedPlugin plugin(PLUGIN_FILE, {{"min_cells", 2}, {"threshold", 20.0}});
    auto frames = plugin.process(
        {scene("1", "cam", {}), scene("2", "cam", {{0, 0, 16, 250}}),  // one cell: below min_cells
         scene("3", "cam", {{0, 0, 16, 250}, {64, 64, 32, 70}})});     // +10 luma: faint
    CHECK(result(frames[1])["motion"] == false);
    CHECK(result(frames[2])["motion"] == false);
}

TEST_CASE("cameras are compared with their own previous frame") {
    LoadedPlugin plugin(PLUGIN_FILE);
    auto frames = plugin.process({scene("a1", "a", {}), scene("b1", "b", {{0, 0, 64, 250}}),
                                  scene("a2", "a", {}), scene("b2", "b", {{0, 0, 64, 250}})});
    CHECK(result(frames[1])["warming_up"] == true);
    CHECK(result(frames[2])["motion"] == false);
    CHECK(result(frames[3])["motion"] == false);
}

TEST_CASE("a frame without pixels fails alone, and the parameters are range-checked") {
    LoadedPlugin plugin(PLUGIN_FILE);
    Frame bare;
    bare.id = "bare";
    auto frames = plugin.process({bare, scene("ok", "cam", {})});
    CHECK(frames[0].failed());
    CHECK(frames[0].error() == "motion_detector needs pixels; this frame has none");
    CHECK_FALSE(frames[1].failed());
    CHECK_THROWS_WITH(LoadedPlugin(PLUGIN_FILE, {{"cell_size", 1}}),
                      doctest::Contains("must be between 2 and 256, got 1"));
}
