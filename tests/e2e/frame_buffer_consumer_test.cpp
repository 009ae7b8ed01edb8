// framehost consuming from a real frame-buffer with frame_buffer_consumer: the whole flow, and
// what happens when the Frame Buffer fails.
#include <signal.h>

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/config/param_values.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/services.hpp"

using namespace framehost;
using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

json parsed(const HttpResult& r) {
    return json::parse(r.body);
}

std::string host_config(const std::string& url, const std::string& sink_path,
                        const std::string& extra_source = "",
                        const std::string& processor =
                            "{ plugin: sample_detector, params: { processing_delay_ms: 0, "
                            "detection_threshold: 0.3 } }") {
    return "pipeline: { progress_interval_s: 0, batch_size: 20 }\n"
           "source: { plugin: frame_buffer_consumer, params: { url: \"" +
           url +
           "\", batch_size: 20, poll_interval_ms: 20, synthesize_pixels: false, backoff_ms: 50, "
           "max_backoff_ms: 400" +
           extra_source +
           " } }\n"
           "processors: [ " +
           processor +
           " ]\n"
           "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
           sink_path + "\" } } ]\n";
}

void post_frames(const FrameBufferServer& fb, const std::string& prefix, int count,
                 bool with_pixels = false) {
    HttpClient client;
    for (int i = 0; i < count; ++i) {
        json f = {{"frame_id", prefix + std::to_string(i)},
                  {"camera_id", "camera_0" + std::to_string(i % 3)},
                  {"timestamp", 1700000000 + i},
                  {"width", 8},
                  {"height", 4},
                  {"format", "RGB"},
                  {"metadata", {{"seq", i}}}};
        if (with_pixels) f["data"] = std::string(128, 'A');  // 96 bytes: 8x4 RGB
        REQUIRE(client.post(fb.url("/frames"), f.dump()).status == 200);
    }
}

}  // namespace

TEST_CASE(
    "frames posted to the frame-buffer come out of the host's sink once each, with the expected "
    "detections") {
    FrameBufferServer fb;
    post_frames(fb, "m", 150);
    post_frames(fb, "px", 50, true);
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(host_config(fb.url(), out.string()));
    auto lines = wait_for_lines(out, 200, 30s);
    REQUIRE(lines.size() == 200);

    // Expected: the same detector, in this process, on the same frames.
    core::MetricsRegistry metrics;
    auto library = core::PluginLibrary::load(kBundledPluginDir + "/sample_detector.so");
    core::Diagnostics d("test");
    YAML::Node node = YAML::Load("{processing_delay_ms: 0, detection_threshold: 0.3}");
    auto detector = core::PluginInstance::create(
        library, "sample_detector",
        core::validate_params(node, node, library->descriptor().params, "d", d), metrics);
    std::set<std::string> ids;
    for (const auto& line : lines) {
        std::string id = line["frame_id"];
        CHECK(ids.insert(id).second);
        Frame expected;
        expected.id = id;
        expected.width = 8;
        expected.height = 4;
        if (id.rfind("px", 0) == 0)
            expected.set_image(image_from_bytes(
                PixelFormat::RGB24, 8, 4, std::vector<std::uint8_t>(96, 0)));  // "AAAA" = zeros
        detector->processor()->process(expected);
        CHECK(line["state"] == "completed");
        REQUIRE(line["detections"].size() == expected.detections.size());
        for (std::size_t i = 0; i < expected.detections.size(); ++i)
            CHECK(line["detections"][i]["confidence"] == expected.detections[i].confidence);
    }
    HttpClient client;
    auto metrics_json = parsed(client.get(host.url("/metrics")));
    auto status = parsed(client.get(fb.url("/frames/status")));
    CHECK(metrics_json["processor_metrics"]["frames_processed"] == 200);
    CHECK(status["buffer"]["total_processed"] ==
          metrics_json["processor_metrics"]["frames_processed"]);
    CHECK(metrics_json["consumer_metrics"]["frames_fetched"] == 200);
}

