#pragma once
// A plugin descriptor in the forms people and tools read: `framehost inspect` (text, JSON),
// the generated plugin reference (Markdown), and /plugins (JSON).
#include <string>

#include <nlohmann/json.hpp>

#include "framehost/plugin.hpp"

namespace framehost::core {

nlohmann::json descriptor_json(const PluginDescriptor& descriptor);
std::string descriptor_text(const PluginDescriptor& descriptor);
std::string descriptor_markdown(const PluginDescriptor& descriptor);
// A table of parameters as descriptor_markdown writes one, each name after `prefix`
// ("pipeline." for a config section).
std::string params_markdown_table(const std::vector<ParamSpec>& specs, const std::string& prefix);

}  // namespace framehost::core
