#include "core/plugins/plugin_library.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include "core/config/param_values.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/plugins/plugin_catalog.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "framehost/version.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost;
using namespace framehost::core;

namespace {
std::string refusal(const std::filesystem::path& file) {
    try {
        PluginLibrary::load(file);
    } catch (const PluginLoadError& e) {
        return e.what();
    }
    return "loaded";
}
bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("a good plugin loads and describes itself") {
    auto library = PluginLibrary::load(test::kBundledPluginDir + "/sample_detector.so");
    CHECK(library->descriptor().name == "sample_detector");
    CHECK(library->descriptor().kind == PluginKind::Processor);
    CHECK(library->descriptor().params.size() == 5);
}

TEST_CASE("a plugin for another ABI is refused with both versions, before its entry is called") {
    // bad_abi's entry traps if called: passing this test proves the host stopped at the number.
    auto message = refusal(test::kFixturePluginDir + "/bad_abi.so");
    CHECK(has(message, "bad_abi.so: "));
    CHECK(has(message, "built with SDK 9.0.0 (plugin ABI 999), this host has SDK " +
                           std::string(kSdkVersion) + " (plugin ABI " +
                           std::to_string(kAbiVersion) + ")"));
}

TEST_CASE("a plugin of the old ABI (SDK 0.2) is refused naming both versions and what to do") {
    auto message = refusal(test::kFixturePluginDir + "/sdk_0_2_processor.so");
    CHECK(has(message, "built with SDK 0.2.0 (plugin ABI 2), this host has SDK " +
                           std::string(kSdkVersion) + " (plugin ABI " +
                           std::to_string(kAbiVersion) + ")"));
    CHECK(has(message, "rebuild the plugin against SDK " + std::string(kSdkVersion)));
}

TEST_CASE(
    "a plugin of ABI 3 (SDK 1.2, before host services moved to the context) is refused "
    "naming both versions and what to do") {
    auto message = refusal(test::kFixturePluginDir + "/sdk_1_2_processor.so");
    CHECK(has(message,
              "sdk_1_2_processor.so: built with SDK 1.2.0 (plugin ABI 3), this host has "
              "SDK " +
                  std::string(kSdkVersion) + " (plugin ABI 4): rebuild the plugin against SDK " +
                  std::string(kSdkVersion)));
}

TEST_CASE(
    "a plugin built against SDK 0.1 is refused naming SDK 0.1, though it cannot say so itself") {
    auto message = refusal(test::kFixturePluginDir + "/sdk_0_1_plugin.so");
    CHECK(has(message, "built with SDK 0.1 (plugin ABI 1), this host has SDK "));
}

TEST_CASE("a shared library that is not a plugin is refused") {
    auto message = refusal(test::kFixturePluginDir + "/not_a_plugin.so");
    CHECK(has(message, "not_a_plugin.so: not a framehost plugin"));
}

TEST_CASE("a file that is not a shared library is refused") {
    test::TempDir dir;
    auto file = dir.write("garbage.so", std::string(200, 'x'));  // long enough for a header
    auto message = refusal(file);
    CHECK(has(message, "garbage.so: not a shared library (invalid ELF header)"));
    CHECK_FALSE(has(message, "Bad file descriptor"));  // errno says nothing about a dlopen
    CHECK(message.back() == ')');
}

TEST_CASE("a directory, a FIFO or a device named like a plugin is refused for what it is") {
    test::TempDir dir;
    std::filesystem::create_directory(dir.path() / "folder.so");
    REQUIRE(::mkfifo((dir.path() / "pipe.so").c_str(), 0600) == 0);
    CHECK(has(refusal(dir.path() / "folder.so"), "folder.so: a directory, not a plugin library"));
    CHECK(has(refusal(dir.path() / "pipe.so"),
              "pipe.so: not a regular file (a device, FIFO or "
              "socket), not a plugin library"));
    CHECK(has(refusal("/dev/null"), "/dev/null: not a regular file"));
}

TEST_CASE("a missing file is refused") {
    CHECK(has(refusal("/nonexistent/dir/missing.so"), "missing.so: no such file"));
}

TEST_CASE("a plugin with an unresolved symbol is refused at load, not at call time") {
    auto message = refusal(test::kFixturePluginDir + "/unresolved.so");
    CHECK(has(message, "framehost_symbol_that_does_not_exist"));
}

TEST_CASE("a plugin whose parameter spec contradicts itself is refused with each problem") {
    auto message = refusal(test::kFixturePluginDir + "/bad_spec.so");
    CHECK(has(message, "parameter spec is invalid"));
    CHECK(has(message, "'level' has a default outside its range"));
    CHECK(has(message, "'level' is declared twice"));
}

TEST_CASE("a plugin file named differently from its descriptor is refused") {
    test::TempDir dir;
    std::filesystem::copy_file(test::kBundledPluginDir + "/identity.so", dir / "renamed.so");
    CHECK(has(refusal(dir / "renamed.so"), "call the file identity.so"));
}

TEST_CASE("an instance keeps its library loaded after every other handle is gone") {
    MetricsRegistry metrics;
    std::shared_ptr<PluginInstance> instance;
    {
        PluginCatalog catalog({test::kBundledPluginDir});
        auto library = catalog.load("sample_detector");
        auto params = default_params(library->descriptor().params);
        instance = PluginInstance::create(library, "det", params, metrics);
    }
    Frame frame;
    frame.id = "f1";
    frame.width = 64;
    frame.height = 48;
    // With the library unloaded this virtual call would jump into unmapped memory.
    CHECK_NOTHROW(instance->processor()->process(frame));
    CHECK(frame.results.contains("det"));
}

TEST_CASE("the catalog lists the bundled plugins and finds none that is absent") {
    PluginCatalog catalog({test::kBundledPluginDir});
    auto available = catalog.available();
    for (auto name : {"sample_detector", "synthetic_source", "jsonl_sink", "identity"})
        CHECK(available.count(name) == 1);
    CHECK_THROWS_AS(catalog.load("nothing_like_this"), PluginNotFound);
}

TEST_CASE("a plugin name that is a path is refused before anything is opened") {
    PluginCatalog catalog({test::kBundledPluginDir});
    for (const char* name : {"../../../../usr/lib/x86_64-linux-gnu/libz",
                             "/usr/lib/x86_64-linux-gnu/libz", "./identity", "sub\\\\dir", ""}) {
        CAPTURE(name);
        try {
            catalog.load(name);
            FAIL("loaded");
        } catch (const PluginNotFound& e) {
            CHECK(has(e.what(), "is not a name"));
        }
    }
    CHECK(catalog.load("identity")->descriptor().name == "identity");
}
