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
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <framehost/events.hpp>

#include "core/config/host_settings.hpp"
#include "core/events/event_store.hpp"
#include "core/events/sqlite.hpp"

namespace framehost::core {

class SqliteEventStore final : public HostEventStore {
  public:
    // Opens or creates the file (its folder must exist); throws std::runtime_error naming the
    // file and the reason (not a database, locked, unwritable).
    explicit SqliteEventStore(const EventsSettings& settings);
    ~SqliteEventStore();

    std::uint64_t cursor(std::string_view consumer) override;
    std::vector<EventChange> changes_after(std::uint64_t after, std::size_t limit,
                                           std::chrono::milliseconds wait) override;
    void acknowledge(std::string_view consumer, std::uint64_t seq) override;

    EventPage find(const EventQuery& query) override;
    std::optional<Event> get(const std::string& id) override;
    std::optional<std::vector<std::uint8_t>> snapshot(const std::string& id) override;
    std::optional<std::string> clip_file(const std::string& id) override;
    std::string describe() const override { return "SQLite file " + settings_.path; }
    const std::string& file() const { return settings_.path; }

  private:
    std::vector<EventChange> read_changes(std::uint64_t after, std::size_t limit);
    Written write_locked(std::span<const EventWrite> events, const std::string* clip) override;
    std::optional<Event> stored_locked(const std::string& id) override;
    Removed remove_old_locked(std::int64_t now_ms) override;

    struct WriteStatements;

    sqlite::Database writer_;
    sqlite::Database reader_;
    std::unique_ptr<WriteStatements> statements_;  // under write_mutex_
    std::mutex read_mutex_;
};

}  // namespace framehost::core
