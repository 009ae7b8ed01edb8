// zones on real pixels with a known path: a person cut from Debian's pedestrian clip (frame 2,
// the woman at x 259-307) walks across a still background and back, moved by ffmpeg's overlay
// filter at 15 pixels a frame; hog_person_detector finds her, object_tracker follows her, and
// the zones processor must report exactly two crossings of the line, in then out, and each
// entry and exit of the zone within 2 frames of when her path truly crossed its edges.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "tests/support/cameras.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost::test;
using nlohmann::json;

namespace {
constexpr int kFps = 10, kFrames = 100, kWidth = 112, kSpeed = 15;  // pixels a frame
// Her centre at 0-based frame k: the overlay's x (right until 5 s, then back) plus half her
// width (the crop is centred on her).
double centre_at(int k) {
    double t = static_cast<double>(k) / kFps;
    double x = t < 5 ? -kWidth + t * kSpeed * kFps : -kWidth + (10 - t) * kSpeed * kFps;
    return x + kWidth / 2.0;
}
// The first frame id number (1-based, as video_source counts) from `after` on where `inside`
// holds for her centre.
int first_frame(int after, const std::function<bool(double)>& inside) {
    for (int k = after; k < kFrames; ++k)
        if (inside(centre_at(k))) return k + 1;
    return -1;
}
}  // namespace

TEST_CASE(
    "zones on a real person with a known path: exactly the crossings, entries and exits "
    "within 2 frames") {
    TempDir dir;
    auto person = dir / "person.png";
    auto clip = dir / "walk.mp4";
    REQUIRE(run_program("/usr/bin/ffmpeg",
                        {"-v", "error", "-y", "-i", kPedestrianClip.string(), "-vf",
                         "select=eq(n\\,2),crop=80:150:243:180", "-frames:v", "1", person.string()})
                .exit_code == 0);
    auto moved =
        "[1:v]scale=112:210[p];[0:v][p]overlay=x='if(lt(t\\,5)\\,-112+t*150\\,-112+(10-t)*150)':y="
        "40";
    REQUIRE(run_program("/usr/bin/ffmpeg", {"-v",
                                            "error",
                                            "-y",
                                            "-f",
                                            "lavfi",
                                            "-i",
                                            "color=c=0x808878:s=640x360:d=10:r=10",
                                            "-i",
                                            person.string(),
                                            "-filter_complex",
                                            moved,
                                            "-c:v",
                                            "libx264",
                                            "-crf",
                                            "12",
                                            "-pix_fmt",
                                            "yuv420p",
                                            "-preset",
                                            "veryfast",
                                            clip.string()})
                .exit_code == 0);
    auto results = dir / "walk.jsonl";
    auto config = dir.write(
        "walk.yaml",
        "pipeline: { progress_interval_s: 0 }\n"
        "http: { enabled: false }\n"
        "source: { plugin: video_source, params: { url: '" +
            clip.string() +
            "', camera_id: walk } }\n"
            "processors:\n"
            "  - plugin: hog_person_detector\n"
            "  - plugin: object_tracker\n"
            "  - plugin: zones\n"
            "    params:\n"
            "      zones: [ { name: patch, points: [[400, 0], [560, 0], [560, 360], [400, 360]] "
            "} ]\n"
            "      lines: [ { name: gate, points: [[320, 0], [320, 360]], in: [600, 180] } ]\n"
            "sinks: [ { plugin: jsonl_sink, params: { path: '" +
            results.string() + "' } } ]\n");
    auto run =
        run_program(kFramehostBinary, {"--config", config.string()}, {}, std::chrono::seconds(240));
    INFO(run.err);
    REQUIRE(run.exit_code == 0);

    std::vector<std::pair<int, std::string>> crossings, entries, exits;
    for (const auto& line : read_jsonl(results)) {
        auto id = line["frame_id"].get<std::string>();
        int n = std::stoi(id.substr(id.find('-') + 1));
        for (const auto& c : line["results"]["zones"]["changes"]) {
            if (c["type"] == "crossing") crossings.push_back({n, c["direction"]});
            if (c["type"] == "enter") entries.push_back({n, c["zone"]});
            if (c["type"] == "exit") exits.push_back({n, c["zone"]});
        }
    }
    std::sort(crossings.begin(), crossings.end());
    std::sort(entries.begin(), entries.end());
    std::sort(exits.begin(), exits.end());

    // The truth, from her path: a side counts once she is 10 px (line_clearance_px) past the
    // line; the zone spans x 400 to 560 (min_frames 1).
    int cross_in = first_frame(0, [](double x) { return x > 330; });
    int cross_out = first_frame(50, [](double x) { return x < 310; });
    int enter_1 = first_frame(0, [](double x) { return x > 400; });
    int exit_1 = first_frame(0, [](double x) { return x > 560; });
    int enter_2 = first_frame(50, [](double x) { return x < 560; });
    int exit_2 = first_frame(50, [](double x) { return x < 400; });
    REQUIRE(crossings.size() == 2);
    CHECK(crossings[0].second == "in");
    CHECK(std::abs(crossings[0].first - cross_in) <= 2);
    CHECK(crossings[1].second == "out");
    CHECK(std::abs(crossings[1].first - cross_out) <= 2);
    REQUIRE(entries.size() == 2);
    REQUIRE(exits.size() == 2);
    CHECK(std::abs(entries[0].first - enter_1) <= 2);
    CHECK(std::abs(exits[0].first - exit_1) <= 2);
    CHECK(std::abs(entries[1].first - enter_2) <= 2);
    CHECK(std::abs(exits[1].first - exit_2) <= 2);
    MESSAGE("crossings at ", crossings[0].first, " and ", crossings[1].first, " (truth ", cross_in,
            ", ", cross_out, "); zone at ", entries[0].first, "-", exits[0].first, " and ",
            entries[1].first, "-", exits[1].first, " (truth ", enter_1, "-", exit_1, ", ", enter_2,
            "-", exit_2, ")");
}
