// The PostgreSQL event store against a real server started by the test (Debian's postgresql):
// the SQLite store's semantics (new, update, end; filters and pages; cursors; retention), plus
// what sharing adds: two hosts writing into one database see each other's events, and each
// delivers only the changes it wrote, under its own name.
#include <doctest/doctest.h>

#include "core/events/postgres.hpp"
#include "core/events/postgres_event_store.hpp"
#include "tests/core/events/store_checks.hpp"
#include "tests/support/process.hpp"
#include "tests/support/services.hpp"

using namespace framehost;
using namespace framehost::core;
using namespace framehost::test;

namespace {
// One server for the file; each test its own database.
PostgresServer& server() {
    static PostgresServer instance;
    return instance;
}

EventsSettings fresh_database(const std::string& writer, std::size_t max_events = 0) {
    static int made = 0;
    auto name = "events_" + std::to_string(++made);
    postgres::Connection(server().url()).execute("CREATE DATABASE " + name);
    EventsSettings s;
    s.url = server().url(name);
    s.writer = writer;
    s.max_events = max_events;
    s.retention_days = 0;
    return s;
}

EventsSettings same_database(EventsSettings s, const std::string& writer) {
    s.writer = writer;
    return s;
}
}  // namespace

TEST_CASE(
    "postgres event store: a first write is new, later ones update, the end ends, the "
    "snapshot and the clip stay") {
    PostgresEventStore store(fresh_database("a"));
    check_lifecycle(store);
}

TEST_CASE(
    "postgres event store: queries filter by camera, label, zone, type and time, and page "
    "by cursor") {
    PostgresEventStore store(fresh_database("a"));
    check_queries(store);
}

TEST_CASE(
    "postgres event store: two hosts share the events, each delivers only what it wrote, "
    "and a host reopened under its name goes on where it stopped") {
    auto settings = fresh_database("host-a");
    std::uint64_t a_acknowledged = 0;
    {
        PostgresEventStore a(settings);
        PostgresEventStore b(same_database(settings, "host-b"));
        auto a_from = a.cursor("webhook");
        auto b_from = b.cursor("webhook");
        for (int i = 0; i < 4; ++i) {
            write_one(a, object_event("a" + std::to_string(i), "door", wall_clock_ms()));
            write_one(b, object_event("b" + std::to_string(i), "yard", wall_clock_ms()));
        }
        // Both answer for all.
        EventQuery all;
        all.limit = 100;
        CHECK(a.find(all).events.size() == 8);
        CHECK(b.find(all).events.size() == 8);
        CHECK(a.get("b3"));
        // Each delivers its own.
        auto a_changes = a.changes_after(a_from, 100, std::chrono::milliseconds(0));
        auto b_changes = b.changes_after(b_from, 100, std::chrono::milliseconds(0));
        REQUIRE(a_changes.size() == 4);
        REQUIRE(b_changes.size() == 4);
        for (const auto& c : a_changes) CHECK(c.event.id[0] == 'a');
        for (const auto& c : b_changes) CHECK(c.event.id[0] == 'b');
        a.acknowledge("webhook", a_changes[1].seq);
        a_acknowledged = a_changes[1].seq;
        CHECK(a.figures().events_held == 4);  // what it counted itself: b's since are not
    }
    PostgresEventStore reopened(settings);
    CHECK(reopened.figures().events_held == 8);
    CHECK(reopened.cursor("webhook") == a_acknowledged);
    auto rest = reopened.changes_after(a_acknowledged, 100, std::chrono::milliseconds(0));
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].event.id == "a2");
    CHECK(rest[1].event.id == "a3");
}

TEST_CASE(
    "postgres event store: retention removes the oldest beyond max_events and those past "
    "their days") {
    auto settings = fresh_database("a", 10);
    PostgresEventStore store(settings);
    std::vector<EventWrite> writes;
    for (int i = 0; i < 25; ++i)
        writes.push_back(
            {object_event("e" + std::to_string(i), "c", wall_clock_ms() + i), nullptr});
    store.write(writes);
    CHECK(store.figures().events_held == 10);  // the write applied retention
    CHECK_FALSE(store.get("e14"));
    CHECK(store.get("e15"));
    settings.max_events = 0;
    settings.retention_days = 2;
    PostgresEventStore by_age(settings);
    write_one(by_age, object_event("old", "c", wall_clock_ms() - 3 * 86'400'000));
    CHECK(by_age.apply_retention(wall_clock_ms()) == 1);
    CHECK_FALSE(by_age.get("old"));
    CHECK(by_age.get("e20"));
}

TEST_CASE(
    "postgres event store: a server that is not there is waited for, then refused, naming it "
    "without the password") {
    EventsSettings s;
    s.url = "postgresql://framehost:s3cret@127.0.0.1:" + std::to_string(free_port()) + "/none";
    s.writer = "a";
    // It waits connect_wait_s for a server still starting, then gives up.
    s.connect_wait = std::chrono::seconds(1);
    auto started = std::chrono::steady_clock::now();
    try {
        PostgresEventStore store(s);
        FAIL("a closed port was taken as an event store");
    } catch (const std::runtime_error& e) {
        std::string message = e.what();
        CHECK(message.find("postgresql://framehost@127.0.0.1:") != std::string::npos);
        CHECK(message.find("cannot connect") != std::string::npos);
        CHECK(message.find("s3cret") == std::string::npos);
    }
    auto waited = std::chrono::steady_clock::now() - started;
    CHECK(waited >= std::chrono::milliseconds(700));
    CHECK(waited < std::chrono::seconds(10));
    // A server that answers and refuses is not waited for.
    s.url = server().url("no_such_database");
    s.connect_wait = std::chrono::seconds(30);
    started = std::chrono::steady_clock::now();
    try {
        PostgresEventStore store(s);
        FAIL("a missing database was taken as an event store");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("no_such_database") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
    CHECK(postgres::without_password("postgresql://u:p@h:5/d?password=x&sslmode=require") ==
          "postgresql://u@h:5/d");
    CHECK(postgres::without_password("postgresql:///d") == "postgresql:///d");
}
