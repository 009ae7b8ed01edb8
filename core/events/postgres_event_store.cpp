#include "core/events/postgres_event_store.hpp"

#include <stdexcept>

#include "core/log/log.hpp"

namespace framehost::core {

namespace {

// Table names carry the product's prefix: the database may be one other services use too (the
// replaced system keeps its metadata in PostgreSQL). An event's zones are an array the zone
// filter looks into; its snapshot and clip are columns of its row. seq and row are identities,
// so they keep counting whatever retention deletes.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS framehost_events(
  row_id BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id TEXT PRIMARY KEY,
  camera_id TEXT NOT NULL,
  type TEXT NOT NULL,
  label TEXT NOT NULL,
  start_ms BIGINT NOT NULL,
  end_ms BIGINT,
  zones TEXT[] NOT NULL DEFAULT '{}',
  body TEXT NOT NULL,
  snapshot BYTEA,
  clip TEXT);
CREATE INDEX IF NOT EXISTS framehost_events_by_start ON framehost_events(start_ms, row_id);
CREATE INDEX IF NOT EXISTS framehost_events_by_camera ON framehost_events(camera_id, start_ms);
CREATE TABLE IF NOT EXISTS framehost_changes(
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  writer TEXT NOT NULL,
  event_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS framehost_changes_by_writer ON framehost_changes(writer, seq);
CREATE TABLE IF NOT EXISTS framehost_consumers(
  writer TEXT NOT NULL,
  name TEXT NOT NULL,
  seq BIGINT NOT NULL,
  PRIMARY KEY(writer, name));
)sql";

// Advisory lock keys: hosts starting together create the tables one at a time (CREATE ... IF NOT
// EXISTS races otherwise), and one host at a time runs retention.
constexpr const char* kSchemaLock = "SELECT pg_advisory_xact_lock(7366001)";
constexpr const char* kRetentionLock = "SELECT pg_try_advisory_xact_lock(7366002)";

Event event_from_body(const std::string& body) {
    return nlohmann::json::parse(body).get<Event>();
}

std::string json_text(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

PostgresEventStore::PostgresEventStore(const EventsSettings& settings)
    : HostEventStore(settings),
      writer_(settings.url, settings.connect_wait),
      reader_(settings.url) {
    {
        postgres::Transaction transaction(writer_);
        writer_.execute(kSchemaLock);
        writer_.execute(kSchema);
        transaction.commit();
    }
    auto last =
        writer_.exec("SELECT coalesce(max(seq), 0) FROM framehost_changes WHERE writer = $1",
                     postgres::Params().text(settings_.writer));
    opened(static_cast<std::uint64_t>(last.integer(0, 0)), count_events());
}

std::string PostgresEventStore::describe() const {
    return "PostgreSQL " + writer_.name() + " (writer " + settings_.writer + ")";
}

std::uint64_t PostgresEventStore::count_events() {
    auto held = writer_.exec("SELECT count(*) FROM framehost_events");
    return static_cast<std::uint64_t>(held.integer(0, 0));
}

std::optional<Event> PostgresEventStore::stored_locked(const std::string& id) {
    auto stored = writer_.exec("SELECT body FROM framehost_events WHERE id = $1",
                               postgres::Params().text(id));
    if (stored.rows() == 0) return std::nullopt;
    return event_from_body(stored.text(0, 0));
}

PostgresEventStore::Written PostgresEventStore::write_locked(std::span<const EventWrite> events,
                                                             const std::string* clip) {
    Written written;
    {
        postgres::Transaction transaction(writer_);
        auto now = wall_clock_ms();
        for (const auto& w : events) {
            if (w.event.id.empty()) throw std::invalid_argument("an event without an id");
            Event event = w.event;
            // FOR UPDATE: two hosts writing one event (they should not, but a misrouted camera
            // could) take turns, so its kind is decided on the state the other committed.
            auto existing = writer_.exec(
                "SELECT end_ms IS NULL, snapshot IS NOT NULL, clip IS NOT NULL FROM "
                "framehost_events WHERE id = $1 FOR UPDATE",
                postgres::Params().text(event.id));
            std::string kind = "new";
            if (existing.rows() > 0) {
                bool was_open = existing.text(0, 0) == "t";
                kind = was_open && event.end_ms ? "end" : "update";
                event.has_snapshot = existing.text(0, 1) == "t";
                if (existing.text(0, 2) == "t") event.clip = clip_path(event.id);
            } else {
                ++written.added;
            }
            bool with_snapshot = w.snapshot && !w.snapshot->empty();
            if (with_snapshot) event.has_snapshot = true;
            if (clip) event.clip = clip_path(event.id);
            auto body = json_text(nlohmann::json(event));

            postgres::Params upsert;
            upsert.text(event.id)
                .text(event.camera_id)
                .text(event.type)
                .text(event.label)
                .number(event.start_ms)
                .number_or_null(event.end_ms)
                .text(json_text(nlohmann::json(event.zones)))
                .text(body);
            if (with_snapshot)
                upsert.bytes(*w.snapshot);
            else
                upsert.null();
            upsert.text_or_null(clip);
            writer_.exec(
                "INSERT INTO framehost_events(id, camera_id, type, label, start_ms, end_ms, zones, "
                "body, snapshot, clip) VALUES($1, $2, $3, $4, $5, $6, "
                "ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), $8, $9::bytea, $10) "
                "ON CONFLICT(id) DO UPDATE SET camera_id = EXCLUDED.camera_id, type = "
                "EXCLUDED.type, label = EXCLUDED.label, start_ms = EXCLUDED.start_ms, end_ms = "
                "EXCLUDED.end_ms, zones = EXCLUDED.zones, body = EXCLUDED.body, snapshot = "
                "coalesce(EXCLUDED.snapshot, framehost_events.snapshot), clip = "
                "coalesce(EXCLUDED.clip, framehost_events.clip)",
                upsert);
            auto change = writer_.exec(
                "INSERT INTO framehost_changes(writer, event_id, kind, created_ms, body) "
                "VALUES($1, $2, $3, $4, $5) RETURNING seq",
                postgres::Params()
                    .text(settings_.writer)
                    .text(event.id)
                    .text(kind)
                    .number(now)
                    .text(body));
            written.changes.push_back(
                {static_cast<std::uint64_t>(change.integer(0, 0)), kind, std::move(event)});
        }
        transaction.commit();
    }
    return written;
}

std::uint64_t PostgresEventStore::cursor(std::string_view consumer) {
    std::lock_guard lock(write_mutex_);
    // A new consumer starts at the newest change this host wrote: it delivers what happens from
    // now on.
    writer_.exec(
        "INSERT INTO framehost_consumers(writer, name, seq) VALUES($1, $2, $3) ON CONFLICT DO "
        "NOTHING",
        postgres::Params()
            .text(settings_.writer)
            .text(std::string(consumer))
            .number(static_cast<std::int64_t>(feed_.last_seq())));
    auto known =
        writer_.exec("SELECT seq FROM framehost_consumers WHERE writer = $1 AND name = $2",
                     postgres::Params().text(settings_.writer).text(std::string(consumer)));
    return static_cast<std::uint64_t>(known.integer(0, 0));
}

void PostgresEventStore::acknowledge(std::string_view consumer, std::uint64_t seq) {
    std::lock_guard lock(write_mutex_);
    writer_.exec(
        "INSERT INTO framehost_consumers(writer, name, seq) VALUES($1, $2, $3) ON CONFLICT(writer, "
        "name) DO UPDATE SET seq = greatest(framehost_consumers.seq, EXCLUDED.seq)",
        postgres::Params()
            .text(settings_.writer)
            .text(std::string(consumer))
            .number(static_cast<std::int64_t>(seq)));
}

std::vector<EventChange> PostgresEventStore::changes_after(std::uint64_t after, std::size_t limit,
                                                           std::chrono::milliseconds wait) {
    if (limit == 0 || !feed_.wait_after(after, wait)) return {};
    std::lock_guard lock(read_mutex_);
    auto rows = reader_.exec(
        "SELECT seq, kind, body FROM framehost_changes WHERE writer = $1 AND seq > $2 ORDER BY "
        "seq LIMIT $3",
        postgres::Params()
            .text(settings_.writer)
            .number(static_cast<std::int64_t>(after))
            .number(static_cast<std::int64_t>(limit)));
    std::vector<EventChange> changes;
    for (int row = 0; row < rows.rows(); ++row)
        changes.push_back({static_cast<std::uint64_t>(rows.integer(row, 0)), rows.text(row, 1),
                           event_from_body(rows.text(row, 2))});
    return changes;
}

EventPage PostgresEventStore::find(const EventQuery& query) {
    std::string sql = "SELECT row_id, start_ms, body FROM framehost_events WHERE true";
    postgres::Params params;
    int count = 0;
    auto param = [&]() { return "$" + std::to_string(++count); };
    auto text_condition = [&](const std::string& value, const std::string& column) {
        if (value.empty()) return;
        params.text(value);
        sql += " AND " + column + " = " + param();
    };
    text_condition(query.camera_id, "camera_id");
    text_condition(query.label, "label");
    text_condition(query.type, "type");
    if (!query.zone.empty()) {
        params.text(query.zone);
        sql += " AND " + param() + " = ANY(zones)";
    }
    if (query.after_ms) {
        params.number(*query.after_ms);
        sql += " AND start_ms > " + param();
    }
    if (query.before_ms) {
        params.number(*query.before_ms);
        sql += " AND start_ms < " + param();
    }
    if (!query.cursor.empty()) {
        auto [start, row] = parse_page_cursor(query.cursor);
        params.number(start).number(row);
        auto start_param = param();
        auto row_param = param();
        sql += " AND (start_ms, row_id) < (" + start_param + ", " + row_param + ")";
    }
    // One more than asked: whether a next page exists.
    params.number(static_cast<std::int64_t>(query.limit) + 1);
    sql += " ORDER BY start_ms DESC, row_id DESC LIMIT " + param();

    std::lock_guard lock(read_mutex_);
    auto rows = reader_.exec(sql, params);
    EventPage page;
    for (int row = 0; row < rows.rows(); ++row) {
        if (page.events.size() == query.limit) {
            page.next_cursor = make_page_cursor(rows.integer(row - 1, 1), rows.integer(row - 1, 0));
            break;
        }
        page.events.push_back(event_from_body(rows.text(row, 2)));
    }
    return page;
}

std::optional<Event> PostgresEventStore::get(const std::string& id) {
    std::lock_guard lock(read_mutex_);
    auto rows = reader_.exec("SELECT body FROM framehost_events WHERE id = $1",
                             postgres::Params().text(id));
    if (rows.rows() == 0) return std::nullopt;
    return event_from_body(rows.text(0, 0));
}

std::optional<std::vector<std::uint8_t>> PostgresEventStore::snapshot(const std::string& id) {
    std::lock_guard lock(read_mutex_);
    auto rows =
        reader_.exec("SELECT snapshot FROM framehost_events WHERE id = $1 AND snapshot IS NOT NULL",
                     postgres::Params().text(id), true);
    if (rows.rows() == 0) return std::nullopt;
    auto bytes = rows.bytes(0, 0);
    return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

std::optional<std::string> PostgresEventStore::clip_file(const std::string& id) {
    std::lock_guard lock(read_mutex_);
    auto rows = reader_.exec("SELECT clip FROM framehost_events WHERE id = $1 AND clip IS NOT NULL",
                             postgres::Params().text(id));
    if (rows.rows() == 0) return std::nullopt;
    return rows.text(0, 0);
}

PostgresEventStore::Removed PostgresEventStore::remove_old_locked(std::int64_t now_ms) {
    Removed removed;
    postgres::Transaction transaction(writer_);
    auto mine = writer_.exec(kRetentionLock);
    if (mine.text(0, 0) != "t") return {};  // another host is at it
    auto start_kept = events_start_kept_ms(now_ms);
    if (start_kept) {
        auto gone = writer_.exec(
            "WITH gone AS (DELETE FROM framehost_events WHERE start_ms < $1 RETURNING 1) "
            "SELECT count(*) FROM gone",
            postgres::Params().number(*start_kept));
        removed.events += static_cast<std::size_t>(gone.integer(0, 0));
    }
    if (settings_.max_events > 0) {
        auto gone = writer_.exec(
            "WITH gone AS (DELETE FROM framehost_events WHERE row_id IN (SELECT row_id FROM "
            "framehost_events ORDER BY start_ms, row_id LIMIT greatest(0, (SELECT count(*) "
            "FROM framehost_events) - $1)) RETURNING 1) SELECT count(*) FROM gone",
            postgres::Params().number(static_cast<std::int64_t>(settings_.max_events)));
        removed.events += static_cast<std::size_t>(gone.integer(0, 0));
    }
    // As in the SQLite store: a change outlives its event until every consumer of its writer
    // took it and it is old enough, or it is past the events' own retention by age or count.
    auto changes = postgres::Params()
                       .number(now_ms - kChangesKeptMs)
                       .number_or_null(start_kept)
                       .number_or_null(changes_kept());
    writer_.exec(
        "DELETE FROM framehost_changes c WHERE (c.created_ms < $1 AND c.seq <= "
        "coalesce((SELECT "
        "min(k.seq) FROM framehost_consumers k WHERE k.writer = c.writer), c.seq)) OR "
        "c.created_ms < $2::bigint OR c.seq <= (SELECT max(seq) FROM framehost_changes) - "
        "$3::bigint",
        changes);
    removed.held = count_events();
    transaction.commit();
    return removed;
}

}  // namespace framehost::core
