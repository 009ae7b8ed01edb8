// Live cameras through the real host: an RTSP camera on loopback (GStreamer's server) killed
// mid-stream and started again beside a second camera that must not notice, and a live camera
// faster than its pipeline (newest frames kept, every drop counted).
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/cameras.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/running_host.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {
json cameras_of(HttpClient& client, RunningHost& host) {
    auto health = json::parse(client.get(host.url("/health")).body);
    return health["details"]["plugins"]["video_source"]["cameras"];
}
std::size_t lines_from(const std::filesystem::path& file, const std::string& camera) {
    std::size_t n = 0;
    for (const auto& line : read_jsonl(file)) n += line["camera_id"] == camera;
    return n;
}
}  // namespace

TEST_CASE(
    "an RTSP camera killed mid-stream reconnects with growing backoff and resumes, and the other "
    "camera never stops") {
    TempDir dir;
    auto clip = dir / "live.mp4";
    make_clip(clip, 320, 240, 25, 30);
    auto steady = dir / "steady.mp4";
    make_clip(steady, 160, 120, 25, 2);
    RtspCamera camera(clip);
    auto out = dir / "out.jsonl";
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\n"
        "source: { plugin: video_source, params: { backoff_ms: 200, max_backoff_ms: 2000, "
        "circuit_failure_threshold: 1000, connect_timeout_ms: 1000, read_timeout_ms: 1000, "
        "cameras: [ {id: door, url: '" +
        camera.url() + "'}, {id: yard, url: '" + steady.string() +
        "', loop: true, realtime: true} ] } }\n"
        "processors: [ { plugin: identity } ]\n"
        "sinks: [ { plugin: jsonl_sink, params: { path: '" +
        out.string() + "' } } ]\n");
    HttpClient client;
    REQUIRE(eventually([&] { return lines_from(out, "door") >= 25; }, 20s));

    camera.kill();
    REQUIRE(eventually([&] { return cameras_of(client, host)["door"]["reconnects"] >= 3; }, 20s));
    auto door = cameras_of(client, host)["door"];
    CHECK(door["state"] != "streaming");
    CHECK(door.contains("last_error"));
    auto health = json::parse(client.get(host.url("/health")).body);
    CHECK(health["status"] != "healthy");
    // The other camera went on meanwhile.
    auto yard_before = lines_from(out, "yard");
    std::this_thread::sleep_for(1s);
    CHECK(lines_from(out, "yard") >= yard_before + 15);  // 25 fps, for one second

    auto door_before = lines_from(out, "door");
    camera.restart();
    REQUIRE(eventually([&] { return lines_from(out, "door") >= door_before + 25; }, 30s));
    CHECK(cameras_of(client, host)["door"]["state"] == "streaming");
    // Frame ids kept counting across the reconnect: none repeats.
    std::set<std::string> ids;
    for (const auto& line : read_jsonl(out)) CHECK(ids.insert(line["frame_id"]).second);
}

TEST_CASE(
    "a 25 fps live camera in front of a 200 ms processor: frame age stays under a second and "
    "every drop is counted") {
    TempDir dir;
    auto clip = dir / "fast.mp4";
    make_clip(clip, 320, 240, 25, 4);
    auto out = dir / "out.jsonl";
    RunningHost host(
        // A small host queue: the host's own queue is a backlog too (see the plugin's README).
        "pipeline: { progress_interval_s: 0, workers: 1, batch_size: 1, queue_capacity: 2 }\n"
        "source: { plugin: video_source, params: { url: '" +
        clip.string() +
        "', camera_id: cam, realtime: true, loop: true, mailbox: 2 } }\n"
        "processors: [ { plugin: sample_detector, params: { processing_delay_ms: 200 } } ]\n"
        "sinks: [ { plugin: jsonl_sink, params: { path: '" +
        out.string() + "' } } ]\n");
    HttpClient client;
    std::this_thread::sleep_for(4s);
    auto cam = cameras_of(client, host)["cam"];
    INFO(cam.dump());
    CHECK(cam["frames_dropped"] > 40);  // about 100 decoded, about 20 processed
    CHECK(cam["frame_age_s"] < 1.0);
    // Every frame decoded is accounted for: dropped, in the mailbox, or handed to the pipeline
    // (one may be between the decoder and the mailbox, being converted).
    auto accounted = cam["frames_dropped"].get<int>() + cam["in_mailbox"].get<int>() +
                     cam["frames_out"].get<int>() + cam["frames_skipped"].get<int>();
    CHECK(cam["frames_decoded"].get<int>() - accounted >= 0);
    CHECK(cam["frames_decoded"].get<int>() - accounted <= 1);
    auto metrics = client.get(host.url("/metrics"), {"Accept: text/plain"}).body;
    CHECK(metrics.find("framehost_plugin_camera_frames_dropped_total{") != std::string::npos);
    CHECK(metrics.find("camera=\"cam\"") != std::string::npos);
}
