// mqtt_sink against a real mosquitto broker, read by mosquitto_sub: events, retained states,
// Home Assistant discovery and availability; the broker killed mid-run and the host stopped
// while it is away, then both back: every event stored is published, in order. A broker that is
// not there leaves the host running, /health degraded with the reason, and its password
// nowhere. Over TLS (a certificate made by openssl, a mosquitto listener with a password file):
// events arrive; a wrong password and an untrusted certificate are each named in /health.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <set>
#include <sstream>

#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
// A person walks across each 320x240 frame in 20 frames (fixture_processor's walker), through
// the zone "middle" and over the line "gate"; 50 frames a second.
std::string walker_config(const std::string& broker, const std::filesystem::path& store) {
    return "pipeline: { progress_interval_s: 0 }\n"
           "source: { plugin: synthetic_source, params: { rate_fps: 50, width: 320, height: "
           "240 } }\n"
           "processors:\n"
           "  - { plugin: fixture_processor, params: { mode: walker } }\n"
           "  - plugin: zones\n"
           "    params:\n"
           "      zones: [{name: middle, points: [[0.25, 0], [0.75, 0], [0.75, 1], [0.25, 1]]}]\n"
           "      lines: [{name: gate, points: [[0.5, 0], [0.5, 1]], in: [1, 0.5]}]\n"
           "  - { plugin: events, params: { min_frames: 1, track_lost_frames: 2, snapshots: "
           "false } }\n"
           "sinks: [ { plugin: mqtt_sink, params: { url: '" +
           broker + "', topic_prefix: test, backoff_ms: 100, max_backoff_ms: 500 } } ]\n" +
           "events: { path: '" + store.string() + "' }\n";
}

const std::vector<std::string> kFixtures = {"--plugin-path", kFixturePluginDir};

struct Published {
    std::string topic;
    std::string payload;
};

std::vector<Published> lines_of(const std::string& out) {
    std::vector<Published> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        auto space = line.find(' ');
        if (space != std::string::npos)
            lines.push_back({line.substr(0, space), line.substr(space + 1)});
    }
    return lines;
}

std::vector<json> events_in(const std::string& out) {
    std::vector<json> events;
    for (const auto& p : lines_of(out))
        if (p.topic == "test/events") events.push_back(json::parse(p.payload));
    return events;
}

std::unique_ptr<ChildProcess> subscribe(const MqttBroker& broker) {
    auto sub = std::make_unique<ChildProcess>(
        "/usr/bin/mosquitto_sub",
        std::vector<std::string>{"-p", std::to_string(broker.port()), "-q", "1", "-v", "-t",
                                 "test/#", "-t", "homeassistant/#"});
    std::this_thread::sleep_for(300ms);  // subscribed before anything is published
    return sub;
}

// /health once mqtt_sink reports an error (it cannot connect), within 20 s.
json health_once_the_sink_fails(const RunningHost& host) {
    HttpClient client;
    json health;
    REQUIRE(eventually(
        [&] {
            health = json::parse(client.get(host.url("/health")).body);
            return health["details"]["plugins"]["mqtt_sink"].contains("error");
        },
        20s));
    return health;
}

std::string sql(const std::filesystem::path& db, const std::string& query) {
    auto r = run_program("/usr/bin/sqlite3", {db.string(), query});
    REQUIRE(r.exit_code == 0);
    return r.out;
}
}  // namespace

