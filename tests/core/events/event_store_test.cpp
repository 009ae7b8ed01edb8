// The SQLite event store on real files: what a write makes of an event (new, update, end),
// queries with filters and pages that neither skip nor repeat, delivery cursors that survive a
// reopen, retention by count and by age, and files it must refuse.
#include <doctest/doctest.h>

#include <set>

#include "core/events/sqlite_event_store.hpp"
#include "tests/support/process.hpp"

using namespace framehost;
using namespace framehost::core;
using namespace framehost::test;

namespace {
Event object_event(std::string id, std::string camera, std::int64_t start_ms,
                   std::string label = "person") {
    Event e;
    e.id = std::move(id);
    e.type = "object";
    e.camera_id = std::move(camera);
    e.label = std::move(label);
    e.track_id = 7;
    e.start_ms = start_ms;
    e.start_frame_id = "f1";
    e.score = 0.8;
    e.bbox = {1, 2, 3, 4};
    return e;
}

void write_one(SqliteEventStore& store, const Event& e,
               std::shared_ptr<const std::vector<std::uint8_t>> snapshot = nullptr) {
    EventWrite w{e, std::move(snapshot)};
    store.write(std::span(&w, 1));
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

EventsSettings settings_in(const TempDir& dir, std::size_t max_events = 0, int days = 0) {
    EventsSettings s;
    s.path = (dir / "events.db").string();
    s.max_events = max_events;
    s.retention_days = days;
    return s;
}
}  // namespace

TEST_CASE("event store: a first write is new, later ones update, the one that sets the end ends") {
    TempDir dir;
    SqliteEventStore store(settings_in(dir));
    auto e = object_event("e1", "door", now_ms());
    auto after = store.last_seq();
    write_one(store, e, std::make_shared<const std::vector<std::uint8_t>>(3, 0xFF));
    e.score = 0.95;
    e.zones = {"porch"};
    write_one(store, e);
    e.end_ms = e.start_ms + 5000;
    e.end_frame_id = "f9";
    write_one(store, e);

    auto changes = store.changes_after(after, 10, std::chrono::milliseconds(0));
    REQUIRE(changes.size() == 3);
    CHECK(changes[0].kind == "new");
    CHECK(changes[1].kind == "update");
    CHECK(changes[2].kind == "end");
    CHECK(changes[1].seq == changes[0].seq + 1);
    auto stored = store.get("e1");
    REQUIRE(stored);
    CHECK(stored->score == doctest::Approx(0.95));
    CHECK(stored->zones == std::vector<std::string>{"porch"});
    CHECK(*stored->end_ms == e.start_ms + 5000);
    // The snapshot given with the first write is kept by the later ones that bring none.
    CHECK(stored->has_snapshot);
    CHECK(store.snapshot("e1")->size() == 3);
    CHECK_FALSE(store.get("nope"));
    CHECK_FALSE(store.snapshot("nope"));
    auto json = nlohmann::json(*stored);
    for (const char* key : {"id", "type", "camera_id", "label", "track_id", "start_time",
                            "end_time", "zones", "score", "bbox"})
        CHECK_MESSAGE(json.contains(key), key);
}

TEST_CASE("event store: queries filter by camera, label, zone, type and time, and page by cursor") {
    TempDir dir;
    SqliteEventStore store(settings_in(dir));
    auto base = now_ms();
    std::vector<EventWrite> writes;
    for (int i = 0; i < 125; ++i) {
        auto e = object_event("e" + std::to_string(i), i % 2 ? "door" : "yard",
                              base + (i / 5) * 1000,  // five events share each start
                              i % 3 ? "person" : "car");
        if (i % 10 == 0) e.zones = {"drive"};
        writes.push_back({e, nullptr});
    }
    store.write(writes);

    std::set<std::string> seen;
    std::size_t pages = 0;
    EventQuery query;
    query.limit = 20;
    std::int64_t previous_start = INT64_MAX;
    do {
        auto page = store.find(query);
        ++pages;
        for (const auto& e : page.events) {
            CHECK(seen.insert(e.id).second);  // no event twice
            CHECK(e.start_ms <= previous_start);
            previous_start = e.start_ms;
        }
        query.cursor = page.next_cursor;
    } while (!query.cursor.empty());
    CHECK(seen.size() == 125);
    CHECK(pages == 7);

    EventQuery door;
    door.camera_id = "door";
    door.label = "car";
    door.limit = 1000;
    auto cars = store.find(door).events;
    CHECK(cars.size() == 21);  // odd multiples of 3 below 125
    for (const auto& e : cars) CHECK((e.camera_id == "door" && e.label == "car"));

    EventQuery drive;
    drive.zone = "drive";
    CHECK(store.find(drive).events.size() == 13);

    EventQuery window;
    window.after_ms = base + 3000;
    window.before_ms = base + 6000;
    window.limit = 1000;
    auto middle = store.find(window).events;
    CHECK(middle.size() == 10);  // starts at +4 s and +5 s

    EventQuery crossings;
    crossings.type = "crossing";
    CHECK(store.find(crossings).events.empty());

    EventQuery forged;
    forged.cursor = "12:x";
    CHECK_THROWS_AS(store.find(forged), std::invalid_argument);
}

TEST_CASE("event store: a consumer's cursor and every event survive a reopen") {
    TempDir dir;
    std::uint64_t last = 0;
    {
        SqliteEventStore store(settings_in(dir));
        CHECK(store.cursor("mqtt") == 0);
        for (int i = 0; i < 5; ++i)
            write_one(store, object_event("e" + std::to_string(i), "c", now_ms()));
        auto changes = store.changes_after(store.cursor("mqtt"), 3, std::chrono::milliseconds(0));
        REQUIRE(changes.size() == 3);
        store.acknowledge("mqtt", changes.back().seq);
        store.acknowledge("mqtt", 1);  // never back
        last = store.last_seq();
    }
    SqliteEventStore reopened(settings_in(dir));
    CHECK(reopened.figures().events_held == 5);
    CHECK(reopened.last_seq() == last);
    auto rest = reopened.changes_after(reopened.cursor("mqtt"), 10, std::chrono::milliseconds(0));
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].event.id == "e3");
    // A consumer seen for the first time starts at the newest change.
    CHECK(reopened.cursor("webhook") == last);
    write_one(reopened, object_event("e5", "c", now_ms()));
    CHECK(reopened.last_seq() == last + 1);
}

