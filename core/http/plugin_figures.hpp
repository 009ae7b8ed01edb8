#pragma once
// What the host itself keeps about one plugin instance, said the same way by /health and
// /metrics: which plugin, its kind, frames, failures and how it keeps to its frame budget.
#include <nlohmann/json.hpp>

#include "core/plugins/plugin_instance.hpp"

namespace framehost::core {

nlohmann::json plugin_figures(const PluginInstance& instance);

}  // namespace framehost::core
