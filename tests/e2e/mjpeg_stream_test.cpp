// GET /cameras/{id}/stream.mjpg through the real binary: well-formed parts a JPEG decoder reads,
// many viewers at once, a viewer that stops reading (closed, holding nothing), and the cap; a
// stream ends with its camera, and viewers of a camera with no picture are let go.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/cameras.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/running_host.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kBoundary = "--framehost-frame\r\n";

// One viewer on a raw socket: the request sent, bytes read as they come.
struct Viewer {
    int fd;
    std::string bytes;
    Viewer(int port, const std::string& path, int receive_buffer = 0) {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        // A small receive window makes a viewer that stops reading full at once.
        if (receive_buffer)
            ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(request.size()));
    }
    ~Viewer() { ::close(fd); }
    // Reads what is there within `wait`; false once the server closed.
    bool read_some(std::chrono::milliseconds wait) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
        char chunk[65536];
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        bytes.append(chunk, static_cast<std::size_t>(n));
        return true;
    }
    std::size_t parts() const {
        std::size_t n = 0;
        for (auto at = bytes.find(kBoundary); at != std::string::npos;
             at = bytes.find(kBoundary, at + 1))
            ++n;
        return n;
    }
};

// The JPEGs of a stream's bytes after its head, each checked for the part's form.
std::vector<std::string> jpegs_of(const std::string& bytes) {
    std::vector<std::string> out;
    auto at = bytes.find("\r\n\r\n");
    REQUIRE(at != std::string::npos);
    at += 4;
    while (true) {
        if (bytes.compare(at, kBoundary.size(), kBoundary) != 0) break;
        auto head_end = bytes.find("\r\n\r\n", at);
        if (head_end == std::string::npos) break;
        auto head = bytes.substr(at, head_end - at);
        CHECK(head.find("Content-Type: image/jpeg") != std::string::npos);
        auto length_at = head.find("Content-Length: ");
        REQUIRE(length_at != std::string::npos);
        auto length = std::stoul(head.substr(length_at + 16));
        auto body = head_end + 4;
        if (body + length + 2 > bytes.size()) break;  // the last part, still coming
        out.push_back(bytes.substr(body, length));
        CHECK(bytes.compare(body + length, 2, "\r\n") == 0);
        at = body + length + 2;
    }
    return out;
}

// A camera that only has its picture taken: the pedestrian clip played live at 10 fps.
std::string snapshot_config() {
    return R"(
source: { plugin: video_source, params: { url: ")" +
           kPedestrianClip.string() + R"(", camera_id: street, realtime: true, loop: true } }
sinks: [ { plugin: annotated_snapshot, params: { max_width: 384 } } ]
)";
}

double fps_out(HttpClient& http, const RunningHost& host) {
    auto report = json::parse(http.get(host.url("/cameras")).body);
    return report["cameras"][0].value("fps_out", 0.0);
}

}  // namespace

