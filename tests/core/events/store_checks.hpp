#pragma once
// What every event store backend must do alike, checked on a store a test opened: a first
// write is new, later ones update, the one that sets the end ends, a snapshot stays; queries
// filter and page without skipping or repeating. tests/core/events/event_store_test.cpp runs
// them on SQLite, postgres_event_store_test.cpp on PostgreSQL.
#include <doctest/doctest.h>

#include <climits>
#include <set>

#include "core/events/event_store.hpp"

namespace framehost::test {

inline Event object_event(std::string id, std::string camera, std::int64_t start_ms,
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

inline void write_one(core::HostEventStore& store, const Event& e,
                      std::shared_ptr<const std::vector<std::uint8_t>> snapshot = nullptr) {
    EventWrite w{e, std::move(snapshot)};
    store.write(std::span(&w, 1));
}

inline void check_lifecycle(core::HostEventStore& store) {
    auto e = object_event("e1", "door", core::wall_clock_ms());
    auto after = store.last_seq();
    // A NUL and a backslash: bytes a text encoding would mangle.
    const std::vector<std::uint8_t> jpeg = {0xFF, 0xD8, 0x00, 0x5C, 0xFF};
    write_one(store, e, std::make_shared<const std::vector<std::uint8_t>>(jpeg));
    e.score = 0.95;
    e.zones = {"porch", "say \"hi\""};
    write_one(store, e);
    e.end_ms = e.start_ms + 5000;
    e.end_frame_id = "f9";
    write_one(store, e);

    auto changes = store.changes_after(after, 10, std::chrono::milliseconds(0));
    REQUIRE(changes.size() == 3);
    CHECK(changes[0].kind == "new");
    CHECK(changes[1].kind == "update");
    CHECK(changes[2].kind == "end");
    CHECK(changes[0].seq < changes[1].seq);
    CHECK(changes[1].seq < changes[2].seq);
    auto stored = store.get("e1");
    REQUIRE(stored);
    CHECK(stored->score == doctest::Approx(0.95));
    CHECK(stored->zones == e.zones);
    CHECK(*stored->end_ms == e.start_ms + 5000);
    // The snapshot given with the first write is kept by the later ones that bring none.
    CHECK(stored->has_snapshot);
    CHECK(*store.snapshot("e1") == jpeg);
    CHECK_FALSE(store.get("nope"));
    CHECK_FALSE(store.snapshot("nope"));
    auto json = nlohmann::json(*stored);
    for (const char* key : {"id", "type", "camera_id", "label", "track_id", "start_time",
                            "end_time", "zones", "score", "bbox"})
        CHECK_MESSAGE(json.contains(key), key);

    CHECK(store.attach_clip("e1", "/clips/e1.mp4"));
    CHECK_FALSE(store.attach_clip("nope", "/clips/nope.mp4"));
    CHECK(store.clip_file("e1") == "/clips/e1.mp4");
    CHECK(store.get("e1")->clip == clip_path("e1"));
    CHECK(store.get("e1")->has_snapshot);
}

inline void check_queries(core::HostEventStore& store) {
    auto base = core::wall_clock_ms();
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
    core::EventQuery query;
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

    core::EventQuery door;
    door.camera_id = "door";
    door.label = "car";
    door.limit = 1000;
    auto cars = store.find(door).events;
    CHECK(cars.size() == 21);  // odd multiples of 3 below 125
    for (const auto& e : cars) CHECK((e.camera_id == "door" && e.label == "car"));

    core::EventQuery drive;
    drive.zone = "drive";
    CHECK(store.find(drive).events.size() == 13);

    core::EventQuery window;
    window.after_ms = base + 3000;
    window.before_ms = base + 6000;
    window.limit = 1000;
    CHECK(store.find(window).events.size() == 10);  // starts at +4 s and +5 s

    core::EventQuery crossings;
    crossings.type = "crossing";
    CHECK(store.find(crossings).events.empty());

    core::EventQuery forged;
    forged.cursor = "12:x";
    CHECK_THROWS_AS(store.find(forged), std::invalid_argument);
}

}  // namespace framehost::test
