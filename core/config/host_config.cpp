#include "core/config/host_config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <unistd.h>

#include "core/config/diagnostics.hpp"
#include "core/config/param_values.hpp"

namespace framehost::core {

namespace {

// A host's name in a shared event store: stable across its restarts (its machine and port), so
// it goes on delivering what it wrote; with port 0 (any free port) only the process is unique.
std::string default_event_writer(int http_port) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
    return std::string(host) + ":" +
           (http_port > 0 ? std::to_string(http_port) : "pid" + std::to_string(getpid()));
}

// The host's sections (config_sections(), written once there) and the plugin lists.
const std::vector<std::string>& top_level_keys() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> k;
        for (const auto& section : config_sections()) k.push_back(section.key);
        for (const char* more : {"plugin_paths", "source", "sources", "processors", "sinks"})
            k.push_back(more);
        return k;
    }();
    return keys;
}
const std::vector<std::string> kPluginUseKeys = {"plugin", "name",      "enabled",
                                                 "params", "isolation", "worker"};

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

bool all_present(const Params& params, const std::vector<ParamSpec>& spec);

// `isolation:` and `worker:` of a plugin entry. Sources run in the host: a source's frames
// would have to cross twice.
void read_isolation(const YAML::Node& node, const std::string& where, IsolationSettings& out,
                    Diagnostics& diagnostics) {
    auto isolation = node["isolation"];
    auto worker = node["worker"];
    if (isolation.IsDefined()) {
        YAML::Node wrapper;
        wrapper["isolation"] = isolation;
        auto params = validate_params(
            wrapper, node, {param::String("isolation", "none", "").one_of(isolation_modes())},
            where, diagnostics);
        out.process = params.has("isolation") && params.string("isolation") == "process";
        if (out.process && where.starts_with("source"))
            diagnostics.error(isolation, where +
                                             ": sources run in the host's process; "
                                             "'isolation: process' is for processors and "
                                             "sinks");
    }
    if (!worker.IsDefined()) return;
    if (!out.process) {
        diagnostics.error(worker, where + ": 'worker:' needs 'isolation: process'");
        return;
    }
    auto params =
        validate_params(worker, node, worker_section().specs(), where + " worker", diagnostics);
    if (all_present(params, worker_section().specs())) {
        bool process = out.process;
        out = worker_section().read(params);
        out.process = process;
    }
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
    use.where = where;
    // A missing key is an invalid node in yaml-cpp, and assigning one throws: keep it undefined.
    if (auto params = node["params"]; params.IsDefined()) use.params_node = params;
    if (auto name = node["name"]; name.IsDefined()) {
        if (!name.IsScalar() || name.Scalar().empty())
            diagnostics.error(name, where + ": 'name:' must be a non-empty string");
        else
            use.instance_name = name.Scalar();
    }
    read_isolation(node, where, use.isolation, diagnostics);
    return use;
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

// Validates section `key` of the config and fills `out` from it. False when a value failed
// validation: its error is reported, the config will be refused, and `out` keeps its defaults.
template <class Settings>
bool read_section(const YAML::Node& root, const char* key, const ParamTable<Settings>& table,
                  Settings& out, Diagnostics& diagnostics) {
    auto params = validate_params(root[key], root, table.specs(),
                                  std::string("section '") + key + "'", diagnostics);
    if (!all_present(params, table.specs())) return false;
    out = table.read(params);
    return true;
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

}  // namespace

HostConfig read_host_config(YAML::Node root, const std::filesystem::path& file,
                            const std::vector<ConfigOverride>& overrides,
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
    reject_unknown_keys(root, top_level_keys(), "the config", diagnostics);

    read_section(root, "service", service_section(), config.service, diagnostics);
    read_section(root, "pipeline", pipeline_section(), config.pipeline, diagnostics);
    if (read_section(root, "http", http_section(), config.http, diagnostics)) {
        const auto& h = config.http;
        // As Redis' protected mode: /process reachable from the network with no token is a
        // choice to write down, not a default to stumble into.
        bool loopback = h.bind.rfind("127.", 0) == 0 || h.bind == "::1" || h.bind == "localhost";
        if (h.enabled && !loopback && h.auth_token.empty() && !h.allow_open_bind) {
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
    read_section(root, "tracing", tracing_section(), config.tracing, diagnostics);
    read_section(root, "events", events_section(), config.events, diagnostics);
    read_section(root, "camera_api", camera_api_section(), config.camera_api, diagnostics);
    for (const auto& section : config_sections())
        config.section_text[section.key] =
            root[section.key].IsDefined() ? YAML::Dump(root[section.key]) : "";
    if (root["plugin_paths"].IsDefined())
        config.section_text["plugin_paths"] = YAML::Dump(root["plugin_paths"]);

    auto base = file.parent_path();
    // A url takes the place of the file, so a config with `path: ${EVENTS_PATH:-events.db}` and
    // `url: ${EVENTS_URL:-}` joins a fleet's store when EVENTS_URL is set.
    if (!config.events.url.empty()) config.events.path.clear();
    if (!config.events.url.empty() && config.events.writer.empty())
        config.events.writer = default_event_writer(config.http.port);
    if (!config.events.path.empty()) {
        // Relative to the working directory, as the sinks' files are.
        auto store = std::filesystem::absolute(config.events.path).lexically_normal();
        std::error_code ec;
        if (!std::filesystem::is_directory(store.parent_path(), ec))
            diagnostics.error(root["events"]["path"],
                              "events.path " + store.string() + ": its folder " +
                                  store.parent_path().string() + " does not exist");
        config.events.path = store.string();
    }
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

    return config;
}

ConfigOverride parse_override(const std::string& text) {
    auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw std::invalid_argument("--set expects key.path=value, got '" + text + "'");
    return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace framehost::core
