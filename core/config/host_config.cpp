#include "core/config/host_config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config/diagnostics.hpp"
#include "core/config/param_values.hpp"

namespace framehost::core {

const std::vector<ParamSpec>& service_section_spec() {
    const HostConfig kHost;  // the defaults are the config struct's own
    static const std::vector<ParamSpec> spec = {
        param::String("name", kHost.service_name, "Service name reported by /health"),
        param::String("version", kHost.service_version, "Service version reported by /health"),
    };
    return spec;
}

const std::vector<ParamSpec>& pipeline_section_spec() {
    const PipelineSettings kPipeline;  // the defaults are the settings struct's own
    static const std::vector<ParamSpec> spec = {
        param::Int("workers", static_cast<std::int64_t>(kPipeline.workers),
                   "Worker threads running the processor chain")
            .range(1, 256),
        param::Int("batch_size", static_cast<std::int64_t>(kPipeline.batch_size),
                   "Most frames a worker takes from the queue at once")
            .range(1, 10000),
        param::Int("queue_capacity", static_cast<std::int64_t>(kPipeline.queue_capacity),
                   "Frames the queue holds before the source is paused (backpressure)")
            .range(1, 10'000'000),
        param::Int("memory_limit_mb", static_cast<std::int64_t>(kPipeline.memory_limit_bytes >> 20),
                   "Pixel bytes in flight (queued or processing) before the source is paused")
            .range(1, 1'048'576),
        param::Int("shutdown_timeout_s", kPipeline.shutdown_timeout.count(),
                   "On SIGTERM/SIGINT, how long in-flight frames may take to drain")
            .range(0, 3600),
        param::Int("progress_interval_s", kPipeline.progress_interval.count(),
                   "Seconds between progress lines on stderr; 0 turns them off")
            .range(0, 86400),
        param::Int(
            "stuck_call_ms", kPipeline.stuck_call_timeout.count(),
            "A plugin call running longer (or 50 of its frame budgets, when it declares one) "
            "shows the instance stuck in /health and makes /ready 503")
            .range(100, 3'600'000),
    };
    return spec;
}

const std::vector<ParamSpec>& http_section_spec() {
    const HttpSettings kHttp;  // the defaults are the settings struct's own
    static const std::vector<ParamSpec> spec = {
        param::Bool("enabled", kHttp.enabled, "Serve the HTTP API (health, metrics, /process)"),
        param::String("bind", kHttp.bind, "Address to listen on; 0.0.0.0 for every interface"),
        param::Int("port", kHttp.port, "Port to listen on; 0 picks a free one (logged)")
            .range(0, 65535),
        param::Int("threads", kHttp.threads, "Threads serving requests").range(1, 64),
        param::Int("max_body_mb", static_cast<std::int64_t>(kHttp.max_body_bytes >> 20),
                   "Largest request body accepted; larger ones get 413")
            .range(1, 1024),
        param::String("auth_token", "",
                      "Bearer token required on POST endpoints; empty leaves them open"),
        param::Duration("read_timeout", kHttp.read_timeout,
                        "A request not fully received in this time, or answers the client does "
                        "not take in it, close the connection")
            .range(100, 3'600'000),
        param::Duration("idle_timeout", kHttp.idle_timeout,
                        "A kept-alive connection with no request in this time is closed")
            .range(100, 3'600'000),
        param::Int("max_connections", static_cast<std::int64_t>(kHttp.max_connections),
                   "Connections served at once; more get 503 and are closed (capped below the "
                   "descriptor limit, ulimit -n)")
            .range(1, 1'000'000),
        param::Bool(
            "allow_open_bind", false,
            "Serve the POST endpoints beyond loopback without an auth_token; otherwise such a "
            "host refuses to start"),
    };
    return spec;
}

const std::vector<ParamSpec>& tracing_section_spec() {
    const TracingSettings kTracing;  // the defaults are the settings struct's own
    static const std::vector<ParamSpec> spec = {
        param::String("otlp_endpoint", kTracing.otlp_endpoint,
                      "OTLP/HTTP JSON endpoint for spans, e.g. http://collector:4318/v1/traces; "
                      "empty: spans go to the log only"),
        param::Bool("log_spans", kTracing.log_spans, "Write every finished span to the log"),
        param::Duration("export_timeout", kTracing.export_timeout,
                        "Longest an export request to the collector may take")
            .range(10, 60000),
    };
    return spec;
}

namespace {

const std::vector<std::string> kTopLevelKeys = {"service", "plugin_paths", "pipeline",
                                                "http",    "tracing",      "source",
                                                "sources", "processors",   "sinks"};
const std::vector<std::string> kPluginUseKeys = {"plugin", "name", "enabled", "params"};

// Returns how many keys were unknown.
int reject_unknown_keys(const YAML::Node& map, const std::vector<std::string>& known,
                        const std::string& where, Diagnostics& diagnostics) {
    int unknown = 0;
    for (auto it = map.begin(); it != map.end(); ++it) {
        const auto key = it->first.Scalar();
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        ++unknown;
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        diagnostics.error(it->first, "unknown key '" + key + "' in " + where +
                                         did_you_mean(key, known) + "; known: " + list);
    }
    return unknown;
}

bool boolean_value(const YAML::Node& node, const std::string& where, Diagnostics& diagnostics) {
    ParamSpec spec = param::Bool("enabled", true, "");
    YAML::Node wrapper;
    wrapper["enabled"] = node;
    auto params = validate_params(wrapper, wrapper, {spec}, where, diagnostics);
    return params.has("enabled") ? params.boolean("enabled") : true;
}

std::optional<PluginUse> read_plugin_use(const YAML::Node& node, const std::string& where,
                                         Diagnostics& diagnostics) {
    if (!node.IsMap()) {
        diagnostics.error(node, where + ": expected a mapping with 'plugin:' and 'params:'");
        return std::nullopt;
    }
    int unknown_keys = reject_unknown_keys(node, kPluginUseKeys, where, diagnostics);
    if (auto enabled = node["enabled"]; enabled.IsDefined()) {
        if (!boolean_value(enabled, where, diagnostics)) return std::nullopt;
    }
    auto plugin = node["plugin"];
    if (!plugin.IsDefined() && unknown_keys > 0) return std::nullopt;  // a misspelt 'plugin:'
    if (!plugin.IsDefined() || !plugin.IsScalar() || plugin.Scalar().empty()) {
        diagnostics.error(plugin.IsDefined() ? plugin : node,
                          where + ": 'plugin:' must name a plugin");
        return std::nullopt;
    }
    PluginUse use;
    use.plugin = plugin.Scalar();
    use.node = node;
    // A missing key is an invalid node in yaml-cpp, and assigning one throws: keep it undefined.
    if (auto params = node["params"]; params.IsDefined()) use.params_node = params;
    if (auto name = node["name"]; name.IsDefined()) {
        if (!name.IsScalar() || name.Scalar().empty())
            diagnostics.error(name, where + ": 'name:' must be a non-empty string");
        else
            use.instance_name = name.Scalar();
    }
    return use;
}

void bind_plugin(PluginUse& use, PluginKind expected, const std::string& where,
                 PluginCatalog& catalog, Diagnostics& diagnostics) {
    auto plugin_node = use.node["plugin"];
    try {
        use.library = catalog.load(use.plugin);
    } catch (const std::exception& e) {
        diagnostics.error(plugin_node, where + ": " + e.what());
        return;
    }
    const auto& descriptor = use.library->descriptor();
    if (descriptor.kind != expected) {
        diagnostics.error(plugin_node, where + ": plugin '" + use.plugin + "' is a " +
                                           to_string(descriptor.kind) + ", not a " +
                                           to_string(expected));
        return;
    }
    use.params = validate_params(use.params_node, use.node, descriptor.params,
                                 "plugin '" + use.plugin + "'", diagnostics);
}

// Gives every instance a unique name: metrics and health are keyed by it.
void name_instances(HostConfig& config, Diagnostics& diagnostics) {
    std::set<std::string> taken;
    auto each = [&](auto&& fn) {
        for (auto& s : config.sources) fn(s);
        for (auto& p : config.processors) fn(p);
        for (auto& s : config.sinks) fn(s);
    };
    each([&](PluginUse& use) {
        if (use.instance_name.empty()) return;
        if (!taken.insert(use.instance_name).second)
            diagnostics.error(use.node["name"], "instance name '" + use.instance_name +
                                                    "' is used twice; names must be unique");
    });
    each([&](PluginUse& use) {
        if (!use.instance_name.empty()) return;
        std::string candidate = use.plugin;
        for (int n = 2; taken.count(candidate); ++n)
            candidate = use.plugin + "_" + std::to_string(n);
        taken.insert(candidate);
        use.instance_name = candidate;
    });
}

// False when a value failed validation: its error is already reported, and the config will be
// refused, so the section is not read.
bool all_present(const Params& params, const std::vector<ParamSpec>& spec) {
    return std::all_of(spec.begin(), spec.end(),
                       [&](const ParamSpec& p) { return params.has(p.name); });
}

void apply_override(YAML::Node root, const ConfigOverride& o, Diagnostics& diagnostics) {
    std::string description = "--set " + o.path + "=" + o.value;
    std::vector<std::string> parts;
    std::stringstream stream(o.path);
    for (std::string part; std::getline(stream, part, '.');) parts.push_back(part);
    if (parts.empty() ||
        std::any_of(parts.begin(), parts.end(), [](auto& p) { return p.empty(); })) {
        diagnostics.error_without_position(description + ": the key path has an empty part");
        return;
    }
    YAML::Node node = root;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        const auto& part = parts[i];
        if (node.IsSequence()) {
            std::size_t index = 0;
            auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
            if (ec != std::errc() || end != part.data() + part.size() || index >= node.size()) {
                diagnostics.error_without_position(description + ": '" + part +
                                                   "' is not an index of the list at '" +
                                                   parts[i - 1] + "'");
                return;
            }
            node.reset(node[index]);
        } else {
            YAML::Node child = node[part];
            node.reset(child);
        }
    }
    YAML::Node value(o.value);
    if (node.IsSequence()) {
        diagnostics.error_without_position(description + ": cannot replace a list item by index");
        return;
    }
    node[parts.back()] = value;
    diagnostics.mark_override(node[parts.back()], description);
}

HostConfig build_config(YAML::Node root, const std::filesystem::path& file,
                        const std::vector<ConfigOverride>& overrides, PluginCatalog& catalog,
                        Diagnostics& diagnostics) {
    HostConfig config;
    config.file = file;
    if (!root || root.IsNull()) diagnostics.throw_if_any();
    if (!root.IsMap()) {
        diagnostics.error(root,
                          "the config must be a mapping of sections (service, pipeline, "
                          "source, processors, sinks)");
        diagnostics.throw_if_any();
    }
    for (const auto& o : overrides) apply_override(root, o, diagnostics);
    reject_unknown_keys(root, kTopLevelKeys, "the config", diagnostics);

    auto service = validate_params(root["service"], root, service_section_spec(),
                                   "section 'service'", diagnostics);
    if (service.has("name")) config.service_name = service.string("name");
    if (service.has("version")) config.service_version = service.string("version");

    auto pipeline = validate_params(root["pipeline"], root, pipeline_section_spec(),
                                    "section 'pipeline'", diagnostics);
    auto size_of = [&](const char* name, std::size_t fallback) {
        return pipeline.has(name) ? static_cast<std::size_t>(pipeline.integer(name)) : fallback;
    };
    auto& p = config.pipeline;
    p.workers = size_of("workers", p.workers);
    p.batch_size = size_of("batch_size", p.batch_size);
    p.queue_capacity = size_of("queue_capacity", p.queue_capacity);
    p.memory_limit_bytes = size_of("memory_limit_mb", p.memory_limit_bytes >> 20) << 20;
    p.shutdown_timeout = std::chrono::seconds(
        size_of("shutdown_timeout_s", static_cast<std::size_t>(p.shutdown_timeout.count())));
    p.progress_interval = std::chrono::seconds(
        size_of("progress_interval_s", static_cast<std::size_t>(p.progress_interval.count())));
    p.stuck_call_timeout = std::chrono::milliseconds(
        size_of("stuck_call_ms", static_cast<std::size_t>(p.stuck_call_timeout.count())));

    auto http =
        validate_params(root["http"], root, http_section_spec(), "section 'http'", diagnostics);
    if (all_present(http, http_section_spec())) {
        auto& h = config.http;
        h.enabled = http.boolean("enabled");
        h.bind = http.string("bind");
        h.port = static_cast<int>(http.integer("port"));
        h.threads = static_cast<int>(http.integer("threads"));
        h.max_body_bytes = static_cast<std::size_t>(http.integer("max_body_mb")) << 20;
        h.auth_token = http.string("auth_token");
        h.read_timeout = http.duration("read_timeout");
        h.idle_timeout = http.duration("idle_timeout");
        h.max_connections = static_cast<std::size_t>(http.integer("max_connections"));
        // As Redis' protected mode: /process reachable from the network with no token is a
        // choice to write down, not a default to stumble into.
        bool loopback = h.bind.rfind("127.", 0) == 0 || h.bind == "::1" || h.bind == "localhost";
        if (h.enabled && !loopback && h.auth_token.empty() && !http.boolean("allow_open_bind")) {
            auto bind = root["http"]["bind"];
            std::string message =
                "http.bind " + h.bind +
                " serves POST /process to the network with no auth_token: set http.auth_token, "
                "or http.allow_open_bind: true to accept that";
            if (bind.IsDefined())
                diagnostics.error(bind, message);
            else
                diagnostics.error_without_position(message);
        }
    }
    auto tracing = validate_params(root["tracing"], root, tracing_section_spec(),
                                   "section 'tracing'", diagnostics);
    if (all_present(tracing, tracing_section_spec())) {
        config.tracing.otlp_endpoint = tracing.string("otlp_endpoint");
        config.tracing.log_spans = tracing.boolean("log_spans");
        config.tracing.export_timeout = tracing.duration("export_timeout");
    }

    auto base = file.parent_path();
    if (auto paths = root["plugin_paths"]; paths.IsDefined() && !paths.IsNull()) {
        if (!paths.IsSequence()) {
            diagnostics.error(paths, "'plugin_paths' must be a list of directories");
        } else {
            for (const auto& entry : paths) {
                if (!entry.IsScalar()) {
                    diagnostics.error(entry, "'plugin_paths' entries must be directory paths");
                    continue;
                }
                auto dir = std::filesystem::path(entry.Scalar());
                if (dir.is_relative()) dir = base / dir;
                std::error_code ec;
                if (!std::filesystem::is_directory(dir, ec))
                    diagnostics.error(entry, "plugin path " + dir.string() + " is not a directory");
                config.plugin_paths.push_back(std::filesystem::absolute(dir).lexically_normal());
            }
        }
    }
    for (const auto& dir : config.plugin_paths) catalog.add_directory(dir);

    if (auto source = root["source"]; source.IsDefined() && !source.IsNull()) {
        if (root["sources"].IsDefined())
            diagnostics.error(
                source, "'source' and 'sources' both given: list every source under 'sources'");
        else if (auto use = read_plugin_use(source, "source", diagnostics))
            config.sources.push_back(std::move(*use));
    }
    auto read_list = [&](const char* section, std::vector<PluginUse>& out) {
        auto list = root[section];
        if (!list.IsDefined() || list.IsNull()) return;
        if (!list.IsSequence()) {
            diagnostics.error(list, std::string("'") + section + "' must be a list of plugins");
            return;
        }
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto use = read_plugin_use(
                list[i], std::string(section) + "[" + std::to_string(i) + "]", diagnostics);
            if (use) out.push_back(std::move(*use));
        }
    };
    read_list("sources", config.sources);
    read_list("processors", config.processors);
    read_list("sinks", config.sinks);
    name_instances(config, diagnostics);

