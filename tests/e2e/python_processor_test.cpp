// python_processor through the real framehost binary: the replaced system's processor class runs
// unchanged and its detections reach the sinks; an exception or SystemExit fails its frame in the
// host's process; isolated, a segfault in a C extension and a call that never returns cost only
// their frames and the host goes on, with N interpreters in N worker processes.
#include <doctest/doctest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sanitized.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kProbes = kSourceDir + "/tests/fixtures/python/probes.py";

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// `count` synthetic frames over four cameras -> the processor entry -> jsonl_sink into `out`.
std::string pipeline(const std::string& processor, const std::filesystem::path& out, int count) {
    return "http: { enabled: false }\n"
           "pipeline: { workers: 2, batch_size: 10, progress_interval_s: 0 }\n"
           "source: { plugin: synthetic_source, params: { count: " +
           std::to_string(count) +
           ", rate_fps: 0, pixels: true, width: 64, height: 48, cameras: 4 } }\n"
           "processors: [ " +
           processor +
           " ]\n"
           "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
           out.string() + "\" } } ]\n";
}

std::string faulty(const std::string& how, int every, const std::string& isolation = "") {
    return "{ plugin: python_processor" + isolation + ", params: { module: '" + kProbes +
           "', class: Faulty, args: { how: " + how + ", every: " + std::to_string(every) + " } } }";
}

// The frame ids that failed, and every error seen.
struct Failures {
    std::set<std::string> ids;
    std::vector<std::string> errors;
    std::size_t lines = 0;
};
Failures failures_in(const std::filesystem::path& out) {
    Failures f;
    for (const auto& line : read_jsonl(out)) {
        ++f.lines;
        if (!line.contains("error")) continue;
        f.ids.insert(line["frame_id"].get<std::string>());
        f.errors.push_back(line["error"].get<std::string>());
        CHECK(line["failed_in"] == "python_processor");
    }
    return f;
}

std::set<std::string> every_nth(int count, int every) {
    std::set<std::string> ids;
    for (int n = every - 1; n < count; n += every) ids.insert("frame-" + std::to_string(n));
    return ids;
}

}  // namespace

TEST_CASE("the replaced system's processor class runs unchanged and its detections reach sinks") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config = dir.write(
        "host.yaml",
        pipeline("{ plugin: python_processor, params: { module: '" + kSourceDir +
                     "/tests/fixtures/python/replaced_system.py', class: BrightSpotProcessor, "
                     "args: { min_brightness: 0, name: spots } } }",
                 out, 40));
    auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 60s);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(has(r.err, "finished: 40 completed, 0 filtered, 0 failed, 0 dropped"));
    auto lines = read_jsonl(out);
    REQUIRE(lines.size() == 40);
    for (const auto& line : lines) {
        REQUIRE(line["detections"].size() == 1);
        CHECK(line["detections"][0]["class"] == "bright_spot");
        CHECK(line["results"]["python_processor"]["processor"] == "spots");
        CHECK(line["results"]["python_processor"]["frame_id"] == line["frame_id"]);
    }
}

TEST_CASE("in the host's process an exception or SystemExit fails its frame, named, and no other") {
    for (const std::string how : {"raise", "exit"}) {
        CAPTURE(how);
        TempDir dir;
        auto out = dir / "out.jsonl";
        auto config = dir.write("host.yaml", pipeline(faulty(how, 20), out, 200));
        auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 60s);
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        CHECK(has(r.err, "finished: 190 completed, 0 filtered, 10 failed, 0 dropped"));
        auto f = failures_in(out);
        CHECK(f.lines == 200);
        CHECK(f.ids == every_nth(200, 20));
        for (const auto& error : f.errors)
            CHECK_MESSAGE(has(error, how == "raise" ? "RuntimeError: frame " : "SystemExit: 4"),
                          error);
    }
}

TEST_CASE("isolated, a segfault in a C extension fails only its frames and the worker restarts") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config = dir.write(
        "host.yaml",
        pipeline(faulty("segfault", 50, ", isolation: process, worker: { restart_backoff: 10ms }"),
                 out, 200));
    auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 120s);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(has(r.err, "finished: 196 completed, 0 filtered, 4 failed, 0 dropped"));
    auto f = failures_in(out);
    CHECK(f.lines == 200);
    CHECK(f.ids == every_nth(200, 50));
    for (const auto& error : f.errors) {
        CHECK_MESSAGE(has(error, "plugin python_processor crashed: "), error);
        if (!kSanitized) CHECK_MESSAGE(has(error, "crashed: SIGSEGV"), error);
    }
}

TEST_CASE("isolated, a call that never returns is killed within its bound and the host goes on") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config =
        dir.write("host.yaml",
                  pipeline(faulty("loop", 100, ", isolation: process, worker: { kill_after: 1s }"),
                           out, 200));
    auto started = std::chrono::steady_clock::now();
    auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 120s);
    auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(has(r.err, "finished: 198 completed, 0 filtered, 2 failed, 0 dropped"));
    auto f = failures_in(out);
    CHECK(f.ids == every_nth(200, 100));
    for (const auto& error : f.errors)
        CHECK_MESSAGE(
            has(error, "plugin python_processor was killed: a call on 1 frame(s) ran over"), error);
    CHECK(seconds < 30);  // two kills of about 1 s each, and restarts
}

TEST_CASE("isolated with two workers, two interpreters answer, each in its own process") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto script = dir.write("pids.py",
                            "import os\n"
                            "class Pid:\n"
                            "    def process_frame(self, frame, metadata):\n"
                            "        return {'pid': os.getpid()}\n");
    auto config = dir.write(
        "host.yaml",
        pipeline("{ plugin: python_processor, isolation: process, worker: { processes: 2 }, "
                 "params: { module: '" +
                     script.string() + "', class: Pid } }",
                 out, 400));
    auto r = run_program(kFramehostBinary, {"--config", config.string()}, {}, 60s);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::set<int> pids;
    for (const auto& line : read_jsonl(out))
        pids.insert(line["results"]["python_processor"]["pid"].get<int>());
    CHECK(pids.size() == 2);
}