TEST_CASE("malformed frames are counted failed with their reason and do not stop the batch") {
    FrameBufferServer fb;
    HttpClient client;
    client.post(fb.url("/frames"), R"({"frame_id":"ok-1","width":4,"height":2})");
    client.post(fb.url("/frames"), R"({"frame_id":"neg","width":-4,"height":2})");
    client.post(fb.url("/frames"), R"({"frame_id":"types","width":"wide"})");
    client.post(fb.url("/frames"),
                R"({"frame_id":"short","width":4,"height":2,"format":"RGB","data":"QUJD"})");
    client.post(fb.url("/frames"), R"({"frame_id":"ok-2"})");
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(host_config(fb.url(), out.string()));
    auto lines = wait_for_lines(out, 5, 20s);
    REQUIRE(lines.size() == 5);
    std::map<std::string, json> by_id;
    for (const auto& l : lines) by_id[l["frame_id"]] = l;
    CHECK(by_id["ok-1"]["state"] == "completed");
    CHECK(by_id["ok-2"]["state"] == "completed");
    CHECK(by_id["neg"]["state"] == "failed");
    CHECK(by_id["neg"]["error"].get<std::string>().find(
              "width -4 is not an integer from 0 to 100000") != std::string::npos);
    CHECK(by_id["types"]["error"].get<std::string>().find("width \"wide\" is not an integer") !=
          std::string::npos);
    CHECK(by_id["types"]["failed_in"] == "frame_buffer_consumer");
    CHECK(by_id["short"]["error"].get<std::string>().find("data has 3 bytes") != std::string::npos);
    auto m = parsed(client.get(host.url("/metrics")));
    CHECK(m["processor_metrics"]["frames_failed"] == 3);
}

TEST_CASE(
    "the frame-buffer stopped mid-run: the consumer backs off, shows degraded, recovers, finishes "
    "the rest") {
    auto fb = std::make_unique<FrameBufferServer>();
    auto port = fb->port();
    post_frames(*fb, "before-", 30);
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(host_config(fb->url(), out.string(), ", circuit_failure_threshold: 1000"));
    REQUIRE(wait_for_lines(out, 30, 20s).size() == 30);

    fb->signal(SIGKILL);
    fb->wait(5s);
    HttpClient client;
    std::this_thread::sleep_for(1500ms);
    auto health = parsed(client.get(host.url("/health")));
    CHECK(health["status"] == "degraded");
    auto source = health["details"]["source"];
    CHECK(source["consecutive_errors"].get<int>() >= 2);
    CHECK(source["current_backoff_ms"].get<int>() >= 100);  // grew from 50 ms
    // Not a busy loop: at most a few attempts a second with this backoff.
    auto polls_before = health["details"]["plugins"]["frame_buffer_consumer"]["polls"].get<int>();
    std::this_thread::sleep_for(1s);
    auto polls_after = parsed(client.get(
        host.url("/health")))["details"]["plugins"]["frame_buffer_consumer"]["polls"]
                           .get<int>();
    CHECK(polls_after - polls_before <= 10);
    CHECK(client.get(host.url("/ready")).status == 503);

    fb = std::make_unique<FrameBufferServer>(std::vector<std::string>{},
                                             port);  // in memory: starts empty
    post_frames(*fb, "after-", 40);
    auto lines = wait_for_lines(out, 70, 30s);
    CHECK(lines.size() == 70);
    std::set<std::string> ids;
    for (const auto& l : lines) ids.insert(l["frame_id"].get<std::string>());
    CHECK(ids.size() == 70);
    CHECK(ids.count("after-39") == 1);
    auto recovered = parsed(client.get(host.url("/health")));
    CHECK(recovered["status"] == "healthy");
    CHECK(host.process().running());
}

