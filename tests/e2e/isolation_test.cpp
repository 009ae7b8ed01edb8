// Plugins in worker processes of their own (`isolation: process`) through the real framehost
// binary: a plugin that segfaults, exits or hangs costs only the frames it held, the worker is
// restarted and /health says so; pixels, detections, kept images and sink reports cross intact.
#include <doctest/doctest.h>

#include <sched.h>
#include <signal.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/browser.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/sanitized.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A config over a synthetic source of `count` frames at `rate` (0: as fast as it goes), one
// processor entry and jsonl_sink writing to `out`.
std::string pipeline(const std::string& processor, const std::filesystem::path& out,
                     int count = 1000, int rate = 0, const std::string& sink_extra = "") {
    return "http: { enabled: false }\n"
           "pipeline: { workers: 2, batch_size: 10, progress_interval_s: 0 }\n"
           "plugin_paths: [" +
           kFixturePluginDir +
           "]\n"
           "source: { plugin: synthetic_source, params: { count: " +
           std::to_string(count) + ", rate_fps: " + std::to_string(rate) +
           ", pixels: true, width: 50, height: 30, cameras: 4 } }\n"
           "processors: [ " +
           processor +
           " ]\n"
           "sinks: [ { plugin: jsonl_sink" +
           sink_extra + ", params: { path: \"" + out.string() + "\" } } ]\n";
}

std::map<std::string, json> by_id(const std::vector<json>& lines) {
    std::map<std::string, json> out;
    for (const auto& line : lines) out[line["frame_id"].get<std::string>()] = line;
    return out;
}

// The frame ids N (frame-N) of 0..count-1 with (N + 1) % every == 0.
std::set<std::string> every_nth(int count, int every) {
    std::set<std::string> ids;
    for (int n = every - 1; n < count; n += every) ids.insert("frame-" + std::to_string(n));
    return ids;
}

}  // namespace

TEST_CASE(
    "an isolated plugin that segfaults on every 50th frame fails exactly those frames, named, and "
    "every other frame completes") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config = dir.write(
        "host.yaml", pipeline("{ plugin: fixture_processor, isolation: process, worker: { "
                              "restart_backoff: 10ms }, params: { mode: segfault, every: 50, "
                              "by_id: true } }",
                              out, 1000));
    auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 120s);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(has(r.err, "finished: 980 completed, 0 filtered, 20 failed, 0 dropped"));
    auto lines = read_jsonl(out);
    auto frames = by_id(lines);
    CHECK(lines.size() == 1000);  // each once
    CHECK(frames.size() == 1000);
    std::set<std::string> failed;
    for (const auto& [id, line] : frames) {
        if (!line.contains("error")) continue;
        failed.insert(id);
        auto error = line["error"].get<std::string>();
        CHECK_MESSAGE(has(error, "plugin fixture_processor crashed: "), error);
        if (!kSanitized) CHECK_MESSAGE(has(error, "crashed: SIGSEGV"), error);
        CHECK(line["failed_in"] == "fixture_processor");
    }
    CHECK(failed == every_nth(1000, 50));
}

TEST_CASE(
    "the same plugin in the host's process takes the whole host down: the reason to isolate") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config = dir.write(
        "host.yaml",
        pipeline(
            "{ plugin: fixture_processor, params: { mode: segfault, every: 50, by_id: true } }",
            out, 1000));
    auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 120s);
    if (!kSanitized) CHECK(r.exit_code == 128 + SIGSEGV);
    CHECK(r.exit_code != 0);
    CHECK(read_jsonl(out).size() < 1000);
}

