// The events processor on tracked boxes with known paths, writing to a real event store: an
// object event starts once its track is confirmed, takes the zones it enters and ends when the
// track is lost; crossings and dwell from the zones processor before it become events; a
// required zone holds an event back; snapshots are JPEGs of the best sighting; without a store
// the plugin refuses to start, saying how to give it one.
#include <doctest/doctest.h>

#include "core/events/sqlite_event_store.hpp"
#include "framehost/testing.hpp"
#include "tests/support/loaded_processor.hpp"
#include "tests/support/process.hpp"

using namespace framehost;
using namespace framehost::test;

namespace {
// A 40x80 person with feet at (x, y), on a grey 640x480 picture, tracked as `track`.
Frame person_at(int x, int y, int index, std::uint64_t track = 1, double score = 0.9) {
    Frame f = frame_of(cv::Mat(480, 640, CV_8UC3, cv::Scalar(90, 90, 90)));
    f.id = "cam-" + std::to_string(index);
    f.camera_id = "cam";
    f.timestamp_ms = 1'000'000 + index * 100;
    f.detections.emplace_back("person", score, Box4{x - 20, y - 80, x + 20, y}, track);
    return f;
}

Frame empty_frame(int index) {
    Frame f = person_at(0, 0, index);
    f.detections.clear();
    return f;
}

struct StoreFixture {
    TempDir dir;
    std::unique_ptr<SqliteEventStore> store;
    HostExtensions extensions;
    StoreFixture() {
        EventsSettings s;
        s.path = (dir / "events.db").string();
        store = std::make_unique<SqliteEventStore>(s);
        extensions.offer<EventStore>(store.get());
    }
    std::vector<EventChange> changes() {
        return store->changes_after(0, 1000, std::chrono::milliseconds(0));
    }
};

const char* kZonesAndLine =
    "{zones: [{name: door, points: [[100, 100], [300, 100], [300, 300], [100, 300]], "
    "min_frames: 1, dwell_s: 0.5}], "
    "lines: [{name: walkway, points: [[320, 0], [320, 480]], in: [600, 240]}]}";
}  // namespace

TEST_CASE("events: an object event starts after min_frames, gains its zones, ends when lost") {
    StoreFixture fx;
    LoadedProcessor zones("zones", kZonesAndLine);
    LoadedProcessor events("events", "{min_frames: 3, track_lost_frames: 4}", &fx.extensions);
    int i = 0;
    for (; i < 2; ++i) events.run(zones.run(person_at(40, 200, i)));
    CHECK(fx.changes().empty());  // seen twice: not confirmed yet
    auto third = events.run(zones.run(person_at(40, 200, i++)));
    auto changes = fx.changes();
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].kind == "new");
    CHECK(changes[0].event.start_frame_id == "cam-2");
    CHECK(changes[0].event.has_snapshot);
    CHECK(third.results["events"]["events"][0]["change"] == "new");
    // Into the door zone: the event takes it.
    for (; i < 6; ++i) events.run(zones.run(person_at(200, 200, i)));
    changes = fx.changes();
    REQUIRE(changes.size() >= 2);
    CHECK(changes.back().kind == "update");
    CHECK(changes.back().event.zones == std::vector<std::string>{"door"});
    // Gone for track_lost_frames frames: the event ends where it was last seen.
    for (int k = 0; k < 4; ++k) events.run(zones.run(empty_frame(i++)));
    changes = fx.changes();
    auto id = changes[0].event.id;
    CHECK(changes.back().kind == "end");
    CHECK(changes.back().event.id == id);
    CHECK(changes.back().event.end_frame_id == "cam-5");
    auto stored = fx.store->get(id);
    REQUIRE(stored);
    CHECK(*stored->end_ms == 1'000'000 + 5 * 100);
    auto jpeg = fx.store->snapshot(id);
    REQUIRE(jpeg);
    // Decoded by libjpeg's djpeg (OpenCV's imgcodecs would bring GDAL, whose own locks
    // ThreadSanitizer reports): a PPM of the frame's size.
    auto file = fx.dir.write("snapshot.jpg", std::string(jpeg->begin(), jpeg->end()));
    auto ppm = run_program("/usr/bin/djpeg", {"-pnm", file.string()});
    REQUIRE(ppm.exit_code == 0);
    const std::string header = "P6\n640 480\n255\n";
    REQUIRE(ppm.out.rfind(header, 0) == 0);
    // The box is drawn: its left edge (x 20-21, y 120-200) is not the grey of the picture.
    auto pixel = [&](int x, int y) {
        return reinterpret_cast<const unsigned char*>(ppm.out.data() + header.size() +
                                                      (static_cast<std::size_t>(y) * 640 + x) * 3);
    };
    CHECK(std::abs(pixel(21, 160)[0] - 90) > 60);   // red: the box's orange
    CHECK(std::abs(pixel(300, 400)[0] - 90) < 10);  // away from it, the picture's grey
}

