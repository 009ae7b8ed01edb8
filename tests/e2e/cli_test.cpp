// The real framehost binary, run as a user runs it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "framehost/version.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost::test;

namespace {
const std::string kShippedConfig = kSourceDir + "/configs/sample-processor.yaml";

RunResult run_framehost(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {}) {
    return run_program(kFramehostBinary, args, env);
}
bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("--version and --help answer and exit 0, a wrong command line exits 2") {
    auto version = run_framehost({"--version"});
    CHECK(version.exit_code == 0);
    CHECK(has(version.out, std::string("(SDK ") + framehost::kSdkVersion + ", plugin ABI " +
                               std::to_string(framehost::kAbiVersion) + ")"));
    auto help = run_framehost({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(has(help.out, "--config"));
    CHECK(run_framehost({"--no-such-option"}).exit_code == 2);
    CHECK(run_framehost({"frobnicate"}).exit_code == 2);
    CHECK(run_framehost({}).exit_code == 2);
}

TEST_CASE("plugins lists the shipped plugins with kind, version and description") {
    auto r = run_framehost({"plugins"});
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "sample_detector      processor  1.0.0"));
    CHECK(has(r.out, "synthetic_source     source"));
    CHECK(has(r.out, "jsonl_sink           sink"));
    CHECK(has(r.out, "identity"));
}

TEST_CASE("plugins shows a refused plugin on the search path with the reason") {
    auto r = run_framehost({"plugins", "--plugin-path", kFixturePluginDir});
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "bad_abi              refused: "));
    CHECK(has(r.out, "built with SDK 9.0.0 (plugin ABI 999)"));
    CHECK(has(r.out, "fixture_processor"));
}

TEST_CASE("inspect prints typed parameters with defaults and ranges") {
    auto r = run_framehost({"inspect", "sample_detector"});
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "detection_threshold  double  default 0.5  (0..1)"));
    CHECK(has(r.out, "processing_delay_ms  int  default 10  (0..60000)"));
    CHECK(has(r.out, "classes  list  default [person, car, bicycle, dog, cat]"));
    auto json = run_framehost({"inspect", "sample_detector", "--format", "json"});
    auto parsed = nlohmann::json::parse(json.out);
    CHECK(parsed["name"] == "sample_detector");
    CHECK(parsed["params"][0]["max"] == 1.0);
}

TEST_CASE("inspect of an unknown plugin fails and suggests the nearest") {
    auto r = run_framehost({"inspect", "sample_detectr"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "did you mean 'sample_detector'?"));
}

TEST_CASE("the shipped config passes --check") {
    auto r = run_framehost({"--config", kShippedConfig, "--check"});
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "OK"));
}

TEST_CASE("--check on a config with a typo names file, line and column and the right key") {
    TempDir dir;
    auto file = dir.write("typo.yaml",
                          "pipeline:\n  workers: 2\nprocessors:\n  - plugin: sample_detector\n"
                          "    params: { detection_threshhold: 0.4 }\n");
    auto r = run_framehost({"--config", file.string(), "--check"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, file.string() + ":5:15: unknown key 'detection_threshhold'"));
    CHECK(has(r.err, "did you mean 'detection_threshold'?"));
}

TEST_CASE("environment variables of the replaced service reach the shipped config") {
    // A value each variable's parameter refuses proves the variable is read, and where.
    const std::map<std::string, std::string> bad = {{"DETECTION_THRESHOLD", "2"},
                                                    {"SIMULATE_GPU", "perhaps"},
                                                    {"PROCESSING_DELAY_MS", "-1"},
                                                    {"BATCH_SIZE", "0"},
                                                    {"CPU_CORES", "0"},
                                                    {"MEMORY_LIMIT_MB", "0"},
                                                    {"PREFER_GPU", "sometimes"},
                                                    {"ENABLE_FRAME_CONSUMER", "kinda"}};
    for (const auto& [name, value] : bad) {
        CAPTURE(name);
        auto r = run_framehost({"--config", kShippedConfig, "--check"}, {{name, value}});
        CHECK(r.exit_code == 1);
        CHECK(has(r.err, "sample-processor.yaml:"));
    }
}

TEST_CASE("a config naming a refused plugin fails --check with the file and the reason") {
    TempDir dir;
    auto file = dir.write("bad.yaml", "processors: [ { plugin: bad_abi } ]\n");
    auto r =
        run_framehost({"--config", file.string(), "--check", "--plugin-path", kFixturePluginDir});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "bad_abi.so: built with SDK 9.0.0 (plugin ABI 999), this host has SDK "));
}
