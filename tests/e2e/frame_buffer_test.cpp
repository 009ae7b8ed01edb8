// The frame-buffer binary and its API contract, over loopback.
#include <signal.h>

#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {
json parsed(const HttpResult& r) {
    return json::parse(r.body);
}

std::string frame(const std::string& id, const std::string& camera = "camera_01") {
    // Keys deliberately not in sorted order, to see them come back as sent.
    return R"({"frame_id":")" + id + R"(","timestamp":1234567890,"camera_id":")" + camera +
           R"(","width":640,"height":480,"format":"RGB","metadata":{"zone":"b","area":3}})";
}
}  // namespace

TEST_CASE("frames go in with POST /frames and /frames/enqueue and come back exactly as sent") {
    FrameBufferServer fb;
    HttpClient client;
    auto r = client.post(fb.url("/frames"), frame("test_001"));
    CHECK(r.status == 200);
    auto answer = parsed(r);
    CHECK(answer["status"] == "enqueued");
    CHECK(answer["frame_id"] == "test_001");
    CHECK(!answer["message_id"].get<std::string>().empty());
    CHECK(answer["queue_size"] == 1);
    CHECK(client.post(fb.url("/frames/enqueue"), frame("test_002")).status == 200);

    auto out = client.get(fb.url("/frames/dequeue?count=5"));
    CHECK(out.status == 200);
    CHECK(out.body.find(frame("test_001")) != std::string::npos);  // byte for byte
    auto body = parsed(out);
    CHECK(body["count"] == 2);
    CHECK(body["remaining"] == 0);
    CHECK(body["frames"][1]["frame_id"] == "test_002");
}

TEST_CASE("status, health and clear answer the contract's shapes") {
    FrameBufferServer fb({"--max-size", "10"});
    HttpClient client;
    for (int i = 0; i < 4; ++i) client.post(fb.url("/frames"), frame("f" + std::to_string(i)));
    client.get(fb.url("/frames/dequeue?count=1"));
    auto s = parsed(client.get(fb.url("/frames/status")));
    CHECK(s["connected"] == true);
    CHECK(s["total_frames"] == 4);
    CHECK(s["buffer"]["size"] == 3);
    CHECK(s["buffer"]["max_size"] == 10);
    CHECK(s["buffer"]["usage_percent"] == doctest::Approx(30.0));
    CHECK(s["buffer"]["is_full"] == false);
    CHECK(s["buffer"]["dropped_count"] == 0);
    CHECK(s["buffer"]["total_processed"] == 1);
    CHECK(s["dlq"]["size"] == 0);
    CHECK(parsed(client.get(fb.url("/health")))["status"] == "healthy");
    CHECK(parsed(client.post(fb.url("/buffer/clear"), ""))["cleared"] == 3);
    CHECK(parsed(client.get(fb.url("/frames/status")))["buffer"]["size"] == 0);
}

TEST_CASE("a full buffer answers 503 Buffer full, counts the frame dropped and dead-letters it") {
    FrameBufferServer fb({"--max-size", "2"});
    HttpClient client;
    CHECK(client.post(fb.url("/frames"), frame("a")).status == 200);
    CHECK(client.post(fb.url("/frames"), frame("b")).status == 200);
    auto full = client.post(fb.url("/frames"), frame("c"));
    CHECK(full.status == 503);
    CHECK(parsed(full)["detail"] == "Buffer full");
    auto s = parsed(client.get(fb.url("/frames/status")));
    CHECK(s["buffer"]["is_full"] == true);
    CHECK(s["buffer"]["dropped_count"] == 1);
    CHECK(s["dlq"]["size"] == 1);
}