TEST_CASE(
    "a frame-buffer answering 500s or garbage opens the circuit, which closes when it answers "
    "again") {
    ScriptedHttpServer upstream;
    upstream.answer(500, R"({"detail":"internal"})");
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(host_config("http://127.0.0.1:" + std::to_string(upstream.port()),
                                 out.string(),
                                 ", circuit_failure_threshold: 3, circuit_open_ms: 800"));
    HttpClient client;
    json health;
    for (int i = 0; i < 100; ++i) {
        health = parsed(client.get(host.url("/health")));
        if (health["details"]["source"]["circuit"] == "open") break;
        std::this_thread::sleep_for(50ms);
    }
    CHECK(health["details"]["source"]["circuit"] == "open");
    CHECK(health["status"] == "degraded");
    auto while_open = upstream.requests();
    std::this_thread::sleep_for(400ms);
    CHECK(upstream.requests() - while_open <= 1);  // open: no attempts

    upstream.answer(200, "this is not json");
    std::this_thread::sleep_for(1500ms);
    CHECK(parsed(client.get(host.url("/health")))["details"]["source"]["last_error"]
              .get<std::string>()
              .find("not JSON") != std::string::npos);

    upstream.answer(200, R"({"frames":[],"count":0,"remaining":0})");
    std::string circuit;
    for (int i = 0; i < 100; ++i) {
        circuit = parsed(client.get(host.url("/health")))["details"]["source"]["circuit"];
        if (circuit == "closed") break;
        std::this_thread::sleep_for(50ms);
    }
    CHECK(circuit == "closed");
    CHECK(parsed(client.get(host.url("/health")))["status"] == "healthy");
    CHECK(
        parsed(client.get(host.url("/metrics")))["consumer_metrics"]["circuit_opened"].get<int>() >=
        1);
}

TEST_CASE(
    "with no room in the host's queue the consumer does not fetch: frames wait in the buffer") {
    FrameBufferServer fb({"--max-size", "1000"});
    post_frames(fb, "q", 300);
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(
        "pipeline: { progress_interval_s: 0, workers: 1, batch_size: 5, queue_capacity: 10 }\n"
        "source: { plugin: frame_buffer_consumer, params: { url: \"" +
            fb.url() +
            "\", batch_size: 5 } }\n"
            "processors: [ { plugin: fixture_processor, params: { mode: pass, sleep_ms: 20 } } ]\n",
        {"--plugin-path", kFixturePluginDir});
    std::this_thread::sleep_for(1s);
    HttpClient client;
    auto status = parsed(client.get(fb.url("/frames/status")));
    auto health = parsed(client.get(host.url("/health")));
    // About 50 frames/s are processed; what the host holds is bounded by its queue.
    CHECK(health["details"]["pipeline"]["queue_depth"].get<int>() <= 10);
    CHECK(status["buffer"]["size"].get<int>() >= 300 - 100);
    CHECK(status["buffer"]["total_processed"].get<int>() <= 100);
}

namespace {

// The host is frozen (SIGSTOP) while the frame-buffer is killed, so what the buffer held at
// that moment is known exactly: nothing is fetched between reading its size and killing it.
struct Outage {
    std::size_t held = 0;
};

// A host that holds little: a queue of 10, one worker at 5 ms a frame.
std::string slow_host_config(const std::string& url, const std::string& sink_path) {
    return "pipeline: { progress_interval_s: 0, workers: 1, batch_size: 5, queue_capacity: 10 }\n"
           "source: { plugin: frame_buffer_consumer, params: { url: \"" +
           url +
           "\", batch_size: 5, poll_interval_ms: 20, synthesize_pixels: false, backoff_ms: 50, "
           "max_backoff_ms: 400,"
           " circuit_failure_threshold: 1000 } }\n"
           "processors: [ { plugin: sample_detector, params: { processing_delay_ms: 5 } } ]\n"
           "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
           sink_path + "\" } } ]\n";
}

Outage kill_frame_buffer_with_host_frozen(FrameBufferServer& fb, RunningHost& host) {
    host.process().signal(SIGSTOP);
    std::this_thread::sleep_for(300ms);  // a request already on its way is answered first
    Outage outage;
    outage.held =
        parsed(HttpClient().get(fb.url("/frames/status")))["buffer"]["size"].get<std::size_t>();
    fb.signal(SIGKILL);
    fb.wait(5s);
    return outage;
}

// Posts `frames`, lets a slow host take some, kills the frame-buffer with the host frozen,
// restarts it on the same port with the same arguments; returns what the buffer held.
std::size_t outage_mid_run(std::unique_ptr<FrameBufferServer>& fb, int port,
                           const std::vector<std::string>& args, RunningHost& host,
                           const std::filesystem::path& out) {
    wait_for_lines(out, 40, 20s);
    auto outage = kill_frame_buffer_with_host_frozen(*fb, host);
    host.process().signal(SIGCONT);
    std::this_thread::sleep_for(500ms);
    fb = std::make_unique<FrameBufferServer>(args, port);
    return outage.held;
}

}  // namespace