TEST_CASE(
    "an isolated worker that crashes is restarted with backoff, and /health, /metrics and the "
    "live page show its pid, restarts and last crash while the host goes on") {
    RunningHost host(
        "pipeline: { workers: 2, batch_size: 5, progress_interval_s: 0 }\n"
        "plugin_paths: [" +
        kFixturePluginDir +
        "]\n"
        "source: { plugin: synthetic_source, params: { count: 0, rate_fps: 400, "
        "width: 32, height: 24, pixels: true } }\n"
        "processors: [ { plugin: fixture_processor, isolation: process, worker: { "
        "restart_backoff: 200ms, restart_backoff_max: 2s }, params: { mode: exit, "
        "every: 100, by_id: true } } ]\n");
    HttpClient http;
    json seen;
    std::set<int> pids;
    REQUIRE(eventually(
        [&] {
            auto health = http.get(host.url("/health"));
            if (health.status != 200) return false;
            auto status = json::parse(health.body);
            seen = status["details"]["plugins"]["fixture_processor"]["isolation"];
            if (seen.is_null()) return false;
            auto pid = seen["workers"][0]["pid"].get<int>();
            if (pid > 0) pids.insert(pid);
            return seen["restarts"].get<int>() >= 3 && pids.size() >= 3;
        },
        30s));
    CHECK(seen["mode"] == "process");
    CHECK(seen["last_crash"] == "plugin fixture_processor crashed: exited with status 3");
    CHECK(seen["workers"][0]["last_restart_delay_ms"].get<int>() >= 150);  // the backoff, spread
    for (int pid : pids) CHECK(pid != host.process().pid());
    auto metrics = http.get(host.url("/metrics"), {"Accept: text/plain"});
    CHECK(has(metrics.body, "framehost_plugin_isolation_crashes_total{"));
    auto figures = json::parse(http.get(host.url("/metrics")).body);
    CHECK(figures["plugins"]["fixture_processor"]["isolation"]["restarts"].get<int>() >= 3);
    CHECK(figures["plugins"]["synthetic_source"]["isolation"].is_null());

    // The live page, in headless Chromium, says where each instance runs.
    Browser browser;
    auto page = browser.dump_dom(host.url("/"), 6000).dom;
    auto row = page.find("data-plugin=\"fixture_processor\"");
    REQUIRE(row != std::string::npos);
    auto cells = page.substr(row, page.find("</tr>", row) - row);
    // "worker pid N", or "worker restarting" between a crash and its restart.
    CHECK_MESSAGE(has(cells, "<td class=\"isolation\">worker "), cells);
    CHECK(has(cells, "restarts · last: plugin fixture_processor crashed: exited with status 3"));
    auto source_row = page.find("data-plugin=\"synthetic_source\"");
    REQUIRE(source_row != std::string::npos);
    CHECK(has(page.substr(source_row, page.find("</tr>", source_row) - source_row),
              "<td class=\"isolation\">host</td>"));
    host.process().signal(SIGTERM);
    CHECK(host.process().wait(30s) == 0);
}

TEST_CASE(
    "a worker whose calls are short is kept on its caller's CPU, one whose calls are long runs on "
    "any") {
    cpu_set_t host_cpus;
    REQUIRE(::sched_getaffinity(0, sizeof host_cpus, &host_cpus) == 0);
    if (CPU_COUNT(&host_cpus) < 2) {
        MESSAGE("one CPU: every worker runs on it");
        return;
    }
    RunningHost host(
        "pipeline: { workers: 2, batch_size: 5, progress_interval_s: 0 }\n"
        "plugin_paths: [" +
        kFixturePluginDir +
        "]\n"
        "source: { plugin: synthetic_source, params: { count: 0, rate_fps: 1000 } }\n"
        "processors: [ { plugin: identity, isolation: process },\n"
        "  { plugin: fixture_processor, isolation: process, params: { mode: pass, sleep_ms: 3 } "
        "} ]\n");
    HttpClient http;
    // The CPUs the kernel lets a process run on, from /proc.
    auto allowed = [](int pid) {
        std::ifstream status("/proc/" + std::to_string(pid) + "/status");
        std::string line;
        while (std::getline(status, line))
            if (line.rfind("Cpus_allowed_list:", 0) == 0) return line.substr(line.find(':') + 1);
        return std::string();
    };
    json quick, slow;
    REQUIRE(eventually(
        [&] {
            auto health = http.get(host.url("/health"));
            if (health.status != 200) return false;
            auto plugins = json::parse(health.body)["details"]["plugins"];
            quick = plugins["identity"]["isolation"]["workers"][0];
            slow = plugins["fixture_processor"]["isolation"]["workers"][0];
            return plugins["fixture_processor"]["isolation"]["calls"].get<int>() >= 50 &&
                   quick["kept_on_cpu"].is_number();
        },
        30s));
    auto cpu = quick["kept_on_cpu"].get<int>();
    CHECK(CPU_ISSET(cpu, &host_cpus));
    // The worker's serving thread is its main one, whose list /proc/PID/status shows. It may
    // have followed its caller to another CPU since /health answered: one CPU, either way.
    auto quick_cpus = allowed(quick["pid"].get<int>());
    CHECK_MESSAGE(quick_cpus.find_first_of(",-") == std::string::npos, quick_cpus);
    CHECK(slow["kept_on_cpu"].is_null());
    auto slow_cpus = allowed(slow["pid"].get<int>());
    CHECK_MESSAGE(slow_cpus.find_first_of(",-") != std::string::npos, slow_cpus);
    host.process().signal(SIGTERM);
    CHECK(host.process().wait(30s) == 0);
}

