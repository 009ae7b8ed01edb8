#pragma once
// One line per event on stderr: "2026-11-25T09:30:00.123Z WARN  [component] message".
// Thread-safe; the level comes from --log-level or FRAMEHOST_LOG_LEVEL (default info).
#include <string_view>

#include "framehost/plugin.hpp"

namespace framehost::core {

void set_log_level(LogLevel level);
bool parse_log_level(std::string_view text, LogLevel& level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view component, std::string_view message);

}  // namespace framehost::core
