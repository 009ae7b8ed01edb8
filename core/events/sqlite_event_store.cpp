#include "core/events/sqlite_event_store.hpp"

#include <limits>
#include <stdexcept>

#include "core/log/log.hpp"

namespace framehost::core {

namespace {

// Indexes cost every write, so only those a query needs: time, and camera then time (a label or
// a zone is checked on the rows walked by time: a page stops at its limit). Every page a write
// touches is written to the WAL at its commit, so changes has no index but its seq and no
// AUTOINCREMENT (whose sqlite_sequence row is one more page a write): seq stays increasing because
// the newest change is never deleted. Small pages for the same reason: a one-event write dirties
// about ten pages (measured: 1 KiB pages wrote 30 % more events a second than 4 KiB, and the
// queries were no slower). page_size takes effect only when the file is created.
constexpr const char* kSchema = R"sql(
PRAGMA page_size=1024;
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS events(
  id TEXT PRIMARY KEY,
  camera_id TEXT NOT NULL,
  type TEXT NOT NULL,
  label TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER,
  body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_start ON events(start_ms);
CREATE INDEX IF NOT EXISTS events_by_camera ON events(camera_id, start_ms);
CREATE TABLE IF NOT EXISTS event_zones(
  event_id TEXT NOT NULL,
  zone TEXT NOT NULL,
  PRIMARY KEY(event_id, zone)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots(event_id TEXT PRIMARY KEY, jpeg BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS clips(event_id TEXT PRIMARY KEY, file TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes(
  seq INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS consumers(name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
)sql";

Event event_from_body(const std::string& body) {
    return nlohmann::json::parse(body).get<Event>();
}

}  // namespace

SqliteEventStore::SqliteEventStore(const EventsSettings& settings)
    : HostEventStore(settings), writer_(settings.path), reader_(settings.path) {
    writer_.execute(kSchema);
    sqlite::Statement last(writer_, "SELECT coalesce(max(seq), 0) FROM changes");
    last.step();
    sqlite::Statement held(writer_, "SELECT count(*) FROM events");
    held.step();
    opened(static_cast<std::uint64_t>(last.integer(0)),
           static_cast<std::uint64_t>(held.integer(0)));
}

// The statements of a write, prepared once: preparing them took most of a one-event write.
struct SqliteEventStore::WriteStatements {
    explicit WriteStatements(sqlite::Database& db)
        : existing(db,
                   "SELECT end_ms, EXISTS(SELECT 1 FROM snapshots WHERE event_id = ?1), "
                   "EXISTS(SELECT 1 FROM clips WHERE event_id = ?1) FROM events WHERE id = ?1"),
          upsert(db,
                 "INSERT INTO events(id, camera_id, type, label, start_ms, end_ms, body) "
                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO UPDATE SET "
                 "camera_id = ?2, type = ?3, label = ?4, start_ms = ?5, end_ms = ?6, body = ?7"),
          forget_zones(db, "DELETE FROM event_zones WHERE event_id = ?1"),
          add_zone(db, "INSERT OR IGNORE INTO event_zones(zone, event_id) VALUES(?1, ?2)"),
          keep_snapshot(db, "INSERT OR REPLACE INTO snapshots(event_id, jpeg) VALUES(?1, ?2)"),
          keep_clip(db, "INSERT OR REPLACE INTO clips(event_id, file) VALUES(?1, ?2)"),
          add_change(db,
                     "INSERT INTO changes(event_id, kind, created_ms, body) VALUES(?1, ?2, ?3, "
                     "?4)") {}
    sqlite::Statement existing, upsert, forget_zones, add_zone, keep_snapshot, keep_clip,
        add_change;
};

SqliteEventStore::~SqliteEventStore() = default;

std::optional<Event> SqliteEventStore::stored_locked(const std::string& id) {
    sqlite::Statement stored(writer_, "SELECT body FROM events WHERE id = ?1");
    stored.bind(1, id);
    if (!stored.step()) return std::nullopt;
    return event_from_body(stored.text(0));
}

std::optional<std::string> SqliteEventStore::clip_file(const std::string& id) {
    std::lock_guard lock(read_mutex_);
    sqlite::Statement query(reader_, "SELECT file FROM clips WHERE event_id = ?1");
    query.bind(1, id);
    if (!query.step()) return std::nullopt;
    return query.text(0);
}

SqliteEventStore::Written SqliteEventStore::write_locked(std::span<const EventWrite> events,
                                                         const std::string* clip) {
    Written written;
    {
        sqlite::Transaction transaction(writer_);
        if (!statements_) statements_ = std::make_unique<WriteStatements>(writer_);
        auto& [existing, upsert, forget_zones, add_zone, keep_snapshot, keep_clip, add_change] =
            *statements_;
        auto now = wall_clock_ms();
        for (const auto& w : events) {
            if (w.event.id.empty()) throw std::invalid_argument("an event without an id");
            Event event = w.event;
            existing.reset();
            existing.bind(1, event.id);
            std::string kind = "new";
            bool stored = existing.step();
            if (stored) {
                bool was_open = existing.is_null(0);
                kind = was_open && event.end_ms ? "end" : "update";
                event.has_snapshot = existing.integer(1) != 0;
                if (existing.integer(2) != 0) event.clip = clip_path(event.id);
            } else {
                ++written.added;
            }
            existing.reset();  // a statement left on a row would hold its read open
            if (w.snapshot && !w.snapshot->empty()) {
                keep_snapshot.reset();
                keep_snapshot.bind(1, event.id).bind_blob(2, *w.snapshot);
                keep_snapshot.step();
                event.has_snapshot = true;
            }
            if (clip) {
                keep_clip.reset();
                keep_clip.bind(1, event.id).bind(2, *clip);
                keep_clip.step();
                event.clip = clip_path(event.id);
            }
            auto body = nlohmann::json(event).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
            upsert.reset();
            upsert.bind(1, event.id)
                .bind(2, event.camera_id)
                .bind(3, event.type)
                .bind(4, event.label)
                .bind(5, event.start_ms);
            if (event.end_ms)
                upsert.bind(6, *event.end_ms);
            else
                upsert.bind_null(6);
            upsert.bind(7, body);
            upsert.step();
            if (stored) {
                forget_zones.reset();
                forget_zones.bind(1, event.id);
                forget_zones.step();
            }
            for (const auto& zone : event.zones) {
                add_zone.reset();
                add_zone.bind(1, zone).bind(2, event.id);
                add_zone.step();
            }
            add_change.reset();
            add_change.bind(1, event.id).bind(2, kind).bind(3, now).bind(4, body);
            add_change.step();
            written.changes.push_back(
                {static_cast<std::uint64_t>(writer_.last_insert_rowid()), kind, std::move(event)});
        }
        transaction.commit();
    }
    return written;
}

std::uint64_t SqliteEventStore::cursor(std::string_view consumer) {
    std::lock_guard lock(write_mutex_);
    sqlite::Statement known(writer_, "SELECT seq FROM consumers WHERE name = ?1");
    known.bind(1, consumer);
    if (known.step()) return static_cast<std::uint64_t>(known.integer(0));
    // A new consumer starts at the newest change: it delivers what happens from now on.
    std::uint64_t now = last_seq();
    sqlite::Statement add(writer_, "INSERT INTO consumers(name, seq) VALUES(?1, ?2)");
    add.bind(1, consumer).bind(2, static_cast<std::int64_t>(now));
    add.step();
    return now;
}

void SqliteEventStore::acknowledge(std::string_view consumer, std::uint64_t seq) {
    std::lock_guard lock(write_mutex_);
    sqlite::Statement move(writer_,
                           "INSERT INTO consumers(name, seq) VALUES(?1, ?2) ON CONFLICT(name) DO "
                           "UPDATE SET seq = max(seq, ?2)");
    move.bind(1, consumer).bind(2, static_cast<std::int64_t>(seq));
    move.step();
}

std::vector<EventChange> SqliteEventStore::read_changes(std::uint64_t after, std::size_t limit) {
    std::lock_guard lock(read_mutex_);
    sqlite::Statement query(reader_,
                            "SELECT seq, kind, body FROM changes WHERE seq > ?1 ORDER BY seq "
                            "LIMIT ?2");
    query.bind(1, static_cast<std::int64_t>(after)).bind(2, static_cast<std::int64_t>(limit));
    std::vector<EventChange> changes;
    while (query.step())
        changes.push_back({static_cast<std::uint64_t>(query.integer(0)), query.text(1),
                           event_from_body(query.text(2))});
    return changes;
}

std::vector<EventChange> SqliteEventStore::changes_after(std::uint64_t after, std::size_t limit,
                                                         std::chrono::milliseconds wait) {
    if (limit == 0 || !feed_.wait_after(after, wait)) return {};
    return read_changes(after, limit);
}

EventPage SqliteEventStore::find(const EventQuery& query) {
    std::string sql = "SELECT rowid, start_ms, body FROM events WHERE 1";
    std::vector<std::string> texts;
    std::vector<std::int64_t> numbers;
    // Positional parameters: texts first (?1..), then numbers.
    auto text_condition = [&](const std::string& value, const std::string& condition) {
        if (value.empty()) return;
        texts.push_back(value);
        sql += " AND " + condition + " ?" + std::to_string(texts.size());
    };
    text_condition(query.camera_id, "camera_id =");
    text_condition(query.label, "label =");
    text_condition(query.type, "type =");
    if (!query.zone.empty()) {
        texts.push_back(query.zone);
        // EXISTS, not IN: the newest events are walked by time and each checked, so a page
        // stops after `limit` matches instead of sorting every event of the zone.
        sql += " AND EXISTS (SELECT 1 FROM event_zones WHERE zone = ?" +
               std::to_string(texts.size()) + " AND event_id = events.id)";
    }
    auto number = [&](std::int64_t value) {
        numbers.push_back(value);
        return "?" + std::to_string(texts.size() + numbers.size());
    };
    if (query.after_ms) sql += " AND start_ms > " + number(*query.after_ms);
    if (query.before_ms) sql += " AND start_ms < " + number(*query.before_ms);
    if (!query.cursor.empty()) {
        auto [start, rowid] = parse_page_cursor(query.cursor);
        auto start_param = number(start);
        auto rowid_param = number(rowid);
        sql += " AND (start_ms < " + start_param + " OR (start_ms = " + start_param +
               " AND rowid < " + rowid_param + "))";
    }
    // One more than asked: whether a next page exists.
    sql += " ORDER BY start_ms DESC, rowid DESC LIMIT " +
           number(static_cast<std::int64_t>(query.limit) + 1);

    std::lock_guard lock(read_mutex_);
    sqlite::Statement statement(reader_, sql);
    int index = 1;
    for (const auto& text : texts) statement.bind(index++, text);
    for (auto value : numbers) statement.bind(index++, value);
    EventPage page;
    std::int64_t last_start = 0, last_rowid = 0;
    while (statement.step()) {
        if (page.events.size() == query.limit) {
            page.next_cursor = make_page_cursor(last_start, last_rowid);
            break;
        }
        last_rowid = statement.integer(0);
        last_start = statement.integer(1);
        page.events.push_back(event_from_body(statement.text(2)));
    }
    return page;
}

std::optional<Event> SqliteEventStore::get(const std::string& id) {
    std::lock_guard lock(read_mutex_);
    sqlite::Statement query(reader_, "SELECT body FROM events WHERE id = ?1");
    query.bind(1, id);
    if (!query.step()) return std::nullopt;
    return event_from_body(query.text(0));
}

std::optional<std::vector<std::uint8_t>> SqliteEventStore::snapshot(const std::string& id) {
    std::lock_guard lock(read_mutex_);
    sqlite::Statement query(reader_, "SELECT jpeg FROM snapshots WHERE event_id = ?1");
    query.bind(1, id);
    if (!query.step()) return std::nullopt;
    auto bytes = query.blob(0);
    return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

SqliteEventStore::Removed SqliteEventStore::remove_old_locked(std::int64_t now_ms) {
    Removed removed;
    sqlite::Transaction transaction(writer_);
    writer_.execute(
        "CREATE TEMP TABLE IF NOT EXISTS doomed(id TEXT PRIMARY KEY); DELETE FROM doomed");
    auto start_kept = events_start_kept_ms(now_ms);
    if (start_kept) {
        sqlite::Statement old(writer_,
                              "INSERT OR IGNORE INTO doomed SELECT id FROM events WHERE "
                              "start_ms < ?1");
        old.bind(1, *start_kept);
        old.step();
    }
    if (settings_.max_events > 0) {
        sqlite::Statement count(writer_, "SELECT count(*) FROM events");
        count.step();
        auto held = count.integer(0);
        auto excess = held - static_cast<std::int64_t>(settings_.max_events);
        if (excess > 0) {
            sqlite::Statement oldest(writer_,
                                     "INSERT OR IGNORE INTO doomed SELECT id FROM events "
                                     "ORDER BY start_ms, rowid LIMIT ?1");
            oldest.bind(1, excess);
            oldest.step();
        }
    }
    sqlite::Statement doomed(writer_, "SELECT count(*) FROM doomed");
    doomed.step();
    removed.events = static_cast<std::size_t>(doomed.integer(0));
    if (removed.events > 0)
        writer_.execute(
            "DELETE FROM event_zones WHERE event_id IN (SELECT id FROM doomed);"
            "DELETE FROM snapshots WHERE event_id IN (SELECT id FROM doomed);"
            "DELETE FROM clips WHERE event_id IN (SELECT id FROM doomed);"
            "DELETE FROM events WHERE id IN (SELECT id FROM doomed);");
    // A change outlives its event (a consumer behind still gets it) until every consumer took
    // it and it is old enough, or it is past the events' own retention by age or count (a
    // consumer gone for good does not keep them all). The newest is kept: seq counts on.
    sqlite::Statement taken(
        writer_,
        "DELETE FROM changes WHERE seq < (SELECT max(seq) FROM changes) AND ((created_ms < ?1 "
        "AND seq <= coalesce((SELECT min(seq) FROM consumers), seq)) OR created_ms < ?2 OR "
        "seq <= (SELECT max(seq) FROM changes) - ?3)");
    taken.bind(1, now_ms - kChangesKeptMs);
    taken.bind(2, start_kept.value_or(std::numeric_limits<std::int64_t>::min()));
    taken.bind(3, changes_kept().value_or(std::numeric_limits<std::int64_t>::max()));
    taken.step();
    writer_.execute("DELETE FROM doomed");
    transaction.commit();
    return removed;
}

}  // namespace framehost::core