TEST_CASE(
    "mqtt_sink: events, retained states and discovery reach mosquitto_sub, none lost when "
    "the broker and the host go away") {
    TempDir dir;
    auto store = dir / "events.db";
    MqttBroker broker;
    auto first_sub = subscribe(broker);
    std::uint64_t stored_before_outage = 0;
    {
        RunningHost host(walker_config(broker.url(), store), kFixtures);
        REQUIRE(eventually([&] { return events_in(first_sub->out()).size() >= 12; }, 30s));
        auto published = lines_of(first_sub->out());
        std::map<std::string, std::string> last;
        for (const auto& p : published) last[p.topic] = p.payload;
        CHECK(last["test/available"] == "online");
        auto occupancy = last.find("test/camera_01/zones/middle/person");
        REQUIRE(occupancy != last.end());
        auto discovery =
            json::parse(last["homeassistant/sensor/framehost/camera_01_middle_person/config"]);
        CHECK(discovery["state_topic"] == "test/camera_01/zones/middle/person");
        CHECK(discovery["availability_topic"] == "test/available");
        CHECK(last.count("homeassistant/binary_sensor/framehost/camera_01_person_detected/config"));
        CHECK(last.count("test/camera_01/lines/gate/in"));
        auto e = events_in(first_sub->out()).front();
        for (const char* key : {"id", "type", "camera_id", "label", "track_id", "start_time",
                                "end_time", "zones", "score", "bbox", "change"})
            CHECK_MESSAGE(e.contains(key), key);

        // The broker goes; events go on being stored; the host is stopped meanwhile.
        broker.kill();
        std::this_thread::sleep_for(1500ms);
        host.process().signal(SIGTERM);
        CHECK(host.process().wait(20s) == 0);
        stored_before_outage = std::stoull(sql(store, "select max(seq) from changes"));
    }
    // A retained state outlives the connection: a new subscriber is told it at once.
    broker.restart();
    auto second_sub = subscribe(broker);
    RunningHost again(walker_config(broker.url(), store), kFixtures);
    REQUIRE(eventually(
        [&] {
            auto acknowledged = sql(store, "select seq from consumers where name = 'mqtt_sink'");
            return !acknowledged.empty() && std::stoull(acknowledged) >= stored_before_outage;
        },
        30s));
    auto acknowledged =
        std::stoull(sql(store, "select seq from consumers where name = 'mqtt_sink'"));

    // Every change the broker acknowledged was received by a subscriber, and each event's
    // changes came in order (new before update before end) within each subscriber's stream. At
    // least once: a change in flight when the broker died comes again (mosquitto_sub reconnects
    // to the restarted broker too), so an end may repeat, but nothing else follows it.
    std::set<std::pair<std::string, std::string>> received;
    for (const auto* sub : {first_sub.get(), second_sub.get()}) {
        std::map<std::string, std::string> last_change;
        for (const auto& e : events_in(sub->out())) {
            auto id = e["id"].get<std::string>();
            auto change = e["change"].get<std::string>();
            received.insert({id, change});
            auto before = last_change.find(id);
            if (before != last_change.end() && before->second == "end")
                CHECK_MESSAGE(change == "end", id, " after its end: ", e.dump());
            last_change[id] = change;
        }
    }
    std::istringstream rows(sql(store, "select event_id || ' ' || kind from changes where seq <= " +
                                           std::to_string(acknowledged) + " order by seq"));
    std::size_t expected = 0;
    for (std::string row; std::getline(rows, row); ++expected) {
        auto space = row.find(' ');
        CHECK_MESSAGE(received.count({row.substr(0, space), row.substr(space + 1)}), row);
    }
    CHECK(expected >= stored_before_outage);
}

TEST_CASE(
    "mqtt_sink: no broker at start: the host runs, /health says why, the password stays "
    "hidden") {
    TempDir dir;
    auto nobody = free_port();
    auto url = "mqtt://watcher:s3cret-pw@127.0.0.1:" + std::to_string(nobody);
    RunningHost host(walker_config(url, dir / "events.db"), kFixtures);
    HttpClient client;
    auto health = health_once_the_sink_fails(host);
    CHECK(health["status"] == "degraded");
    CHECK(health["details"]["plugins"]["mqtt_sink"]["connected"] == false);
    CHECK(health.dump().find("cannot connect") != std::string::npos);
    for (const char* path : {"/health", "/plugins", "/metrics"})
        CHECK_MESSAGE(client.get(host.url(path)).body.find("s3cret-pw") == std::string::npos, path);
    CHECK(host.process().err().find("s3cret-pw") == std::string::npos);
    CHECK(host.process().running());
}

