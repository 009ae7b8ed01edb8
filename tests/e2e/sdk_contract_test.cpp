// SDK 1.0's promises through the real framehost binary: delivery settled through the sinks
// against a real redis-server, many sources supervised apart, plugins that throw anything or
// hang never take the host down, and /health says what is wrong.
#include <signal.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {
json parsed(const HttpResult& r) {
    return json::parse(r.body);
}

template <class Done>
bool eventually(Done done, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(100ms);
    }
    return done();
}
}  // namespace

TEST_CASE(
    "a sink failing every 7th frame against a real redis-server: exactly those stay pending, are "
    "redelivered, and end dead-lettered") {
    RedisServer redis;
    RedisClient r(redis.port());
    std::vector<std::vector<std::string>> batch;
    for (int i = 0; i < 70; ++i)
        batch.push_back({"XADD", "frames", "*", "frame",
                         json({{"frame_id", "f" + std::to_string(i)}, {"camera_id", "c"}}).dump()});
    r.pipeline(batch);
    TempDir dir;
    auto config = dir.write("host.yaml",
                            "http: { enabled: false }\n"
                            "pipeline: { workers: 2, batch_size: 10, progress_interval_s: 0 }\n"
                            "source: { plugin: redis_streams_source, params: { url: \"" +
                                redis.url() +
                                "\", stream: frames, group: g, consumer: h1, claim_idle_ms: 300, "
                                "max_deliveries: 3, dead_letter_stream: \"frames:dead\" } }\n"
                                "processors: [ { plugin: identity } ]\n"
                                "sinks: [ { plugin: fixture_sink, params: { fail_every: 7 } } ]\n");
    ChildProcess host(kFramehostBinary,
                      {"--config", config.string(), "--plugin-path", kFixturePluginDir});
    // Every undelivered frame is claimed again after 300 ms; after 3 deliveries it is
    // dead-lettered.
    bool done = eventually(
        [&] {
            return r.integer({"XLEN", "frames:dead"}) >= 10 && r.pending("frames", "g") == 0;
        },
        60s);
    INFO(host.err());
    CHECK(done);
    std::set<std::string> dead;
    for (const auto& text : r.field_values("frames:dead", "frame"))
        dead.insert(json::parse(text)["frame_id"].get<std::string>());
    std::set<std::string> expected;
    for (int i = 0; i < 70; i += 7) expected.insert("f" + std::to_string(i));
    CHECK(dead == expected);  // exactly the refused ones, each once
    CHECK(r.integer({"XLEN", "frames:dead"}) == 10);
    host.signal(SIGTERM);
    CHECK(host.wait(20s) == 0);
}

TEST_CASE(
    "two sources in one host, one failing: both in /health and /metrics by name, the other "
    "unaffected") {
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\n"
        "sources:\n"
        "  - { plugin: synthetic_source, name: cam_a, params: { rate_fps: 200 } }\n"
        "  - { plugin: frame_buffer_consumer, name: cam_b, params: { url: \"http://127.0.0.1:" +
        std::to_string(free_port()) +
        "\", backoff_ms: 50, max_backoff_ms: 200 } }\n"
        "processors: [ { plugin: sample_detector, params: { processing_delay_ms: 0 } } ]\n");
    HttpClient client;
    json health;
    REQUIRE(eventually(
        [&] {
            health = parsed(client.get(host.url("/health")));
            return health["details"]["sources"]["cam_a"]["frames"].get<int>() > 100 &&
                   health["details"]["sources"]["cam_b"]["consecutive_errors"].get<int>() > 1;
        },
        20s));
    auto a = health["details"]["sources"]["cam_a"], b = health["details"]["sources"]["cam_b"];
    CHECK(a["connected"] == true);
    CHECK(b["connected"] == false);
    CHECK(b["last_error"].get<std::string>().find("connect failed") != std::string::npos);
    CHECK(health["status"] == "degraded");
    bool named = false;
    for (const auto& reason : health["details"]["reasons"])
        named = named || reason.get<std::string>().find("'cam_b'") != std::string::npos;
    CHECK(named);
    auto before = health["details"]["sources"]["cam_a"]["frames"].get<int>();
    std::this_thread::sleep_for(500ms);
    CHECK(parsed(client.get(host.url("/health")))["details"]["sources"]["cam_a"]["frames"]
              .get<int>() > before + 50);
    auto text = client.get(host.url("/metrics"), {"Accept: text/plain"}).body;
    CHECK(text.find("framehost_source_up{source=\"cam_a\"} 1\n") != std::string::npos);
    CHECK(text.find("framehost_source_up{source=\"cam_b\"} 0\n") != std::string::npos);
    CHECK(client.get(host.url("/ready")).status == 503);  // cam_b has not reached its upstream
}

TEST_CASE(
    "a processor that throws something that is not a std::exception fails those frames, the host "
    "runs on") {
    RunningHost host(R"(pipeline: { progress_interval_s: 0 }
source: { plugin: synthetic_source, params: { rate_fps: 300 } }
processors: [ { plugin: fixture_processor, params: { mode: throw_non_std, every: 2 } } ]
)",
                     {"--plugin-path", kFixturePluginDir});
    HttpClient client;
    json m;
    REQUIRE(eventually(
        [&] {
            m = parsed(client.get(host.url("/metrics")));
            return m["processor_metrics"]["frames_failed"].get<int>() > 20 &&
                   m["processor_metrics"]["frames_processed"].get<int>() > 20;
        },
        20s));
    CHECK(m["processor_metrics"]["error_types"]["fixture_processor"].get<int>() > 20);
    CHECK(m["state_statistics"]["recent_failures"][0]["error"] ==
          "threw something that is not a std::exception");
    CHECK(host.process().running());
}

TEST_CASE(
    "a plugin whose constructor throws something that is not a std::exception stops the host "
    "cleanly, naming it") {
    TempDir dir;
    auto config = dir.write("host.yaml", R"(http: { enabled: false }
source: { plugin: synthetic_source, params: { count: 1 } }
processors: [ { plugin: fixture_processor, params: { mode: throw_non_std_in_constructor } } ]
)");
    auto r = run_program(kFramehostBinary,
                         {"--config", config.string(), "--plugin-path", kFixturePluginDir});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("'fixture_processor' (fixture_processor) could not be created: threw "
                     "something that is not a std::exception") != std::string::npos);
}

TEST_CASE("a hung process() shows stuck in /health, and /ready answers 503, within seconds") {
    RunningHost host(
        R"(pipeline: { progress_interval_s: 0, stuck_call_ms: 500, shutdown_timeout_s: 1, batch_size: 1 }
source: { plugin: synthetic_source, params: { rate_fps: 50 } }
processors: [ { plugin: fixture_processor, params: { mode: hang, match_prefix: frame-3 } } ]
)",
        {"--plugin-path", kFixturePluginDir});
    HttpClient client;
    auto started = std::chrono::steady_clock::now();
    json health;
    REQUIRE(eventually(
        [&] {
            health = parsed(client.get(host.url("/health")));
            return health["details"]["plugins"]["fixture_processor"].contains("stuck");
        },
        10s));
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    auto stuck = health["details"]["plugins"]["fixture_processor"]["stuck"];
    CHECK(stuck["call"] == "process");
    CHECK(stuck["seconds"].get<double>() > 0.5);
    CHECK(health["status"] == "degraded");
    auto ready = client.get(host.url("/ready"));
    CHECK(ready.status == 503);
    CHECK(parsed(ready)["reason"].get<std::string>().find(
              "'fixture_processor' is stuck: its process() call has run") != std::string::npos);
    CHECK(client.get(host.url("/live")).status == 200);
}
