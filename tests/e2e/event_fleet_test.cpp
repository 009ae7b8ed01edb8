// A fleet that shares one event store: three real framehost processes in one Redis Streams
// consumer group, a real redis-server and a real PostgreSQL server started by the test, each
// host storing its events in the same database and delivering them to one webhook receiver.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

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

constexpr int kFrames = 600;

std::string host_config(const RedisServer& redis, const PostgresServer& postgres,
                        const ScriptedHttpServer& receiver, const std::filesystem::path& out,
                        int index) {
    return "pipeline: { workers: 2, batch_size: 20, progress_interval_s: 0 }\n"
           "source: { plugin: redis_streams_source, params: { url: \"" +
           redis.url() + "\", stream: frames, group: workers, consumer: host-" +
           std::to_string(index) +
           ", batch_size: 20 } }\n"
           "processors:\n"
           "  - { plugin: sample_detector, params: { detection_threshold: 0.3, "
           "processing_delay_ms: 2 } }\n"
           "  - { plugin: object_tracker }\n"
           "  - { plugin: events, params: { min_frames: 1 } }\n"
           "sinks:\n"
           "  - { plugin: jsonl_sink, params: { path: \"" +
           out.string() +
           "\" } }\n"
           "  - { plugin: webhook_sink, params: { url: \"http://127.0.0.1:" +
           std::to_string(receiver.port()) +
           "/hook\", backoff_ms: 50 } }\n"
           "events: { url: \"" +
           postgres.url() + "\" }\n";
}

// Every event id a GET /events walk of the host lists, page by page.
std::multiset<std::string> listed_by(const RunningHost& host) {
    HttpClient client;
    std::multiset<std::string> ids;
    std::string cursor;
    do {
        auto r =
            client.get(host.url("/events?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor)));
        REQUIRE(r.status == 200);
        auto page = json::parse(r.body);
        for (const auto& e : page["events"]) ids.insert(e["id"].get<std::string>());
        cursor = page["next_cursor"].is_string() ? page["next_cursor"].get<std::string>() : "";
    } while (!cursor.empty());
    return ids;
}

}  // namespace

TEST_CASE(
    "three hosts in one consumer group write their events into one PostgreSQL store: every "
    "event once, each host's GET /events shows all, each delivered once") {
    PostgresServer postgres;
    RedisServer redis;
    RedisClient client(redis.port());
    ScriptedHttpServer receiver;
    receiver.answer(200, "{}");
    TempDir dir;
    std::vector<std::filesystem::path> outputs;
    std::vector<std::unique_ptr<RunningHost>> hosts;
    for (int i = 0; i < 3; ++i) {
        outputs.push_back(dir / ("host" + std::to_string(i) + ".jsonl"));
        hosts.push_back(std::make_unique<RunningHost>(
            host_config(redis, postgres, receiver, outputs.back(), i)));
    }
    // The frames come once all three wait on the group, so each takes a share.
    std::vector<std::vector<std::string>> batch;
    for (int i = 0; i < kFrames; ++i)
        batch.push_back({"XADD", "frames", "*", "frame",
                         json({{"frame_id", "f" + std::to_string(i)},
                               {"camera_id", "camera_" + std::to_string(i % 12)},
                               {"width", 640},
                               {"height", 480}})
                             .dump()});
    client.pipeline(batch);

    auto frames_out = [&] {
        std::size_t lines = 0;
        for (const auto& file : outputs) lines += read_jsonl(file).size();
        return lines;
    };
    REQUIRE(eventually([&] { return frames_out() == kFrames; }, 120s));

    // What each host says it stored new: no event started by two hosts.
    std::map<std::string, int> started;  // id -> the host
    std::set<int> hosts_that_stored;
    for (int i = 0; i < 3; ++i)
        for (const auto& line : read_jsonl(outputs[i]))
            if (line["results"].contains("events"))
                for (const auto& change : line["results"]["events"]["events"])
                    if (change["change"] == "new") {
                        auto [at, fresh] = started.emplace(change["id"].get<std::string>(), i);
                        CHECK_MESSAGE(fresh, "event " << at->first << " started twice");
                        hosts_that_stored.insert(i);
                    }
    REQUIRE(started.size() >= 30);
    CHECK(hosts_that_stored.size() == 3);  // the group spread the frames, each host stored some

    // Each host answers for the whole fleet, every event once.
    std::multiset<std::string> expected;
    for (const auto& [id, host] : started) expected.insert(id);
    for (auto& host : hosts) CHECK(listed_by(*host) == expected);
    HttpClient http;
    auto some = started.begin()->first;
    for (auto& host : hosts) CHECK(http.get(host->url("/events/" + some)).status == 200);

    // Delivery: each "new" reached the receiver once, from the host that stored it.
    std::map<std::string, int> delivered;
    REQUIRE(eventually(
        [&] {
            delivered.clear();
            for (const auto& request : receiver.received()) {
                auto body = json::parse(request.body, nullptr, false);
                if (!body.is_discarded() && body["change"] == "new")
                    ++delivered[body["id"].get<std::string>()];
            }
            return delivered.size() >= started.size();
        },
        60s));
    for (const auto& [id, host] : started) {
        CAPTURE(id);
        CHECK(delivered[id] == 1);
    }
    CHECK(delivered.size() == started.size());
}
