#include "core/events/event_store.hpp"

#include <stdexcept>

#include "core/events/postgres_event_store.hpp"
#include "core/events/sqlite_event_store.hpp"

namespace framehost::core {

std::unique_ptr<HostEventStore> open_event_store(const EventsSettings& settings) {
    if (!settings.url.empty()) return std::make_unique<PostgresEventStore>(settings);
    return std::make_unique<SqliteEventStore>(settings);
}

std::string make_page_cursor(std::int64_t start_ms, std::int64_t row) {
    return std::to_string(start_ms) + ":" + std::to_string(row);
}

std::pair<std::int64_t, std::int64_t> parse_page_cursor(const std::string& cursor) {
    auto colon = cursor.find(':');
    std::size_t used_start = 0, used_row = 0;
    try {
        if (colon == std::string::npos) throw std::invalid_argument("no colon");
        auto start = std::stoll(cursor.substr(0, colon), &used_start);
        auto row = std::stoll(cursor.substr(colon + 1), &used_row);
        if (used_start != colon || used_row != cursor.size() - colon - 1)
            throw std::invalid_argument("trailing characters");
        return {start, row};
    } catch (const std::exception&) {
        throw std::invalid_argument("cursor '" + cursor.substr(0, 40) +
                                    "' is not one this host gave (use next_cursor)");
    }
}

std::int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace framehost::core
