// framehost: runs a frame-processing pipeline from a YAML config, and answers questions about
// plugins. See `framehost --help` and README.md.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "apps/framehost/commands.hpp"
#include "core/config/param_values.hpp"
#include "core/isolation/worker_main.hpp"
#include "core/log/log.hpp"
#include "framehost/version.hpp"

namespace po = boost::program_options;
using namespace framehost;

namespace {

constexpr const char* kUsage = R"(framehost - a frame-processing host for plugins

Usage:
  framehost --config FILE [--check] [--set key.path=value ...]   run (or only validate) a pipeline
  framehost plugins [--format text|json]                         list plugins on the search path
  framehost inspect NAME... | --all [--format text|json|markdown] show plugins' parameters
  framehost reference config|http                               the config's keys or the HTTP
                                                                 endpoints, as Markdown
  framehost check-plugin FILE|NAME [--set param=value ...] [--timeout 5s] [--isolated]
                                                                 drive one plugin through its life
                                                                 with generated frames, report faults
  framehost new-plugin NAME [--kind processor|source|sink] [--lang cpp|python] [--dir DIR]
                                                                 write an out-of-tree plugin project
  framehost replay --config FILE [--set ...] CLIP...             the config's processors over
                                                                 recorded clips, every frame; the
                                                                 events as JSON lines, then a summary
  framehost reload --url http://HOST:PORT [--token T]            make a running host re-read its
                                                                 config (as SIGHUP does); prints
                                                                 what changed or every error
  framehost --version | --help

The plugin search path is the executable's own plugins folder, then FRAMEHOST_PLUGIN_PATH
(colon-separated), then each --plugin-path, then the config's plugin_paths.
Environment: FRAMEHOST_LOG_LEVEL=debug|info|warn|error.
Exit codes: 0 success, 1 failure (config errors, refused plugin, runtime error), 2 usage error.

)";

std::filesystem::path executable_path(const char* argv0) {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::absolute(argv0) : self;
}

