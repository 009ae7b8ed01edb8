#pragma once
// The framehost subcommands. Each returns the process exit code: 0 success, 1 the work failed
// (bad config, refused plugin, runtime error), 2 the command line was wrong.
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/host_config.hpp"

namespace framehost::app {

struct CommonOptions {
    std::filesystem::path executable;
    std::vector<std::string> plugin_paths;  // --plugin-path, in order
};

// The search path: the executable's own plugins folder, FRAMEHOST_PLUGIN_PATH, --plugin-path.
core::PluginCatalog make_catalog(const CommonOptions& options);

int run_host(const CommonOptions& options, const std::filesystem::path& config_file,
             const std::vector<core::ConfigOverride>& overrides, bool check_only);
int list_plugins(const CommonOptions& options, const std::string& format);
int inspect_plugins(const CommonOptions& options, const std::vector<std::string>& names, bool all,
                    const std::string& format);

}  // namespace framehost::app