TEST_CASE("bad input gets a clear 4xx and leaves the buffer intact") {
    FrameBufferServer fb({"--max-body-mb", "1"});
    HttpClient client;
    client.post(fb.url("/frames"), frame("keep-1"));
    auto expect = [&](const HttpResult& r, long status, const std::string& words) {
        CHECK(r.status == status);
        auto detail = parsed(r)["detail"].get<std::string>();
        INFO(detail);
        CHECK(detail.find(words) != std::string::npos);
    };
    // Validation failures in the original's (FastAPI's) shape: 422 {"detail": [{loc, msg, type}]}.
    auto invalid = [&](const HttpResult& r, const json& loc, const std::string& msg,
                       const std::string& type) {
        CHECK(r.status == 422);
        auto detail = parsed(r)["detail"];
        INFO(detail.dump());
        REQUIRE(detail.is_array());
        CHECK(detail[0]["loc"] == loc);
        CHECK(detail[0]["msg"].get<std::string>().find(msg) != std::string::npos);
        CHECK(detail[0]["type"] == type);
    };
    invalid(client.post(fb.url("/frames"), "{oops"), json::array({"body", 1}), "invalid JSON",
            "value_error.jsondecode");
    // A raw newline inside a string is not JSON (RFC 8259: control characters are escaped).
    invalid(client.post(fb.url("/frames"), "{\"frame_id\":\"a\nb\"}"), json::array({"body", 14}),
            "control character U+000A (LF) must be escaped", "value_error.jsondecode");
    invalid(client.post(fb.url("/frames"), R"({"camera_id":"x"})"), {"body", "frame_id"},
            "field required", "value_error.missing");
    invalid(client.post(fb.url("/frames"), R"({"frame_id":""})"), {"body", "frame_id"},
            "non-empty string", "value_error");
    invalid(client.post(fb.url("/frames"), "[1]"), {"body"}, "value is not a valid dict",
            "type_error.dict");
    invalid(client.get(fb.url("/frames/dequeue?count=abc")), {"query", "count"},
            "value is not a valid integer", "type_error.integer");
    invalid(client.post(fb.url("/dlq/reprocess?max_items=x"), ""), {"query", "max_items"},
            "value is not a valid integer", "type_error.integer");
    expect(client.post(fb.url("/frames"), std::string(2u << 20, ' ')), 413, "over the limit");
    CHECK(parsed(client.get(fb.url("/nowhere"))) == json{{"detail", "Not Found"}});
    auto wrong = client.get(fb.url("/frames"));
    CHECK(wrong.status == 405);
    CHECK(wrong.headers["allow"] == "POST");
    CHECK(parsed(wrong) == json{{"detail", "Method Not Allowed"}});
    auto s = parsed(client.get(fb.url("/frames/status")));
    CHECK(s["buffer"]["size"] == 1);
    CHECK(s["total_frames"] == 1);
    // count is clamped to 1..100, as the original does: -5 serves one frame, 1000 at most 100.
    for (int i = 0; i < 150; ++i)
        client.post(fb.url("/frames"), frame("more-" + std::to_string(i)));
    auto one = parsed(client.get(fb.url("/frames/dequeue?count=-5")));
    CHECK(one["count"] == 1);
    CHECK(one["frames"][0]["frame_id"] == "keep-1");
    auto many = parsed(client.get(fb.url("/frames/dequeue?count=1000")));
    CHECK(many["count"] == 100);
    CHECK(many["remaining"] == 50);
}

TEST_CASE("many producers and consumers at once: every frame handed out once, none twice") {
    FrameBufferServer fb({"--max-size", "100000", "--threads", "4"});
    constexpr int kProducers = 4, kPerProducer = 500, kConsumers = 3;
    std::vector<std::thread> threads;
    std::atomic<int> enqueued{0};
    for (int p = 0; p < kProducers; ++p) {
        threads.emplace_back([&, p] {
            HttpClient client;
            for (int i = 0; i < kPerProducer; ++i) {
                auto id = "p" + std::to_string(p) + "-" + std::to_string(i);
                if (client.post(fb.url("/frames"), frame(id, "camera_" + std::to_string(p)))
                        .status == 200)
                    ++enqueued;
            }
        });
    }
    std::mutex seen_mutex;
    std::vector<std::string> seen;
    std::atomic<bool> producing{true};
    std::vector<std::thread> consumers;
    for (int c = 0; c < kConsumers; ++c) {
        consumers.emplace_back([&] {
            HttpClient client;
            while (true) {
                bool producers_done =
                    !producing;  // read before asking, so an empty answer is final
                auto body = parsed(client.get(fb.url("/frames/dequeue?count=17")));
                std::lock_guard lock(seen_mutex);
                for (const auto& f : body["frames"])
                    seen.push_back(f["frame_id"].get<std::string>());
                if (body["count"] == 0 && producers_done) break;
            }
        });
    }
    for (auto& t : threads) t.join();
    producing = false;
    for (auto& t : consumers) t.join();
    CHECK(enqueued == kProducers * kPerProducer);
    std::set<std::string> unique(seen.begin(), seen.end());
    CHECK(seen.size() == static_cast<std::size_t>(kProducers * kPerProducer));
    CHECK(unique.size() == seen.size());
}