TEST_CASE("event store: changes_after waits for a write, and gives up after its wait") {
    TempDir dir;
    SqliteEventStore store(settings_in(dir));
    auto from = store.last_seq();
    auto started = std::chrono::steady_clock::now();
    CHECK(store.changes_after(from, 10, std::chrono::milliseconds(50)).empty());
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(50));
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        write_one(store, object_event("late", "c", now_ms()));
    });
    auto changes = store.changes_after(from, 10, std::chrono::seconds(30));
    writer.join();
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].event.id == "late");
}

TEST_CASE("event store: retention removes the oldest beyond max_events and those past their days") {
    TempDir dir;
    {
        SqliteEventStore store(settings_in(dir, 10, 0));
        std::vector<EventWrite> writes;
        for (int i = 0; i < 25; ++i)
            writes.push_back({object_event("e" + std::to_string(i), "c", now_ms() + i), nullptr});
        store.write(writes);
        store.apply_retention(now_ms());
        CHECK(store.figures().events_held == 10);
        CHECK_FALSE(store.get("e14"));
        CHECK(store.get("e15"));
        EventQuery all;
        all.limit = 100;
        CHECK(store.find(all).events.size() == 10);
    }
    SqliteEventStore by_age(settings_in(dir, 0, 2));
    write_one(by_age, object_event("old", "c", now_ms() - 3 * 86'400'000));
    CHECK(by_age.apply_retention(now_ms()) == 1);
    CHECK_FALSE(by_age.get("old"));
    CHECK(by_age.get("e20"));
}

TEST_CASE(
    "event store: a change outlives its event's retention until its consumer takes it, and seq "
    "counts on after old changes are trimmed and the store reopened") {
    TempDir dir;
    std::uint64_t last = 0;
    {
        SqliteEventStore store(settings_in(dir, 2, 0));
        CHECK(store.cursor("mqtt") == 0);
        std::vector<EventWrite> writes;
        for (int i = 0; i < 5; ++i)
            writes.push_back({object_event("e" + std::to_string(i), "c", now_ms() + i), nullptr});
        store.write(writes);
        CHECK(store.figures().events_held == 2);  // the write applied retention
        CHECK_FALSE(store.get("e0"));
        // The consumer behind still gets the change of an event retention removed.
        auto changes = store.changes_after(store.cursor("mqtt"), 10, std::chrono::milliseconds(0));
        REQUIRE(changes.size() == 5);
        CHECK(changes[0].event.id == "e0");
        store.acknowledge("mqtt", changes.back().seq);
        // Taken by every consumer and old enough (an hour from now): trimmed, the newest kept.
        store.apply_retention(now_ms() + 3'600'000);
        CHECK(store.changes_after(0, 10, std::chrono::milliseconds(0)).size() == 1);
        last = store.last_seq();
    }
    SqliteEventStore reopened(settings_in(dir, 2, 0));
    CHECK(reopened.last_seq() == last);
    write_one(reopened, object_event("e5", "c", now_ms()));
    auto newest = reopened.changes_after(last, 10, std::chrono::milliseconds(0));
    REQUIRE(newest.size() == 1);
    CHECK(newest[0].seq == last + 1);
    CHECK(newest[0].event.id == "e5");
}

TEST_CASE(
    "event store: a file that is not SQLite, or a folder that is missing, is refused by name") {
    TempDir dir;
    auto text = dir.write("notes.db", std::string(4096, 'x'));
    EventsSettings s;
    s.path = text.string();
    try {
        SqliteEventStore store(s);
        FAIL("a text file was taken as an event store");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find(text.string()) != std::string::npos);
    }
    s.path = (dir / "missing" / "events.db").string();
    CHECK_THROWS_AS(SqliteEventStore{s}, std::runtime_error);
}
