// The host's own page and the endpoints behind it, on configs/people-counting.yaml as shipped:
// /cameras, /cameras/{id}/snapshot.jpg (decoded by djpeg), and GET / in headless Chromium.
#include <doctest/doctest.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "tests/support/browser.hpp"
#include "tests/support/cameras.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/running_host.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The shipped people-counting config on the pedestrian clip played as a live camera, looping,
// four frames a second (the tests run under the sanitizers too).
struct PeopleCounting {
    TempDir dir;
    RunningHost host;
    explicit PeopleCounting(const std::string& api_token = "")
        // The test adds a camera from a file over HTTP: camera_api lets it.
        : host(read_file(kSourceDir + "/configs/people-counting.yaml") +
                   "\ncamera_api: { protocols: [file] }\n",
               {},
               {{"VIDEO_REALTIME", "true"},
                {"VIDEO_LOOP", "true"},
                {"VIDEO_MAX_FPS", "4"},
                {"RESULTS_PATH", (dir / "people.jsonl").string()},
                {"SNAPSHOT_DIR", (dir / "snapshots").string()},
                {"EVENTS_PATH", (dir / "events.db").string()},
                {"API_TOKEN", api_token}}) {}

    // The camera's entry in /cameras once it has a picture.
    json camera_with_picture(const std::string& id) {
        HttpClient http;
        json found;
        eventually(
            [&] {
                auto report = json::parse(http.get(host.url("/cameras")).body);
                for (const auto& c : report["cameras"])
                    if (c["id"] == id && !c["preview"].is_null()) found = c;
                return !found.is_null();
            },
            120s);
        return found;
    }
};

std::string attribute(const std::string& dom, const std::string& pattern) {
    std::smatch m;
    return std::regex_search(dom, m, std::regex(pattern)) ? m[1].str() : "";
}

}  // namespace

TEST_CASE(
    "/cameras lists each camera with its state, figures and latest picture, its snapshot "
    "decodes to the frame's size") {
    PeopleCounting app;
    auto street = app.camera_with_picture("street");
    REQUIRE_MESSAGE(!street.is_null(), app.host.process().err());
    CHECK(street["source"] == "video_source");
    CHECK(street["state"] == "streaming");
    CHECK(street["frames_out"].get<int>() > 0);
    CHECK(street["preview"]["snapshot"] == "/cameras/street/snapshot.jpg");
    CHECK(street["preview"]["width"] == 768);
    CHECK(street["preview"]["published_by"] == "annotated_snapshot");

    HttpClient http;
    auto picture = http.get(app.host.url("/cameras/street/snapshot.jpg"));
    REQUIRE(picture.status == 200);
    CHECK(picture.headers["content-type"] == "image/jpeg");
    CHECK(picture.headers["cache-control"] == "no-store");
    CHECK(picture.headers["x-frame-id"].rfind("street-", 0) == 0);
    auto jpeg = app.dir.write("snapshot.jpg", picture.body);
    auto decoded = run_program("/usr/bin/djpeg", {"-pnm", jpeg.string()});
    REQUIRE(decoded.exit_code == 0);
    CHECK(decoded.out.rfind("P6\n768 576\n255\n", 0) == 0);

    // The picture follows the camera.
    eventually(
        [&] {
            return http.get(app.host.url("/cameras/street/snapshot.jpg")).headers["x-frame-id"] !=
                   picture.headers["x-frame-id"];
        },
        60s);
    CHECK(http.get(app.host.url("/cameras/street/snapshot.jpg")).headers["x-frame-id"] !=
          picture.headers["x-frame-id"]);

    auto unknown = http.get(app.host.url("/cameras/no-such-camera/snapshot.jpg"));
    CHECK(unknown.status == 404);
    CHECK(json::parse(unknown.body)["detail"] == "no camera 'no-such-camera'");
    auto posted = http.post(app.host.url("/cameras/street/snapshot.jpg"), "");
    CHECK(posted.status == 405);
    CHECK(posted.headers["allow"] == "GET");
}

