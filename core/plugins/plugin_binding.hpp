#pragma once
// A config read and its plugins bound: every plugin it names is loaded from the catalog (after
// the config's plugin_paths are added to it), checked to be of the kind its section wants, and
// its params are validated against its descriptor. Every problem of the file, in its sections
// or its plugins, is reported together.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/config/host_config.hpp"
#include "core/plugins/plugin_catalog.hpp"

namespace framehost::core {

// Binds the plugin entries of a config read with read_host_config.
void bind_plugins(HostConfig& config, PluginCatalog& catalog, Diagnostics& diagnostics);

// What a command changes in a config once read, before its plugins are bound (replay puts its
// clips in place of the sources).
using ConfigAdjustment = std::function<void(HostConfig&)>;

// Reads, validates and binds a config file. Throws ConfigErrors listing every problem found.
HostConfig load_host_config(const std::filesystem::path& file,
                            const std::vector<ConfigOverride>& overrides, PluginCatalog& catalog,
                            const EnvironmentLookup& environment = process_environment(),
                            const ConfigAdjustment& adjust = {});

// The same from text (for tests); `file` names it in messages and anchors plugin_paths.
HostConfig parse_host_config(const std::string& text, const std::filesystem::path& file,
                             const std::vector<ConfigOverride>& overrides, PluginCatalog& catalog,
                             const EnvironmentLookup& environment = process_environment());

}  // namespace framehost::core
