// framehost running pipelines end to end: real binary, real plugins, real signals.
#include <signal.h>

#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <thread>

#include "core/config/param_values.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost;
using namespace framehost::test;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::vector<nlohmann::json> read_lines(const std::filesystem::path& file) {
    std::vector<nlohmann::json> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}

std::shared_ptr<core::PluginInstance> load(core::MetricsRegistry& metrics,
                                           const std::string& plugin,
                                           const std::string& params_yaml) {
    auto library = core::PluginLibrary::load(kBundledPluginDir + "/" + plugin + ".so");
    core::Diagnostics d("test");
    YAML::Node node = YAML::Load(params_yaml);
    auto params = core::validate_params(node, node, library->descriptor().params, plugin, d);
    d.throw_if_any();
    return core::PluginInstance::create(library, plugin, params, metrics);
}

const char* kPipeline = R"(http: { enabled: false }
pipeline: { workers: ${CPU_CORES:-2}, batch_size: ${BATCH_SIZE:-10}, progress_interval_s: 0 }
source: { plugin: synthetic_source, enabled: ${ENABLE_FRAME_CONSUMER:-true}, params: { count: ${COUNT:-200}, rate_fps: ${RATE:-0}, pixels: true, width: 64, height: 48, cameras: 3 } }
processors:
  - plugin: sample_detector
    params: { detection_threshold: ${DETECTION_THRESHOLD:-0.5}, simulate_gpu: ${SIMULATE_GPU:-false}, processing_delay_ms: ${PROCESSING_DELAY_MS:-0} }
sinks: [ { plugin: jsonl_sink, params: { path: ${OUT} } } ]
)";

struct Run {
    TempDir dir;
    std::filesystem::path out = dir / "results.jsonl";
    std::filesystem::path config = dir.write("host.yaml", kPipeline);
    std::map<std::string, std::string> env{{"OUT", out.string()}};
    std::vector<std::string> args() const { return {"--config", config.string()}; }
};

}  // namespace

TEST_CASE("every frame of a finite source reaches the sink once, with the expected detections") {
    Run run;
    auto r = run_program(kFramehostBinary, run.args(), run.env);
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.err, "finished: 200 completed, 0 filtered, 0 failed, 0 dropped"));

    // The expected results: the same plugins, driven in this process frame by frame.
    core::MetricsRegistry metrics;
    auto source =
        load(metrics, "synthetic_source",
             "{count: 200, rate_fps: 0, pixels: true, width: 64, height: 48, cameras: 3}");
    auto detector =
        load(metrics, "sample_detector", "{detection_threshold: 0.5, processing_delay_ms: 0}");
    std::vector<Frame> frames;
    while (source->source()->read(frames, 50) == ReadStatus::Frames) {
    }
    std::map<std::string, Frame> expected;
    for (auto& f : frames) {
        detector->processor()->process(f);
        expected[f.id] = f;
    }

    auto lines = read_lines(run.out);
    REQUIRE(lines.size() == 200);
    std::set<std::string> seen;
    for (const auto& line : lines) {
        std::string id = line["frame_id"];
        CAPTURE(id);
        CHECK(seen.insert(id).second);
        REQUIRE(expected.count(id) == 1);
        const Frame& want = expected[id];
        CHECK(line["state"] == "completed");
        CHECK(line["camera_id"] == want.camera_id);
        REQUIRE(line["detections"].size() == want.detections.size());
        for (std::size_t i = 0; i < want.detections.size(); ++i) {
            CHECK(line["detections"][i]["class"] == want.detections[i].class_name);
            CHECK(line["detections"][i]["confidence"] == want.detections[i].confidence);
            CHECK(line["detections"][i]["bbox"][2] == want.detections[i].bbox[2]);
        }
        CHECK(line["results"]["sample_detector"]["frame_shape"] == nlohmann::json({48, 64, 3}));
    }
}

TEST_CASE("DETECTION_THRESHOLD, SIMULATE_GPU and PROCESSING_DELAY_MS change the results") {
    Run low, high;
    low.env["DETECTION_THRESHOLD"] = "0.3";
    high.env["DETECTION_THRESHOLD"] = "0.9";
    high.env["SIMULATE_GPU"] = "true";
    high.env["PROCESSING_DELAY_MS"] = "8";
    high.env["COUNT"] = low.env["COUNT"] = "40";
    REQUIRE(run_program(kFramehostBinary, low.args(), low.env).exit_code == 0);
    REQUIRE(run_program(kFramehostBinary, high.args(), high.env).exit_code == 0);
    std::size_t low_total = 0, high_total = 0;
    for (const auto& line : read_lines(low.out)) {
        low_total += line["detections"].size();
        CHECK(line["results"]["sample_detector"]["gpu_used"] == false);
    }
    for (const auto& line : read_lines(high.out)) {
        high_total += line["detections"].size();
        for (const auto& d : line["detections"]) CHECK(d["confidence"].get<double>() >= 0.9);
        CHECK(line["results"]["sample_detector"]["gpu_used"] == true);
        CHECK(line["results"]["sample_detector"]["processing_time_ms"].get<double>() >= 2.0);
    }
    CHECK(high_total < low_total);
}

