#include "core/http/plugin_figures.hpp"

#include <cstdint>

namespace framehost::core {

nlohmann::json plugin_figures(const PluginInstance& instance) {
    double budget = instance.frame_budget_seconds();
    return {
        {"plugin", instance.descriptor().name},
        {"kind", to_string(instance.descriptor().kind)},
        {"frames", static_cast<std::uint64_t>(instance.frames.value())},
        {"failures", static_cast<std::uint64_t>(instance.failures.value())},
        {"frame_budget_ms", budget > 0 ? nlohmann::json(budget * 1000.0) : nlohmann::json(nullptr)},
        {"over_budget_frames", static_cast<std::uint64_t>(instance.over_budget.value())}};
}

nlohmann::json plugin_own_status(PluginInstance& instance) {
    nlohmann::json status;
    if (auto error = instance.call("status", 0, [&] { status = instance.plugin().status(); }))
        status = {{"healthy", false}, {"error", "status() threw: " + *error}};
    if (!status.is_object()) status = {{"status", status}};
    return status;
}

}  // namespace framehost::core
