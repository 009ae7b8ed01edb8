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
#include "core/events/change_feed.hpp"
#include "core/events/event_store.hpp"
#include "core/events/postgres.hpp"

namespace framehost::core {

class PostgresEventStore final : public HostEventStore {
  public:
    // Connects and creates the tables when they are missing; throws std::runtime_error naming
    // the database and why.
    explicit PostgresEventStore(const EventsSettings& settings);

    void write(std::span<const EventWrite> events) override;
    std::uint64_t cursor(std::string_view consumer) override;
    std::vector<EventChange> changes_after(std::uint64_t after, std::size_t limit,
                                           std::chrono::milliseconds wait) override;
    void acknowledge(std::string_view consumer, std::uint64_t seq) override;
    bool attach_clip(const std::string& id, const std::string& file) override;

    EventPage find(const EventQuery& query) override;
    std::optional<Event> get(const std::string& id) override;
    std::optional<std::vector<std::uint8_t>> snapshot(const std::string& id) override;
    std::optional<std::string> clip_file(const std::string& id) override;
    std::vector<EventChange> recent_changes_after(std::uint64_t after) const override {
        return feed_.recent_after(after);
    }
    std::uint64_t last_seq() const override { return feed_.last_seq(); }
    std::size_t apply_retention(std::int64_t now_ms) override;
    Figures figures() const override;
    std::string describe() const override;

  private:
    // A write's transaction, under write_mutex_; `clip` is attached to every event written.
    // True when retention is due.
    bool write_locked(std::span<const EventWrite> events, const std::string* clip);
    std::uint64_t count_events();

    EventsSettings settings_;
    postgres::Connection writer_;
    postgres::Connection reader_;
    std::mutex write_mutex_;
    std::mutex read_mutex_;
    ChangeFeed feed_;

    mutable std::mutex figures_mutex_;
    std::uint64_t events_written_ = 0;
    std::uint64_t events_removed_ = 0;
    std::uint64_t events_held_ = 0;
    std::uint64_t writes_since_retention_ = 0;
    std::chrono::steady_clock::time_point last_retention_{};
};

}  // namespace framehost::core
