// The SQLite event store on real files: what a write makes of an event (new, update, end),
// queries with filters and pages that neither skip nor repeat, delivery cursors that survive a
// reopen, retention by count and by age, and files it must refuse.
#include <doctest/doctest.h>

#include "core/events/sqlite_event_store.hpp"
#include "tests/core/events/store_checks.hpp"
#include "tests/support/process.hpp"

using namespace framehost;
using namespace framehost::core;
using namespace framehost::test;

namespace {

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
    check_lifecycle(store);
}

TEST_CASE("event store: queries filter by camera, label, zone, type and time, and page by cursor") {
    TempDir dir;
    SqliteEventStore store(settings_in(dir));
    check_queries(store);
}

TEST_CASE("event store: a consumer's cursor and every event survive a reopen") {
    TempDir dir;
    std::uint64_t last = 0;
    {
        SqliteEventStore store(settings_in(dir));
        CHECK(store.cursor("mqtt") == 0);
        for (int i = 0; i < 5; ++i)
            write_one(store, object_event("e" + std::to_string(i), "c", wall_clock_ms()));
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
    write_one(reopened, object_event("e5", "c", wall_clock_ms()));
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
        write_one(store, object_event("late", "c", wall_clock_ms()));
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
            writes.push_back(
                {object_event("e" + std::to_string(i), "c", wall_clock_ms() + i), nullptr});
        store.write(writes);
        store.apply_retention(wall_clock_ms());
        CHECK(store.figures().events_held == 10);
        CHECK_FALSE(store.get("e14"));
        CHECK(store.get("e15"));
        EventQuery all;
        all.limit = 100;
        CHECK(store.find(all).events.size() == 10);
    }
    SqliteEventStore by_age(settings_in(dir, 0, 2));
    write_one(by_age, object_event("old", "c", wall_clock_ms() - 3 * 86'400'000));
    CHECK(by_age.apply_retention(wall_clock_ms()) == 1);
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
            writes.push_back(
                {object_event("e" + std::to_string(i), "c", wall_clock_ms() + i), nullptr});
        store.write(writes);
        CHECK(store.figures().events_held == 2);  // the write applied retention
        CHECK_FALSE(store.get("e0"));
        // The consumer behind still gets the change of an event retention removed.
        auto changes = store.changes_after(store.cursor("mqtt"), 10, std::chrono::milliseconds(0));
        REQUIRE(changes.size() == 5);
        CHECK(changes[0].event.id == "e0");
        store.acknowledge("mqtt", changes.back().seq);
        // Taken by every consumer and old enough (an hour from now): trimmed, the newest kept.
        store.apply_retention(wall_clock_ms() + 3'600'000);
        CHECK(store.changes_after(0, 10, std::chrono::milliseconds(0)).size() == 1);
        last = store.last_seq();
    }
    SqliteEventStore reopened(settings_in(dir, 2, 0));
    CHECK(reopened.last_seq() == last);
    write_one(reopened, object_event("e5", "c", wall_clock_ms()));
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
