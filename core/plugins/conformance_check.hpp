#pragma once
// `framehost check-plugin`: loads one plugin file and drives it through its whole life with
// generated frames, reporting every way it breaks the contract of framehost/plugin.hpp.
//
// Every call into the plugin runs under a deadline on a thread of its own. A call that never
// returns cannot be taken back (it still runs plugin code, on frames and an instance the check
// owns): the check reports it and the verdict, then calls `abandon`, which ends the process
// without unwinding anything.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/host_config.hpp"

namespace framehost::core {

enum class CheckLevel { Ok, Warn, Fail };

struct ConformanceOptions {
    std::filesystem::path file;
    std::vector<ConfigOverride> params;  // "name=value", over the spec's defaults
    std::chrono::milliseconds call_timeout{5000};
    // A processor whose median frame takes more than this many times its declared budget fails.
    double budget_tolerance = 4.0;
    // Run a processor or sink as `isolation: process` runs it: in a worker process of its own,
    // killed when a call runs past call_timeout.
    bool isolated = false;
    // One line of the report, as soon as it is known.
    std::function<void(CheckLevel, const std::string&)> report;
    // Called before each call into the plugin, naming it: the last one names the culprit if the
    // process dies inside the plugin.
    std::function<void(const std::string&)> entering = [](const std::string&) {};
    // Must not return: after a hung call nothing may be destroyed or unloaded.
    void (*abandon)() = [] { std::_Exit(1); };
};

enum class ConformanceVerdict { Pass, Fail };

// A good plugin name: lower_snake_case, starting with a letter (it is a file name and a YAML key).
bool is_lower_snake_case(std::string_view name);

ConformanceVerdict check_plugin_conformance(const ConformanceOptions& options);

}  // namespace framehost::core
