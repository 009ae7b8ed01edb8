#include "core/plugins/plugin_binding.hpp"

#include <doctest/doctest.h>

#include <map>

#include "core/config/diagnostics.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost;
using namespace framehost::core;

namespace {

PluginCatalog test_catalog() {
    return PluginCatalog({test::kBundledPluginDir, test::kFixturePluginDir});
}

EnvironmentLookup no_env() {
    return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

std::vector<ConfigError> errors_for(const std::string& text,
                                    const std::vector<ConfigOverride>& overrides = {}) {
    auto catalog = test_catalog();
    try {
        parse_host_config(text, "test.yaml", overrides, catalog, no_env());
    } catch (const ConfigErrors& e) {
        return e.errors();
    }
    return {};
}

bool mentions(const ConfigError& e, const std::string& text) {
    return e.message.find(text) != std::string::npos;
}

const char* kValid = R"(service: { name: sample-processor, version: 2.0.0 }
pipeline:
  workers: 3
  batch_size: 20
source: { plugin: synthetic_source, params: { count: 10 } }
processors:
  - { plugin: sample_detector, params: { detection_threshold: 0.7, processing_delay_ms: 0 } }
sinks: [ { plugin: jsonl_sink, params: { path: out.jsonl } } ]
)";

}  // namespace

TEST_CASE("a valid config binds every plugin with its params and defaults") {
    auto catalog = test_catalog();
    auto config = parse_host_config(kValid, "test.yaml", {}, catalog, no_env());
    CHECK(config.service.name == "sample-processor");
    CHECK(config.service.version == "2.0.0");
    CHECK(config.pipeline.workers == 3);
    CHECK(config.pipeline.batch_size == 20);
    CHECK(config.pipeline.queue_capacity == 1024);
    REQUIRE(config.sources.size() == 1);
    CHECK(config.sources[0].params.integer("count") == 10);
    CHECK(config.sources[0].params.integer("width") == 640);
    REQUIRE(config.processors.size() == 1);
    CHECK(config.processors[0].params.number("detection_threshold") == doctest::Approx(0.7));
    CHECK(config.processors[0].params.list("classes").size() == 5);
    CHECK(config.sinks[0].params.string("path") == "out.jsonl");
}

