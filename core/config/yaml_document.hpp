#pragma once
// Reads a YAML config file: expands ${VAR} and ${VAR:-default} from the environment, parses,
// and rejects what yaml-cpp lets through silently (duplicate keys, several documents).
// Positions in every later error stay those of the file as written.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "core/config/diagnostics.hpp"

namespace framehost::core {

using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment.
EnvironmentLookup process_environment();

// Parses `text` as if read from `file`. Returns a null node when the text is not usable YAML;
// every problem goes to `diagnostics`.
YAML::Node parse_yaml_config(const std::string& text, const EnvironmentLookup& environment,
                             Diagnostics& diagnostics);

YAML::Node load_yaml_config(const std::filesystem::path& file, const EnvironmentLookup& environment,
                            Diagnostics& diagnostics);

}  // namespace framehost::core