TEST_CASE("stream.mjpg yields well-formed JPEG parts of the camera, at the rate asked for") {
    RunningHost host(snapshot_config());
    Viewer viewer(host.port(), "/cameras/street/stream.mjpg?fps=4");
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (viewer.parts() < 6 && std::chrono::steady_clock::now() < deadline)
        REQUIRE(viewer.read_some(200ms));
    REQUIRE(viewer.bytes.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(viewer.bytes.find("Content-Type: multipart/x-mixed-replace; boundary=framehost-frame") !=
          std::string::npos);
    auto pictures = jpegs_of(viewer.bytes);
    REQUIRE(pictures.size() >= 5);
    for (const auto& p : pictures) {
        CHECK(p.rfind("\xFF\xD8", 0) == 0);
        CHECK(p.compare(p.size() - 2, 2, "\xFF\xD9") == 0);
    }
    TempDir dir;
    auto decoded =
        run_program("/usr/bin/djpeg", {"-pnm", dir.write("part.jpg", pictures.back()).string()});
    REQUIRE(decoded.exit_code == 0);
    CHECK(decoded.out.rfind("P6\n384 288\n255\n", 0) == 0);

    HttpClient http;
    CHECK(http.get(host.url("/cameras/nobody/stream.mjpg")).status == 404);
    auto bad = http.get(host.url("/cameras/street/stream.mjpg?fps=1000"));
    CHECK(bad.status == 422);
    CHECK(bad.body.find("\"fps\"") != std::string::npos);
}

TEST_CASE(
    "50 stream viewers and one that stops reading: /health stays fast, the camera's rate "
    "holds, the stalled viewer is closed, and viewers past the cap get 503") {
    RunningHost host(snapshot_config());
    HttpClient http;
    // The camera's rate alone, once its 5 s window is full.
    std::this_thread::sleep_for(6s);
    double alone = fps_out(http, host);
    REQUIRE(alone > 5);

    Viewer stalled(host.port(), "/cameras/street/stream.mjpg?fps=25", 4096);
    auto stalled_since = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<Viewer>> viewers;
    for (int i = 0; i < 50; ++i)
        viewers.push_back(std::make_unique<Viewer>(host.port(), "/cameras/street/stream.mjpg"));
    std::atomic<bool> reading{true};
    std::thread reader([&] {
        while (reading)
            for (auto& v : viewers) v->read_some(0ms);
    });
    std::this_thread::sleep_for(6s);
    double watched = fps_out(http, host);
    double slowest_health_s = 0;
    for (int i = 0; i < 10; ++i) {
        auto started = std::chrono::steady_clock::now();
        CHECK(http.get(host.url("/health")).status == 200);
        slowest_health_s = std::max(
            slowest_health_s,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    CHECK(slowest_health_s < 0.5);
    CHECK(watched >= 0.8 * alone);

    // The cap: 51 are served; 13 more reach 64; the 65th is told so.
    std::vector<std::unique_ptr<Viewer>> more;
    for (int i = 0; i < 13; ++i)
        more.push_back(std::make_unique<Viewer>(host.port(), "/cameras/street/stream.mjpg"));
    std::this_thread::sleep_for(500ms);
    Viewer refused(host.port(), "/cameras/street/stream.mjpg");
    while (refused.read_some(2000ms) && refused.bytes.find("\r\n\r\n") == std::string::npos) {
    }
    CHECK(refused.bytes.rfind("HTTP/1.1 503", 0) == 0);
    more.clear();

    reading = false;
    reader.join();
    for (auto& v : viewers) CHECK(v->parts() >= 2);
    // The stalled viewer's socket buffers fill within seconds; then it takes nothing for the
    // server's 10 s and is closed: once it reads again, what was buffered is all it gets.
    std::this_thread::sleep_until(stalled_since + 30s);
    bool open = true;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (open && std::chrono::steady_clock::now() < deadline) open = stalled.read_some(100ms);
    CHECK_FALSE(open);
}

TEST_CASE(
    "a camera removed while its stream is watched ends the stream, a camera with no picture "
    "does not hold the 64 slots: its viewers are let go after stream_idle_timeout") {
    // The configured camera "quiet" never has a picture (nothing listens where it points);
    // "door" is added over HTTP and has its picture taken.
    RunningHost host(R"(
http: { stream_idle_timeout: 3000 }
camera_api: { protocols: [file] }
source: { plugin: video_source, params: { url: "rtsp://127.0.0.1:9/quiet", camera_id: quiet } }
processors: [ { plugin: identity } ]
sinks: [ { plugin: annotated_snapshot, params: { max_width: 320 } } ]
)");
    HttpClient http;
    auto added =
        http.post(host.url("/cameras"), R"({"id": "door", "url": ")" + kPedestrianClip.string() +
                                            R"(", "realtime": true, "loop": true})");
    REQUIRE_MESSAGE(added.status == 201, added.body);
    Viewer watching(host.port(), "/cameras/door/stream.mjpg?fps=5");
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (watching.parts() < 2 && std::chrono::steady_clock::now() < deadline)
        REQUIRE(watching.read_some(200ms));
    REQUIRE(watching.parts() >= 2);
    REQUIRE(http.request("DELETE", host.url("/cameras/door")).status == 200);
    auto removed = std::chrono::steady_clock::now();
    bool open = true;
    while (open && std::chrono::steady_clock::now() - removed < 20s)
        open = watching.read_some(100ms);
    CHECK_FALSE(open);
    CHECK(std::chrono::steady_clock::now() - removed < 5s);

    // 64 viewers of the camera with no picture fill every slot; they are let go after 3 s, and
    // the next viewer is served.
    std::vector<std::unique_ptr<Viewer>> idle;
    for (int i = 0; i < 64; ++i)
        idle.push_back(std::make_unique<Viewer>(host.port(), "/cameras/quiet/stream.mjpg"));
    std::this_thread::sleep_for(500ms);
    Viewer refused(host.port(), "/cameras/quiet/stream.mjpg");
    while (refused.read_some(2000ms) && refused.bytes.find("\r\n\r\n") == std::string::npos) {
    }
    CHECK(refused.bytes.rfind("HTTP/1.1 503", 0) == 0);
    auto filled = std::chrono::steady_clock::now();
    std::size_t closed = 0;
    for (auto& v : idle) {
        while (v->read_some(100ms) && std::chrono::steady_clock::now() - filled < 20s) {
        }
        if (!v->read_some(0ms)) ++closed;
    }
    CHECK(closed == 64);
    for (auto& v : idle) CHECK(v->parts() == 0);
    Viewer later(host.port(), "/cameras/quiet/stream.mjpg");
    while (later.read_some(1000ms) && later.bytes.find("\r\n\r\n") == std::string::npos) {
    }
    CHECK(later.bytes.rfind("HTTP/1.1 200", 0) == 0);
}
