// Other sites' pages in the user's browser against the host and the Frame Buffer on loopback, with
// the shipped defaults (no token): what core/http/browser_guard.hpp refuses, through the real
// binaries; and the attack itself in headless Chromium, a page on another port posting a camera.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/support/browser.hpp"
#include "tests/support/cameras.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* kNoCameras = R"(
camera_api: { protocols: [file] }
processors: [ { plugin: identity } ]
)";

std::string door() {
    return R"({"id": "door", "url": ")" + kPedestrianClip.string() + R"(", "max_fps": 2})";
}

bool has_camera(HttpClient& http, const RunningHost& host, const std::string& id) {
    auto report = json::parse(http.get(host.url("/cameras")).body);
    for (const auto& c : report["cameras"])
        if (c["id"] == id) return true;
    return false;
}

std::string detail(const HttpResult& r) {
    return json::parse(r.body)["detail"].get<std::string>();
}

std::string frame(const std::string& id) {
    return R"({"frame_id":")" + id + R"(","camera_id":"c","width":4,"height":4})";
}

}  // namespace

TEST_CASE(
    "the host refuses a camera posted as text/plain, from another origin or marked cross-site, "
    "and a name it does not answer to, its own origin and listed names pass") {
    RunningHost host(kNoCameras);
    HttpClient http;
    auto own = "http://127.0.0.1:" + std::to_string(host.port());

    auto as_text = http.post(host.url("/cameras"), door(), {"Content-Type: text/plain"});
    CHECK(as_text.status == 415);
    CHECK(detail(as_text).find("application/json") != std::string::npos);
    auto other_origin =
        http.post(host.url("/cameras"), door(), {"Origin: http://pages.example.com"});
    CHECK(other_origin.status == 403);
    CHECK(detail(other_origin).find("http://pages.example.com") != std::string::npos);
    // Another port of this machine is another origin (and the same site, to a browser).
    CHECK(http.post(host.url("/cameras"), door(), {"Origin: http://127.0.0.1:1"}).status == 403);
    CHECK(http.post(host.url("/cameras"), door(), {"Sec-Fetch-Site: same-site"}).status == 403);
    CHECK(http.post(host.url("/cameras"), door(), {"Sec-Fetch-Site: cross-site"}).status == 403);
    CHECK(http.request("DELETE", host.url("/cameras/door"), "", {"Origin: null"}).status == 403);
    CHECK_FALSE(has_camera(http, host, "door"));

    // DNS rebinding: the attacker's name now resolves to 127.0.0.1, and its page reads answers.
    auto rebound = http.get(host.url("/cameras"),
                            {"Host: rebound.example.com:" + std::to_string(host.port())});
    CHECK(rebound.status == 421);
    CHECK(detail(rebound).find("rebound.example.com") != std::string::npos);
    CHECK(
        http.get(host.url("/health"), {"Host: localhost:" + std::to_string(host.port())}).status ==
        200);
    CHECK(http.get(host.url("/health"), {"Host: [::1]:" + std::to_string(host.port())}).status ==
          200);

    // The page's own origin, and a client that is no browser (no Origin), are served.
    auto same = http.post(host.url("/cameras"), door(), {"Origin: " + own});
    CHECK_MESSAGE(same.status == 201, same.body);
    CHECK(has_camera(http, host, "door"));
    CHECK(http.request("DELETE", host.url("/cameras/door")).status == 200);
    CHECK(http.post(host.url("/cameras"), door(), {"Content-Type:"}).status == 201);
}

TEST_CASE("allowed_hosts and allowed_origins let a named host and another page in") {
    RunningHost host(std::string("http: { allowed_hosts: [cams.lan], allowed_origins: "
                                 "['http://dashboard.lan:3000'] }\n") +
                     kNoCameras);
    HttpClient http;
    auto port = std::to_string(host.port());
    CHECK(http.get(host.url("/health"), {"Host: cams.lan:" + port}).status == 200);
    CHECK(http.get(host.url("/health"), {"Host: CAMS.lan:" + port}).status == 200);
    CHECK(http.get(host.url("/health"), {"Host: other.lan:" + port}).status == 421);
    CHECK(http.post(host.url("/cameras"), door(),
                    {"Origin: http://dashboard.lan:3000", "Sec-Fetch-Site: cross-site"})
              .status == 201);
    CHECK(http.post(host.url("/cameras"), door(), {"Origin: http://dashboard.lan:3001"}).status ==
          403);
}

TEST_CASE(
    "the Frame Buffer: a dequeue or a clear from another site's page is refused and loses "
    "nothing, a frame posted as text/plain is refused") {
    FrameBufferServer fb;
    HttpClient http;
    REQUIRE(http.post(fb.url("/frames"), frame("kept")).status == 200);
    CHECK(http.post(fb.url("/frames"), frame("plain"), {"Content-Type: text/plain"}).status == 415);
    // An <img src=".../frames/dequeue"> on another site: no Origin, but the browser marks it.
    CHECK(http.get(fb.url("/frames/dequeue?count=10"), {"Sec-Fetch-Site: cross-site"}).status ==
          403);
    CHECK(http.post(fb.url("/buffer/clear"), "", {"Origin: http://pages.example.com"}).status ==
          403);
    CHECK(http.get(fb.url("/frames/dequeue"), {"Host: rebound.example.com:8002"}).status == 421);
    auto taken = json::parse(http.get(fb.url("/frames/dequeue?count=10")).body);
    REQUIRE(taken["frames"].size() == 1);
    CHECK(taken["frames"][0]["frame_id"] == "kept");
}

TEST_CASE(
    "in headless Chromium, a page on another port that posts a camera to the host (no-cors, "
    "text/plain and as a Blob without a type) adds nothing") {
    RunningHost host(kNoCameras);
    ScriptedHttpServer attacker;
    auto target = "http://127.0.0.1:" + std::to_string(host.port()) + "/cameras";
    attacker.answer(200,
                    "<!doctype html><html><body><p id=done>sending</p><script>\n"
                    "const body = " +
                        json(door()).dump() +
                        ";\n"
                        "Promise.allSettled([\n"
                        "  fetch('" +
                        target +
                        "', {method: 'POST', mode: 'no-cors', body}),\n"
                        "  fetch('" +
                        target +
                        "', {method: 'POST', mode: 'no-cors', body: new Blob([body])}),\n"
                        "]).then(() => { document.getElementById('done').textContent = 'sent'; "
                        "});\n"
                        "</script></body></html>",
                    "text/html");
    Browser browser;
    auto page = browser.dump_dom("http://127.0.0.1:" + std::to_string(attacker.port()) + "/");
    CHECK(page.dom.find(">sent<") != std::string::npos);
    HttpClient http;
    CHECK_FALSE(has_camera(http, host, "door"));
}
