// Live cameras through the real host: an RTSP camera on loopback (GStreamer's server) killed
// mid-stream and started again beside a second camera that must not notice, and a live camera
// faster than its pipeline (newest frames kept, every drop counted).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <framehost/base64.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/cameras.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/services.hpp"

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

namespace {
// frame id -> the pixels' checksum the fixture processor computed, from a host's JSONL output.
std::map<std::string, std::string> checksums(const std::vector<json>& lines) {
    std::map<std::string, std::string> out;
    for (const auto& line : lines)
        if (line.contains("results") && line["results"].contains("checksum"))
            out[line["frame_id"]] = line["results"]["checksum"]["fnv1a"];
    return out;
}
}  // namespace

TEST_CASE(
    "the capture config feeds the Frame Buffer and a Redis stream, and hosts consuming them see "
    "the very pixels the camera decoded") {
    TempDir dir;
    auto clip = dir / "clip.mp4";
    make_clip(clip, 320, 240, 25, 2);  // 50 frames
    RedisServer redis;
    FrameBufferServer fb({"--max-size", "1000"});
    auto captured = dir / "captured.jsonl";
    RunningHost capture(
        "pipeline: { progress_interval_s: 0 }\n"
        "source: { plugin: video_source, params: { url: '" +
            clip.string() +
            "', camera_id: gate } }\n"
            "processors: [ { plugin: fixture_processor, params: { mode: checksum } } ]\n"
            "sinks:\n"
            "  - { plugin: frame_buffer_sink, params: { url: '" +
            fb.url() +
            "', pixels: raw } }\n"
            "  - { plugin: redis_streams_sink, params: { url: '" +
            redis.url() +
            "', stream: 'frames:metadata', entry: capture, pixels: raw } }\n"
            "  - { plugin: jsonl_sink, params: { path: '" +
            captured.string() + "' } }\n",
        {"--plugin-path", kFixturePluginDir});
    REQUIRE(wait_for_lines(captured, 50, 30s).size() == 50);
    auto expected = checksums(read_jsonl(captured));
    REQUIRE(expected.size() == 50);

    auto via_buffer = dir / "via_buffer.jsonl";
    RunningHost from_buffer(
        "pipeline: { progress_interval_s: 0 }\n"
        "source: { plugin: frame_buffer_consumer, params: { url: '" +
            fb.url() +
            "' } }\n"
            "processors: [ { plugin: fixture_processor, params: { mode: "
            "checksum } } ]\n"
            "sinks: [ { plugin: jsonl_sink, params: { path: '" +
            via_buffer.string() + "' } } ]\n",
        {"--plugin-path", kFixturePluginDir});
    auto via_redis = dir / "via_redis.jsonl";
    RunningHost from_redis(
        "pipeline: { progress_interval_s: 0 }\n"
        "source: { plugin: redis_streams_source, params: { url: '" +
            redis.url() +
            "', stream: 'frames:metadata', group: processors } }\n"
            "processors: [ { plugin: fixture_processor, params: { mode: "
            "checksum } } ]\n"
            "sinks: [ { plugin: jsonl_sink, params: { path: '" +
            via_redis.string() + "' } } ]\n",
        {"--plugin-path", kFixturePluginDir});
    auto buffer_lines = wait_for_lines(via_buffer, 50, 30s);
    auto redis_lines = wait_for_lines(via_redis, 50, 30s);
    CHECK(checksums(buffer_lines) == expected);
    CHECK(checksums(redis_lines) == expected);
    for (const auto& line : redis_lines) CHECK(line["camera_id"] == "gate");
}

TEST_CASE("frame_buffer_sink with pixels: jpeg posts JPEG pictures a JPEG decoder reads at size") {
    TempDir dir;
    auto clip = dir / "clip.mp4";
    make_clip(clip, 320, 240, 25, 1);
    FrameBufferServer fb({"--max-size", "1000"});
    RunningHost capture(
        "pipeline: { progress_interval_s: 0 }\n"
        "source: { plugin: video_source, params: { url: '" +
        clip.string() +
        "' } }\n"
        "sinks: [ { plugin: frame_buffer_sink, params: { url: '" +
        fb.url() + "', pixels: jpeg, jpeg_quality: 80 } } ]\n");
    HttpClient client;
    REQUIRE(eventually(
        [&] {
            return json::parse(client.get(fb.url("/frames/status")).body)["buffer"]["size"] == 25;
        },
        20s));
    auto answer = json::parse(client.get(fb.url("/frames/dequeue?count=1")).body);
    REQUIRE(answer["frames"].size() == 1);
    auto frame = answer["frames"][0];
    CHECK(frame["format"] == "jpeg");
    CHECK((frame["width"] == 320 && frame["height"] == 240));
    auto bytes = framehost::decode_base64(frame["data"].get<std::string>());
    REQUIRE(bytes);
    CHECK(bytes->size() < 320 * 240 * 3 / 4);
    auto jpeg = dir / "frame.jpg";
    std::ofstream(jpeg, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes->data()),
               static_cast<std::streamsize>(bytes->size()));
    auto decoded = run_program("/usr/bin/djpeg", {"-pnm", jpeg.string()});
    REQUIRE(decoded.exit_code == 0);
    CHECK(decoded.out.rfind("P6\n320 240\n255\n", 0) == 0);
}