TEST_CASE("an isolated plugin that never returns is killed within its bound and restarted") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config = dir.write(
        "host.yaml",
        pipeline("{ plugin: fixture_processor, isolation: process, worker: { kill_after: 1500ms }, "
                 "params: { mode: hang, every: 100, by_id: true } }",
                 out, 300, 200));
    auto started = std::chrono::steady_clock::now();
    auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 120s);
    auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(has(r.err, "finished: 297 completed, 0 filtered, 3 failed, 0 dropped"));
    std::set<std::string> failed;
    for (const auto& line : read_jsonl(out))
        if (line.contains("error")) {
            failed.insert(line["frame_id"].get<std::string>());
            // fixture_processor declares 1 ms a frame: 50 of them is under the 1 s floor.
            CHECK(line["error"] ==
                  "plugin fixture_processor was killed: a call on 1 frame(s) ran over 1000 ms");
        }
    CHECK(failed == every_nth(300, 100));
    // 1.5 s of frames at 200/s, and three hangs of about 1 s each, not 3 x kill_after or more.
    CHECK(seconds < 15);
}

TEST_CASE(
    "pixels cross to the worker intact, padded rows included: the same checksums in and out") {
    TempDir dir;
    auto in_host = dir / "in_host.jsonl";
    auto isolated = dir / "isolated.jsonl";
    auto run = [&](const std::string& isolation, const std::filesystem::path& out) {
        auto config = dir.write(
            "host" + isolation + ".yaml",
            pipeline("{ plugin: fixture_processor" + isolation + ", params: { mode: checksum } }",
                     out, 200));
        auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 60s);
        CHECK_MESSAGE(r.exit_code == 0, r.err);
        return by_id(read_jsonl(out));
    };
    auto expected = run("", in_host);
    auto got = run(", isolation: process", isolated);
    REQUIRE(expected.size() == 200);
    REQUIRE(got.size() == 200);
    for (const auto& [id, line] : expected) {
        // 50 RGB pixels are 150 bytes; rows are 192 apart.
        CHECK(line["results"]["checksum"]["width"] == 50);
        CHECK(got[id]["results"]["checksum"] == line["results"]["checksum"]);
    }
}

