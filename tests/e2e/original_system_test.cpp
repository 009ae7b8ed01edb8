// framehost in the original system's place: frames exactly as the original capture writes them
// (flat string fields in the Redis stream frames:metadata), served by frame-buffer as the
// original Frame Buffer serves them, read by frame_buffer_consumer or straight from the stream
// by redis_streams_source; and the Redis front door under a long run.
#include <signal.h>

#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr long long kEpoch = 1733040000;  // 2024-12-01T08:00:00Z

// One frame as the original capture XADDs it: every value a string (Python's str(), JSON text
// for lists and dicts). Timestamps alternate between the two forms the capture has written.
std::vector<std::string> capture_entry(const std::string& stream, int i) {
    std::string id = "cam" + std::to_string(i % 3) + "-" + std::to_string(i);
    std::string iso = "2024-12-01T08:00:" + std::string(i % 60 < 10 ? "0" : "") +
                      std::to_string(i % 60) + ".250000";
    std::string epoch = std::to_string(kEpoch + i % 60) + ".250";
    return {"XADD",
            stream,
            "*",
            "frame_id",
            id,
            "camera_id",
            "cam" + std::to_string(i % 3),
            "timestamp",
            i % 2 ? iso : epoch,
            "resolution",
            "[640, 480]",
            "format",
            "bgr24",
            "size_bytes",
            "921600",
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "trace_id",
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "span_id",
            "00f067aa0ba902b7",
            "frame_buffer_key",
            "frame:" + id,
            "capture_timestamp",
            epoch,
            "detection_type",
            "object_detection",
            "processing_stages",
            "[\"capture\"]",
            "tags",
            "{\"site\": \"gate\"}"};
}

void write_capture(RedisClient& redis, const std::string& stream, int from, int count) {
    std::vector<std::vector<std::string>> batch;
    for (int i = from; i < from + count; ++i) batch.push_back(capture_entry(stream, i));
    redis.pipeline(batch);
}

std::vector<json> read_lines(const std::filesystem::path& file) {
    std::vector<json> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        try {
            lines.push_back(json::parse(line));
        } catch (...) {
            // a line being written
        }
    }
    return lines;
}

std::vector<json> wait_for_lines(const std::filesystem::path& file, std::size_t count,
                                 std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto lines = read_lines(file);
    while (lines.size() < count && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(100ms);
        lines = read_lines(file);
    }
    return lines;
}

// Every line completed, with detections, at the capture's time.
void check_completed_with_detections(const std::vector<json>& lines, int count) {
    REQUIRE(lines.size() == static_cast<std::size_t>(count));
    std::map<std::string, int> seen;
    for (const auto& line : lines) {
        INFO(line.dump());
        CHECK(line["state"] == "completed");
        CHECK(line["detections"].size() > 0);
        std::string id = line["frame_id"];
        int i = std::stoi(id.substr(id.find('-') + 1));
        CHECK(line["camera_id"] == "cam" + std::to_string(i % 3));
        CHECK(line["timestamp"] == (kEpoch + i % 60) * 1000 + 250);
        ++seen[id];
    }
    CHECK(seen.size() == static_cast<std::size_t>(count));
}

const char* kDetector =
    "processors: [ { plugin: sample_detector, params: { processing_delay_ms: 0, "
    "detection_threshold: 0.3 } } ]\n";

}  // namespace

TEST_CASE("the capture's stream entries are served by frame-buffer as the original serves them") {
    RedisServer redis;
    RedisClient r(redis.port());
    write_capture(r, "frames:metadata", 7, 1);
    FrameBufferServer fb({"--redis", redis.url()});
    HttpClient client;
    auto answer = json::parse(client.get(fb.url("/frames/dequeue?count=10")).body);
    REQUIRE(answer["count"] == 1);
    CHECK(answer["remaining"] == 0);
    auto frame = answer["frames"][0];
    // Integers where the original converts, every other field the string it was.
    CHECK(frame["width"] == 640);
    CHECK(frame["height"] == 480);
    CHECK(frame["size_bytes"] == 921600);
    CHECK(frame["format"] == "bgr24");
    CHECK(frame["frame_id"] == "cam1-7");
    CHECK(frame["timestamp"] == "2024-12-01T08:00:07.250000");
    CHECK(frame["resolution"] == "[640, 480]");
    CHECK(frame["capture_timestamp"] == "1733040007.250");
    CHECK(frame["processing_stages"] == "[\"capture\"]");
    CHECK(frame["tags"] == "{\"site\": \"gate\"}");
    CHECK(frame["frame_buffer_key"] == "frame:cam1-7");
    // Acknowledged once the answer is written (it may reach this test a moment before).
    CHECK(eventually([&] { return r.pending("frames:metadata", "frame-buffer-group") == 0; }, 5s));
    auto status = json::parse(client.get(fb.url("/frames/status")).body);
    CHECK(status["consumer_running"] == true);
}

