#pragma once
// What the host asks of its event store beyond the SDK's EventStore (framehost/events.hpp):
// queries for the HTTP API, the live stream, retention and figures. Two backends keep events:
// a SQLite file of the host's own (core/events/sqlite_event_store.hpp) and a PostgreSQL
// database a fleet of hosts shares (core/events/postgres_event_store.hpp); the config's
// `events:` section picks one (open_event_store).
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <framehost/events.hpp>

#include "core/config/host_settings.hpp"
#include "core/events/change_feed.hpp"

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

class HostEventStore : public EventStore {
  public:
    virtual ~HostEventStore() = default;

    // EventStore's writes, the same for every backend: the backend's transaction under the
    // write lock, published to the change feed, then retention when it is due.
    void write(std::span<const EventWrite> events) final;
    bool attach_clip(const std::string& id, const std::string& file) final;

    // For the HTTP API. A cursor that is not one of ours throws std::invalid_argument.
    virtual EventPage find(const EventQuery& query) = 0;
    virtual std::optional<Event> get(const std::string& id) = 0;
    virtual std::optional<std::vector<std::uint8_t>> snapshot(const std::string& id) = 0;
    // The video file a recorder attached to event `id`, if any.
    virtual std::optional<std::string> clip_file(const std::string& id) = 0;
    // The changes this host wrote after `after` still held in memory, oldest first (for the
    // live stream); `after` below what memory holds gives what it holds.
    std::vector<EventChange> recent_changes_after(std::uint64_t after) const;
    std::uint64_t last_seq() const;

    // Removes what retention says is old; returns how many events went. Called by write() now
    // and then; public for tests. `now_ms` is the wall clock.
    std::size_t apply_retention(std::int64_t now_ms);

    struct Figures {
        std::uint64_t events_written = 0;  // writes of events by this host (new states included)
        std::uint64_t events_removed = 0;  // by this host's retention
        std::uint64_t events_held = 0;     // in the store when retention last counted, plus since
    };
    Figures figures() const;
    // Where events are kept, for the log: a file, or a database without its password.
    virtual std::string describe() const = 0;

  protected:
    explicit HostEventStore(const EventsSettings& settings) : settings_(settings) {}

    // Called at the end of a backend's constructor, once its tables are there: where seq and the
    // count of events stand, then a first retention.
    void opened(std::uint64_t last_seq, std::uint64_t events_held);

    // What one transaction wrote.
    struct Written {
        std::vector<EventChange> changes;  // oldest first
        std::uint64_t added = 0;           // events that were not stored before
    };
    // One transaction writing `events`, `clip` (a file) attached to each when given; under
    // write_mutex_. An event without an id throws std::invalid_argument.
    virtual Written write_locked(std::span<const EventWrite> events, const std::string* clip) = 0;
    // The event as stored, under write_mutex_.
    virtual std::optional<Event> stored_locked(const std::string& id) = 0;
    // What one retention removed: events, and the count held after it when the backend counted
    // anew (else what it removed is subtracted).
    struct Removed {
        std::size_t events = 0;
        std::optional<std::uint64_t> held;
    };
    // Removes old events and changes in one transaction; under write_mutex_.
    virtual Removed remove_old_locked(std::int64_t now_ms) = 0;
    // Retention's bounds from the settings, or nullopt where they set none: events that started
    // before this go, and changes not yet taken are kept up to this many.
    std::optional<std::int64_t> events_start_kept_ms(std::int64_t now_ms) const;
    std::optional<std::int64_t> changes_kept() const;

    const EventsSettings settings_;
    // The writer connection's: held for write_locked, remove_old_locked, and the backends'
    // cursors.
    std::mutex write_mutex_;
    ChangeFeed feed_;

  private:
    // Publishes what was written and counts it; true when retention is due.
    bool record(Written written);

    mutable std::mutex figures_mutex_;
    std::uint64_t events_written_ = 0;
    std::uint64_t events_removed_ = 0;
    std::uint64_t events_held_ = 0;
    std::uint64_t writes_since_retention_ = 0;                // under write_mutex_
    std::chrono::steady_clock::time_point last_retention_{};  // under write_mutex_
};

// The store the settings name (`path` or `url`); throws std::runtime_error naming it and why it
// cannot be opened.
std::unique_ptr<HostEventStore> open_event_store(const EventsSettings& settings);

// A page's cursor: "START:ROW" of its last event, where the next page starts. parse throws
// std::invalid_argument for one this host did not give.
std::string make_page_cursor(std::int64_t start_ms, std::int64_t row);
std::pair<std::int64_t, std::int64_t> parse_page_cursor(const std::string& cursor);

// Retention's rules, shared by the backends. Retention runs after this many writes or this long,
// whichever comes first.
inline constexpr std::uint64_t kRetentionEveryWrites = 2000;
inline constexpr auto kRetentionEvery = std::chrono::seconds(30);
// Changes every consumer has taken are kept this long more (a consumer that starts later begins
// at the newest change, not at history).
inline constexpr std::int64_t kChangesKeptMs = 10 * 60 * 1000;
// With retention by count, changes not yet taken are kept up to this many per event held (an
// event is a new, some updates and an end).
inline constexpr std::int64_t kChangesPerEventKept = 4;

std::int64_t wall_clock_ms();

}  // namespace framehost::core
