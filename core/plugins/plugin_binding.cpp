#include "core/plugins/plugin_binding.hpp"

#include "core/config/param_values.hpp"

namespace framehost::core {

namespace {
void bind_plugin(PluginUse& use, PluginKind expected, PluginCatalog& catalog,
                 Diagnostics& diagnostics) {
    auto plugin_node = use.node["plugin"];
    try {
        use.library = catalog.load(use.plugin);
    } catch (const std::exception& e) {
        diagnostics.error(plugin_node, use.where + ": " + e.what());
        return;
    }
    const auto& descriptor = use.library->descriptor();
    if (descriptor.kind != expected) {
        diagnostics.error(plugin_node, use.where + ": plugin '" + use.plugin + "' is a " +
                                           to_string(descriptor.kind) + ", not a " +
                                           to_string(expected));
        return;
    }
    use.params = validate_params(use.params_node, use.node, descriptor.params,
                                 "plugin '" + use.plugin + "'", diagnostics);
    if (use.isolation.processes > 1 && descriptor.concurrency != Concurrency::Reentrant)
        diagnostics.error(use.node["worker"], use.where + ": plugin '" + use.plugin + "' is " +
                                                  to_string(descriptor.concurrency) +
                                                  ": its frames need one worker process, not " +
                                                  std::to_string(use.isolation.processes));
}

HostConfig read_and_bind(YAML::Node root, const std::filesystem::path& file,
                         const std::vector<ConfigOverride>& overrides, PluginCatalog& catalog,
                         Diagnostics& diagnostics, const ConfigAdjustment& adjust = {}) {
    auto config = read_host_config(root, std::filesystem::absolute(file), overrides, diagnostics);
    if (adjust) adjust(config);
    bind_plugins(config, catalog, diagnostics);
    diagnostics.throw_if_any();
    return config;
}
}  // namespace

void bind_plugins(HostConfig& config, PluginCatalog& catalog, Diagnostics& diagnostics) {
    for (const auto& dir : config.plugin_paths) catalog.add_directory(dir);
    for (auto& use : config.sources) bind_plugin(use, PluginKind::Source, catalog, diagnostics);
    for (auto& use : config.processors)
        bind_plugin(use, PluginKind::Processor, catalog, diagnostics);
    for (auto& use : config.sinks) bind_plugin(use, PluginKind::Sink, catalog, diagnostics);
}

HostConfig parse_host_config(const std::string& text, const std::filesystem::path& file,
                             const std::vector<ConfigOverride>& overrides, PluginCatalog& catalog,
                             const EnvironmentLookup& environment) {
    Diagnostics diagnostics(file.string());
    auto root = parse_yaml_config(text, environment, diagnostics);
    return read_and_bind(root, file, overrides, catalog, diagnostics);
}

HostConfig load_host_config(const std::filesystem::path& file,
                            const std::vector<ConfigOverride>& overrides, PluginCatalog& catalog,
                            const EnvironmentLookup& environment, const ConfigAdjustment& adjust) {
    Diagnostics diagnostics(file.string());
    auto root = load_yaml_config(file, environment, diagnostics);
    return read_and_bind(root, file, overrides, catalog, diagnostics, adjust);
}

}  // namespace framehost::core
