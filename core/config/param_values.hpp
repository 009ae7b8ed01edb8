#pragma once
// Validates a YAML mapping against a parameter spec (the one table a plugin declares) and
// turns it into typed Params, reporting every problem with its position.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/diagnostics.hpp"
#include "framehost/params.hpp"

namespace framehost::core {

// `values` is the mapping (may be undefined or null: all defaults); `owner` is the node the
// mapping belongs to, used for the position of "missing required" errors; `subject` names what
// is configured in messages, e.g. "plugin 'sample_detector'" or "section 'pipeline'".
Params validate_params(const YAML::Node& values, const YAML::Node& owner,
                       const std::vector<ParamSpec>& spec, const std::string& subject,
                       Diagnostics& diagnostics);

// Defaults only (for inspect and for plugins used without params).
Params default_params(const std::vector<ParamSpec>& spec);

// Parses "250ms", "2s", "1.5m", "1h", "3d" or a bare number of milliseconds; false when invalid.
bool parse_duration_ms(const std::string& text, std::int64_t& milliseconds);

// Problems of a spec itself: duplicate names, a default of the wrong type or outside its range,
// a required parameter with a default. Empty when the spec is sound.
std::vector<std::string> check_param_spec(const std::vector<ParamSpec>& spec);

// The spec's value in human form, e.g. "0.5", "10ms", "[person, car]", "" when none.
std::string format_param_value(const ParamSpec& spec, const nlohmann::json& value);

}  // namespace framehost::core
