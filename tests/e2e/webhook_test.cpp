// webhook_sink against a real HTTP receiver that fails for a while: the host is killed
// meanwhile and started again, and once the receiver recovers every stored event change
// arrives, in order, each signed with an HMAC-SHA256 that openssl verifies.
#include <doctest/doctest.h>

#include <csignal>
#include <set>

#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
const std::string kSecret = "webhook-shared-secret";

std::string walker_config(const std::string& url, const std::filesystem::path& store) {
    return "pipeline: { progress_interval_s: 0 }\n"
           "source: { plugin: synthetic_source, params: { rate_fps: 50, width: 320, height: "
           "240 } }\n"
           "processors:\n"
           "  - { plugin: fixture_processor, params: { mode: walker } }\n"
           "  - { plugin: events, params: { min_frames: 1, track_lost_frames: 2, snapshots: "
           "false } }\n"
           "sinks: [ { plugin: webhook_sink, params: { url: '" +
           url + "', secret: '" + kSecret + "', backoff_ms: 50, max_backoff_ms: 200 } } ]\n" +
           "events: { path: '" + store.string() + "' }\n";
}

std::uint64_t number(const std::filesystem::path& db, const std::string& query) {
    auto r = run_program("/usr/bin/sqlite3", {db.string(), query});
    REQUIRE(r.exit_code == 0);
    return r.out.empty() ? 0 : std::stoull(r.out);
}

std::string openssl_hmac(const TempDir& dir, const std::string& body) {
    auto file = dir.write("body.json", body);
    auto r =
        run_program("/usr/bin/openssl", {"dgst", "-sha256", "-hmac", kSecret, "-r", file.string()});
    REQUIRE(r.exit_code == 0);
    return "sha256=" + r.out.substr(0, r.out.find(' '));
}
}  // namespace

TEST_CASE(
    "webhook_sink: a receiver that fails while the host is killed and restarted gets "
    "every event once it recovers, each signature verifying") {
    TempDir dir;
    auto store = dir / "events.db";
    ScriptedHttpServer receiver;
    receiver.answer(500, "{\"detail\": \"down\"}");
    auto url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook";
    const std::vector<std::string> fixtures = {"--plugin-path", kFixturePluginDir};
    std::uint64_t stored_when_killed = 0;
    {
        RunningHost host(walker_config(url, store), fixtures);
        REQUIRE(eventually(
            [&] {
                return receiver.requests() >= 3 &&
                       number(store, "select count(*) from changes") >= 8;
            },
            20s));
        host.process().signal(SIGKILL);
        host.process().wait(10s);
        stored_when_killed = number(store, "select max(seq) from changes");
    }
    REQUIRE(stored_when_killed >= 8);
    RunningHost again(walker_config(url, store), fixtures);
    std::this_thread::sleep_for(500ms);
    receiver.answer(200, "{}");
    REQUIRE(eventually(
        [&] {
            return number(store, "select seq from consumers where name = 'webhook_sink'") >=
                   stored_when_killed;
        },
        30s));

    // Read before the requests: every change acknowledged by then was answered 200 before.
    auto acknowledged = number(store, "select seq from consumers where name = 'webhook_sink'");
    std::set<std::uint64_t> delivered;
    std::uint64_t previous = 0;
    int verified = 0;
    for (const auto& request : receiver.received()) {
        CHECK(request.head.rfind("POST /hook HTTP/1.1", 0) == 0);
        CHECK(request.headers.at("content-type") == "application/json");
        auto signature = request.headers.at("x-framehost-signature");
        if (verified < 40) {  // openssl is a process per body: a sample of the first ones
            CHECK(signature == openssl_hmac(dir, request.body));
            ++verified;
        }
        auto body = json::parse(request.body);
        CHECK(body["id"] == request.headers.at("x-framehost-event"));
        if (request.answered != 200) continue;
        auto seq = std::stoull(request.headers.at("x-framehost-delivery"));
        CHECK(seq > previous);  // in order, each once it succeeded
        previous = seq;
        delivered.insert(seq);
    }
    CHECK(verified >= 10);
    // Every change up to the acknowledged one, the backlog of the outage among them.
    auto first = number(store, "select min(seq) from changes");
    for (auto seq = first; seq <= acknowledged; ++seq) CHECK_MESSAGE(delivered.count(seq), seq);
}

TEST_CASE("webhook_sink: its secret is never shown, and a bad url is refused at its position") {
    TempDir dir;
    ScriptedHttpServer receiver;
    RunningHost host(
        walker_config("http://127.0.0.1:" + std::to_string(receiver.port()), dir / "events.db"),
        {"--plugin-path", kFixturePluginDir});
    auto r = run_program("/usr/bin/curl", {"-s", host.url("/plugins")});
    CHECK(r.out.find("webhook_sink") != std::string::npos);
    CHECK(r.out.find(kSecret) == std::string::npos);
    CHECK(r.out.find("\"secret\":\"***\"") != std::string::npos);
    auto bad = dir.write("bad.yaml",
                         "source: { plugin: synthetic_source }\n"
                         "events: { path: '" +
                             (dir / "e.db").string() +
                             "' }\n"
                             "sinks: [ { plugin: webhook_sink, params: { url: 'ftp://x' } } ]\n");
    auto refused = run_program(kFramehostBinary, {"--config", bad.string()});
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("bad.yaml:3:") != std::string::npos);
    CHECK(refused.err.find("http://") != std::string::npos);
}