TEST_CASE("a misspelt key is reported at its position with the right key suggested") {
    auto errors = errors_for("pipline:\n  workers: 2\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].origin == "test.yaml");
    CHECK(errors[0].line == 1);
    CHECK(errors[0].column == 1);
    CHECK(mentions(errors[0], "unknown key 'pipline'"));
    CHECK(mentions(errors[0], "did you mean 'pipeline'?"));
    CHECK(errors[0].to_string().rfind("test.yaml:1:1: ", 0) == 0);
}

TEST_CASE("a misspelt plugin parameter is reported with the plugin's parameter suggested") {
    auto errors = errors_for(
        "processors:\n  - plugin: sample_detector\n    params:\n      detection_treshold: 0.3\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 4);
    CHECK(errors[0].column == 7);
    CHECK(mentions(errors[0], "did you mean 'detection_threshold'?"));
}

TEST_CASE("wrong types and values out of range name the key and the accepted values") {
    auto errors = errors_for(R"(pipeline: { workers: many, batch_size: 0 }
processors:
  - { plugin: sample_detector, params: { detection_threshold: 1.5, simulate_gpu: maybe } }
)");
    REQUIRE(errors.size() == 4);
    CHECK(errors[0].line == 1);
    CHECK(errors[0].column == 22);
    CHECK(mentions(errors[0], "'workers'"));
    CHECK(mentions(errors[0], "expected an integer, got 'many'"));
    CHECK(mentions(errors[1], "'batch_size'"));
    CHECK(mentions(errors[1], "between 1 and 10000"));
    CHECK(errors[2].line == 3);
    CHECK(mentions(errors[2], "'detection_threshold'"));
    CHECK(mentions(errors[2], "between 0 and 1, got 1.5"));
    CHECK(mentions(errors[3], "expected true or false, got 'maybe'"));
}

TEST_CASE("a missing required parameter is reported at the plugin's entry") {
    auto errors = errors_for("processors:\n  - plugin: fixture_processor\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 2);
    CHECK(mentions(errors[0], "missing required key 'mode'"));
}

TEST_CASE("an unknown plugin is reported with the nearest known name and the search path") {
    auto errors = errors_for("processors:\n  - plugin: sample_detectr\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 2);
    CHECK(errors[0].column == 13);
    CHECK(mentions(errors[0], "unknown plugin 'sample_detectr'"));
    CHECK(mentions(errors[0], "did you mean 'sample_detector'?"));
    CHECK(mentions(errors[0], "searched"));
}

TEST_CASE("a plugin in the wrong section is refused") {
    auto errors = errors_for("source: { plugin: sample_detector }\n");
    REQUIRE(errors.size() == 1);
    CHECK(mentions(errors[0], "is a processor, not a source"));
}

TEST_CASE("a refused plugin file is a config error naming the file and the reason") {
    auto errors = errors_for("processors: [ { plugin: bad_abi } ]\n");
    REQUIRE(errors.size() == 1);
    CHECK(mentions(errors[0], "bad_abi.so"));
    CHECK(mentions(errors[0], "ABI 999"));
}

TEST_CASE("every error of a file is reported at once, in file order") {
    auto errors = errors_for(R"(servce: { name: x }
pipeline: { workers: 0 }
processors:
  - { plugin: sample_detector, params: { classes: [] } }
  - { plugin: nope }
sinks: [ { plugn: jsonl_sink } ]
)");
    REQUIRE(errors.size() == 5);
    for (std::size_t i = 1; i < errors.size(); ++i) CHECK(errors[i - 1].line <= errors[i].line);
    CHECK(mentions(errors[0], "did you mean 'service'?"));
    CHECK(mentions(errors[1], "'workers'"));
    CHECK(mentions(errors[2], "'classes'"));
    CHECK(mentions(errors[3], "unknown plugin 'nope'"));
    CHECK(mentions(errors[4], "did you mean 'plugin'?"));
}

TEST_CASE("--set overrides a value, and a bad override is reported as the override") {
    auto catalog = test_catalog();
    auto config = parse_host_config(
        kValid, "test.yaml",
        {{"pipeline.workers", "5"}, {"processors.0.params.detection_threshold", "0.25"}}, catalog,
        no_env());
    CHECK(config.pipeline.workers == 5);
    CHECK(config.processors[0].params.number("detection_threshold") == doctest::Approx(0.25));

    auto errors = errors_for(kValid, {{"pipeline.workers", "lots"}});
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].origin == "--set pipeline.workers=lots");
    CHECK(mentions(errors[0], "expected an integer"));
}

TEST_CASE("a disabled source is no source") {
    auto catalog = test_catalog();
    auto config = parse_host_config(
        "source: { plugin: synthetic_source, enabled: ${ENABLE_FRAME_CONSUMER:-false} }\n",
        "test.yaml", {}, catalog, no_env());
    CHECK(config.sources.empty());
}

TEST_CASE("instances of one plugin get unique names, a repeated explicit name is an error") {
    auto catalog = test_catalog();
    auto config = parse_host_config("processors: [ {plugin: identity}, {plugin: identity} ]\n",
                                    "test.yaml", {}, catalog, no_env());
    CHECK(config.processors[0].instance_name == "identity");
    CHECK(config.processors[1].instance_name == "identity_2");
    auto errors = errors_for(
        "processors: [ {plugin: identity, name: a}, {plugin: sample_detector, name: a} ]\n");
    REQUIRE(errors.size() == 1);
    CHECK(mentions(errors[0], "'a' is used twice"));
}

TEST_CASE("plugin_paths are relative to the config file") {
    test::TempDir dir;
    std::filesystem::create_directories(dir / "my-plugins");
    std::filesystem::copy_file(test::kFixturePluginDir + "/fixture_processor.so",
                               dir / "my-plugins" / "fixture_processor.so");
    auto file =
        dir.write("conf/host.yaml",
                  "plugin_paths: [ ../my-plugins ]\n"
                  "processors: [ { plugin: fixture_processor, params: { mode: pass } } ]\n");
    PluginCatalog catalog({test::kBundledPluginDir});  // the fixtures folder is not on it
    auto config = load_host_config(file, {}, catalog, no_env());
    REQUIRE(config.processors.size() == 1);
    CHECK(config.processors[0].library->file() ==
          std::filesystem::canonical(dir / "my-plugins" / "fixture_processor.so"));
}

TEST_CASE(
    "sources: is a list of sources, each named, and giving both source: and sources: is an error") {
    auto catalog = test_catalog();
    auto config = parse_host_config(R"(sources:
  - { plugin: synthetic_source, name: cam_a, params: { count: 3 } }
  - { plugin: synthetic_source, params: { count: 4 } }
  - { plugin: synthetic_source, enabled: false }
)",
                                    "test.yaml", {}, catalog, no_env());
    REQUIRE(config.sources.size() == 2);
    CHECK(config.sources[0].instance_name == "cam_a");
    CHECK(config.sources[1].instance_name == "synthetic_source");
    CHECK(config.sources[1].params.integer("count") == 4);
    auto both = errors_for(
        "source: { plugin: synthetic_source }\nsources: [ { plugin: synthetic_source } ]\n");
    REQUIRE(both.size() == 1);
    CHECK(both[0].line == 1);
    CHECK(mentions(both[0], "'source' and 'sources' both given"));
    auto wrong_kind = errors_for("sources: [ { plugin: identity } ]\n");
    REQUIRE(wrong_kind.size() == 1);
    CHECK(mentions(wrong_kind[0], "sources[0]: plugin 'identity' is a processor, not a source"));
}

TEST_CASE(
    "events: a PostgreSQL url takes the file's place and names this host, another scheme is "
    "refused") {
    auto catalog = test_catalog();
    auto env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "EVENTS_URL") return "postgresql://framehost@db/framehost";
        return std::nullopt;
    };
    auto shared = parse_host_config(std::string(kValid) +
                                        "http: { port: 8123 }\nevents: { path: "
                                        "${EVENTS_PATH:-events.db}, url: ${EVENTS_URL:-} }\n",
                                    "test.yaml", {}, catalog, env);
    CHECK(shared.events.url == "postgresql://framehost@db/framehost");
    CHECK(shared.events.path.empty());
    CHECK(shared.events.configured());
    CHECK(shared.events.writer.size() > 5);
    CHECK(shared.events.writer.substr(shared.events.writer.size() - 5) == ":8123");
    auto local = parse_host_config(std::string(kValid) +
                                       "events: { path: ${EVENTS_PATH:-events.db}, url: "
                                       "${EVENTS_URL:-} }\n",
                                   "test.yaml", {}, catalog, no_env());
    CHECK(local.events.url.empty());
    CHECK(local.events.path.find("events.db") != std::string::npos);
    auto errors = errors_for(std::string(kValid) + "events: { url: \"mysql://db/events\" }\n");
    REQUIRE(errors.size() == 1);
    CHECK(mentions(errors[0], "postgresql://"));
    CHECK(errors[0].line == 9);  // the events line, after kValid's eight
}
