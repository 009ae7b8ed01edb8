// `framehost check-plugin` on the shipped plugins and on fixtures that break the contract in
// each way it must catch.
#include <doctest/doctest.h>

#include <chrono>

#include "framehost/version.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost::test;

namespace {
RunResult check(const std::vector<std::string>& args) {
    std::vector<std::string> full{"check-plugin"};
    full.insert(full.end(), args.begin(), args.end());
    return run_program(kFramehostBinary, full, {}, std::chrono::seconds(60));
}
std::string fixture(const std::string& name) {
    return kFixturePluginDir + "/" + name + ".so";
}
bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("check-plugin passes the shipped processors, sources and sinks") {
    for (const auto* name : {"sample_detector", "identity", "synthetic_source", "jsonl_sink"}) {
        CAPTURE(name);
        auto r = check({name});
        CHECK(r.exit_code == 0);
        CHECK(has(r.out, std::string(name) + ": passes (0 problems"));
        CHECK_FALSE(has(r.out, "FAIL"));
    }
}

TEST_CASE("check-plugin refuses a wrong ABI naming both SDKs") {
    auto r = check({fixture("bad_abi")});
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "FAIL  refused: built with SDK 9.0.0 (plugin ABI 999), this host has SDK " +
                         std::string(framehost::kSdkVersion)));
}

TEST_CASE("check-plugin refuses an invalid parameter spec with each problem") {
    auto r = check({fixture("bad_spec")});
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "parameter 'level' has a default outside its range (between 0 and 10)"));
    CHECK(has(r.out, "parameter 'level' is declared twice"));
}

TEST_CASE("check-plugin says which required parameter to give, and takes it with --set") {
    auto missing = check({fixture("fixture_processor")});
    CHECK(missing.exit_code == 1);
    CHECK(has(missing.out, "missing required key 'mode'"));
    CHECK(has(missing.out, "(give it with --set NAME=VALUE)"));
    auto given = check({fixture("fixture_processor"), "--set", "mode=pass"});
    CHECK(given.exit_code == 0);
    CHECK(has(given.out, "created with default parameters and mode=pass"));
    auto wrong = check({fixture("fixture_processor"), "--set", "mode=sometimes"});
    CHECK(wrong.exit_code == 1);
    CHECK(has(wrong.out, "--set mode=sometimes"));
}

TEST_CASE("check-plugin fails a plugin that throws in start") {
    auto r = check({fixture("fixture_processor"), "--set", "mode=throw_on_start"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "FAIL  start() threw: start refuses"));
}

TEST_CASE("check-plugin fails a processor far over its declared frame budget") {
    auto r = check({fixture("fixture_processor"), "--set", "mode=pass", "--set", "sleep_ms=20"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "FAIL  process() takes far longer than its declared frame budget of 1 ms"));
}

TEST_CASE("check-plugin fails a processor that never returns, and itself returns") {
    auto started = std::chrono::steady_clock::now();
    auto r = check({fixture("fixture_processor"), "--set", "mode=hang", "--timeout", "500ms"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "FAIL  process() of a frame without pixels did not return within 500 ms"));
    CHECK(has(r.out, "fixture_processor: FAILS"));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
}

TEST_CASE("check-plugin reports a plugin that crashes and the call it crashed in") {
    auto r = check({fixture("fixture_processor"), "--set", "mode=crash"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.out,
              "FAIL  the plugin crashed (ABRT, Aborted) in process() of a frame without pixels"));
}

TEST_CASE("check-plugin refuses a bad command line") {
    CHECK(check({}).exit_code == 2);
    CHECK(check({"sample_detector", "--timeout", "soon"}).exit_code == 2);
    auto missing = check({"/nonexistent/x.so"});
    CHECK(missing.exit_code == 1);
    CHECK(has(missing.out, "refused: no such file"));
}

TEST_CASE("check-plugin refuses a plugin of the old ABI, naming the SDK that built it") {
    auto r = check({fixture("sdk_0_2_processor")});
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "built with SDK 0.2.0 (plugin ABI 2)"));
}

TEST_CASE("check-plugin fails a processor that reads pixels as if rows were packed") {
    auto r = check({fixture("fixture_processor"), "--set", "mode=ignore_strides"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "FAIL  process() gives other output for the same pixels in padded rows"));
}

TEST_CASE(
    "check-plugin fails a processor declared reentrant that keeps per-frame state in the "
    "instance") {
    auto r = check({fixture("fixture_processor"), "--set", "mode=shared_state"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "FAIL  declares reentrant, but called from"));
}