TEST_CASE(
    "in memory, a frame-buffer killed mid-run loses exactly the frames it held, the host "
    "recovers") {
    auto fb = std::make_unique<FrameBufferServer>();
    auto port = fb->port();
    post_frames(*fb, "m", 200);
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(slow_host_config(fb->url(), out.string()));
    auto held = outage_mid_run(fb, port, {}, host, out);
    CHECK(held > 0);
    post_frames(*fb, "late", 20);
    auto lines = wait_for_lines(out, 200 - held + 20, 30s);
    std::this_thread::sleep_for(500ms);
    lines = read_jsonl(out);
    std::set<std::string> ids;
    for (const auto& l : lines) ids.insert(l["frame_id"].get<std::string>());
    CHECK(ids.size() == lines.size());       // none twice
    CHECK(lines.size() == 200 - held + 20);  // lost: exactly what the buffer held
    CHECK(host.process().running());
}

TEST_CASE(
    "on Redis, a frame-buffer killed mid-run loses nothing: the host finishes every frame once") {
    RedisServer redis;
    std::vector<std::string> args = {"--redis", redis.url(), "--stream", "fb:frames"};
    auto fb = std::make_unique<FrameBufferServer>(args);
    auto port = fb->port();
    post_frames(*fb, "r", 200);
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(slow_host_config(fb->url(), out.string()));
    CHECK(outage_mid_run(fb, port, args, host, out) > 0);
    auto lines = wait_for_lines(out, 200, 30s);
    std::set<std::string> ids;
    for (const auto& l : lines) ids.insert(l["frame_id"].get<std::string>());
    CHECK(lines.size() == 200);
    CHECK(ids.size() == 200);
}

TEST_CASE(
    "frames declaring enormous sizes among good ones: every frame is accounted and the host's "
    "memory stays small") {
    FrameBufferServer fb;
    HttpClient client;
    auto post_good = [&](int i) {
        client.post(fb.url("/frames"), json({{"frame_id", "good-" + std::to_string(i)},
                                             {"width", 64},
                                             {"height", 48},
                                             {"format", "RGB"}})
                                           .dump());
    };
    for (int i = 0; i < 4; ++i) post_good(i);
    // 40 GB and twice 1.6 GB of pixels, were they synthesized: they stay metadata-only.
    client.post(fb.url("/frames"),
                R"({"frame_id":"huge","width":100000,"height":100000,"format":"RGBA"})");
    client.post(fb.url("/frames"),
                R"({"frame_id":"big-1","width":20000,"height":20000,"format":"RGBA"})");
    client.post(fb.url("/frames"),
                R"({"frame_id":"big-2","width":20000,"height":20000,"format":"RGBA"})");
    for (int i = 4; i < 8; ++i) post_good(i);
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\n"
        "source: { plugin: frame_buffer_consumer, params: { url: \"" +
        fb.url() +
        "\", poll_interval_ms: 20, synthesize_pixels: true } }\n"
        "processors: [ { plugin: sample_detector, params: { processing_delay_ms: 0 "
        "} } ]\n"
        "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
        out.string() + "\" } } ]\n");
    auto lines = wait_for_lines(out, 11, 20s);
    REQUIRE(lines.size() == 11);
    std::map<std::string, json> by_id;
    for (const auto& l : lines) by_id[l["frame_id"]] = l;
    CHECK(by_id.size() == 11);
    for (const auto& [id, line] : by_id) {
        INFO(id);
        CHECK(line["state"] == "completed");
    }
    auto m = parsed(client.get(host.url("/metrics")));
    CHECK(m["processor_metrics"]["frames_processed"] == 11);
    CHECK(m["processor_metrics"]["frames_failed"] == 0);
    std::ifstream status("/proc/" + std::to_string(host.process().pid()) + "/status");
    long rss_kib = -1;
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) rss_kib = std::stol(line.substr(6));
    CHECK(rss_kib > 0);
    CHECK(rss_kib < 600 * 1024);  // the probe saw 3.1 GB (sanitizer builds need room)
}

