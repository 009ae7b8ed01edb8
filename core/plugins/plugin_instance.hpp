#pragma once
// The host's side of one configured plugin: the instance, its name, the context lent to it,
// and the metrics the host keeps for it without a line of plugin code.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/metrics/metrics_registry.hpp"
#include "core/plugins/plugin_library.hpp"
#include "framehost/plugin.hpp"

namespace framehost::core {

class PluginInstance {
public:
    // Creates the instance from its library. Throws what the plugin's constructor throws, or
    // std::runtime_error when the instance is not of its declared kind.
    static std::shared_ptr<PluginInstance> create(std::shared_ptr<PluginLibrary> library,
                                                  const std::string& instance_name,
                                                  const Params& params, MetricsRegistry& metrics);
    // An instance built in-process (tests, benchmarks): `make` receives the context.
    using Factory = std::function<std::shared_ptr<Plugin>(PluginContext&)>;
    static std::shared_ptr<PluginInstance> create(const PluginDescriptor& descriptor,
                                                  const std::string& instance_name,
                                                  const Params& params, MetricsRegistry& metrics,
                                                  const Factory& make);

    const std::string& name() const { return name_; }
    const PluginDescriptor& descriptor() const { return descriptor_; }
    const Params& params() const { return params_; }
    Plugin& plugin() { return *plugin_; }
    const Plugin& plugin() const { return *plugin_; }
    Source* source() { return plugin_->as_source(); }
    Processor* processor() { return plugin_->as_processor(); }
    Sink* sink() { return plugin_->as_sink(); }
    // The descriptor's frame_budget in seconds; 0 when the plugin declares none.
    double frame_budget_seconds() const {
        return std::chrono::duration<double>(descriptor_.frame_budget).count();
    }

    // Kept by the host around every call.
    Counter& frames;
    Counter& failures;
    Histogram& latency;  // seconds per frame
    // Frames of calls whose time per frame exceeded the descriptor's frame_budget (never
    // counted when no budget is declared). Per call, not per frame: a batch is timed as a whole.
    Counter& over_budget;

private:
    class Context;
    PluginInstance(const PluginDescriptor& descriptor, const std::string& instance_name,
                   const Params& params, MetricsRegistry& metrics);
    void adopt(std::shared_ptr<Plugin> plugin);

    std::shared_ptr<PluginLibrary> library_;  // null for in-process instances; destroyed last
    const PluginDescriptor& descriptor_;
    std::string name_;
    Params params_;
    std::unique_ptr<Context> context_;  // outlives plugin_: declared first, destroyed last
    std::shared_ptr<Plugin> plugin_;
};

}  // namespace framehost::core