TEST_CASE("events: a crossing is an event of its own with its line and direction") {
    StoreFixture fx;
    LoadedProcessor zones("zones", kZonesAndLine);
    LoadedProcessor events("events", "{min_frames: 1}", &fx.extensions);
    for (int i = 0; i < 12; ++i) events.run(zones.run(person_at(260 + i * 10, 400, i)));
    std::vector<Event> crossings;
    for (const auto& c : fx.changes())
        if (c.event.type == "crossing") crossings.push_back(c.event);
    REQUIRE(crossings.size() == 1);
    CHECK(crossings[0].line == "walkway");
    CHECK(crossings[0].direction == "in");
    CHECK(crossings[0].end_ms == crossings[0].start_ms);
    auto json = nlohmann::json(crossings[0]);
    CHECK(json["direction"] == "in");
    CHECK(json["line"] == "walkway");
}

TEST_CASE("events: staying in a zone beyond dwell_s is a dwell event that ends on leaving") {
    StoreFixture fx;
    LoadedProcessor zones("zones", kZonesAndLine);
    LoadedProcessor events("events", "{min_frames: 1}", &fx.extensions);
    int i = 0;
    for (; i < 10; ++i) events.run(zones.run(person_at(200, 200, i)));  // 1 s inside
    for (; i < 14; ++i) events.run(zones.run(person_at(200, 400, i)));  // out
    std::vector<EventChange> dwell;
    for (const auto& c : fx.changes())
        if (c.event.type == "dwell") dwell.push_back(c);
    REQUIRE(dwell.size() == 2);
    CHECK(dwell[0].kind == "new");
    CHECK(dwell[0].event.zone == "door");
    CHECK(dwell[1].kind == "end");
    CHECK(dwell[1].event.dwell_s >= 0.9);
}

TEST_CASE("events: required_zones holds an object event back until the track is inside one") {
    StoreFixture fx;
    LoadedProcessor zones("zones", kZonesAndLine);
    LoadedProcessor events("events", "{min_frames: 1, required_zones: [door]}", &fx.extensions);
    for (int i = 0; i < 5; ++i) events.run(zones.run(person_at(40, 200, i)));
    CHECK(fx.changes().empty());
    events.run(zones.run(person_at(200, 200, 5)));
    auto changes = fx.changes();
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].event.start_frame_id == "cam-5");
}

TEST_CASE("events: labels not watched and untracked detections make no event") {
    StoreFixture fx;
    LoadedProcessor events("events", "{min_frames: 1, labels: [car]}", &fx.extensions);
    for (int i = 0; i < 5; ++i) events.run(person_at(40, 200, i));
    auto untracked = person_at(40, 200, 6, 0);
    events.run(untracked);
    CHECK(fx.changes().empty());
}

TEST_CASE("events: without the host's event store the plugin refuses to start, saying why") {
    try {
        LoadedProcessor events("events", "{}");
        FAIL("events started without a store");
    } catch (const std::exception& e) {
        CHECK(std::string(e.what()).find("events:") != std::string::npos);
    }
}

TEST_CASE("events: the SDK harness lends the plugin a store through HostServices") {
    TempDir dir;
    EventsSettings s;
    s.path = (dir / "events.db").string();
    SqliteEventStore store(s);
    testing::HostServices services;
    services.offer<EventStore>(&store);
    testing::LoadedPlugin events(kBundledPluginDir + "/events.so", {{"min_frames", 1}}, services);
    auto frames = events.process({person_at(40, 200, 0)});
    CHECK_FALSE(frames[0].failed());
    CHECK(store.figures().events_written == 1);
}