TEST_CASE(
    "the Redis-backed Frame Buffer SIGKILLed again and again while a host dequeues large frames: "
    "every frame reaches the sink (at least once), none vanishes") {
    RedisServer redis;
    FrameBufferServer fb(
        {"--redis", redis.url(), "--stream", "kill:frames", "--capture-stream", ""});
    // Answers of a few MB take a while to build and write: a kill lands in them often.
    const int total = 300;
    {
        HttpClient client;
        std::string padding(256 * 1024, 'p');
        for (int i = 0; i < total; ++i)
            REQUIRE(client
                        .post(fb.url("/frames"), json({{"frame_id", "k" + std::to_string(i)},
                                                       {"camera_id", "c"},
                                                       {"metadata", {{"padding", padding}}}})
                                                     .dump())
                        .status == 200);
    }
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(host_config(fb.url(), out.string(), ", circuit_open_ms: 200"));
    // Killed whenever the host has taken more since the last kill, so each kill lands while it
    // is dequeueing, and the host still gets through.
    std::set<std::string> seen;
    std::size_t lines = 0, lines_at_kill = 0, kills = 0;
    auto deadline = std::chrono::steady_clock::now() + 120s;
    while (seen.size() < total && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
        seen.clear();
        auto read = read_jsonl(out);
        lines = read.size();
        for (const auto& line : read) seen.insert(line["frame_id"].get<std::string>());
        if (kills < 12 && lines > lines_at_kill && seen.size() < total) {
            fb.restart();  // SIGKILL, then the same server again on the same port
            ++kills;
            lines_at_kill = lines;
        }
    }
    MESSAGE(kills << " kills; " << lines << " lines for " << seen.size() << " frames");
    CHECK(kills >= 8);
    CHECK(seen.size() == total);
}

TEST_CASE(
    "one hostile frame in a dequeue answer (NaN, a lone surrogate, bytes that are not UTF-8) "
    "fails alone with its reason, the good frames of the answer go on") {
    for (const std::string hostile :
         {R"({"frame_id": "bad", "width": NaN})", R"({"frame_id": "bad", "camera_id": "\ud800"})",
          "{\"frame_id\": \"bad\", \"camera_id\": \"\xff\xfe\"}"}) {
        CAPTURE(hostile);
        ScriptedHttpServer buffer;  // a Frame Buffer whose every dequeue answers these three
        buffer.answer(200, R"({"frames": [{"frame_id": "good-1", "camera_id": "c"}, )" + hostile +
                               R"(, {"frame_id": "good-2", "camera_id": "c"}], "count": 3, )"
                               R"("remaining": 0})");
        TempDir dir;
        auto out = dir / "out.jsonl";
        RunningHost host(
            host_config("http://127.0.0.1:" + std::to_string(buffer.port()), out.string()));
        auto lines = wait_for_lines(out, 3, 30s);
        REQUIRE(lines.size() >= 3);
        std::map<std::string, json> by_id;
        for (std::size_t i = 0; i < 3; ++i) by_id[lines[i]["frame_id"]] = lines[i];
        REQUIRE(by_id.size() == 3);
        CHECK(by_id["good-1"]["state"] == "completed");
        CHECK(by_id["good-2"]["state"] == "completed");
        CHECK(by_id["bad"]["state"] == "failed");
        CHECK(by_id["bad"]["error"].get<std::string>().find("malformed frame: not JSON") !=
              std::string::npos);
        HttpClient http;
        auto health = parsed(http.get(host.url("/health")));
        CHECK(health["details"]["plugins"]["frame_buffer_consumer"]["malformed_frames"] >= 1);
    }
}