TEST_CASE("snapshot.jpg of a camera with no picture yet is 503, naming what publishes them") {
    TempDir dir;
    RunningHost host(R"(
source: { plugin: video_source, params: { url: ")" +
                     kPedestrianClip.string() +
                     R"(", camera_id: door, realtime: true, loop: true } }
processors: [ { plugin: identity } ]
)");
    HttpClient http;
    json door;
    eventually(
        [&] {
            auto cameras = json::parse(http.get(host.url("/cameras")).body)["cameras"];
            if (!cameras.empty()) door = cameras[0];
            return !door.is_null() && door["state"] == "streaming";
        },
        30s);
    REQUIRE(!door.is_null());
    CHECK(door["id"] == "door");
    CHECK(door["preview"].is_null());
    auto r = http.get(host.url("/cameras/door/snapshot.jpg"));
    CHECK(r.status == 503);
    CHECK(json::parse(r.body)["detail"].get<std::string>().find("annotated_snapshot") !=
          std::string::npos);
}

TEST_CASE(
    "the live page in headless Chromium: no errors, the camera's card with a decoded "
    "picture, its frame counter rising, and the cards of cameras added and removed") {
    PeopleCounting app;
    REQUIRE(!app.camera_with_picture("street").is_null());
    Browser browser;
    auto first = browser.dump_dom(app.host.url("/"));
    INFO(first.console);
    CHECK(first.console.empty());
    CHECK(attribute(first.dom, R"(id="page-errors">([^<]*)<)").empty());
    CHECK(first.dom.find(R"(data-camera="street")") != std::string::npos);
    CHECK(std::stoi("0" + attribute(first.dom, R"(data-natural-width="(\d+)\")")) == 768);
    CHECK(attribute(first.dom, R"(id="status" class="badge (\w+))") == "healthy");
    CHECK(first.dom.find(R"(data-plugin="hog_person_detector")") != std::string::npos);
    int before = std::stoi("0" + attribute(first.dom, R"(class="frames-out">(\d+)<)"));
    CHECK(before > 0);

    std::this_thread::sleep_for(2s);
    auto second = browser.dump_dom(app.host.url("/"));
    CHECK(std::stoi("0" + attribute(second.dom, R"(class="frames-out">(\d+)<)")) > before);

    // A camera added over HTTP gets its card; removed, it loses it.
    HttpClient http;
    auto added = http.post(app.host.url("/cameras"), R"({"id": "door", "url": ")" +
                                                         kPedestrianClip.string() +
                                                         R"(", "realtime": true, "max_fps": 2})");
    REQUIRE_MESSAGE(added.status == 201, added.body);
    REQUIRE(!app.camera_with_picture("door").is_null());
    auto with_door = browser.dump_dom(app.host.url("/"));
    CHECK(with_door.dom.find(R"(data-camera="door")") != std::string::npos);
    CHECK(with_door.dom.find(R"(data-camera="street")") != std::string::npos);
    std::filesystem::create_directories(kArtifactDir);
    browser.screenshot(app.host.url("/"),
                       std::filesystem::path(kArtifactDir) / "live-page-two-cameras.png", 1280,
                       1000, 7000);
    REQUIRE(http.request("DELETE", app.host.url("/cameras/door")).status == 200);
    auto without_door = browser.dump_dom(app.host.url("/"));
    CHECK(without_door.dom.find(R"(data-camera="door")") == std::string::npos);
    CHECK(without_door.dom.find(R"(data-camera="street")") != std::string::npos);
    CHECK(without_door.console.empty());

    auto png = std::filesystem::path(kArtifactDir) / "live-page.png";
    browser.screenshot(app.host.url("/"), png, 1280, 1000, 7000);
    CHECK(std::filesystem::file_size(png) > 10'000);
    // A phone's screen: one column of cards (kept for a person to look at).
    auto phone = std::filesystem::path(kArtifactDir) / "live-page-phone.png";
    browser.screenshot(app.host.url("/"), phone, 390, 844, 7000);
    CHECK(std::filesystem::file_size(phone) > 10'000);
}

TEST_CASE(
    "the live page in headless Chromium draws each camera's zones and line over its picture, "
    "shows the counts, charts the host's own history and lists events with their snapshots") {
    PeopleCounting app;
    REQUIRE(!app.camera_with_picture("street").is_null());
    HttpClient http;
    // Some window of the history saw frames finish (one 2-s window of a loaded machine may see
    // none, so not necessarily the last).
    auto some_frames = [](const json& history) {
        for (const auto& point : history["points"])
            if (point["frames_per_s"].get<double>() > 0) return true;
        return false;
    };
    // Events have been stored and the host has sampled its figures a few times.
    REQUIRE(eventually(
        [&] {
            auto events = json::parse(http.get(app.host.url("/events?limit=1")).body)["events"];
            auto history = json::parse(http.get(app.host.url("/metrics/history")).body);
            return !events.empty() && events[0]["has_snapshot"] == true &&
                   history["points"].size() >= 2 && some_frames(history);
        },
        120s));
    auto history = json::parse(http.get(app.host.url("/metrics/history")).body);
    CHECK(history["interval_s"] == 2.0);
    CHECK(history["points"][0].contains("frames_per_s"));
    CHECK(history["points"][0].contains("latency_p99_ms"));

    Browser browser;
    auto page = browser.dump_dom(app.host.url("/"), 8000);
    INFO(page.console);
    CHECK(page.console.empty());
    CHECK(attribute(page.dom, R"(id="page-errors">([^<]*)<)").empty());
    // The pavement zone and the walkway line, drawn over the picture.
    CHECK(attribute(page.dom, R"re(class="overlay"[^>]*data-drawn="(\d+)")re") == "2");
    CHECK(std::regex_search(page.dom, std::regex(R"(data-line="walkway">\d+ in, \d+ out<)")));
    CHECK(page.dom.find(R"(data-zone="pavement")") != std::string::npos);
    // Events, each with its snapshot (fetched as a blob: the same code works under a token).
    CHECK(page.dom.find(R"(<tr data-event=")") != std::string::npos);
    CHECK(std::regex_search(page.dom, std::regex(R"(<img src="blob:[^"]+" alt="snapshot of )")));
    std::filesystem::create_directories(kArtifactDir);
    browser.screenshot(app.host.url("/"),
                       std::filesystem::path(kArtifactDir) / "live-page-events.png", 1280, 1400,
                       8000);
}

TEST_CASE(
    "the live page under an API token: without it, it asks for it and shows no event, opened "
    "from a /#token= link, it shows the zones, the counts and the events with their snapshots") {
    const std::string token = "page-token-7f3a";
    PeopleCounting app(token);
    REQUIRE(!app.camera_with_picture("street").is_null());
    HttpClient http;
    CHECK(http.get(app.host.url("/events")).status == 401);
    REQUIRE(eventually(
        [&] {
            auto r = http.get(app.host.url("/events?limit=1"), {"Authorization: Bearer " + token});
            return r.status == 200 && !json::parse(r.body)["events"].empty();
        },
        120s));

    Browser browser;
    auto asked = browser.dump_dom(app.host.url("/"), 6000);
    CHECK(asked.dom.find(R"(<form id="token-form" hidden)") == std::string::npos);
    CHECK(asked.dom.find(R"(<tr data-event=")") == std::string::npos);
    CHECK(attribute(asked.dom, R"(id="status" class="badge (\w+))") == "healthy");

    auto shown = browser.dump_dom(app.host.url("/#token=" + token), 8000);
    INFO(shown.console);
    CHECK(shown.console.empty());
    CHECK(attribute(shown.dom, R"(id="page-errors">([^<]*)<)").empty());
    CHECK(shown.dom.find(R"(<form id="token-form" hidden)") != std::string::npos);
    CHECK(attribute(shown.dom, R"re(class="overlay"[^>]*data-drawn="(\d+)")re") == "2");
    CHECK(std::regex_search(shown.dom, std::regex(R"(data-line="walkway">\d+ in, \d+ out<)")));
    CHECK(shown.dom.find(R"(<tr data-event=")") != std::string::npos);
    CHECK(std::regex_search(shown.dom, std::regex(R"(<img src="blob:[^"]+" alt="snapshot of )")));
}
