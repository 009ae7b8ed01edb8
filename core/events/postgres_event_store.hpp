#pragma once
// The event store a fleet shares: a PostgreSQL database (`events: { url: postgresql://... }`).
// Hosts that take frames from one Redis Streams group write their events into the same tables,
// so any of them answers GET /events for all. Delivery stays each host's own: a change records
// the host that wrote it (`events.writer`), and a host's sinks (MQTT, webhooks) take only the
// changes it wrote, with their cursors kept in the database under its name. So every event is
// delivered once per sink of the fleet, and a host restarted under its name goes on where it
// stopped. Its live stream (/events/stream) shows the events it wrote.
//
// Semantics are the SQLite store's (core/events/sqlite_event_store.hpp): a write returns after
// its transaction commits; retention by age and count (one host at a time runs it, under an
// advisory lock). Snapshots are kept as bytea in the database; clips stay files of the host
// that recorded them, so another host answers 404 for one it cannot read.
#include <cstdint>
#include <mutex>
#include <string>

#include "core/config/host_settings.hpp"
#include "core/events/event_store.hpp"
#include "core/events/postgres.hpp"

namespace framehost::core {

class PostgresEventStore final : public HostEventStore {
  public:
    // Connects and creates the tables when they are missing; throws std::runtime_error naming
    // the database and why.
    explicit PostgresEventStore(const EventsSettings& settings);

    std::uint64_t cursor(std::string_view consumer) override;
    std::vector<EventChange> changes_after(std::uint64_t after, std::size_t limit,
                                           std::chrono::milliseconds wait) override;
    void acknowledge(std::string_view consumer, std::uint64_t seq) override;

    EventPage find(const EventQuery& query) override;
    std::optional<Event> get(const std::string& id) override;
    std::optional<std::vector<std::uint8_t>> snapshot(const std::string& id) override;
    std::optional<std::string> clip_file(const std::string& id) override;
    std::string describe() const override;

  private:
    Written write_locked(std::span<const EventWrite> events, const std::string* clip) override;
    std::optional<Event> stored_locked(const std::string& id) override;
    Removed remove_old_locked(std::int64_t now_ms) override;
    std::uint64_t count_events();

    postgres::Connection writer_;
    postgres::Connection reader_;
    std::mutex read_mutex_;
};

}  // namespace framehost::core