    bool one_source = !root["sources"].IsDefined();
    for (std::size_t i = 0; i < config.sources.size(); ++i)
        bind_plugin(config.sources[i], PluginKind::Source,
                    one_source ? "source" : "sources[" + std::to_string(i) + "]", catalog,
                    diagnostics);
    for (std::size_t i = 0; i < config.processors.size(); ++i)
        bind_plugin(config.processors[i], PluginKind::Processor,
                    "processors[" + std::to_string(i) + "]", catalog, diagnostics);
    for (std::size_t i = 0; i < config.sinks.size(); ++i)
        bind_plugin(config.sinks[i], PluginKind::Sink, "sinks[" + std::to_string(i) + "]", catalog,
                    diagnostics);
    diagnostics.throw_if_any();
    return config;
}

}  // namespace

ConfigOverride parse_override(const std::string& text) {
    auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw std::invalid_argument("--set expects key.path=value, got '" + text + "'");
    return {text.substr(0, eq), text.substr(eq + 1)};
}

HostConfig parse_host_config(const std::string& text, const std::filesystem::path& file,
                             const std::vector<ConfigOverride>& overrides, PluginCatalog& catalog,
                             const EnvironmentLookup& environment) {
    Diagnostics diagnostics(file.string());
    auto root = parse_yaml_config(text, environment, diagnostics);
    return build_config(root, std::filesystem::absolute(file), overrides, catalog, diagnostics);
}

HostConfig load_host_config(const std::filesystem::path& file,
                            const std::vector<ConfigOverride>& overrides, PluginCatalog& catalog,
                            const EnvironmentLookup& environment) {
    Diagnostics diagnostics(file.string());
    auto root = load_yaml_config(file, environment, diagnostics);
    return build_config(root, std::filesystem::absolute(file), overrides, catalog, diagnostics);
}

}  // namespace framehost::core
