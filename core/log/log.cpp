#include "core/log/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include "core/log/redaction.hpp"

namespace framehost::core {

namespace {
std::atomic<LogLevel> g_level{LogLevel::Info};
std::mutex g_mutex;

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::Debug:
            return "DEBUG";
        case LogLevel::Info:
            return "INFO ";
        case LogLevel::Warn:
            return "WARN ";
        case LogLevel::Error:
            return "ERROR";
    }
    return "?";
}
}  // namespace

void set_log_level(LogLevel level) {
    g_level.store(level);
}

bool parse_log_level(std::string_view text, LogLevel& level) {
    if (text == "debug")
        level = LogLevel::Debug;
    else if (text == "info")
        level = LogLevel::Info;
    else if (text == "warn" || text == "warning")
        level = LogLevel::Warn;
    else if (text == "error")
        level = LogLevel::Error;
    else
        return false;
    return true;
}

bool log_enabled(LogLevel level) {
    return level >= g_level.load(std::memory_order_relaxed);
}

namespace {
constexpr std::size_t kMaxLogLine = 2000;
}  // namespace

void log(LogLevel level, std::string_view component, std::string_view message) {
    if (!log_enabled(level)) return;
    auto now = std::chrono::system_clock::now();
    auto seconds = std::chrono::system_clock::to_time_t(now);
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    // No credential reaches the log, and no line is longer than a screenful of them: a
    // 5,000-digit number or a megabyte error text is cut.
    std::string text(message.substr(0, kMaxLogLine));
    if (message.size() > kMaxLogLine) text += "... (" + std::to_string(message.size()) + " bytes)";
    if (text.find("://") != std::string::npos) text = redact_credentials(std::move(text));
    std::lock_guard lock(g_mutex);
    std::fprintf(stderr, "%s.%03dZ %s [%.*s] %s\n", stamp, static_cast<int>(millis.count()),
                 level_name(level), static_cast<int>(component.size()), component.data(),
                 text.c_str());
}

}  // namespace framehost::core