TEST_CASE("dequeue order is the enqueue order, so each camera's frames stay in sequence") {
    FrameBufferServer fb;
    HttpClient client;
    for (int i = 0; i < 60; ++i)
        client.post(fb.url("/frames"),
                    frame("f" + std::to_string(i), "camera_" + std::to_string(i % 3)));
    std::map<std::string, int> last;
    int total = 0;
    while (true) {
        auto body = parsed(client.get(fb.url("/frames/dequeue?count=7")));
        if (body["count"] == 0) break;
        for (const auto& f : body["frames"]) {
            int n = std::stoi(f["frame_id"].get<std::string>().substr(1));
            std::string camera = f["camera_id"];
            CHECK(n > (last.count(camera) ? last[camera] : -1));
            last[camera] = n;
            ++total;
        }
    }
    CHECK(total == 60);
}

TEST_CASE("with the Redis backend frames survive a frame-buffer restart") {
    RedisServer redis;
    FrameBufferServer fb({"--redis", redis.url(), "--stream", "test:frames"});
    HttpClient client;
    for (int i = 0; i < 50; ++i)
        CHECK(client.post(fb.url("/frames"), frame("r" + std::to_string(i))).status == 200);
    auto first = parsed(client.get(fb.url("/frames/dequeue?count=10")));
    CHECK(first["count"] == 10);
    // Acknowledged once the answer was written: killed before that, the ten would be served
    // again (at least once); killed after, never twice.
    RedisClient r(redis.port());
    REQUIRE(eventually([&] { return r.pending("test:frames", "frame-buffer") == 0; }, 5s));
    fb.restart();  // SIGKILL, then the same command again
    HttpClient after;
    auto s = parsed(after.get(fb.url("/frames/status")));
    CHECK(s["backend"] == "redis");
    CHECK(s["buffer"]["size"] == 40);
    std::set<std::string> ids;
    while (true) {
        auto body = parsed(after.get(fb.url("/frames/dequeue?count=100")));
        if (body["count"] == 0) break;
        for (const auto& f : body["frames"]) ids.insert(f["frame_id"].get<std::string>());
    }
    CHECK(ids.size() == 40);
    CHECK(ids.count("r10") == 1);
    CHECK(ids.count("r49") == 1);
    CHECK(ids.count("r0") == 0);  // handed out and acknowledged before the restart
}