// Every --set key=value; false (and said) when one has no '='.
bool parse_overrides(const po::variables_map& vm, std::vector<core::ConfigOverride>& out) {
    if (!vm.count("set")) return true;
    for (const auto& text : vm["set"].as<std::vector<std::string>>()) {
        try {
            out.push_back(core::parse_override(text));
        } catch (const std::invalid_argument& e) {
            std::cerr << "framehost: " << e.what() << "\n";
            return false;
        }
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    // A plugin worker of an isolated instance (core/isolation/), started by a host, never by
    // hand: it serves its host on inherited descriptors.
    if (argc == 4 && std::string_view(argv[1]) == "worker" &&
        std::string_view(argv[2]) == "--parent") {
        LogLevel level = LogLevel::Info;
        if (const char* text = std::getenv("FRAMEHOST_LOG_LEVEL"))
            core::parse_log_level(text, level);
        core::set_log_level(level);
        return core::isolation::run_plugin_worker(static_cast<pid_t>(std::atoll(argv[3])));
    }
    po::options_description options("Options");
    options.add_options()("help,h", "show this help")(
        "version", "print the framehost and SDK versions")("config,c", po::value<std::string>(),
                                                           "the YAML config to run")(
        "check", "validate the config and load its plugins, then exit")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "override a config value: key.path=value (repeatable), e.g. pipeline.workers=4")(
        "plugin-path", po::value<std::vector<std::string>>()->composing(),
        "another directory to search for plugins (repeatable)")(
        "all", "inspect: every plugin on the search path")(
        "format", po::value<std::string>()->default_value("text"),
        "output of plugins/inspect: text, json or markdown")(
        "isolated", "check-plugin: run the plugin in a worker process, as isolation: process does")(
        "timeout", po::value<std::string>()->default_value("5s"),
        "check-plugin: how long one call into the plugin may take before it counts as hung")(
        "kind", po::value<std::string>()->default_value("processor"),
        "new-plugin: processor, source or sink")(
        "lang", po::value<std::string>()->default_value("cpp"),
        "new-plugin: cpp (a C++ plugin project) or python (a Python processor for "
        "python_processor)")("dir", po::value<std::string>()->default_value("."),
                             "new-plugin: where the project folder is created")(
        "log-level", po::value<std::string>(), "debug, info, warn or error")(
        "url", po::value<std::string>(), "reload: the running host, http://HOST:PORT")(
        "token", po::value<std::string>(),
        "reload: the host's API token (default: the API_TOKEN environment variable)");
    po::options_description hidden;
    hidden.add_options()("command", po::value<std::vector<std::string>>(), "");
    po::positional_options_description positional;
    positional.add("command", -1);
    po::options_description all_options;
    all_options.add(options).add(hidden);

    po::variables_map vm;
    try {
        po::store(
            po::command_line_parser(argc, argv).options(all_options).positional(positional).run(),
            vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "framehost: " << e.what() << "\nRun 'framehost --help' for usage.\n";
        return 2;
    }

    if (vm.count("help")) {
        std::cout << kUsage << options << "\n";
        return 0;
    }
    if (vm.count("version")) {
        std::cout << "framehost " << FRAMEHOST_VERSION << " (SDK " << kSdkVersion << ", plugin ABI "
                  << kAbiVersion << ")\n";
        return 0;
    }

    LogLevel level = LogLevel::Info;
    std::string level_text = vm.count("log-level") ? vm["log-level"].as<std::string>()
                             : std::getenv("FRAMEHOST_LOG_LEVEL")
                                 ? std::getenv("FRAMEHOST_LOG_LEVEL")
                                 : "info";
    if (!core::parse_log_level(level_text, level)) {
        std::cerr << "framehost: unknown log level '" << level_text
                  << "' (debug, info, warn or error)\n";
        return 2;
    }
    core::set_log_level(level);

    app::CommonOptions common;
    common.executable = executable_path(argv[0]);
    if (vm.count("plugin-path"))
        common.plugin_paths = vm["plugin-path"].as<std::vector<std::string>>();
    auto words = vm.count("command") ? vm["command"].as<std::vector<std::string>>()
                                     : std::vector<std::string>{};
    auto format = vm["format"].as<std::string>();

    if (!words.empty() && words[0] == "plugins") {
        if (words.size() > 1) {
            std::cerr << "framehost: 'plugins' takes no argument\n";
            return 2;
        }
        return app::list_plugins(common, format);
    }
    if (!words.empty() && words[0] == "inspect") {
        std::vector<std::string> names(words.begin() + 1, words.end());
        if (names.empty() && !vm.count("all")) {
            std::cerr << "framehost: inspect needs a plugin name or --all\n";
            return 2;
        }
        return app::inspect_plugins(common, names, vm.count("all") > 0, format);
    }
    if (!words.empty() && words[0] == "reference") {
        if (words.size() != 2) {
            std::cerr << "framehost: reference takes config or http\n";
            return 2;
        }
        return app::print_reference(words[1]);
    }
    if (!words.empty() && words[0] == "check-plugin") {
        if (words.size() != 2) {
            std::cerr << "framehost: check-plugin takes one plugin file or name\n";
            return 2;
        }
        std::int64_t timeout_ms = 0;
        if (!core::parse_duration_ms(vm["timeout"].as<std::string>(), timeout_ms) ||
            timeout_ms <= 0) {
            std::cerr << "framehost: --timeout must be a positive duration such as 500ms or 5s\n";
            return 2;
        }
        std::vector<core::ConfigOverride> params;
        if (!parse_overrides(vm, params)) return 2;
        return app::check_plugin(common, words[1], params, std::chrono::milliseconds(timeout_ms),
                                 vm.count("isolated") > 0);
    }
    if (!words.empty() && words[0] == "new-plugin") {
        if (words.size() != 2) {
            std::cerr << "framehost: new-plugin takes one name\n";
            return 2;
        }
        return app::new_plugin(words[1], vm["kind"].as<std::string>(), vm["lang"].as<std::string>(),
                               vm["dir"].as<std::string>());
    }
    if (!words.empty() && words[0] == "reload") {
        if (words.size() != 1 || !vm.count("url")) {
            std::cerr << "framehost: reload takes --url http://HOST:PORT\n";
            return 2;
        }
        std::string token = vm.count("token")          ? vm["token"].as<std::string>()
                            : std::getenv("API_TOKEN") ? std::getenv("API_TOKEN")
                                                       : "";
        return app::reload_host(vm["url"].as<std::string>(), token);
    }
    if (!words.empty() && words[0] == "replay") {
        if (words.size() < 2 || !vm.count("config")) {
            std::cerr << "framehost: replay takes --config FILE and one clip or more\n";
            return 2;
        }
        std::vector<core::ConfigOverride> overrides;
        if (!parse_overrides(vm, overrides)) return 2;
        return app::replay(common, vm["config"].as<std::string>(), overrides,
                           {words.begin() + 1, words.end()});
    }
    if (!words.empty()) {
        std::cerr << "framehost: unknown command '" << words[0]
                  << "' (plugins, inspect, reference, check-plugin, new-plugin, replay, reload, or "
                     "--config FILE)\n";
        return 2;
    }
    if (!vm.count("config")) {
        std::cerr << "framehost: nothing to do: give --config FILE, or a command\n"
                     "Run 'framehost --help' for usage.\n";
        return 2;
    }
    std::vector<core::ConfigOverride> overrides;
    if (!parse_overrides(vm, overrides)) return 2;
    return app::run_host(common, vm["config"].as<std::string>(), overrides, vm.count("check") > 0);
}
