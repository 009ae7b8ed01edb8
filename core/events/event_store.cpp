#include "core/events/event_store.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/events/postgres_event_store.hpp"
#include "core/events/sqlite_event_store.hpp"
#include "core/log/log.hpp"

namespace framehost::core {

void HostEventStore::opened(std::uint64_t last_seq, std::uint64_t events_held) {
    feed_.start_at(last_seq);
    {
        std::lock_guard lock(figures_mutex_);
        events_held_ = events_held;
    }
    apply_retention(wall_clock_ms());
}

void HostEventStore::write(std::span<const EventWrite> events) {
    if (events.empty()) return;
    bool retention_due = false;
    {
        std::lock_guard lock(write_mutex_);
        retention_due = record(write_locked(events, nullptr));
    }
    if (settings_.max_events > 0 && figures().events_held > settings_.max_events)
        retention_due = true;
    if (retention_due) apply_retention(wall_clock_ms());
}

bool HostEventStore::attach_clip(const std::string& id, const std::string& file) {
    std::lock_guard lock(write_mutex_);
    auto event = stored_locked(id);
    if (!event) return false;
    // The state stored now, written again with its clip: an "update" for every consumer.
    const EventWrite update{std::move(*event), nullptr};
    record(write_locked(std::span(&update, 1), &file));
    return true;
}

bool HostEventStore::record(Written written) {
    ++writes_since_retention_;
    feed_.publish(written.changes);
    {
        std::lock_guard lock(figures_mutex_);
        events_written_ += written.changes.size();
        events_held_ += written.added;
    }
    return writes_since_retention_ >= kRetentionEveryWrites ||
           std::chrono::steady_clock::now() - last_retention_ >= kRetentionEvery;
}

std::vector<EventChange> HostEventStore::recent_changes_after(std::uint64_t after) const {
    return feed_.recent_after(after);
}

std::uint64_t HostEventStore::last_seq() const {
    return feed_.last_seq();
}

std::size_t HostEventStore::apply_retention(std::int64_t now_ms) {
    Removed removed;
    {
        std::lock_guard lock(write_mutex_);
        writes_since_retention_ = 0;
        last_retention_ = std::chrono::steady_clock::now();
        removed = remove_old_locked(now_ms);
        std::lock_guard figures_lock(figures_mutex_);
        events_removed_ += removed.events;
        events_held_ = removed.held.value_or(events_held_ -
                                             std::min<std::uint64_t>(events_held_, removed.events));
    }
    if (removed.events > 0)
        log(LogLevel::Info, "events",
            "retention removed " + std::to_string(removed.events) + " event(s) from " + describe());
    return removed.events;
}

std::optional<std::int64_t> HostEventStore::events_start_kept_ms(std::int64_t now_ms) const {
    if (settings_.retention_days <= 0) return std::nullopt;
    return now_ms - static_cast<std::int64_t>(settings_.retention_days) * 86'400'000;
}

std::optional<std::int64_t> HostEventStore::changes_kept() const {
    if (settings_.max_events == 0) return std::nullopt;
    return static_cast<std::int64_t>(settings_.max_events) * kChangesPerEventKept;
}

HostEventStore::Figures HostEventStore::figures() const {
    std::lock_guard lock(figures_mutex_);
    return {events_written_, events_removed_, events_held_};
}

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