TEST_CASE(
    "with Redis, entries left pending on the frame-buffer's own consumer (an XACK lost with its "
    "connection) are served again, before newer ones, after a reconnect or restart") {
    RedisServer redis;
    RedisClient r(redis.port());
    FrameBufferServer fb({"--redis", redis.url(), "--stream", "test:frames"});
    HttpClient client;
    client.get(fb.url("/frames/dequeue?count=1"));  // an empty dequeue makes the groups
    for (int i = 0; i < 3; ++i) client.post(fb.url("/frames"), frame("lost-" + std::to_string(i)));
    // What a dequeue does up to its XACK, done here as the frame-buffer's consumer, and never
    // acknowledged: then its connection goes.
    r.pipeline({{"XREADGROUP", "GROUP", "frame-buffer", "frame-buffer", "COUNT", "3", "STREAMS",
                 "test:frames", ">"}});
    CHECK(r.pending("test:frames", "frame-buffer") == 3);
    client.post(fb.url("/frames"), frame("newer"));
    r.integer({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
    std::vector<std::string> ids;
    for (int attempt = 0; attempt < 20 && ids.size() < 4; ++attempt) {
        auto answer = client.get(fb.url("/frames/dequeue?count=10"));
        if (answer.status == 200) {
            auto body = parsed(answer);
            for (const auto& f : body["frames"]) ids.push_back(f["frame_id"]);
        } else {
            std::this_thread::sleep_for(100ms);  // the dequeue that met the killed connection
        }
    }
    CHECK(json(ids).dump() == R"(["lost-0","lost-1","lost-2","newer"])");
    // Acknowledged once the answer is written (it may reach this test a moment before).
    CHECK(eventually([&] { return r.pending("test:frames", "frame-buffer") == 0; }, 5s));

    // And across a restart.
    for (int i = 0; i < 2; ++i) client.post(fb.url("/frames"), frame("again-" + std::to_string(i)));
    r.pipeline({{"XREADGROUP", "GROUP", "frame-buffer", "frame-buffer", "COUNT", "2", "STREAMS",
                 "test:frames", ">"}});
    fb.restart();
    HttpClient after;
    auto body = parsed(after.get(fb.url("/frames/dequeue?count=10")));
    REQUIRE(body["frames"].size() == 2);
    CHECK(body["frames"][0]["frame_id"] == "again-0");
    CHECK(body["frames"][1]["frame_id"] == "again-1");
    // Acknowledged once the answer is written (it may reach this test a moment before).
    CHECK(eventually([&] { return r.pending("test:frames", "frame-buffer") == 0; }, 5s));
}

TEST_CASE("frame-buffer refuses a bad command line and an unreachable Redis") {
    CHECK(run_program(kFrameBufferBinary, {"--max-size", "0"}).exit_code == 2);
    CHECK(run_program(kFrameBufferBinary, {"--bogus"}).exit_code == 2);
    auto bad_url = run_program(kFrameBufferBinary, {"--redis", "http://nope", "--port", "0"});
    CHECK(bad_url.exit_code == 1);
    CHECK(bad_url.err.find("not a redis:// URL") != std::string::npos);
    auto unreachable =
        run_program(kFrameBufferBinary,
                    {"--redis", "redis://127.0.0.1:" + std::to_string(free_port()), "--port", "0"});
    CHECK(unreachable.exit_code == 1);
    CHECK(unreachable.err.find("Redis at 127.0.0.1") != std::string::npos);
}

TEST_CASE("backpressure reports usage, severity, events and the original's advice") {
    FrameBufferServer fb({"--max-size", "10"});
    HttpClient client;
    auto report = [&] { return parsed(client.get(fb.url("/buffer/backpressure"))); };
    auto idle = report();
    CHECK(
        idle["buffer"] ==
        json{{"current_size", 0}, {"max_size", 10}, {"usage_ratio", 0.0}, {"usage_percent", 0.0}});
    CHECK(idle["backpressure"]["severity"] == "none");
    CHECK(idle["backpressure"]["is_experiencing_backpressure"] == false);
    CHECK(idle["backpressure"]["total_events"] == 0);
    CHECK(idle["backpressure"]["last_event_time"].is_null());
    CHECK(idle["backpressure"]["seconds_since_last_event"].is_null());
    CHECK(idle["consumer"] == json{{"running", false}, {"batch_size", 0}});
    CHECK(idle["recommendations"] == json::array());
    const std::pair<int, const char*> levels[] = {{6, "moderate"}, {8, "high"}, {10, "critical"}};
    int posted = 0;
    for (auto [size, severity] : levels) {
        while (posted < size)
            CHECK(client.post(fb.url("/frames"), frame("bp" + std::to_string(posted++))).status ==
                  200);
        auto r = report();
        CHECK(r["buffer"]["current_size"] == size);
        CHECK(r["backpressure"]["severity"] == severity);
        CHECK(r["backpressure"]["is_experiencing_backpressure"] == (size > 7));
    }
    CHECK(client.post(fb.url("/frames"), frame("refused")).status == 503);
    auto full = report();
    CHECK(full["backpressure"]["total_events"] == 1);
    CHECK(full["backpressure"]["last_event_time"].get<double>() > 1.7e9);
    CHECK(full["backpressure"]["seconds_since_last_event"].get<double>() < 10);
    CHECK(full["recommendations"] ==
          json{"CRITICAL: Buffer is almost full. Consider scaling consumers.",
               "Increase consumer batch size or add more consumer instances.",
               "Recent backpressure detected. System may be under load."});
}

TEST_CASE("dead letters: listed, put back when there is room, exactly as sent, and cleared") {
    RedisServer redis;
    for (bool with_redis : {false, true}) {
        CAPTURE(with_redis);
        std::vector<std::string> args = {"--max-size", "2"};
        if (with_redis)
            args.insert(args.end(),
                        {"--redis", redis.url(), "--stream", "dlq-test", "--dlq", "dlq-test:dead"});
        FrameBufferServer fb(args);
        HttpClient client;
        for (const char* id : {"a", "b", "c", "d", "e"}) client.post(fb.url("/frames"), frame(id));
        auto status = parsed(client.get(fb.url("/dlq/status")));
        CHECK(status["size"] == 3);
        CHECK(status["connected"] == true);
        REQUIRE(status["recent_failures"].size() == 3);
        auto first = status["recent_failures"][0];
        CHECK(first["reason"] == "buffer_full");
        CHECK(first["frame_id"] == "c");
        CHECK(first["timestamp"] ==
              first["id"].get<std::string>().substr(0, first["id"].get<std::string>().find('-')));
        if (with_redis)
            CHECK(parsed(client.get(fb.url("/frames/status")))["redis"]["dlq_size"] == 3);

        CHECK(parsed(client.get(fb.url("/frames/dequeue?count=2")))["count"] == 2);  // room for two
        auto again = parsed(client.post(fb.url("/dlq/reprocess?max_items=100"), ""));
        CHECK(again == json{{"reprocessed", 2}, {"failed", 1}, {"remaining", 1}});
        auto back = client.get(fb.url("/frames/dequeue?count=10"));
        CHECK(back.body.find(frame("c")) != std::string::npos);  // byte for byte, as first posted
        CHECK(back.body.find(frame("d")) != std::string::npos);
        auto cleared = parsed(client.post(fb.url("/frames/dlq/clear"), ""));
        CHECK(cleared == json{{"status", "cleared"},
                              {"message", "DLQ cleared successfully"},
                              {"cleared_count", 1}});
        CHECK(parsed(client.get(fb.url("/dlq/status")))["size"] == 0);
    }
}

TEST_CASE("POST /test-frame enqueues and dequeues one frame inside a trace") {
    FrameBufferServer fb;
    HttpClient client;
    auto r = client.post(fb.url("/test-frame"), R"({"frame_id":"probe-1","camera_id":"cam9"})");
    REQUIRE(r.status == 200);
    auto body = parsed(r);
    CHECK(body["frame_tracking_enabled"] == true);
    std::string trace_id = body["trace_id"];
    CHECK(trace_id.size() == 32);
    CHECK(body["enqueue_result"]["status"] == "enqueued");
    CHECK(body["enqueue_result"]["frame_id"] == "probe-1");
    REQUIRE(body["dequeue_result"]["count"] == 1);
    auto served = body["dequeue_result"]["frames"][0];
    CHECK(served["frame_id"] == "probe-1");
    CHECK(served["traceparent"].get<std::string>().find(trace_id) == 3);
    auto continued = parsed(client.post(
        fb.url("/test-frame"),
        R"({"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})"));
    CHECK(continued["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(continued["enqueue_result"]["frame_id"] == "test");  // the original's default id
    CHECK(client.post(fb.url("/test-frame"), "[]").status == 422);
}

TEST_CASE(
    "GET /metrics is Prometheus text that promtool accepts, under the original's metric names") {
    FrameBufferServer fb({"--max-size", "1"});
    HttpClient client;
    client.post(fb.url("/frames"), frame("m1"));
    client.post(fb.url("/frames"), frame("m2"));  // refused: full
    client.get(fb.url("/frames/dequeue?count=5"));
    auto r = client.get(fb.url("/metrics"));
    REQUIRE(r.status == 200);
    CHECK(r.headers["content-type"].find("text/plain; version=0.0.4") == 0);
    auto has = [&](const std::string& line) {
        INFO(line);
        CHECK(r.body.find(line + "\n") != std::string::npos);
    };
    has(R"(frame_buffer_frames_total{operation="enqueue",status="success"} 1)");
    has(R"(frame_buffer_frames_total{operation="enqueue",status="dropped"} 1)");
    has(R"(frame_buffer_frames_total{operation="dequeue",status="success"} 1)");
    has(R"(frame_buffer_dlq_total{reason="buffer_full"} 1)");
    has("frame_buffer_queue_size 0");
    has(R"(frame_buffer_processing_seconds_count{operation="enqueue"} 2)");
    TempDir dir;
    auto file = dir.write("metrics.txt", r.body);
    auto check = run_program("/bin/sh", {"-c", "promtool check metrics < " + file.string()});
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
}

TEST_CASE(
    "health carries the original's checks, and frames/status its consumer and Redis figures") {
    FrameBufferServer fb({"--max-size", "4"});
    HttpClient client;
    auto before = parsed(client.get(fb.url("/health")));
    CHECK(before["status"] == "healthy");
    CHECK(before["version"].is_string());
    CHECK(before["uptime_seconds"].get<double>() >= 0);
    CHECK(before["checks"]["redis"]["healthy"] == true);
    CHECK(before["checks"]["redis"]["connected"] == false);  // the memory backend uses none
    CHECK(before["checks"]["frame_processing"] ==
          json{{"healthy", true}, {"last_frame_age", nullptr}});
    client.post(fb.url("/frames"), frame("h1"));
    auto after = parsed(client.get(fb.url("/health")));
    CHECK(after["checks"]["frame_processing"]["last_frame_age"].get<double>() < 10);
    CHECK(after["checks"]["buffer"] ==
          json{{"healthy", true}, {"size", 1}, {"max_size", 4}, {"utilization", 0.25}});
    auto status = parsed(client.get(fb.url("/frames/status")));
    CHECK(status["consumer_running"] == false);
    CHECK(status["redis"] == json{{"queue_size", -1}, {"dlq_size", -1}});
    CHECK(parsed(client.get(fb.url("/ready"))) == json{{"ready", true}});
}

TEST_CASE("the original's environment variables configure it, and flags win over them") {
    RedisServer redis;
    auto port = free_port();
    FrameBufferServer env_only({}, port,
                               {{"PORT", std::to_string(port)},
                                {"MAX_BUFFER_SIZE", "3"},
                                {"REDIS_HOST", "127.0.0.1"},
                                {"REDIS_PORT", std::to_string(redis.port())},
                                {"REDIS_DB", "0"},
                                {"FRAME_QUEUE_NAME", "env:queue"},
                                {"DLQ_NAME", "env:dlq"},
                                {"REDIS_STREAM_KEY", "env:capture"},
                                {"CONSUMER_BATCH_SIZE", "7"}},
                               true);
    HttpClient client;
    for (int i = 0; i < 4; ++i)
        client.post(env_only.url("/frames"), frame("e" + std::to_string(i)));
    auto status = parsed(client.get(env_only.url("/frames/status")));
    CHECK(status["backend"] == "redis");
    CHECK(status["buffer"]["max_size"] == 3);
    CHECK(status["redis"] == json{{"queue_size", 3}, {"dlq_size", 1}});
    CHECK(status["consumer_running"] == true);
    CHECK(parsed(client.get(env_only.url("/buffer/backpressure")))["consumer"]["batch_size"] == 7);
    RedisClient r(redis.port());
    CHECK(r.integer({"XLEN", "env:queue"}) == 3);
    CHECK(r.integer({"XLEN", "env:dlq"}) == 1);

    FrameBufferServer flags({"--max-size", "5"}, 0, {{"MAX_BUFFER_SIZE", "3"}});
    CHECK(parsed(client.get(flags.url("/frames/status")))["buffer"]["max_size"] == 5);
}

TEST_CASE(
    "a dequeue answer holds at most --max-body-mb of frames, the rest stay, in order, memory and "
    "Redis alike") {
    RedisServer redis;
    for (bool with_redis : {false, true}) {
        CAPTURE(with_redis);
        std::vector<std::string> args = {"--max-body-mb", "1"};
        if (with_redis) args.insert(args.end(), {"--redis", redis.url(), "--stream", "budget"});
        FrameBufferServer fb(args);
        HttpClient client;
        std::string pixels(400 * 1024, 'A');
        for (int i = 0; i < 5; ++i)
            REQUIRE(client
                        .post(fb.url("/frames"), R"({"frame_id":"b)" + std::to_string(i) +
                                                     R"(","frame_data":")" + pixels + "\"}")
                        .status == 200);
        std::vector<std::string> order;
        std::vector<long> counts;
        for (int call = 0; call < 4; ++call) {
            auto answer = parsed(client.get(fb.url("/frames/dequeue?count=5")));
            counts.push_back(answer["count"]);
            for (const auto& f : answer["frames"]) order.push_back(f["frame_id"]);
        }
        CHECK(counts == std::vector<long>{2, 2, 1, 0});  // 2 x 400 KB fit in 1 MB, 3 do not
        CHECK(order == std::vector<std::string>{"b0", "b1", "b2", "b3", "b4"});
    }
}

TEST_CASE("a frame sent with a UTF-8 byte order mark is stored and served without it") {
    FrameBufferServer fb;
    HttpClient client;
    CHECK(client.post(fb.url("/frames"), "\xEF\xBB\xBF{\"frame_id\":\"bom\"}").status == 200);
    CHECK(client.post(fb.url("/frames"), R"({"frame_id":"plain"})").status == 200);
    auto answer = client.get(fb.url("/frames/dequeue?count=5"));
    auto frames = parsed(answer)["frames"];  // the whole answer parses: no BOM spliced inside
    REQUIRE(frames.size() == 2);
    CHECK(frames[0] == json{{"frame_id", "bom"}});
}
