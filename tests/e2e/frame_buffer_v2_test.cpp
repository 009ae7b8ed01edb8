// framehost as a Frame Buffer v2 processor, by configuration: it registers with an orchestrator
// (one of the test's own, speaking the upstream's protocol) with retries, beats, registers again
// when forgotten, reads its queue in a real redis-server in v2's entry shape, continues each
// frame's trace_context, publishes results in v2's shape, and unregisters when it stops.
#include <signal.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/support/jsonl.hpp"
#include "tests/support/process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* kRegister = "POST /api/v1/processors/register";
const char* kHeartbeat = "POST /api/v1/processors/heartbeat";
const char* kUnregister = "DELETE /api/v1/processors/proc-1";

std::vector<ScriptedHttpServer::Request> requests_to(const ScriptedHttpServer& orchestrator,
                                                     const std::string& line) {
    std::vector<ScriptedHttpServer::Request> found;
    for (auto& r : orchestrator.received())
        if (r.head.rfind(line, 0) == 0) found.push_back(r);
    return found;
}

// A v2 queue entry, every field a string as the v2 Frame Buffer writes it.
std::vector<std::string> v2_entry(int i, const std::string& trace_id) {
    return {"XADD",
            "frames:ready:proc-1",
            "*",
            "frame_id",
            "v2-" + std::to_string(i),
            "camera_id",
            "cam-" + std::to_string(i % 2),
            "timestamp",
            "2026-12-06T10:00:0" + std::to_string(i % 10) + ".250000",
            "size_bytes",
            "0",
            "width",
            "640",
            "height",
            "480",
            "format",
            "jpeg",
            "trace_context",
            json({{"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"}}).dump(),
            "metadata",
            json({{"detection_type", "object_detection"}}).dump(),
            "priority",
            "1",
            "storage_path",
            "",
            "storage_backend",
            "redis"};
}

}  // namespace

TEST_CASE(
    "a v2 processor by configuration: registration retried until the orchestrator takes it, "
    "heartbeats, registered again when forgotten, v2 entries read with their trace, results "
    "in v2's shape, unregistered on stop") {
    RedisServer redis;
    RedisClient client(redis.port());
    ScriptedHttpServer orchestrator;
    orchestrator.answer_for(kRegister, 503);  // not ready yet
    orchestrator.answer_for(kHeartbeat, 200);
    orchestrator.answer_for(kUnregister, 204);
    const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto host = std::make_unique<RunningHost>(
        "pipeline: { progress_interval_s: 0 }\n"
        "source:\n"
        "  plugin: redis_streams_source\n"
        "  params: { url: '" +
        redis.url() +
        "', stream: 'frames:ready:proc-1', group: frame-processors, consumer: proc-1,\n"
        "            orchestrator_url: 'http://127.0.0.1:" +
        std::to_string(orchestrator.port()) +
        "', processor_id: proc-1,\n"
        "            capabilities: [object_detection], capacity: 5, heartbeat_interval_s: 1,\n"
        "            backoff_ms: 100, max_backoff_ms: 300 }\n"
        "processors: [ { plugin: sample_detector } ]\n"
        "sinks:\n"
        "  - { plugin: redis_streams_sink, params: { url: '" +
        redis.url() +
        "', stream: 'results:proc-1', entry: v2_result, processor_id: proc-1 } }\n"
        "  - { plugin: jsonl_sink, params: { path: '" +
        out.string() + "' } }\n");

    // Refused twice or more, then taken.
    REQUIRE(eventually([&] { return requests_to(orchestrator, kRegister).size() >= 2; }, 20s));
    orchestrator.answer_for(kRegister, 201);
    REQUIRE(eventually(
        [&] {
            auto r = requests_to(orchestrator, kRegister);
            return !r.empty() && r.back().answered == 201;
        },
        20s));
    auto registration = json::parse(requests_to(orchestrator, kRegister).back().body);
    CHECK(registration == json({{"id", "proc-1"},
                                {"capabilities", {"object_detection"}},
                                {"capacity", 5},
                                {"queue", "frames:ready:proc-1"}}));

    std::vector<std::vector<std::string>> adds;
    for (int i = 0; i < 10; ++i) adds.push_back(v2_entry(i, trace_id));
    client.pipeline(adds);
    REQUIRE(eventually([&] { return client.integer({"XLEN", "results:proc-1"}) == 10; }, 30s));
    auto frame_ids = client.field_values("results:proc-1", "frame_id");
    CHECK(frame_ids.front() == "v2-0");
    CHECK(client.field_values("results:proc-1", "processor_id").front() == "proc-1");
    double stamped = std::stod(client.field_values("results:proc-1", "timestamp").front());
    double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    CHECK(std::abs(now - stamped) < 60);
    auto result = json::parse(client.field_values("results:proc-1", "result").front());
    CHECK(result["state"] == "completed");
    CHECK(result["camera_id"] == "cam-0");
    CHECK(result.contains("detections"));
    // Acknowledged with the next read.
    CHECK(eventually([&] { return client.pending("frames:ready:proc-1", "frame-processors") == 0; },
                     10s));
    // Each frame's trace goes on: the same trace id, the v2 metadata kept.
    auto lines = read_jsonl(out);
    REQUIRE(lines.size() == 10);
    CHECK(lines[0]["traceparent"].get<std::string>().find(trace_id) != std::string::npos);
    CHECK(lines[0]["timestamp"] == 1796551200250);  // 2026-12-06T10:00:00.25Z

    // Heartbeats every second, then the orchestrator forgets it: registered again.
    REQUIRE(eventually([&] { return requests_to(orchestrator, kHeartbeat).size() >= 2; }, 10s));
    auto beat = json::parse(requests_to(orchestrator, kHeartbeat).back().body);
    CHECK(beat["processor_id"] == "proc-1");
    CHECK(beat["status"] == "healthy");
    CHECK(beat["timestamp"].is_number());
    auto registered = requests_to(orchestrator, kRegister).size();
    orchestrator.answer_for(kHeartbeat, 404);
    REQUIRE(
        eventually([&] { return requests_to(orchestrator, kRegister).size() > registered; }, 10s));
    orchestrator.answer_for(kHeartbeat, 200);

    host->process().signal(SIGTERM);
    CHECK(host->process().wait(20s) == 0);
    CHECK(requests_to(orchestrator, kUnregister).size() == 1);
}