TEST_CASE("CPU_CORES and BATCH_SIZE set the workers and the batch") {
    Run run;
    run.env["CPU_CORES"] = "3";
    run.env["BATCH_SIZE"] = "7";
    auto r = run_program(kFramehostBinary, run.args(), run.env);
    CHECK(r.exit_code == 0);
    CHECK(has(r.err, "3 workers, batch 7"));
}

TEST_CASE("a processor that throws on every frame leaves the host running, frames counted failed") {
    Run run;
    auto config = run.dir.write("throwing.yaml", R"(http: { enabled: false }
pipeline: { progress_interval_s: 0 }
source: { plugin: synthetic_source, params: { count: 50, rate_fps: 0 } }
processors: [ { plugin: fixture_processor, params: { mode: throw } }, { plugin: sample_detector } ]
sinks: [ { plugin: jsonl_sink, params: { path: ${OUT} } } ]
)");
    auto r =
        run_program(kFramehostBinary,
                    {"--config", config.string(), "--plugin-path", kFixturePluginDir}, run.env);
    CHECK(r.exit_code == 0);
    CHECK(has(r.err, "finished: 0 completed, 0 filtered, 50 failed, 0 dropped"));
    auto lines = read_lines(run.out);
    REQUIRE(lines.size() == 50);
    for (const auto& line : lines) {
        CHECK(line["state"] == "failed");
        CHECK(line["failed_in"] == "fixture_processor");
        CHECK(has(line["error"].get<std::string>(), "fixture throws on frame-"));
        CHECK(line["detections"].empty());  // later processors skip a failed frame
    }
}

TEST_CASE("a plugin that throws in its constructor or start stops the host with its name") {
    for (std::string mode : {"throw_in_constructor", "throw_on_start"}) {
        CAPTURE(mode);
        TempDir dir;
        auto config = dir.write(
            "h.yaml",
            "http: { enabled: false }\nsource: { plugin: synthetic_source, params: { count: 5 } }\n"
            "processors: [ { plugin: fixture_processor, name: picky, params: { mode: " +
                mode + " } } ]\n");
        auto r = run_program(kFramehostBinary,
                             {"--config", config.string(), "--plugin-path", kFixturePluginDir});
        CHECK(r.exit_code == 1);
        CHECK(has(r.err, "'picky'"));
        CHECK(has(r.err, "refuses"));
    }
}

TEST_CASE("SIGTERM drains in-flight frames, every frame read reaches the sink, exit 0") {
    Run run;
    run.env["COUNT"] = "0";
    run.env["RATE"] = "3000";
    run.env["PROCESSING_DELAY_MS"] = "1";
    ChildProcess host(kFramehostBinary, run.args(), run.env);
    std::this_thread::sleep_for(1500ms);
    REQUIRE(host.running());
    host.signal(SIGTERM);
    CHECK(host.wait(20s) == 0);
    auto err = host.err();
    CHECK(has(err, "SIGTERM: draining"));
    auto at = err.find("finished: ");
    REQUIRE(at != std::string::npos);
    auto completed = std::stoul(err.substr(at + 10));
    CHECK(completed > 100);
    CHECK(has(err, " 0 dropped"));
    CHECK(read_lines(run.out).size() == completed);
}

TEST_CASE("a second signal exits at once without waiting for the drain") {
    TempDir dir;
    auto config = dir.write("slow.yaml", R"(http: { enabled: false }
pipeline: { workers: 1, batch_size: 1, shutdown_timeout_s: 600 }
source: { plugin: synthetic_source, params: { count: 0, rate_fps: 0 } }
processors: [ { plugin: fixture_processor, params: { mode: pass, sleep_ms: 2000 } } ]
)");
    ChildProcess host(kFramehostBinary,
                      {"--config", config.string(), "--plugin-path", kFixturePluginDir});
    std::this_thread::sleep_for(500ms);
    host.signal(SIGTERM);
    std::this_thread::sleep_for(300ms);
    REQUIRE(host.running());  // still draining: the frame in hand takes 2 s, the queue more
    auto sent = std::chrono::steady_clock::now();
    host.signal(SIGTERM);
    CHECK(host.wait(5s) == 128 + SIGTERM);
    CHECK(std::chrono::steady_clock::now() - sent < 1500ms);
    CHECK(has(host.err(), "second signal"));
}

TEST_CASE("with the source disabled the host idles until told to stop") {
    Run run;
    run.env["ENABLE_FRAME_CONSUMER"] = "false";
    ChildProcess host(kFramehostBinary, run.args(), run.env);
    std::this_thread::sleep_for(500ms);
    CHECK(host.running());
    host.signal(SIGINT);
    CHECK(host.wait(10s) == 0);
    CHECK(has(host.err(), "no source"));
}
