#pragma once
// What the host itself keeps about one plugin instance, said the same way by /health and
// /metrics: which plugin, its kind, frames, failures and how it keeps to its frame budget.
#include <nlohmann/json.hpp>

#include "core/plugins/plugin_instance.hpp"

namespace framehost::core {

nlohmann::json plugin_figures(const PluginInstance& instance);

// The instance's own status() as an object, called as every call into a plugin is (a throw
// becomes {"healthy": false, "error": "status() threw: ..."}; a non-object is wrapped).
nlohmann::json plugin_own_status(PluginInstance& instance);

}  // namespace framehost::core
