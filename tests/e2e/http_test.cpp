// The HTTP API of the real framehost binary, over loopback.
#include <signal.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "framehost/base64.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/running_host.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const char* kServing = R"(service: { name: sample-processor, version: 3.1.4 }
pipeline: { progress_interval_s: 0 }
source: { plugin: synthetic_source, params: { rate_fps: 200 } }
processors:
  - { plugin: sample_detector, params: { processing_delay_ms: 0, detection_threshold: 0 } }
  - { plugin: identity }
)";

std::string b64(const std::string& bytes) {
    return framehost::encode_base64(
        {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

json frame_request(int width = 4, int height = 3, const std::string& id = "") {
    json metadata = {{"width", width}, {"height", height}, {"format", "RGB"}};
    if (!id.empty()) metadata["frame_id"] = id;
    return {{"frame_data", b64(std::string(static_cast<std::size_t>(width * height * 3), '\x42'))},
            {"metadata", metadata}};
}

json parsed(const HttpResult& r) {
    return json::parse(r.body);
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("/health answers the replaced service's shape, with config and plugin details") {
    RunningHost host(kServing);
    HttpClient client;
    auto r = client.get(host.url("/health"));
    CHECK(r.status == 200);
    auto h = parsed(r);
    CHECK(h["status"] == "healthy");
    CHECK(h["service"] == "sample-processor");
    CHECK(h["version"] == "3.1.4");
    CHECK(h["timestamp"].get<std::string>().size() >= 19);
    auto d = h["details"];
    CHECK(d["processor_initialized"] == true);
    CHECK(d["consumer_enabled"] == true);
    CHECK(d["consumer_running"] == true);
    CHECK(d.contains("frame_buffer_url"));
    CHECK(d["metrics"].contains("frames_processed"));
    CHECK(d["metrics"].contains("active_frames"));
    CHECK(d["shutting_down"] == false);
    CHECK(d["plugins"]["sample_detector"]["kind"] == "processor");
    CHECK(d["plugins"]["synthetic_source"].contains("generated"));
    CHECK(client.get(host.url("/live")).status == 200);
    CHECK(client.get(host.url("/ready")).status == 200);
}

TEST_CASE("/metrics JSON has every section, and counts frames as they are processed") {
    RunningHost host(kServing);
    HttpClient client;
    std::this_thread::sleep_for(300ms);
    auto first = parsed(client.get(host.url("/metrics")));
    for (auto key : {"processor_metrics", "consumer_metrics", "state_statistics",
                     "resource_statistics", "plugins", "timestamp"})
        CHECK(first.contains(key));
    auto p = first["processor_metrics"];
    for (auto key : {"frames_processed", "frames_failed", "frames_dropped", "success_rate",
                     "average_latency_ms", "processing_time_ms", "active_frames"})
        CHECK(p.contains(key));
    CHECK(p["processing_time_ms"].contains("p99"));
    CHECK(first["state_statistics"]["state_counts"].contains("completed"));
    CHECK(first["plugins"]["sample_detector"]["frames"].get<int>() > 0);
    // sample_detector declares 20 ms a frame; with no delay it stays far inside it.
    CHECK(first["plugins"]["sample_detector"]["frame_budget_ms"] == 20.0);
    CHECK(first["plugins"]["sample_detector"]["over_budget_frames"] == 0);
    CHECK(first["plugins"]["synthetic_source"]["frame_budget_ms"].is_null());
    std::this_thread::sleep_for(300ms);
    auto second = parsed(client.get(host.url("/metrics")));
    CHECK(second["processor_metrics"]["frames_processed"].get<int>() >
          first["processor_metrics"]["frames_processed"].get<int>());
}

TEST_CASE("/metrics also answers the replaced service's figures under its names") {
    RunningHost host(
        R"(pipeline: { progress_interval_s: 0, workers: 1, batch_size: 1, memory_limit_mb: 64 }
source: { plugin: synthetic_source, params: { rate_fps: 500 } }
processors:
  - { plugin: fixture_processor, params: { mode: throw, every: 5 } }
  - { plugin: sample_detector, params: { processing_delay_ms: 2 } }
)",
        {"--plugin-path", kFixturePluginDir});
    HttpClient client;
    json m;
    for (int i = 0; i < 200; ++i) {
        m = parsed(client.get(host.url("/metrics")));
        if (m["processor_metrics"]["frames_processed"] >= 40) break;
        std::this_thread::sleep_for(50ms);
    }
    const auto& p = m["processor_metrics"];
    auto completed = p["frames_processed"].get<int>();
    auto failed = p["frames_failed"].get<int>();
    CHECK(completed >= 40);
    CHECK(failed >= 8);  // every 5th frame throws
    CHECK(p["errors_total"] == failed);
    CHECK(p["error_types"] == json{{"fixture_processor", failed}});
    // Seconds, over the last 100 completed frames; with batch_size 1 each took the detector's 2 ms.
    CHECK(p["processing_time_min"].get<double>() >= 0.002);
    CHECK(p["processing_time_min"].get<double>() <= p["processing_time_avg"].get<double>());
    CHECK(p["processing_time_avg"].get<double>() <= p["processing_time_max"].get<double>());
    CHECK(p["processing_time_max"].get<double>() < 1.0);
    const auto& counts = m["state_statistics"]["state_counts"];
    CHECK(counts["COMPLETED"] == completed);
    CHECK(counts["FAILED"] == failed);
    CHECK(counts["QUEUED"] == counts["received"]);
    CHECK(counts["PROCESSING"] == counts["processing"]);
    for (const char* empty : {"RECEIVED", "VALIDATED", "RETRY", "ARCHIVED"})
        CHECK(counts[empty] == 0);
    CHECK(counts["completed"] == completed);  // framehost's own names stay beside them
    CHECK(m["state_statistics"]["retry_stats"] ==
          json{{"total_retries", 0}, {"max_retry_count", 0}, {"frames_with_retries", 0}});
    const auto& r = m["resource_statistics"];
    CHECK(r["active_allocations"] == counts["processing"]);
    CHECK(r["allocated_cpus"] == 1);
    CHECK(r["allocated_memory_mb"].get<double>() >= 0);
    CHECK(r["allocated_gpu_memory_mb"] == json::object());
    CHECK(r["available_cpus"].get<int>() >= 0);
    CHECK(r["available_memory_mb"].get<double>() <= 64.0);
    CHECK(r["available_memory_mb"].get<double>() + r["allocated_memory_mb"].get<double>() ==
          doctest::Approx(64.0));
}

TEST_CASE("/metrics answers a Prometheus scrape with text that promtool accepts") {
    RunningHost host(kServing);
    HttpClient client;
    std::this_thread::sleep_for(200ms);
    auto r = client.get(
        host.url("/metrics"),
        {"Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
         "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"});
    CHECK(r.status == 200);
    CHECK(has(r.headers["content-type"], "text/plain; version=0.0.4"));
    CHECK(has(r.body, "# TYPE framehost_plugin_latency_seconds histogram"));
    CHECK(has(
        r.body,
        "framehost_plugin_frames_total{plugin=\"sample_detector\",instance=\"sample_detector\""));
    CHECK(has(r.body, "le=\"+Inf\""));
    CHECK(has(r.body,
              "framehost_plugin_frame_budget_seconds{plugin=\"sample_detector\",instance=\"sample_"
              "detector\",kind=\"processor\"} 0.02"));
    CHECK(has(r.body, "# TYPE framehost_plugin_over_budget_frames_total counter"));
    TempDir dir;
    auto file = dir.write("metrics.txt", r.body);
    auto check = run_program("/bin/sh", {"-c", "promtool check metrics < " + file.string()});
    INFO(check.out, check.err);
    CHECK(check.exit_code == 0);
    // Plain curl and JSON clients still get JSON.
    CHECK(client.get(host.url("/metrics"), {"Accept: */*"}).headers["content-type"] ==
          "application/json");
}

TEST_CASE("/plugins lists the instances with the parameters in effect") {
    RunningHost host(kServing);
    auto list = parsed(HttpClient().get(host.url("/plugins")))["plugins"];
    REQUIRE(list.size() == 3);
    CHECK(list[1]["name"] == "sample_detector");
    CHECK(list[1]["params"]["processing_delay_ms"] == 0);
    CHECK(list[1]["params"]["classes"].size() == 5);
}

TEST_CASE("unknown paths answer 404 and wrong methods 405, as JSON") {
    RunningHost host(kServing);
    HttpClient client;
    auto missing = client.get(host.url("/nothing-here"));
    CHECK(missing.status == 404);
    CHECK(parsed(missing) ==
          json{{"detail", "Not Found"}});  // FastAPI's text, which clients compare
    auto wrong = client.get(host.url("/process"));
    CHECK(wrong.status == 405);
    CHECK(wrong.headers["allow"] == "POST");
    CHECK(parsed(wrong) == json{{"detail", "Method Not Allowed"}});
    CHECK(client.post(host.url("/health"), "{}").status == 405);
}

TEST_CASE("POST /process runs the chain and answers the service's shape") {
    RunningHost host(kServing);
    HttpClient client;
    auto r = client.post(host.url("/process"), frame_request(64, 48, "cam7-000042").dump());
    REQUIRE(r.status == 200);
    auto body = parsed(r);
    CHECK(body["frame_id"] == "cam7-000042");
    CHECK(body["total_objects"] == body["detections"].size());
    CHECK(body["processing_time_ms"].get<double>() >= 0);
    CHECK(body.contains("timestamp"));
    for (const auto& d : body["detections"]) {
        CHECK(d["bbox"][2].get<int>() <= 64);
        CHECK(d.contains("class"));
    }
    // The same frame twice gives the same detections.
    auto again =
        parsed(client.post(host.url("/process"), frame_request(64, 48, "cam7-000042").dump()));
    CHECK(again["detections"] == body["detections"]);
    // Without a frame_id one is generated.
    CHECK(!parsed(client.post(host.url("/process"), frame_request().dump()))["frame_id"]
               .get<std::string>()
               .empty());
}

TEST_CASE("bad /process input gets a JSON error naming the field, and nothing is processed") {
    RunningHost host(R"(pipeline: { progress_interval_s: 0 }
http: { max_body_mb: 1 }
processors: [ { plugin: sample_detector, params: { processing_delay_ms: 0 } } ]
)");
    HttpClient client;
    // The replaced service's validation answer: 422 {"detail": [{"loc", "msg", "type"}]}.
    auto expect = [&](const std::string& body, const json& loc, const std::string& words,
                      const std::string& type) {
        CAPTURE(body.substr(0, 120));
        auto r = client.post(host.url("/process"), body);
        CHECK(r.status == 422);
        auto detail = parsed(r)["detail"];
        REQUIRE(detail.is_array());
        REQUIRE(detail.size() == 1);
        INFO(detail.dump());
        CHECK(detail[0]["loc"] == loc);
        CHECK(has(detail[0]["msg"].get<std::string>(), words));
        CHECK(detail[0]["type"] == type);
    };
    expect("{oops", json::array({"body", 1}), "invalid JSON", "value_error.jsondecode");
    // pydantic's ctx of a JSONDecodeError (hardening round 3, item 10): where, as Python counts.
    auto ctx =
        parsed(client.post(host.url("/process"), "{\n  \"a\": 1,\n  oops}"))["detail"][0]["ctx"];
    CHECK(ctx["pos"] == 14);  // Python: "line 3 column 3 (char 14)"
    CHECK(ctx["lineno"] == 3);
    CHECK(ctx["colno"] == 3);
    CHECK(ctx["doc"] == "{\n  \"a\": 1,\n  oops}");
    CHECK(!ctx["msg"].get<std::string>().empty());
    auto long_doc = parsed(client.post(host.url("/process"),
                                       "[" + std::string(100'000, ' ') + "x"))["detail"][0]["ctx"];
    CHECK(long_doc["doc"].get<std::string>().size() == 256);  // cut: never the whole body
    CHECK(long_doc["pos"] == 100'001);
    expect("[1,2]", {"body"}, "value is not a valid dict", "type_error.dict");
    expect("{}", {"body", "frame_data"}, "field required", "value_error.missing");
    expect(R"({"frame_data": ""})", {"body", "frame_data"}, "frame_data cannot be empty",
           "value_error");
    expect(R"({"frame_data": 12})", {"body", "frame_data"}, "str type expected", "type_error.str");
    expect(R"({"frame_data": "not*base64!"})", {"body", "frame_data"}, "Invalid base64 encoding",
           "value_error");
    expect(R"({"frame_data": "QUJD", "metadata": "x"})", {"body", "metadata"},
           "value is not a valid dict", "type_error.dict");
    json big = frame_request();
    big["metadata"]["notes"] = std::string(101 * 1024, 'x');
    expect(big.dump(), {"body", "metadata"}, "Metadata too large", "value_error");
    json wrong = frame_request(4, 3);
    wrong["metadata"]["width"] = 5;
    expect(wrong.dump(), {"body", "frame_data"},
           "metadata.width, metadata.height and metadata.format", "value_error");
    json odd = frame_request(4, 3);
    odd["metadata"]["format"] = "YUV";
    expect(odd.dump(), {"body", "metadata", "format"}, "metadata.format", "value_error");
    json half = frame_request(4, 3);
    half["metadata"].erase("height");
    expect(half.dump(), {"body", "metadata", "height"}, "go together", "value_error.missing");

    auto too_big = client.post(host.url("/process"), std::string(2u << 20, 'x'));
    CHECK(too_big.status == 413);
    CHECK(has(parsed(too_big)["detail"].get<std::string>(), "over the limit"));

    auto metrics = parsed(HttpClient().get(host.url("/metrics")));
    CHECK(metrics["state_statistics"]["total_frames"] == 0);
    CHECK(client.post(host.url("/process"), frame_request().dump()).status == 200);
    metrics = parsed(HttpClient().get(host.url("/metrics")));
    CHECK(metrics["processor_metrics"]["frames_processed"] == 1);
}

TEST_CASE("a processor that throws on /process answers 500 with its message, the host goes on") {
    RunningHost host(R"(pipeline: { progress_interval_s: 0 }
processors: [ { plugin: fixture_processor, params: { mode: throw, every: 2 } } ]
)",
                     {"--plugin-path", kFixturePluginDir});
    HttpClient client;
    CHECK(client.post(host.url("/process"), frame_request(4, 3, "a").dump()).status == 200);
    auto r = client.post(host.url("/process"), frame_request(4, 3, "b").dump());
    CHECK(r.status == 500);
    CHECK(parsed(r)["detail"] ==
          "Processing failed: fixture_processor: fixture throws on b");  // the original's prefix
    CHECK(client.post(host.url("/process"), frame_request(4, 3, "c").dump()).status == 200);
    auto metrics = parsed(client.get(host.url("/metrics")));
    CHECK(metrics["processor_metrics"]["frames_failed"] == 1);
    CHECK(metrics["processor_metrics"]["frames_processed"] == 2);
}

TEST_CASE("with a token configured, POST needs it and GET stays open") {
    RunningHost host(R"(pipeline: { progress_interval_s: 0 }
http: { auth_token: s3cret-token }
processors: [ { plugin: identity } ]
)");
    HttpClient client;
    auto body = frame_request().dump();
    CHECK(client.post(host.url("/process"), body).status == 401);
    CHECK(client.post(host.url("/process"), body, {"Authorization: Bearer wrong"}).status == 401);
    CHECK(client.post(host.url("/process"), body, {"Authorization: Bearer s3cret-token-and-more"})
              .status == 401);
    CHECK(client.post(host.url("/process"), body, {"Authorization: Bearer s3cret-token"}).status ==
          200);
    CHECK(client.post(host.url("/process-with-tracking"), body).status == 401);
    CHECK(client.get(host.url("/health")).status == 200);
    CHECK(client.get(host.url("/metrics")).status == 200);
}

TEST_CASE("/process-with-tracking continues the caller's trace with one child span per processor") {
    CaptureServer collector;
    RunningHost host(std::string(kServing) + "tracing: { otlp_endpoint: \"http://127.0.0.1:" +
                     std::to_string(collector.port()) + "/v1/traces\", log_spans: true }\n");
    HttpClient client;
    const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    auto r = client.post(host.url("/process-with-tracking"), frame_request(8, 8, "traced-1").dump(),
                         {"traceparent: 00-" + trace_id + "-00f067aa0ba902b7-01"});
    REQUIRE(r.status == 200);
    auto body = parsed(r);
    CHECK(body["frame_tracking_enabled"] == true);
    CHECK(body["trace_id"] == trace_id);
    std::string span_id = body["span_id"];
    CHECK(span_id.size() == 16);
    CHECK(span_id != "00f067aa0ba902b7");
    CHECK(r.headers["traceparent"] == "00-" + trace_id + "-" + span_id + "-01");

    auto exported = collector.bodies(1, 10s);
    REQUIRE(!exported.empty());
    auto spans = json::parse(exported[0])["resourceSpans"][0]["scopeSpans"][0]["spans"];
    REQUIRE(spans.size() == 3);  // the request and one per processor
    CHECK(spans[0]["spanId"] == span_id);
    CHECK(spans[0]["parentSpanId"] == "00f067aa0ba902b7");
    CHECK(spans[1]["name"] == "sample_detector");
    CHECK(spans[2]["name"] == "identity");
    for (int i : {1, 2}) {
        CHECK(spans[i]["traceId"] == trace_id);
        CHECK(spans[i]["parentSpanId"] == span_id);
    }
    bool counted = false;
    for (const auto& a : spans[1]["attributes"]) counted |= a["key"] == "detections.count";
    CHECK(counted);
    CHECK(has(host.process().err(), "\"name\":\"sample_detector\""));  // spans also go to the log
}

TEST_CASE("a trace parent in metadata is used, a malformed one starts a new trace, never a 500") {
    RunningHost host(kServing);
    HttpClient client;
    auto with_metadata = frame_request();
    with_metadata["metadata"]["traceparent"] =
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    auto r = parsed(client.post(host.url("/process-with-tracking"), with_metadata.dump()));
    CHECK(r["trace_id"] == "0af7651916cd43dd8448eb211c80319c");
    for (std::string bad : std::vector<std::string>{
             "garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
             "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
             "ff-" + std::string(50, 'a')}) {
        auto res = client.post(host.url("/process-with-tracking"), frame_request().dump(),
                               {"traceparent: " + bad});
        CHECK(res.status == 200);
        auto id = parsed(res)["trace_id"].get<std::string>();
        CHECK(id.size() == 32);
        CHECK(id != "00000000000000000000000000000000");
    }
}

TEST_CASE("plain HTTP/1.1 clients keep their connection, HTTP/1.0 ones are closed") {
    RunningHost host(kServing);
    HttpClient client;
    auto first = client.get(host.url("/health"));
    auto second = client.get(host.url("/metrics"));
    auto third = client.post(host.url("/process"), frame_request().dump());
    CHECK(first.new_connections == 1);
    CHECK(second.new_connections == 0);  // reused: no keep-alive header was sent
    CHECK(third.new_connections == 0);
    CHECK(has(first.headers["connection"], "Keep-Alive"));
    bool closed = false;
    auto reply = raw_exchange(host.port(), "GET /live HTTP/1.0\r\n\r\n", 3s, &closed);
    CHECK(has(reply, "HTTP/1.1 200"));
    CHECK(closed);
}

TEST_CASE("pipelined requests are all answered, in order") {
    RunningHost host(kServing);
    auto reply = raw_exchange(
        host.port(),
        "GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        "GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        1s);
    auto first = reply.find("HTTP/1.1 200");
    auto second = reply.find("HTTP/1.1 404");
    auto third = reply.find("HTTP/1.1 200", second);
    CHECK(first != std::string::npos);
    CHECK(second != std::string::npos);
    CHECK(third != std::string::npos);
    CHECK(first < second);
}

TEST_CASE("an oversized body is refused once, from its length, and the connection closed") {
    RunningHost host(R"(pipeline: { progress_interval_s: 0 }
http: { max_body_mb: 1 }
processors: [ { plugin: identity } ]
)");
    std::string request =
        "POST /process HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 3000000\r\n\r\n" +
        std::string(3'000'000, 'a');
    bool closed = false;
    auto reply = raw_exchange(host.port(), request, 5s, &closed);
    CHECK(has(reply, "HTTP/1.1 413"));
    CHECK(reply.find("HTTP/1.1", 5) == std::string::npos);  // exactly one answer
    CHECK(closed);
    CHECK(HttpClient().get(host.url("/live")).status == 200);  // and the server is fine
}

TEST_CASE("a half-sent request does not hold its connection past the read timeout") {
    RunningHost host(R"(pipeline: { progress_interval_s: 0 }
http: { read_timeout: 300ms }
processors: [ { plugin: identity } ]
)");
    bool closed = false;
    auto started = std::chrono::steady_clock::now();
    raw_exchange(host.port(),
                 "POST /process HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"fra",
                 8s, &closed);
    CHECK(closed);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE(
    "health, liveness and metrics answer while saturated and while draining, /process gets 503 in "
    "the drain") {
    RunningHost host(
        R"(pipeline: { workers: 1, batch_size: 1, queue_capacity: 8, shutdown_timeout_s: 30, progress_interval_s: 0 }
source: { plugin: synthetic_source, params: { rate_fps: 0 } }
processors: [ { plugin: fixture_processor, params: { mode: pass, sleep_ms: 200 } } ]
)",
        {"--plugin-path", kFixturePluginDir});
    HttpClient client;
    std::this_thread::sleep_for(300ms);
    auto saturated = parsed(client.get(host.url("/health")));
    CHECK(saturated["details"]["pipeline"]["queue_depth"].get<int>() >= 1);
    CHECK(client.get(host.url("/metrics")).status == 200);

    host.process().signal(SIGTERM);
    std::this_thread::sleep_for(300ms);
    REQUIRE(host.process().running());  // 8 queued frames at 200 ms each take over a second
    auto draining = client.get(host.url("/health"));
    CHECK(draining.status == 503);
    CHECK(parsed(draining)["status"] == "unhealthy");
    CHECK(parsed(draining)["details"]["shutting_down"] == true);
    CHECK(client.get(host.url("/live")).status == 200);
    CHECK(client.get(host.url("/ready")).status == 503);
    CHECK(client.get(host.url("/metrics")).status == 200);
    auto refused = client.post(host.url("/process"), frame_request().dump());
    CHECK(refused.status == 503);
    CHECK(parsed(refused) == json{{"detail", "Service is shutting down"}});  // the original's text
    CHECK(host.process().wait(30s) == 0);
}

TEST_CASE("a port already in use stops the host with a clear message") {
    RunningHost first(kServing);
    TempDir dir;
    auto file = dir.write("h.yaml", std::string(kServing));
    auto r = run_program(kFramehostBinary, {"--config", file.string(), "--set",
                                            "http.port=" + std::to_string(first.port())});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "cannot listen on 127.0.0.1:" + std::to_string(first.port())));
}

TEST_CASE(
    "/process with frame_data alone (no width, height or format) answers 200 with "
    "annotated_snapshot among the sinks: no picture to take is no failure") {
    RunningHost host(
        "processors: [ { plugin: identity } ]\nsinks: [ { plugin: annotated_snapshot } ]\n");
    HttpClient http;
    auto r = http.post(host.url("/process"),
                       R"({"frame_data": "QkJC", "metadata": {"camera_id": "x"}})");
    CHECK_MESSAGE(r.status == 200, r.body);
    auto health = json::parse(http.get(host.url("/health")).body);
    CHECK(health["details"]["plugins"]["annotated_snapshot"]["frames_without_picture"] == 1);
    CHECK(health["details"]["plugins"]["annotated_snapshot"]["failures"] == 0);
}
