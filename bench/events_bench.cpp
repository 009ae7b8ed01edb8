// The events figures, each beside its peer or ceiling measured in the same run:
//   store writes     SqliteEventStore::write, one event a call (the events processor's common
//                    case), beside bare SQLite inserting the same rows one a transaction, same
//                    file settings (WAL, synchronous=NORMAL): what any SQLite user gets.
//   store query      a filtered GET /events query (camera and label, a zone, an hour, a
//                    camera after a time; 50 rows) on a store holding 1,000,000 events: p99.
//   zones            the zones processor on frames of 50 tracked objects with 20 zones and 4
//                    lines, beside hog_person_detector's frame of Debian's pedestrian clip.
// Prints bench/lib.sh result rows.
//   events_bench PLUGIN_DIR CLIP [--quick]
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include <framehost/testing.hpp>

#include "core/events/sqlite_event_store.hpp"

namespace {

using namespace framehost;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

void row(const char* figure, double value, const char* unit, const char* peer, double peer_value,
         const char* target, const char* note) {
    std::printf("%s\t%.6g\t%.6g\t%.6g\t%s\t%s\t%.6g\t%s\t%s\n", figure, value, value, value, unit,
                peer, peer_value, target, note);
    std::fflush(stdout);
    std::fprintf(stderr, "  %-62s %12.4g %s\n", figure, value, unit);
}

Event make_event(std::mt19937_64& random, std::int64_t start_ms, std::uint64_t n) {
    static const char* kLabels[] = {"person", "car", "dog", "bicycle", "cat"};
    Event e;
    e.id = make_event_id(start_ms);
    e.type = n % 7 == 0 ? "crossing" : "object";
    e.camera_id = "camera_" + std::to_string(random() % 16);
    e.label = kLabels[random() % 5];
    e.track_id = n;
    e.start_ms = start_ms;
    e.end_ms = start_ms + 3000;
    e.start_frame_id = e.camera_id + "-" + std::to_string(n);
    e.zones = {"zone_" + std::to_string(random() % 8)};
    e.score = 0.5 + static_cast<double>(random() % 50) / 100;
    e.bbox = {10, 20, 110, 220};
    if (e.type == "crossing") {
        e.line = "gate";
        e.direction = n % 2 ? "in" : "out";
    }
    return e;
}

core::EventsSettings settings_in(const fs::path& dir, const char* name) {
    core::EventsSettings s;
    s.path = (dir / name).string();
    s.retention_days = 0;
    s.max_events = 0;
    return s;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Bare SQLite: the same row shape, one insert a transaction, the same pragmas.
double bare_sqlite_rate(const fs::path& file, const std::vector<Event>& events) {
    sqlite3* db = nullptr;
    sqlite3_open(file.c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                 "CREATE TABLE events(id TEXT PRIMARY KEY, camera_id TEXT, type TEXT, label TEXT,"
                 " start_ms INTEGER, end_ms INTEGER, body TEXT)",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO events VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &insert,
                       nullptr);
    auto started = Clock::now();
    for (const auto& e : events) {
        auto body = nlohmann::json(e).dump();
        sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
        sqlite3_bind_text(insert, 1, e.id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 2, e.camera_id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 3, e.type.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 4, e.label.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 5, e.start_ms);
        sqlite3_bind_int64(insert, 6, *e.end_ms);
        sqlite3_bind_text(insert, 7, body.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_step(insert);
        sqlite3_reset(insert);
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    }
    double rate = static_cast<double>(events.size()) / seconds_since(started);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return rate;
}

void store_figures(const fs::path& dir, bool quick) {
    std::mt19937_64 random(42);
    const std::size_t writes = quick ? 5'000 : 20'000;
    std::vector<Event> events;
    auto base = now_ms() - 1000;
    for (std::size_t i = 0; i < writes; ++i) events.push_back(make_event(random, base + i, i));

    double bare = bare_sqlite_rate(dir / "bare.db", events);
    double ours;
    {
        core::SqliteEventStore store(settings_in(dir, "writes.db"));
        auto started = Clock::now();
        for (const auto& e : events) {
            EventWrite w{e, nullptr};
            store.write(std::span(&w, 1));
        }
        ours = static_cast<double>(writes) / seconds_since(started);
    }
    row("event store: events written a second, one a write", ours, "events/s",
        "bare SQLite, one row a transaction", bare, ">= 10000", "WAL, synchronous=NORMAL");

    // A store of 1,000,000 events over 30 days, 16 cameras, 5 labels, 8 zones.
    const std::size_t held = quick ? 100'000 : 1'000'000;
    core::SqliteEventStore store(settings_in(dir, "held.db"));
    auto month_ago = now_ms() - 30LL * 86'400'000;
    auto filled = Clock::now();
    std::vector<EventWrite> batch;
    for (std::size_t i = 0; i < held; ++i) {
        auto start = month_ago + static_cast<std::int64_t>(i) * (30LL * 86'400'000 / held);
        batch.push_back({make_event(random, start, i), nullptr});
        if (batch.size() == 1000) {
            store.write(batch);
            batch.clear();
        }
    }
    if (!batch.empty()) store.write(batch);
    std::fprintf(stderr, "  (filled %zu events in %.1f s)\n", held, seconds_since(filled));

    std::vector<double> ms;
    const int queries = quick ? 400 : 2000;
    for (int q = 0; q < queries; ++q) {
        core::EventQuery query;
        switch (q % 4) {
            case 0:
                query.camera_id = "camera_" + std::to_string(random() % 16);
                query.label = "dog";
                break;
            case 1:
                query.zone = "zone_" + std::to_string(random() % 8);
                break;
            case 2: {
                auto at = month_ago + static_cast<std::int64_t>(random() % (29LL * 86'400'000));
                query.after_ms = at;
                query.before_ms = at + 3'600'000;
                break;
            }
            default:
                query.camera_id = "camera_" + std::to_string(random() % 16);
                query.after_ms =
                    month_ago + static_cast<std::int64_t>(random() % (29LL * 86'400'000));
        }
        auto started = Clock::now();
        auto page = store.find(query);
        ms.push_back(seconds_since(started) * 1000);
        if (page.events.empty() && q % 4 != 2) {
            std::fprintf(stderr, "events_bench: a query found nothing\n");
            std::exit(1);
        }
    }
    std::sort(ms.begin(), ms.end());
    double p99 = ms[static_cast<std::size_t>(static_cast<double>(ms.size()) * 0.99)];
    char figure[128];
    std::snprintf(figure, sizeof figure, "event store: filtered query p99, %zu events held", held);
    row(figure, p99, "ms", "ceiling", 10, "<= 10",
        "50 rows; camera+label, zone, an hour, camera+after");
}

// 20 zones on a 5x4 grid of a 640x480 frame, 4 lines.
nlohmann::json zones_params() {
    nlohmann::json zones = nlohmann::json::array(), lines = nlohmann::json::array();
    for (int z = 0; z < 20; ++z) {
        int x = (z % 5) * 128, y = (z / 5) * 120;
        zones.push_back(
            {{"name", "zone_" + std::to_string(z)},
             {"points", {{x + 4, y + 4}, {x + 124, y + 4}, {x + 124, y + 116}, {x + 4, y + 116}}},
             {"dwell_s", 5.0}});
    }
    for (int l = 0; l < 4; ++l)
        lines.push_back({{"name", "line_" + std::to_string(l)},
                         {"points", {{100 + l * 140, 0}, {100 + l * 140, 480}}},
                         {"in", {{639, 240}}}});
    return {{"zones", zones}, {"lines", lines}};
}

double zones_ms(const std::string& plugins, std::size_t frames) {
    testing::LoadedPlugin zones(plugins + "/zones.so", zones_params());
    std::mt19937_64 random(7);
    std::vector<std::array<double, 4>> walkers;  // x, y, dx, dy
    for (int t = 0; t < 50; ++t)
        walkers.push_back(
            {static_cast<double>(random() % 600), static_cast<double>(80 + random() % 380),
             static_cast<double>(random() % 7) - 3, static_cast<double>(random() % 5) - 2});
    double total = 0;
    for (std::size_t f = 0; f < frames; ++f) {
        Frame frame;
        frame.id = "cam-" + std::to_string(f);
        frame.camera_id = "cam";
        frame.width = 640;
        frame.height = 480;
        frame.timestamp_ms = static_cast<std::int64_t>(f) * 66;
        for (std::size_t t = 0; t < walkers.size(); ++t) {
            auto& w = walkers[t];
            w[0] = std::clamp(w[0] + w[2], 20.0, 620.0);
            w[1] = std::clamp(w[1] + w[3], 80.0, 479.0);
            int x = static_cast<int>(w[0]), y = static_cast<int>(w[1]);
            frame.detections.emplace_back("person", 0.9,
                                          std::array<int, 4>{x - 20, y - 80, x + 20, y}, t + 1);
        }
        auto started = Clock::now();
        auto out = zones.process({std::move(frame)});
        total += seconds_since(started);
        if (out[0].failed()) {
            std::fprintf(stderr, "events_bench: zones failed: %s\n", out[0].error().c_str());
            std::exit(1);
        }
    }
    return total * 1000 / static_cast<double>(frames);
}

double hog_ms(const std::string& plugins, const std::string& clip, std::size_t frames) {
    testing::LoadedPlugin video(plugins + "/video_source.so", {{"url", clip}});
    std::vector<Frame> decoded;
    while (decoded.size() < frames) {
        auto r = video.read(frames - decoded.size());
        for (auto& f : r.frames) decoded.push_back(std::move(f));
        if (r.status == ReadStatus::EndOfInput) break;
    }
    testing::LoadedPlugin hog(plugins + "/hog_person_detector.so");
    auto started = Clock::now();
    for (auto& f : decoded) hog.process({std::move(f)});
    return seconds_since(started) * 1000 / static_cast<double>(decoded.size());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: events_bench PLUGIN_DIR CLIP [--quick]\n");
        return 2;
    }
    std::string plugins = argv[1], clip = argv[2];
    bool quick = argc > 3 && std::string(argv[3]) == "--quick";
    auto dir = fs::temp_directory_path() / ("events_bench_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    try {
        store_figures(dir, quick);
        double zones = zones_ms(plugins, quick ? 500 : 3000);
        double hog = hog_ms(plugins, clip, quick ? 10 : 40);
        row("zones: a frame of 50 tracks, 20 zones, 4 lines", zones, "ms",
            "hog_person_detector a frame (768x576)", hog, "ratio <= 0.02", "one thread");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "events_bench: %s\n", e.what());
        fs::remove_all(dir);
        return 1;
    }
    fs::remove_all(dir);
    return 0;
}