TEST_CASE("mqtt_sink: a url that is not a broker's is refused at its position") {
    TempDir dir;
    auto config = dir.write("bad.yaml",
                            "source: { plugin: synthetic_source }\n"
                            "sinks:\n"
                            "  - plugin: mqtt_sink\n"
                            "    params: { url: 'http://broker:1883' }\n");
    auto r = run_program(kFramehostBinary, {"--config", config.string()});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("bad.yaml:4:20") != std::string::npos);
    CHECK(r.err.find("mqtt://") != std::string::npos);
}

namespace {
// A certificate for 127.0.0.1, its own CA, made by openssl in `dir`: cert.pem and key.pem.
void make_loopback_certificate(const TempDir& dir) {
    auto r = run_program("/usr/bin/openssl",
                         {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                          "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                          (dir / "key.pem").string(), "-out", (dir / "cert.pem").string()});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}
}  // namespace

TEST_CASE(
    "mqtt_sink over mqtts:// with a user and password: events arrive, a wrong password and an "
    "unknown CA are each told in /health, the password never shown") {
    TempDir dir;
    make_loopback_certificate(dir);
    auto passwords = dir / "passwords";
    auto made = run_program("/usr/bin/mosquitto_passwd",
                            {"-b", "-c", passwords.string(), "watcher", "s3cret-pw"});
    REQUIRE_MESSAGE(made.exit_code == 0, made.err);
    MqttBroker broker("certfile " + (dir / "cert.pem").string() + "\nkeyfile " +
                      (dir / "key.pem").string() + "\nallow_anonymous false\npassword_file " +
                      passwords.string());
    auto sub = std::make_unique<ChildProcess>(
        "/usr/bin/mosquitto_sub",
        std::vector<std::string>{"-h", "127.0.0.1", "-p", std::to_string(broker.port()), "--cafile",
                                 (dir / "cert.pem").string(), "-u", "watcher", "-P", "s3cret-pw",
                                 "-q", "1", "-v", "-t", "test/#"});
    std::this_thread::sleep_for(300ms);
    auto tls_url = [&](const std::string& password) {
        return "mqtts://watcher:" + password + "@127.0.0.1:" + std::to_string(broker.port());
    };
    auto with_ca = [&](std::string config) {
        auto at = config.find("topic_prefix: test");
        return config.insert(at, "ca_file: '" + (dir / "cert.pem").string() + "', ");
    };
    HttpClient client;
    {
        RunningHost host(with_ca(walker_config(tls_url("s3cret-pw"), dir / "a.db")), kFixtures);
        REQUIRE(eventually([&] { return events_in(sub->out()).size() >= 4; }, 30s));
        auto health = json::parse(client.get(host.url("/health")).body);
        CHECK(health["details"]["plugins"]["mqtt_sink"]["connected"] == true);
        CHECK(health["details"]["plugins"]["mqtt_sink"]["tls"] == true);
        auto e = events_in(sub->out()).front();
        CHECK(e["camera_id"] == "camera_01");
        CHECK(e["label"] == "person");
    }
    struct Refusal {
        std::string what, config, reason;
    };
    for (const auto& refusal :
         {Refusal{"a wrong password", with_ca(walker_config(tls_url("wrong-pw"), dir / "b.db")),
                  "not authori"},
          Refusal{"a CA the host does not trust", walker_config(tls_url("s3cret-pw"), dir / "c.db"),
                  "certificate"}}) {
        CAPTURE(refusal.what);
        RunningHost host(refusal.config, kFixtures);
        auto health = health_once_the_sink_fails(host);
        CHECK(health["status"] == "degraded");
        auto error = health["details"]["plugins"]["mqtt_sink"]["error"].get<std::string>();
        CHECK_MESSAGE(error.find(refusal.reason) != std::string::npos, error);
        // Neither password, whole: "-pw" alone also starts one event id in 1,296.
        for (const char* password : {"s3cret-pw", "wrong-pw"}) {
            for (const char* path : {"/health", "/plugins", "/metrics"})
                CHECK_MESSAGE(client.get(host.url(path)).body.find(password) == std::string::npos,
                              path);
            CHECK(host.process().err().find(password) == std::string::npos);
        }
        CHECK(host.process().running());
    }
}
