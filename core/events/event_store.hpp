#pragma once
// What the host asks of its event store beyond the SDK's EventStore (framehost/events.hpp):
// queries for the HTTP API, the live stream, retention and figures. Two backends keep events:
// a SQLite file of the host's own (core/events/sqlite_event_store.hpp) and a PostgreSQL
// database a fleet of hosts shares (core/events/postgres_event_store.hpp); the config's
// `events:` section picks one (open_event_store).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <framehost/events.hpp>

#include "core/config/host_settings.hpp"

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

    // For the HTTP API. A cursor that is not one of ours throws std::invalid_argument.
    virtual EventPage find(const EventQuery& query) = 0;
    virtual std::optional<Event> get(const std::string& id) = 0;
    virtual std::optional<std::vector<std::uint8_t>> snapshot(const std::string& id) = 0;
    // The video file a recorder attached to event `id`, if any.
    virtual std::optional<std::string> clip_file(const std::string& id) = 0;

    // The changes this host wrote after `after` still held in memory, oldest first (for the
    // live stream); `after` below what memory holds gives what it holds.
    virtual std::vector<EventChange> recent_changes_after(std::uint64_t after) const = 0;
    virtual std::uint64_t last_seq() const = 0;

    // Removes what retention says is old; returns how many events went. Called by write() now
    // and then; public for tests. `now_ms` is the wall clock.
    virtual std::size_t apply_retention(std::int64_t now_ms) = 0;

    struct Figures {
        std::uint64_t events_written = 0;  // writes of events by this host (new states included)
        std::uint64_t events_removed = 0;  // by this host's retention
        std::uint64_t events_held = 0;     // in the store when retention last counted, plus since
    };
    virtual Figures figures() const = 0;
    // Where events are kept, for the log: a file, or a database without its password.
    virtual std::string describe() const = 0;
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
