#pragma once
// The host's config file: its sections (host_settings.hpp, checked by the same code as plugin
// parameters) and the plugins it names, loaded and their parameters checked. The schema is
// documented in docs/configuration.md.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/diagnostics.hpp"
#include "core/config/host_settings.hpp"
#include "core/config/yaml_document.hpp"
#include "framehost/params.hpp"

namespace framehost::core {

class PluginLibrary;

// One plugin entry of the config. What reading the file fills; then binding (core/plugins/
// plugin_binding.hpp) loads its library and checks its params against the plugin's spec.
struct PluginUse {
    std::string plugin;
    std::string where;  // "sources[0]", "processors[2]", "source": how messages name the entry
    std::string instance_name;  // `name:`, else the plugin name (made unique with _2, _3...)
    YAML::Node params_node;
    YAML::Node node;                         // the whole entry, for positions
    std::shared_ptr<PluginLibrary> library;  // bound
    Params params;                           // bound
    IsolationSettings isolation;             // `isolation:` and `worker:`
};

struct HostConfig {
    std::filesystem::path file;
    ServiceSettings service;
    std::vector<std::filesystem::path> plugin_paths;  // absolute
    PipelineSettings pipeline;
    HttpSettings http;
    TracingSettings tracing;
    EventsSettings events;  // path made absolute
    CameraApiSettings camera_api;
    std::vector<PluginUse> sources;  // `sources:`, or `source:` as a list of one; enabled ones only
    std::vector<PluginUse> processors;
    std::vector<PluginUse> sinks;
    // Each host section as read (YAML, overrides applied), to tell what a reload changed.
    std::map<std::string, std::string> section_text;
};

struct ConfigOverride {
    std::string path;  // dotted, e.g. "pipeline.workers" or "processors.0.params.classes"
    std::string value;
};
// Parses "key.path=value"; throws std::invalid_argument when there is no '='.
ConfigOverride parse_override(const std::string& text);

// Reads a config's sections and plugin entries from its YAML (with `overrides` applied),
// reporting every problem to `diagnostics`; the plugins are not loaded (see plugin_binding.hpp).
// Throws ConfigErrors only when the document is not a mapping of sections.
HostConfig read_host_config(YAML::Node root, const std::filesystem::path& file,
                            const std::vector<ConfigOverride>& overrides, Diagnostics& diagnostics);

}  // namespace framehost::core