TEST_CASE(
    "a damaged clip: FFmpeg's complaints reach the host's log in its format, at most ten lines "
    "a second, the rest counted, every frame still comes out") {
    TempDir dir;
    auto damaged = dir / "damaged.avi";
    std::filesystem::copy_file(kPedestrianClip, damaged);
    {
        // Stretches of noise through the middle of the file: the decoder's blocks break.
        std::fstream file(damaged, std::ios::in | std::ios::out | std::ios::binary);
        std::uint32_t noise = 7;
        for (std::streamoff at = 200'000; at < 6'000'000; at += 400'000) {
            file.seekp(at);
            for (int i = 0; i < 3000; ++i) {
                noise = noise * 1664525u + 1013904223u;
                file.put(static_cast<char>(noise >> 24));
            }
        }
    }
    auto out = dir / "out.jsonl";
    auto config = dir.write("host.yaml",
                            "http: { enabled: false }\npipeline: { progress_interval_s: 0 }\n"
                            "source: { plugin: video_source, params: { url: '" +
                                damaged.string() +
                                "' } }\nprocessors: [ { plugin: identity } ]\n"
                                "sinks: [ { plugin: jsonl_sink, params: { path: '" +
                                out.string() + "' } } ]\n");
    auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 120s);
    REQUIRE(r.exit_code == 0);
    CHECK(read_jsonl(out).size() > 700);
    static const std::regex host_line(R"(^\d{4}-\d\d-\d\dT[\d:.]+Z (DEBUG|INFO|WARN|ERROR) +\[)");
    std::istringstream lines(r.err);
    std::size_t total = 0, from_ffmpeg = 0;
    for (std::string line; std::getline(lines, line);) {
        ++total;
        CHECK_MESSAGE(std::regex_search(line, host_line), line);
        if (line.find("ffmpeg: [") != std::string::npos) ++from_ffmpeg;
    }
    CHECK(from_ffmpeg >= 1);
    CHECK(total < 100);
    CHECK(r.err.find("more FFmpeg messages") != std::string::npos);
}

TEST_CASE(
    "a text file is no video (FFmpeg would draw it as a picture), and a camera asked for frames "
    "over 8K is refused before any is allocated") {
    TempDir dir;
    std::string text;
    for (int i = 0; i < 4000; ++i) text += "line " + std::to_string(i) + " of a text file\n";
    auto notes = dir.write("notes.txt", text);
    RunningHost host(
        "camera_api: { protocols: [file] }\n"
        "source: { plugin: video_source, params: { url: '" +
        notes.string() + "', camera_id: notes } }\nprocessors: [ { plugin: identity } ]\n");
    HttpClient http;
    json camera;
    REQUIRE(eventually(
        [&] {
            auto report = json::parse(http.get(host.url("/cameras")).body);
            camera = report["cameras"][0];
            return camera.value("last_error", "") != "";
        },
        20s));
    CHECK(camera["last_error"].get<std::string>().find("not a video") != std::string::npos);
    CHECK(camera["frames_decoded"] == 0);

    auto big =
        http.post(host.url("/cameras"), R"({"id": "big", "url": ")" + kPedestrianClip.string() +
                                            R"(", "width": 16384, "height": 16384})");
    CHECK(big.status == 422);
    CHECK(big.body.find("over the largest frame taken") != std::string::npos);
}

TEST_CASE("a 1x1 video asked for yuv420p is refused by the camera, saying why, not by OpenCV") {
    TempDir dir;
    auto one = dir / "one.mkv";
    auto made = run_program("/usr/bin/ffmpeg",
                            {"-v", "error", "-f", "lavfi", "-i", "color=red:s=16x16:r=5", "-t", "1",
                             "-vf", "scale=1:1", "-c:v", "ffv1", one.string()});
    REQUIRE_MESSAGE(made.exit_code == 0, made.err);
    RunningHost host("source: { plugin: video_source, params: { url: '" + one.string() +
                     "', format: yuv420p } }\nprocessors: [ { plugin: motion_gate } ]\n"
                     "sinks: [ { plugin: annotated_snapshot } ]\n");
    HttpClient http;
    json camera;
    REQUIRE(eventually(
        [&] {
            camera = json::parse(http.get(host.url("/cameras")).body)["cameras"][0];
            return camera.value("last_error", "") != "";
        },
        20s));
    CHECK(camera["last_error"].get<std::string>().find("needs an even width and height") !=
          std::string::npos);
    auto metrics = json::parse(http.get(host.url("/metrics")).body);
    CHECK(metrics["processor_metrics"]["frames_failed"] == 0);
}
