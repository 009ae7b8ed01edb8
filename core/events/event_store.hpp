#pragma once
// The host's event store (framehost/events.hpp's EventStore): one SQLite file in WAL mode. A
// write returns after its transaction commits, so an event the log calls stored survives the
// process being killed (synchronous=NORMAL: only a crash of the machine itself can lose the
// last transactions). Changes are numbered for delivery; each consumer's cursor is a row of
// the file. Retention removes events older than retention_days and the oldest beyond
// max_events, with their snapshots; their changes stay until every consumer has taken them (or
// they pass the same age, or 4 x max_events changes), so a sink behind still delivers them.
//
// Two connections: writes go through one, the HTTP API's queries through the other, so a query
// never waits for a burst of writes (WAL lets a reader work beside the writer).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <framehost/events.hpp>

#include "core/config/host_settings.hpp"
#include "core/events/sqlite.hpp"

namespace framehost::core {

struct EventQuery {
    std::string camera_id, label, zone, type;         // empty: any
    std::optional<std::int64_t> after_ms, before_ms;  // start time bounds, exclusive
    std::size_t limit = 50;
    std::string cursor;  // next_cursor of the page before; empty: the newest first
};

struct EventPage {
    std::vector<Event> events;  // newest first
    std::string next_cursor;    // empty when this is the last page
};

class SqliteEventStore final : public EventStore {
  public:
    // Opens or creates the file (its folder must exist); throws std::runtime_error naming the
    // file and the reason (not a database, locked, unwritable).
    explicit SqliteEventStore(const EventsSettings& settings);
    ~SqliteEventStore();

    void write(std::span<const EventWrite> events) override;
    std::uint64_t cursor(std::string_view consumer) override;
    std::vector<EventChange> changes_after(std::uint64_t after, std::size_t limit,
                                           std::chrono::milliseconds wait) override;
    void acknowledge(std::string_view consumer, std::uint64_t seq) override;
    bool attach_clip(const std::string& id, const std::string& file) override;

    // For the HTTP API. A cursor that is not one of ours throws std::invalid_argument.
    EventPage find(const EventQuery& query);
    std::optional<Event> get(const std::string& id);
    std::optional<std::vector<std::uint8_t>> snapshot(const std::string& id);
    // The video file a recorder attached to event `id`, if any.
    std::optional<std::string> clip_file(const std::string& id);

    // The changes after `after` still held in memory, oldest first, without touching the file
    // (for the live stream); `after` below what memory holds gives what it holds.
    std::vector<EventChange> recent_changes_after(std::uint64_t after) const;
    std::uint64_t last_seq() const;

    // Removes what retention says is old; returns how many events went. Called by write() now
    // and then; public for tests. `now_ms` is the wall clock.
    std::size_t apply_retention(std::int64_t now_ms);

    struct Figures {
        std::uint64_t events_written = 0;  // writes of events (new states included)
        std::uint64_t events_removed = 0;  // by retention
        std::uint64_t events_held = 0;
    };
    Figures figures() const;
    const std::string& file() const { return settings_.path; }

  private:
    std::vector<EventChange> read_changes(std::uint64_t after, std::size_t limit);
    // A write's transaction and bookkeeping, under write_mutex_; `clip` (a file) is attached to
    // every event written. True when retention is due.
    bool write_locked(std::span<const EventWrite> events, const std::string* clip);

    struct WriteStatements;

    EventsSettings settings_;
    sqlite::Database writer_;
    sqlite::Database reader_;
    std::mutex write_mutex_;
    std::unique_ptr<WriteStatements> statements_;  // under write_mutex_
    std::mutex read_mutex_;

    mutable std::mutex changes_mutex_;
    std::condition_variable changed_;
    std::uint64_t last_seq_ = 0;
    std::deque<EventChange> recent_;  // the last kRecentChanges changes

    std::uint64_t events_written_ = 0;
    std::uint64_t events_removed_ = 0;
    std::uint64_t events_held_ = 0;
    std::uint64_t writes_since_retention_ = 0;
    std::chrono::steady_clock::time_point last_retention_{};
};

}  // namespace framehost::core
