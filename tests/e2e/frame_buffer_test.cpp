// The frame-buffer binary and its API contract, over loopback.
#include <signal.h>

#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {
json parsed(const HttpResult& r) { return json::parse(r.body); }

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
    expect(client.post(fb.url("/frames"), "{oops"), 400, "invalid JSON");
    expect(client.post(fb.url("/frames"), R"({"camera_id":"x"})"), 422, "frame_id is required");
    expect(client.post(fb.url("/frames"), R"({"frame_id":""})"), 422, "frame_id is required");
    expect(client.post(fb.url("/frames"), "[1]"), 422, "JSON object");
    expect(client.post(fb.url("/frames"), std::string(2u << 20, ' ')), 413, "over the limit");
    expect(client.get(fb.url("/frames/dequeue?count=-5")), 422, "at least 1");
    expect(client.get(fb.url("/frames/dequeue?count=abc")), 422, "integer");
    expect(client.get(fb.url("/nowhere")), 404, "Not Found");
    expect(client.get(fb.url("/frames")), 405, "Method Not Allowed");
    auto s = parsed(client.get(fb.url("/frames/status")));
    CHECK(s["buffer"]["size"] == 1);
    CHECK(s["total_frames"] == 1);
    // count is clamped to 100; the frame is still there to be dequeued once.
    auto out = parsed(client.get(fb.url("/frames/dequeue?count=1000")));
    CHECK(out["count"] == 1);
    CHECK(out["frames"][0]["frame_id"] == "keep-1");
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
                if (client.post(fb.url("/frames"), frame(id, "camera_" + std::to_string(p))).status == 200) ++enqueued;
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
                bool producers_done = !producing;  // read before asking, so an empty answer is final
                auto body = parsed(client.get(fb.url("/frames/dequeue?count=17")));
                std::lock_guard lock(seen_mutex);
                for (const auto& f : body["frames"]) seen.push_back(f["frame_id"].get<std::string>());
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
    for (int i = 0; i < 60; ++i) client.post(fb.url("/frames"), frame("f" + std::to_string(i), "camera_" + std::to_string(i % 3)));
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
    for (int i = 0; i < 50; ++i) CHECK(client.post(fb.url("/frames"), frame("r" + std::to_string(i))).status == 200);
    auto first = parsed(client.get(fb.url("/frames/dequeue?count=10")));
    CHECK(first["count"] == 10);
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
    CHECK(ids.count("r0") == 0);  // handed out before the restart, never twice
}

TEST_CASE("frame-buffer refuses a bad command line and an unreachable Redis") {
    CHECK(run_program(kFrameBufferBinary, {"--max-size", "0"}).exit_code == 2);
    CHECK(run_program(kFrameBufferBinary, {"--bogus"}).exit_code == 2);
    auto bad_url = run_program(kFrameBufferBinary, {"--redis", "http://nope", "--port", "0"});
    CHECK(bad_url.exit_code == 1);
    CHECK(bad_url.err.find("not a redis:// URL") != std::string::npos);
    auto unreachable = run_program(kFrameBufferBinary, {"--redis", "redis://127.0.0.1:" + std::to_string(free_port()), "--port", "0"});
    CHECK(unreachable.exit_code == 1);
    CHECK(unreachable.err.find("Redis at 127.0.0.1") != std::string::npos);
}
