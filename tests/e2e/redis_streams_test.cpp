// Scale-out on Redis Streams: several real framehost processes in one consumer group, a real
// redis-server, real SIGKILLs.
#include <signal.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
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

void fill_stream(RedisClient& redis, const std::string& stream, const std::string& prefix,
                 int count) {
    std::vector<std::vector<std::string>> batch;
    for (int i = 0; i < count; ++i) {
        batch.push_back({"XADD", stream, "*", "frame",
                         json({{"frame_id", prefix + std::to_string(i)},
                               {"camera_id", "camera_0" + std::to_string(i % 4)},
                               {"width", 8},
                               {"height", 4}})
                             .dump()});
        if (batch.size() == 1000) {
            redis.pipeline(batch);
            batch.clear();
        }
    }
    if (!batch.empty()) redis.pipeline(batch);
}

std::string host_config(const RedisServer& redis, const std::filesystem::path& out,
                        const std::string& consumer) {
    return "http: { enabled: false }\n"
           "pipeline: { workers: 2, batch_size: 50, progress_interval_s: 0, shutdown_timeout_s: 20 "
           "}\n"
           "source: { plugin: redis_streams_source, params: { url: \"" +
           redis.url() + "\", stream: frames, group: workers, consumer: " + consumer +
           ", batch_size: 50, claim_idle_ms: 5000, max_deliveries: 3, dead_letter_stream: "
           "frames:dead,"
           " backoff_ms: 100, max_backoff_ms: 500 } }\n"
           "processors:\n"
           "  - { plugin: fixture_processor, params: { mode: throw, match_prefix: poison- } }\n"
           "  - { plugin: sample_detector, params: { processing_delay_ms: 1 } }\n"
           "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
           out.string() + "\" } } ]\n";
}

std::vector<std::string> ids_in(const std::filesystem::path& file) {
    std::vector<std::string> ids;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        try {
            ids.push_back(json::parse(line)["frame_id"]);
        } catch (...) {
            // a SIGKILLed writer may leave half a line
        }
    }
    return ids;
}

struct Fleet {
    TempDir dir;
    std::vector<std::filesystem::path> outputs;
    std::vector<std::unique_ptr<ChildProcess>> hosts;

    Fleet(const RedisServer& redis, int count) {
        for (int i = 0; i < count; ++i) {
            outputs.push_back(dir / ("host" + std::to_string(i) + ".jsonl"));
            auto config =
                dir.write("host" + std::to_string(i) + ".yaml",
                          host_config(redis, outputs.back(), "host-" + std::to_string(i)));
            hosts.push_back(std::make_unique<ChildProcess>(
                kFramehostBinary, std::vector<std::string>{"--config", config.string(),
                                                           "--plugin-path", kFixturePluginDir}));
        }
    }
    std::map<std::string, int> counts() const {
        std::map<std::string, int> seen;
        for (const auto& file : outputs)
            for (const auto& id : ids_in(file)) ++seen[id];
        return seen;
    }
};

// Waits until every normal frame reached a sink, the dead letters are in and nothing is pending.
bool wait_until_done(const Fleet& fleet, RedisClient& redis, const std::string& prefix, int normal,
                     long long dead, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto seen = fleet.counts();
        int found = 0;
        for (int i = 0; i < normal; ++i) found += seen.count(prefix + std::to_string(i)) ? 1 : 0;
        if (found == normal && redis.pending("frames", "workers") == 0 &&
            redis.integer({"XLEN", "frames:dead"}) == dead)
            return true;
        std::this_thread::sleep_for(200ms);
    }
    return false;
}

}  // namespace

