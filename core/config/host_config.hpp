#pragma once
// The host's config file: its schema (the host's own sections are ParamSpec tables, checked by
// the same code as plugin parameters) and the loading of plugins it names. The schema is
// documented in docs/configuration.md.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/yaml_document.hpp"
#include "core/plugins/plugin_catalog.hpp"
#include "framehost/params.hpp"

namespace framehost::core {

struct PluginUse {
    std::string plugin;
    std::string instance_name;  // `name:`, else the plugin name (made unique with _2, _3...)
    YAML::Node params_node;
    YAML::Node node;  // the whole entry, for positions
    std::shared_ptr<PluginLibrary> library;
    Params params;
};

// The defaults of the settings structs below are the config's: the section specs (and so the
// validation, --help and docs/configuration) read them from here.
struct PipelineSettings {
    std::size_t workers = 2;
    std::size_t batch_size = 10;
    std::size_t queue_capacity = 1024;
    std::size_t memory_limit_bytes = 512u << 20;
    std::chrono::seconds shutdown_timeout{30};
    std::chrono::seconds progress_interval{10};
    // A plugin call running longer than this (or 50 frame budgets, for a plugin that declares
    // one) shows its instance stuck in /health, and /ready answers 503.
    std::chrono::milliseconds stuck_call_timeout{10000};
};

struct HttpSettings {
    bool enabled = true;
    std::string bind = "127.0.0.1";
    int port = 8099;  // 0: any free port
    int threads = 2;
    std::size_t max_body_bytes = 10u << 20;
    std::string auth_token;  // empty: POST endpoints are open
    std::chrono::milliseconds read_timeout{10000};
    std::chrono::milliseconds idle_timeout{60000};
    std::size_t max_connections = 1024;
};

struct TracingSettings {
    std::string otlp_endpoint;  // empty: spans only go to the log
    bool log_spans = true;
    std::chrono::milliseconds export_timeout{2000};
};

struct HostConfig {
    std::filesystem::path file;
    std::string service_name = "framehost";  // reported by /health
    std::string service_version = "1.0.0";
    std::vector<std::filesystem::path> plugin_paths;  // absolute
    PipelineSettings pipeline;
    HttpSettings http;
    TracingSettings tracing;
    std::vector<PluginUse> sources;  // `sources:`, or `source:` as a list of one; enabled ones only
    std::vector<PluginUse> processors;
    std::vector<PluginUse> sinks;
};

// The ParamSpec tables of the host's own sections, for validation and docs.
const std::vector<ParamSpec>& service_section_spec();
const std::vector<ParamSpec>& pipeline_section_spec();
const std::vector<ParamSpec>& http_section_spec();
const std::vector<ParamSpec>& tracing_section_spec();

struct ConfigOverride {
    std::string path;  // dotted, e.g. "pipeline.workers" or "processors.0.params.classes"
    std::string value;
};
// Parses "key.path=value"; throws std::invalid_argument when there is no '='.
ConfigOverride parse_override(const std::string& text);

// Reads, validates and binds a config: every plugin it names is loaded from `catalog` (after the
// config's plugin_paths are added to it) and its params are validated against its descriptor.
// Throws ConfigErrors listing every problem found.
HostConfig load_host_config(const std::filesystem::path& file,
                            const std::vector<ConfigOverride>& overrides, PluginCatalog& catalog,
                            const EnvironmentLookup& environment = process_environment());

// The same from text (for tests); `file` names it in messages and anchors plugin_paths.
HostConfig parse_host_config(const std::string& text, const std::filesystem::path& file,
                             const std::vector<ConfigOverride>& overrides, PluginCatalog& catalog,
                             const EnvironmentLookup& environment = process_environment());

}  // namespace framehost::core