TEST_CASE(
    "the capture's frames, through frame-buffer, are consumed by frame_buffer_consumer: all "
    "complete with detections") {
    RedisServer redis;
    RedisClient r(redis.port());
    write_capture(r, "frames:metadata", 0, 200);
    FrameBufferServer fb({"--redis", redis.url()});
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(
        "pipeline: { progress_interval_s: 0, batch_size: 20 }\n"
        "source: { plugin: frame_buffer_consumer, params: { url: \"" +
        fb.url() + "\", batch_size: 20, poll_interval_ms: 20 } }\n" + kDetector +
        "sinks: [ { plugin: jsonl_sink, params: { path: \"" + out.string() + "\" } } ]\n");
    write_capture(r, "frames:metadata", 200, 100);  // while it runs, as a live capture would
    check_completed_with_detections(wait_for_lines(out, 300, 60s), 300);
    auto metrics = json::parse(HttpClient().get(host.url("/metrics")).body);
    CHECK(metrics["processor_metrics"]["frames_processed"] == 300);
    CHECK(metrics["processor_metrics"]["frames_failed"] == 0);
}

TEST_CASE(
    "redis_streams_source reads the capture's stream itself, in a consumer group: all complete "
    "with detections") {
    RedisServer redis;
    RedisClient r(redis.port());
    write_capture(r, "frames:metadata", 0, 300);
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(
        "pipeline: { progress_interval_s: 0, batch_size: 50 }\n"
        "source: { plugin: redis_streams_source, params: { url: \"" +
        redis.url() + "\", stream: \"frames:metadata\", group: processors, batch_size: 50 } }\n" +
        kDetector + "sinks: [ { plugin: jsonl_sink, params: { path: \"" + out.string() +
        "\" } } ]\n");
    check_completed_with_detections(wait_for_lines(out, 300, 60s), 300);
    for (int i = 0; i < 50 && r.pending("frames:metadata", "processors") > 0; ++i)
        std::this_thread::sleep_for(100ms);
    CHECK(r.pending("frames:metadata", "processors") == 0);
}

TEST_CASE(
    "50,000 frames through the Redis front door, hosts consuming in a group: no 503, and the "
    "stream keeps only what is unacknowledged") {
    constexpr int kProducers = 4, kPerProducer = 12500, kHosts = 3;
    RedisServer redis;
    RedisClient r(redis.port());
    FrameBufferServer fb(
        {"--redis", redis.url(), "--stream", "fb:frames", "--max-size", "10000", "--threads", "4"});
    TempDir dir;
    std::vector<std::filesystem::path> outputs;
    std::vector<std::unique_ptr<ChildProcess>> hosts;
    for (int h = 0; h < kHosts; ++h) {
        outputs.push_back(dir / ("host" + std::to_string(h) + ".jsonl"));
        auto config = dir.write(
            "host" + std::to_string(h) + ".yaml",
            "http: { enabled: false }\n"
            "pipeline: { workers: 1, batch_size: 200, progress_interval_s: 0 }\n"
            "source: { plugin: redis_streams_source, params: { url: \"" +
                redis.url() + "\", stream: \"fb:frames\", group: workers, consumer: host-" +
                std::to_string(h) +
                ", batch_size: 200 } }\n"
                "processors: [ { plugin: identity } ]\n"
                "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
                outputs.back().string() + "\", flush: false } } ]\n");
        hosts.push_back(std::make_unique<ChildProcess>(
            kFramehostBinary, std::vector<std::string>{"--config", config.string()}));
    }
    std::atomic<int> accepted{0}, refused{0};
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
            HttpClient client;
            for (int i = 0; i < kPerProducer; ++i) {
                json frame = {{"frame_id", "p" + std::to_string(p) + "-" + std::to_string(i)},
                              {"camera_id", "cam" + std::to_string(p)},
                              {"timestamp", kEpoch + i}};
                auto status = client.post(fb.url("/frames"), frame.dump()).status;
                (status == 200 ? accepted : refused)++;
            }
        });
    }
    for (auto& t : producers) t.join();
    CHECK(refused == 0);
    CHECK(accepted == kProducers * kPerProducer);
    // Every frame reaches a sink once, and the group holds nothing.
    auto deadline = std::chrono::steady_clock::now() + 120s;
    while (std::chrono::steady_clock::now() < deadline &&
           r.pending("fb:frames", "workers") +
                   json::parse(HttpClient().get(fb.url("/frames/status")).body)["buffer"]["size"]
                       .get<long long>() >
               0)
        std::this_thread::sleep_for(200ms);
    for (auto& host : hosts) host->signal(SIGTERM);
    for (auto& host : hosts) CHECK(host->wait(30s) == 0);
    std::map<std::string, int> seen;
    for (const auto& file : outputs)
        for (const auto& line : read_lines(file)) ++seen[line["frame_id"].get<std::string>()];
    CHECK(seen.size() == static_cast<std::size_t>(kProducers * kPerProducer));
    int twice = 0;
    for (const auto& [id, n] : seen) twice += n > 1;
    CHECK(twice == 0);
    auto status = json::parse(HttpClient().get(fb.url("/frames/status")).body);
    CHECK(status["buffer"]["size"] == 0);
    CHECK(r.pending("fb:frames", "workers") == 0);
    CHECK(r.integer({"XLEN", "fb:frames"}) == 0);  // acknowledged by every group: trimmed away
    CHECK(status["redis"]["queue_size"] == 0);
}
