#pragma once
// The framehost subcommands. Each returns the process exit code: 0 success, 1 the work failed
// (bad config, refused plugin, runtime error), 2 the command line was wrong.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/host_config.hpp"
#include "core/plugins/plugin_catalog.hpp"

namespace framehost::app {

struct CommonOptions {
    std::filesystem::path executable;
    std::vector<std::string> plugin_paths;  // --plugin-path, in order
};

// The search path: the executable's own plugins folder, FRAMEHOST_PLUGIN_PATH, --plugin-path.
core::PluginCatalog make_catalog(const CommonOptions& options);

int run_host(const CommonOptions& options, const std::filesystem::path& config_file,
             const std::vector<core::ConfigOverride>& overrides, bool check_only);
// Runs the config's processors over recorded clips (replay.cpp); prints the events as JSON
// lines, then "summary {...}". 0 when the clips were read.
int replay(const CommonOptions& options, const std::filesystem::path& config_file,
           const std::vector<core::ConfigOverride>& overrides,
           const std::vector<std::filesystem::path>& clips);
// Asks the host at `url` to re-read its config (POST /config/reload), with the bearer `token`
// when not empty; prints what changed or every error. 0 when it reloaded.
int reload_host(const std::string& url, const std::string& token);
int list_plugins(const CommonOptions& options, const std::string& format);
int inspect_plugins(const CommonOptions& options, const std::vector<std::string>& names, bool all,
                    const std::string& format);
// Loads one plugin (a file, or a name on the search path) and drives it through its life;
// 0 when it conforms, 1 when not.
// Writes DIR/NAME, an out-of-tree plugin project of the given kind, from sdk/templates.
int new_plugin(const std::string& name, const std::string& kind, const std::string& lang,
               const std::filesystem::path& dir);
// Prints, as Markdown, a reference generated from the one declaration of each thing: `config`,
// the host's config sections (docs/configuration.md); `http`, the endpoints of the HTTP API
// (docs/http-api.md). Tests compare both with the pages.
int print_reference(const std::string& what);
// `isolated`: the plugin runs as `isolation: process` runs it, in a worker process.
int check_plugin(const CommonOptions& options, const std::string& what,
                 const std::vector<core::ConfigOverride>& params, std::chrono::milliseconds timeout,
                 bool isolated = false);

}  // namespace framehost::app