TEST_CASE(
    "a plugin that keeps pictures between frames works isolated: motion_gate filters the same "
    "frames") {
    TempDir dir;
    auto run = [&](const std::string& isolation) {
        auto out = dir / ("out" + std::to_string(isolation.size()) + ".jsonl");
        auto config = dir.write(
            "host" + std::to_string(isolation.size()) + ".yaml",
            "http: { enabled: false }\n"
            "pipeline: { workers: 2, batch_size: 10, progress_interval_s: 0 }\n"
            "source: { plugin: synthetic_source, params: { count: 400, pixels: true, width: 64, "
            "height: 48, cameras: 4, distinct_images: 3 } }\n"
            "processors: [ { plugin: motion_gate" +
                isolation +
                ", params: { min_motion_ratio: 0.001 } } ]\n"
                "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
                out.string() + "\" } } ]\n");
        auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 60s);
        CHECK_MESSAGE(r.exit_code == 0, r.err);
        std::set<std::string> written;
        for (const auto& line : read_jsonl(out))
            written.insert(line["frame_id"].get<std::string>());
        return written;
    };
    auto in_host = run("");
    auto isolated = run(", isolation: process");
    CHECK(in_host.size() > 0);
    CHECK(in_host.size() < 400);  // some frames are filtered: the comparison means something
    CHECK(isolated == in_host);
}

TEST_CASE("an isolated sink's report settles delivery as in the host: refused frames fail, named") {
    TempDir dir;
    auto config = dir.write(
        "host.yaml",
        "http: { enabled: false }\n"
        "pipeline: { workers: 2, batch_size: 10, progress_interval_s: 0 }\n"
        "plugin_paths: [" +
            kFixturePluginDir +
            "]\n"
            "source: { plugin: synthetic_source, params: { count: 70 } }\n"
            "processors: [ { plugin: identity } ]\n"
            "sinks: [ { plugin: fixture_sink, isolation: process, params: { fail_every: 7 } } ]\n");
    auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 60s);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(has(r.err, "finished: 60 completed, 0 filtered, 10 failed, 0 dropped"));
}

TEST_CASE("an isolated plugin that refuses to be created stops the host with its own words") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config = dir.write(
        "host.yaml", pipeline("{ plugin: fixture_processor, isolation: process, params: { mode: "
                              "throw_in_constructor } }",
                              out, 10));
    auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 60s);
    CHECK(r.exit_code == 1);
    CHECK_MESSAGE(has(r.err, "plugin fixture_processor: constructor refuses"), r.err);
}

TEST_CASE("isolation settings that cannot work are refused at the config, with their place") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto check = [&](const std::string& processor, const std::string& expected) {
        auto config = dir.write("host.yaml", pipeline(processor, out, 10));
        auto r = run_program(kFramehostBinary, {"--config", config.string(), "--check"});
        CHECK(r.exit_code == 1);
        CHECK_MESSAGE(has(r.err, expected), r.err);
    };
    check("{ plugin: identity, isolation: threads }", "host.yaml:5:");
    check("{ plugin: identity, isolation: threads }", "'threads' is not one of none, process");
    check("{ plugin: identity, worker: { processes: 2 } }", "'worker:' needs 'isolation: process'");
    check("{ plugin: motion_gate, isolation: process, worker: { processes: 2 } }",
          "is ordered_per_camera: its frames need one worker process, not 2");
    check("{ plugin: identity, isolation: process, worker: { kill_after: soon } }", "kill_after");
    auto config = dir.write("source.yaml",
                            "source: { plugin: synthetic_source, isolation: process }\n"
                            "processors: [ { plugin: identity } ]\n");
    auto r = run_program(kFramehostBinary, {"--config", config.string(), "--check"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "sources run in the host's process"));
}

TEST_CASE("check-plugin --isolated drives a plugin in a worker process and survives its crashes") {
    auto good = run_program(kFramehostBinary, {"check-plugin", "--isolated", "identity"});
    CHECK_MESSAGE(good.exit_code == 0, good.out);
    CHECK(has(good.out, "created in a worker process with"));
    CHECK(has(good.out, "identity: passes"));

    auto bad = run_program(kFramehostBinary,
                           {"check-plugin", "--isolated", "--plugin-path", kFixturePluginDir,
                            "fixture_processor", "--set", "mode=segfault", "--set", "every=3"});
    CHECK(bad.exit_code == 1);
    // The check itself lived to give its verdict: the crashes were the worker's.
    CHECK_MESSAGE(has(bad.out, "fixture_processor: FAILS"), bad.out);
    CHECK(has(bad.err, "plugin fixture_processor crashed: "));
}