TEST_CASE(
    "three hosts share a stream, one is SIGKILLed mid-run, no frame is lost, poison goes to the "
    "dead letters") {
    RedisServer redis;
    RedisClient client(redis.port());
    constexpr int kFrames = 20000, kPoison = 10;
    fill_stream(client, "frames", "f", kFrames);
    fill_stream(client, "frames", "poison-", kPoison);

    Fleet fleet(redis, 3);
    // Kill host 0 once it has taken part of the work.
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (ids_in(fleet.outputs[0]).size() < 1000 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    REQUIRE(fleet.hosts[0]->running());
    fleet.hosts[0]->signal(SIGKILL);
    fleet.hosts[0]->wait(5s);
    auto killed_ids = ids_in(fleet.outputs[0]);
    std::set<std::string> processed_by_killed(killed_ids.begin(), killed_ids.end());
    CHECK(processed_by_killed.size() < static_cast<std::size_t>(kFrames));  // it died mid-run

    REQUIRE(wait_until_done(fleet, client, "f", kFrames, kPoison, 120s));
    auto seen = fleet.counts();
    for (int i = 0; i < kFrames; ++i) {
        std::string id = "f" + std::to_string(i);
        if (seen[id] > 1) {
            // Only frames the killed host had taken and not acknowledged are seen twice.
            CAPTURE(id);
            CHECK(processed_by_killed.count(id) == 1);
            CHECK(seen[id] == 2);
        }
    }
    std::size_t duplicates = 0;
    for (const auto& [id, n] : seen) duplicates += n > 1 ? n - 1 : 0;
    MESSAGE("frames seen twice: " << duplicates << " (the killed host processed "
                                  << processed_by_killed.size() << ")");
    CHECK(client.pending("frames", "workers") == 0);
    auto dead = client.field_values("frames:dead", "frame_id");
    std::set<std::string> dead_ids(dead.begin(), dead.end());
    CHECK(dead.size() == kPoison);
    for (int i = 0; i < kPoison; ++i) CHECK(dead_ids.count("poison-" + std::to_string(i)) == 1);

    for (std::size_t i = 1; i < fleet.hosts.size(); ++i) fleet.hosts[i]->signal(SIGTERM);
    for (std::size_t i = 1; i < fleet.hosts.size(); ++i) CHECK(fleet.hosts[i]->wait(30s) == 0);
}

TEST_CASE("Redis restarted mid-run: the hosts reconnect by themselves and nothing is lost") {
    RedisServer redis(true);
    RedisClient client(redis.port());
    constexpr int kFrames = 6000;
    fill_stream(client, "frames", "g", kFrames);
    Fleet fleet(redis, 2);
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (fleet.counts().size() < 1000 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    redis.stop();
    std::this_thread::sleep_for(1s);
    CHECK(fleet.hosts[0]->running());
    CHECK(fleet.hosts[1]->running());
    redis.restart();
    RedisClient after(redis.port());
    REQUIRE(wait_until_done(fleet, after, "g", kFrames, 0, 120s));
    CHECK(after.pending("frames", "workers") == 0);
    for (auto& host : fleet.hosts) {
        CHECK(host->running());  // recovered without a restart of its own
        host->signal(SIGTERM);
        CHECK(host->wait(30s) == 0);
    }
    auto err = fleet.hosts[0]->err();
    CHECK(err.find("retrying with backoff") != std::string::npos);
}

TEST_CASE(
    "on SIGTERM a host stops reading, finishes and acknowledges what it holds, and leaves the rest "
    "for others") {
    RedisServer redis;
    RedisClient client(redis.port());
    fill_stream(client, "frames", "t", 2000);
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config = dir.write("h.yaml", host_config(redis, out, "leaver"));
    ChildProcess host(kFramehostBinary,
                      {"--config", config.string(), "--plugin-path", kFixturePluginDir});
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (ids_in(out).size() < 200 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    host.signal(SIGTERM);
    CHECK(host.wait(30s) == 0);
    auto done = ids_in(out);
    CHECK(done.size() < 2000u);                       // it stopped reading early
    CHECK(client.pending("frames", "workers") == 0);  // and acknowledged everything it took
    // What it never took is still there for the next host.
    TempDir next_dir;
    auto next_out = next_dir / "next.jsonl";
    auto next_config = next_dir.write("n.yaml", host_config(redis, next_out, "successor"));
    ChildProcess successor(kFramehostBinary,
                           {"--config", next_config.string(), "--plugin-path", kFixturePluginDir});
    deadline = std::chrono::steady_clock::now() + 60s;
    while (ids_in(next_out).size() + done.size() < 2000u &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    auto rest = ids_in(next_out);
    std::set<std::string> all(done.begin(), done.end());
    all.insert(rest.begin(), rest.end());
    CHECK(all.size() == 2000u);
    CHECK(done.size() + rest.size() ==
          2000u);  // nothing twice: every frame the leaver took was acknowledged
}

TEST_CASE(
    "entries a dead consumer held are claimed, and ones delivered max_deliveries times are "
    "dead-lettered") {
    RedisServer redis;
    RedisClient client(redis.port());
    fill_stream(client, "frames", "held", 20);
    client.integer({"XGROUP", "CREATE", "frames", "workers", "0"});
    // A consumer that takes 20 entries and dies without acknowledging them...
    client.pipeline(
        {{"XREADGROUP", "GROUP", "workers", "ghost", "COUNT", "20", "STREAMS", "frames", ">"}});
    // ...and five of them have already been delivered three times (crash loops elsewhere).
    CHECK(client.pending("frames", "workers") == 20);
    std::vector<std::vector<std::string>> reclaims;
    auto entry_ids = client.pending_ids("frames", "workers", 5);
    for (int round = 0; round < 2; ++round) {
        std::vector<std::string> claim = {"XCLAIM", "frames", "workers", "ghost", "0"};
        claim.insert(claim.end(), entry_ids.begin(), entry_ids.end());
        reclaims.push_back(claim);
    }
    client.pipeline(reclaims);
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config =
        dir.write("h.yaml",
                  "http: { enabled: false }\n"
                  "pipeline: { progress_interval_s: 0 }\n"
                  "source: { plugin: redis_streams_source, params: { url: \"" +
                      redis.url() +
                      "\", stream: frames, group: workers, consumer: living, claim_idle_ms: 100,"
                      " max_deliveries: 3, dead_letter_stream: frames:dead } }\n"
                      "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
                      out.string() + "\" } } ]\n");
    ChildProcess host(kFramehostBinary, {"--config", config.string()});
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while ((ids_in(out).size() < 15 || client.pending("frames", "workers") != 0) &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    CHECK(ids_in(out).size() == 15);  // the other 15 were claimed and processed
    CHECK(client.pending("frames", "workers") == 0);
    auto reasons = client.field_values("frames:dead", "reason");
    REQUIRE(reasons.size() == 5);
    CHECK(reasons[0].find("delivered 3 times") != std::string::npos);
    host.signal(SIGTERM);
    CHECK(host.wait(20s) == 0);
}

TEST_CASE(
    "every entry is settled by its own id: five without frame_id are five dead letters, twins "
    "are told apart, and nothing held is claimed from the host holding it") {
    RedisServer redis;
    RedisClient client(redis.port());
    std::vector<std::vector<std::string>> adds;
    for (int i = 1; i <= 5; ++i)
        adds.push_back({"XADD", "frames", "1-" + std::to_string(i), "camera_id", "cam"});
    adds.push_back({"XADD", "frames", "2-1", "frame",
                    json({{"frame_id", "twin"}, {"width", 8}, {"height", 4}}).dump()});
    adds.push_back({"XADD", "frames", "2-2", "frame",
                    json({{"frame_id", "twin"}, {"width", "wide"}, {"height", 4}}).dump()});
    // Slow frames: with 1 worker at 100 ms each, the last wait in the host's queue for about
    // 3 s, three times claim_idle_ms.
    for (int i = 0; i < 30; ++i)
        adds.push_back({"XADD", "frames", "3-" + std::to_string(i + 1), "frame",
                        json({{"frame_id", "slow-" + std::to_string(i)}}).dump()});
    client.pipeline(adds);
    client.integer({"XGROUP", "CREATE", "frames", "workers", "0"});
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config =
        dir.write("h.yaml",
                  "http: { enabled: false }\n"
                  "pipeline: { workers: 1, batch_size: 1, progress_interval_s: 0 }\n"
                  "source: { plugin: redis_streams_source, params: { url: \"" +
                      redis.url() +
                      "\", stream: frames, group: workers, group_start: \"0\", consumer: only, "
                      "batch_size: 50, claim_idle_ms: 1000, dead_letter_stream: frames:dead } }\n"
                      "processors: [ { plugin: sample_detector, params: { processing_delay_ms: "
                      "100 } } ]\n"
                      "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
                      out.string() + "\" } } ]\n");
    ChildProcess host(kFramehostBinary, {"--config", config.string()});
    // While the host holds the slow frames, a consumer takes five newer entries and dies: they
    // are claimed although the host's own idle entries come first in the pending list.
    auto delivered_all = [&] {
        auto ids = client.pending_ids("frames", "workers", 100);
        return std::find(ids.begin(), ids.end(), "3-30") != ids.end();
    };
    auto taken_by = std::chrono::steady_clock::now() + 20s;
    while (!delivered_all() && std::chrono::steady_clock::now() < taken_by)
        std::this_thread::sleep_for(10ms);
    REQUIRE(client.pending("frames", "workers") > 20);            // most slow frames still held
    std::vector<std::vector<std::string>> orphans = {{"MULTI"}};  // the host reads none first
    for (int i = 0; i < 5; ++i)
        orphans.push_back({"XADD", "frames", "4-" + std::to_string(i + 1), "frame",
                           json({{"frame_id", "orphan-" + std::to_string(i)}}).dump()});
    orphans.push_back(
        {"XREADGROUP", "GROUP", "workers", "ghost", "COUNT", "5", "STREAMS", "frames", ">"});
    orphans.push_back({"EXEC"});
    client.pipeline(orphans);
    REQUIRE(client.pending_of("frames", "workers", "ghost") == 5);
    // Claimed one claim interval after they went idle, while the host still holds slow frames
    // that are older in the pending list.
    auto orphaned = std::chrono::steady_clock::now();
    while (client.pending_of("frames", "workers", "ghost") > 0 &&
           std::chrono::steady_clock::now() - orphaned < 10s)
        std::this_thread::sleep_for(20ms);
    CHECK(client.pending_of("frames", "workers", "ghost") == 0);
    CHECK(client.pending_of("frames", "workers", "only") > 10);
    auto deadline = std::chrono::steady_clock::now() + 60s;
    auto done = [&] {
        return client.integer({"XLEN", "frames:dead"}) == 6 &&
               client.pending("frames", "workers") == 0 && ids_in(out).size() >= 36;
    };
    while (!done() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    std::this_thread::sleep_for(1500ms);  // one more claim interval: nothing comes twice

    auto dead_entries = client.field_values("frames:dead", "entry_id");
    CHECK(std::set<std::string>(dead_entries.begin(), dead_entries.end()) ==
          std::set<std::string>{"1-1", "1-2", "1-3", "1-4", "1-5", "2-2"});
    CHECK(dead_entries.size() == 6);
    CHECK(client.pending("frames", "workers") == 0);
    std::map<std::string, int> seen;
    for (const auto& id : ids_in(out)) ++seen[id];
    for (int i = 0; i < 30; ++i) CHECK(seen["slow-" + std::to_string(i)] == 1);
    for (int i = 0; i < 5; ++i) CHECK(seen["orphan-" + std::to_string(i)] == 1);
    CHECK(seen["twin"] == 2);  // the good twin completed; the bad one reached the sink failed
    host.signal(SIGTERM);
    CHECK(host.wait(20s) == 0);
}

TEST_CASE(
    "redis_streams_sink with events_stream publishes every event change of the store, in "
    "order, Redis restarted meanwhile") {
    TempDir dir;
    RedisServer redis;
    auto store = dir / "events.db";
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\n"
        "source: { plugin: synthetic_source, params: { rate_fps: 50, width: 320, height: 240 } "
        "}\n"
        "processors:\n"
        "  - { plugin: fixture_processor, params: { mode: walker } }\n"
        "  - { plugin: events, params: { min_frames: 1, track_lost_frames: 2, snapshots: false } "
        "}\n"
        "sinks: [ { plugin: redis_streams_sink, params: { url: '" +
            redis.url() +
            "', stream: 'framehost:results', events_stream: 'framehost:events' } } ]\n" +
            "events: { path: '" + store.string() + "' }\n",
        {"--plugin-path", kFixturePluginDir});
    RedisClient client(redis.port());
    REQUIRE(eventually(
        [&] { return client.field_values("framehost:events", "event_id").size() >= 6; }, 20s));
    redis.kill();
    std::this_thread::sleep_for(1s);  // events go on being stored meanwhile
    redis.restart();                  // empty: only what comes after is in the new stream
    RedisClient again(redis.port());
    REQUIRE(eventually(
        [&] { return again.field_values("framehost:events", "event_id").size() >= 6; }, 30s));
    host.process().signal(SIGTERM);
    REQUIRE(host.process().wait(20s) == 0);
    // The new stream holds the store's changes in the store's order, from where Redis left off.
    auto ids = again.field_values("framehost:events", "event_id");
    auto changes = again.field_values("framehost:events", "change");
    auto rows =
        run_program("/usr/bin/sqlite3",
                    {store.string(), "select event_id || ' ' || kind from changes order by seq"});
    REQUIRE(rows.exit_code == 0);
    std::vector<std::string> stored;
    std::istringstream lines(rows.out);
    for (std::string line; std::getline(lines, line);) stored.push_back(line);
    std::vector<std::string> published;
    for (std::size_t i = 0; i < ids.size(); ++i) published.push_back(ids[i] + " " + changes[i]);
    auto start = std::find(stored.begin(), stored.end(), published.front());
    REQUIRE(start != stored.end());
    // Contiguous and in order from there: what Redis lost with its restart was sent again
    // (the cursor had not moved past it), then everything after. Changes stored in the last
    // moments before SIGTERM wait in the store for the next start.
    std::vector<std::string> expected(start, stored.end());
    CHECK(std::vector<std::string>(
              expected.begin(),
              expected.begin() + static_cast<long>(std::min(expected.size(), published.size()))) ==
          published);
    CHECK(published.size() >= 6);
}

TEST_CASE(
    "a sink writing to a full disk (/dev/full) acknowledges nothing: every frame stays pending in "
    "Redis, counted failed in the sink with the reason") {
    RedisServer redis;
    RedisClient client(redis.port());
    fill_stream(client, "frames", "full-", 20);
    TempDir dir;
    auto config =
        dir.write("h.yaml",
                  "http: { port: 0 }\npipeline: { progress_interval_s: 0 }\n"
                  "source: { plugin: redis_streams_source, params: { url: \"" +
                      redis.url() +
                      "\", stream: frames, group: workers, group_start: \"0\", consumer: only, "
                      "claim_idle_ms: 600000 } }\n"
                      "processors: [ { plugin: sample_detector } ]\n"
                      "sinks: [ { plugin: jsonl_sink, params: { path: /dev/full } } ]\n");
    RunningHost host(read_file(config));
    HttpClient http;
    json metrics;
    REQUIRE(eventually(
        [&] {
            metrics = json::parse(http.get(host.url("/metrics")).body);
            return metrics["processor_metrics"].value("frames_failed", 0) >= 20;
        },
        30s));
    CHECK(metrics["processor_metrics"].value("frames_processed", 0) == 0);
    std::this_thread::sleep_for(500ms);  // acknowledgements ride with the next reads
    CHECK(client.pending("frames", "workers") == 20);
    auto health = json::parse(http.get(host.url("/health")).body);
    CHECK(health["details"]["plugins"]["redis_streams_source"]["acknowledged"] == 0);
    CHECK(health["status"] == "degraded");
    auto sink = health["details"]["plugins"]["jsonl_sink"];
    CHECK(sink["failed_writes_in_a_row"].get<int>() >= 1);
    CHECK(sink["last_write_error"].get<std::string>().find("No space left on device") !=
          std::string::npos);
    CHECK(health["details"]["reasons"][0].get<std::string>().find("jsonl_sink") !=
          std::string::npos);
}
