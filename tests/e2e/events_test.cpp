// Events end to end through the real binary on Debian's pedestrian clip (configs/people-counting
// .yaml as shipped): events stored in the SQLite file and served by /events (filters, pages,
// snapshots, the SSE stream), /zones with the counting line's totals, all under the token; then
// SIGKILL: every event the log called stored is there when a host opens the file again.
#include <doctest/doctest.h>

#include <csignal>
#include <future>
#include <regex>
#include <set>

#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/running_host.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
const std::string kToken = "events-test-token";
const std::vector<std::string> kAuth = {"Authorization: Bearer " + kToken};

std::map<std::string, std::string> environment(const TempDir& dir) {
    return {{"EVENTS_PATH", (dir / "events.db").string()},
            {"RESULTS_PATH", (dir / "people.jsonl").string()},
            {"SNAPSHOT_DIR", (dir / "snapshots").string()},
            {"API_TOKEN", kToken},
            {"VIDEO_LOOP", "true"},
            {"VIDEO_MAX_FPS", "4"}};
}

// The ids the host's log says it stored.
std::set<std::string> stored_in_log(const std::string& log) {
    std::set<std::string> ids;
    static const std::regex line("stored event ([0-9.]+-[0-9a-z]{6}) ");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
         ++it)
        ids.insert((*it)[1]);
    return ids;
}
}  // namespace

TEST_CASE("events: the people-counting config stores events that /events, /zones and SSE serve") {
    TempDir dir;
    auto config = read_file(kSourceDir + "/configs/people-counting.yaml");
    RunningHost host(config, {}, environment(dir));
    HttpClient client;

    // The SSE stream, read by curl while people walk.
    auto stream = std::async(std::launch::async, [&] {
        return run_program("/usr/bin/curl",
                           {"-sN", "--max-time", "25", "-H", kAuth[0], host.url("/events/stream")});
    });
    REQUIRE(eventually(
        [&] {
            // More than a page of five: the first page has a next one.
            auto r = client.get(host.url("/events?type=object&limit=6"), kAuth);
            return r.status == 200 && json::parse(r.body)["events"].size() == 6;
        },
        120s));
    // Under the token.
    CHECK(client.get(host.url("/events")).status == 401);
    CHECK(client.get(host.url("/zones")).status == 401);

    auto page = json::parse(client.get(host.url("/events?type=object&limit=5"), kAuth).body);
    auto first = page["events"][0];
    for (const char* key : {"id", "type", "camera_id", "label", "track_id", "start_time",
                            "end_time", "zones", "score", "bbox"})
        CHECK_MESSAGE(first.contains(key), key);
    CHECK(first["camera_id"] == "street");
    CHECK(first["label"] == "person");
    REQUIRE(page["next_cursor"].is_string());
    auto next = json::parse(client
                                .get(host.url("/events?type=object&limit=5&cursor=" +
                                              page["next_cursor"].get<std::string>()),
                                     kAuth)
                                .body);
    std::set<std::string> ids;
    for (const auto& e : page["events"]) ids.insert(e["id"]);
    for (const auto& e : next["events"]) CHECK(ids.insert(e["id"]).second);

    auto id = first["id"].get<std::string>();
    auto one = client.get(host.url("/events/" + id), kAuth);
    REQUIRE(one.status == 200);
    CHECK(json::parse(one.body)["id"] == id);
    auto snapshot = client.get(host.url("/events/" + id + "/snapshot.jpg"), kAuth);
    REQUIRE(snapshot.status == 200);
    CHECK(snapshot.headers["content-type"] == "image/jpeg");
    CHECK(snapshot.body.substr(0, 2) == "\xFF\xD8");
    CHECK(client.get(host.url("/events/nope"), kAuth).status == 404);
    CHECK(client.get(host.url("/events?limit=0"), kAuth).status == 422);
    CHECK(client.get(host.url("/events?after=soon"), kAuth).status == 422);
    CHECK(client.get(host.url("/events?cursor=abc"), kAuth).status == 422);
    CHECK(json::parse(client.get(host.url("/events?camera=elsewhere"), kAuth).body)["events"]
              .empty());

    // The counting line across the walkway, and the pavement zone, with their pixels.
    REQUIRE(eventually(
        [&] {
            auto zones = json::parse(client.get(host.url("/zones"), kAuth).body);
            auto line = zones["cameras"]["street"]["lines"]["walkway"];
            return line.is_object() && line["in"].get<int>() + line["out"].get<int>() >= 1;
        },
        120s));
    auto zones = json::parse(client.get(host.url("/zones"), kAuth).body);
    auto street = zones["cameras"]["street"];
    CHECK(street["zones"]["pavement"]["occupancy"].is_object());
    CHECK(street["lines"]["walkway"]["points"] == json::parse("[[384, 0], [384, 576]]"));
    // The crossing's event is stored just after the zones published their totals.
    json crossings;
    REQUIRE(eventually(
        [&] {
            crossings = json::parse(client.get(host.url("/events?type=crossing"), kAuth).body);
            return !crossings["events"].empty();
        },
        30s));
    CHECK(crossings["events"][0]["line"] == "walkway");
    auto direction = crossings["events"][0]["direction"].get<std::string>();
    CHECK((direction == "in" || direction == "out"));

    auto streamed = stream.get();
    CHECK(streamed.out.find("event: new\n") != std::string::npos);
    CHECK(streamed.out.find("data: {") != std::string::npos);
}

TEST_CASE("events: after SIGKILL every event the log called stored is in the file") {
    TempDir dir;
    auto config = read_file(kSourceDir + "/configs/people-counting.yaml");
    std::set<std::string> logged;
    {
        RunningHost host(config, {}, environment(dir));
        REQUIRE(eventually([&] { return stored_in_log(host.process().err()).size() >= 8; }, 120s));
        host.process().signal(SIGKILL);
        host.process().wait(10s);
        logged = stored_in_log(host.process().err());
    }
    REQUIRE(logged.size() >= 8);
    RunningHost reopened(config, {}, environment(dir));
    HttpClient client;
    for (const auto& id : logged)
        CHECK_MESSAGE(client.get(reopened.url("/events/" + id), kAuth).status == 200, id);
}

TEST_CASE("events: a config whose event store cannot be opened is refused, naming the file") {
    TempDir dir;
    auto text = dir.write("not-a-database.db", std::string(4096, 'x'));
    auto config = dir.write("host.yaml",
                            "source: { plugin: synthetic_source, params: { count: 1 } }\n"
                            "events: { path: '" +
                                text.string() + "' }\n");
    auto r = run_program(kFramehostBinary, {"--config", config.string(), "--set", "http.port=0"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find(text.string()) != std::string::npos);
    auto missing = dir.write("missing.yaml",
                             "source: { plugin: synthetic_source, params: { count: 1 } }\n"
                             "events: { path: '/nonexistent/folder/events.db' }\n");
    r = run_program(kFramehostBinary, {"--config", missing.string(), "--set", "http.port=0"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("missing.yaml:2:") != std::string::npos);
    auto no_store = dir.write("no-store.yaml",
                              "source: { plugin: synthetic_source, params: { count: 1 } }\n"
                              "processors: [ { plugin: events } ]\n");
    r = run_program(kFramehostBinary, {"--config", no_store.string(), "--set", "http.port=0"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("`events:` section") != std::string::npos);
}
