// How both servers (framehost's API and the Frame Buffer) frame, answer and close connections
// under hostile clients, through the real binaries over raw sockets (issue 16, items 9-15 and
// the small ones of 21).
#include <doctest/doctest.h>

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const char* kHost = "pipeline: { progress_interval_s: 0 }\nprocessors: [ { plugin: identity } ]\n";

std::size_t answers_in(const std::string& reply) {
    std::size_t n = 0;
    for (auto at = reply.find("HTTP/1.1 "); at != std::string::npos;
         at = reply.find("HTTP/1.1 ", at + 1))
        ++n;
    return n;
}

// A POST of `body` to `path` in HTTP/`version`, as raw bytes.
std::string post(const std::string& path, const std::string& version, const std::string& body) {
    return "POST " + path + " HTTP/" + version +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

long buffered_frames(FrameBufferServer& fb) {
    return json::parse(HttpClient().get(fb.url("/frames/status")).body)["buffer"]["size"];
}

// True when the server has closed `fd` (a read sees the end) within `within`.
bool closed_within(int fd, std::chrono::milliseconds within) {
    auto deadline = std::chrono::steady_clock::now() + within;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) return true;
    }
    return false;
}

// CPU seconds (user and system) a process has used.
double cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(all.substr(all.rfind(')') + 2));  // past "pid (comm) "
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i)
        if (i >= 14) ticks += std::stod(field);  // utime, stime
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

TEST_CASE("nothing pipelined after a request answered with close is run") {
    FrameBufferServer fb;
    HttpClient().post(fb.url("/frames"), R"({"frame_id":"kept"})");
    for (std::string first :
         {"GET /health HTTP/1.0\r\n\r\n", "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n"}) {
        CAPTURE(first);
        bool closed = false;
        auto reply = raw_exchange(
            fb.port(), first + "POST /buffer/clear HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 1s,
            &closed);
        CHECK(answers_in(reply) == 1);
        CHECK(closed);
        CHECK(buffered_frames(fb) == 1);  // the clear behind the close never ran
    }
}

TEST_CASE("a space before a header's colon is a 400 naming why, and the body is never a request") {
    FrameBufferServer fb;
    RunningHost host(kHost);
    const std::string smuggled = "POST /buffer/clear HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    HttpClient().post(fb.url("/frames"), R"({"frame_id":"kept"})");
    for (std::string field : {"Content-Length : ", "Transfer-Encoding : "}) {
        CAPTURE(field);
        std::string length = field[0] == 'C' ? std::to_string(smuggled.size()) : "chunked";
        for (int port : {fb.port(), host.port()}) {
            bool closed = false;
            auto reply = raw_exchange(port,
                                      "POST /frames HTTP/1.1\r\nHost: 127.0.0.1\r\n" + field +
                                          length + "\r\n\r\n" + smuggled,
                                      1s, &closed);
            CHECK(answers_in(reply) == 1);
            CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
            CHECK(reply.find("malformed request: ") != std::string::npos);
            CHECK(reply.find("Content-Length") != std::string::npos);
            CHECK(closed);
        }
    }
    CHECK(buffered_frames(fb) == 1);
}

TEST_CASE("a request followed at once by the client's FIN is run and answered") {
    FrameBufferServer fb;
    auto reply = raw_exchange(fb.port(), post("/frames", "1.1", R"({"frame_id":"fin-1"})"), 2s,
                              nullptr, true);
    CHECK(reply.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(buffered_frames(fb) == 1);

    RunningHost host(kHost);
    CHECK(raw_exchange(host.port(), "GET /live HTTP/1.0\r\n\r\n", 2s, nullptr, true)
              .rfind("HTTP/1.1 200", 0) == 0);
    // /process runs off the reading threads: its answer still reaches a half-closed client.
    auto processed =
        raw_exchange(host.port(), post("/process", "1.0", R"({"frame_data":"QUJD","metadata":{}})"),
                     3s, nullptr, true);
    CHECK(processed.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(processed.find("\"detections\":[]") != std::string::npos);
}

TEST_CASE("a kept-alive connection is closed after idle_timeout, never while it is in use") {
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\nhttp: { idle_timeout: 600ms, read_timeout: 5s "
        "}\nprocessors: [ { plugin: identity } ]\n");
    int idle = connect_loopback(host.port());
    std::string get = "GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ::send(idle, get.data(), get.size(), MSG_NOSIGNAL);
    CHECK(closed_within(idle, 3s));
    ::close(idle);

    // A request every 100 ms for 2 s, past the idle timeout: every one answered on one
    // connection (the timeout counts from the last answer, not from the first request).
    int busy = connect_loopback(host.port());
    int answered = 0;
    for (int i = 0; i < 20; ++i) {
        if (::send(busy, get.data(), get.size(), MSG_NOSIGNAL) <= 0) break;
        char buffer[4096];
        pollfd p{busy, POLLIN, 0};
        if (::poll(&p, 1, 2000) <= 0) break;
        if (::recv(busy, buffer, sizeof buffer, 0) <= 0) break;
        ++answered;
        std::this_thread::sleep_for(100ms);
    }
    CHECK(answered == 20);
    ::close(busy);
}

TEST_CASE("a connection that sends nothing is closed after read_timeout") {
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\nhttp: { read_timeout: 400ms }\nprocessors: [ { "
        "plugin: identity } ]\n");
    int silent = connect_loopback(host.port());
    CHECK(closed_within(silent, 3s));
    ::close(silent);
}

TEST_CASE("past max_connections a new connection is answered 503 and closed, the rest are served") {
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\nhttp: { max_connections: 4 }\nprocessors: [ { "
        "plugin: identity } ]\n");
    std::vector<int> held;
    for (int i = 0; i < 4; ++i) held.push_back(connect_loopback(host.port()));
    std::this_thread::sleep_for(200ms);
    bool closed = false;
    auto refused = raw_exchange(host.port(), "GET /live HTTP/1.1\r\n\r\n", 2s, &closed);
    CHECK(refused.rfind("HTTP/1.1 503", 0) == 0);
    CHECK(refused.find("too many connections (4)") != std::string::npos);
    CHECK(closed);
    std::string get = "GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ::send(held[0], get.data(), get.size(), MSG_NOSIGNAL);
    char buffer[4096];
    pollfd p{held[0], POLLIN, 0};
    REQUIRE(::poll(&p, 1, 2000) == 1);
    auto n = ::recv(held[0], buffer, sizeof buffer, 0);
    CHECK(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0).rfind("HTTP/1.1 200", 0) ==
          0);
    for (int fd : held) ::close(fd);
    // Closed ones free their places.
    long status = 0;
    for (int i = 0; i < 40 && status != 200; ++i) {
        std::this_thread::sleep_for(50ms);
        status = HttpClient().get(host.url("/live")).status;
    }
    CHECK(status == 200);
}

TEST_CASE(
    "under ulimit -n 1024, 1,100 idle connections: those past the cap are answered 503, the host "
    "does not spin, and frees places as clients leave") {
    // The host inherits a soft limit of 1024; the test itself needs room for 1,100 sockets.
    rlimit mine{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &mine) == 0);
    rlimit wide{std::max<rlim_t>(mine.rlim_max, 4096), std::max<rlim_t>(mine.rlim_max, 4096)};
    REQUIRE_MESSAGE(::setrlimit(RLIMIT_NOFILE, &wide) == 0, "needs 4096 descriptors (root)");
    rlimit narrow{1024, wide.rlim_max};
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &narrow) == 0);
    std::unique_ptr<RunningHost> host;
    try {
        host = std::make_unique<RunningHost>(kHost);
    } catch (...) {
        ::setrlimit(RLIMIT_NOFILE, &wide);
        throw;
    }
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &wide) == 0);
    CHECK(host->process().err().find("serving at most 896 connections, not 1024: the descriptor "
                                     "limit is 1024") != std::string::npos);

    // A slow host (a sanitizer build) lets its listen backlog fill: a refused connect is tried
    // again, as a client would.
    std::vector<int> clients;
    auto connect_one = [&] {
        for (int attempt = 0;; ++attempt) {
            try {
                clients.push_back(connect_loopback(host->port()));
                return;
            } catch (const std::exception&) {
                if (attempt == 100) {
                    auto log = host->process().err();
                    FAIL("connection "
                         << clients.size() << " refused for 2 s; host "
                         << std::string(host->process().running() ? "running" : "gone")
                         << "; its log ends: "
                         << log.substr(log.size() - std::min<std::size_t>(log.size(), 6000)));
                }
                std::this_thread::sleep_for(20ms);
            }
        }
    };
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    // A refused connection holds one of the host's descriptors until the host has answered and
    // closed it, so a burst of them can take the host to its descriptor limit for a moment. It
    // copes (accept() fails and is tried again), but the sanitizers' runtime does not: it needs a
    // descriptor (a pipe) to check a pointer, and without one UBSan reports every virtual call as
    // "invalid vptr". Under sanitizers, clients past the cap therefore come 17 at a time, each
    // group waiting for the refusals so far; the plain build takes them in one burst.
    for (int i = 0; i < 896; ++i) connect_one();
    while (clients.size() < 1100) {
        for (int i = 0; i < 17; ++i) connect_one();
        for (int wait = 0; wait < 100; ++wait) {
            std::size_t answered = 0;
            for (int fd : clients) {
                char byte;
                if (::recv(fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK) >= 0) ++answered;
            }
            if (answered >= clients.size() - 896) break;
            std::this_thread::sleep_for(50ms);
        }
    }
#else
    for (int i = 0; i < 1100; ++i) connect_one();
#endif
    // Connections not yet accepted look open too: count until the refusals are all in.
    std::size_t refused = 0, open = 0;
    for (int round = 0; round < 50 && refused < 1100 - 896; ++round) {
        std::this_thread::sleep_for(100ms);
        refused = open = 0;
        for (int fd : clients) {
            char buffer[512];
            auto n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT | MSG_PEEK);
            if (n > 0 &&
                std::string(buffer, static_cast<std::size_t>(n)).find("503 Service Unavailable") !=
                    std::string::npos)
                ++refused;
            else if (n < 0 && errno == EAGAIN)
                ++open;
        }
    }
    INFO("host log: " << host->process().err().substr(0, 20000));
    CHECK(open == 896);
    CHECK(refused == 1100 - 896);

    // Held at the cap, the host waits instead of spinning on accept().
    double before = cpu_seconds(host->process().pid());
    std::this_thread::sleep_for(1s);
    CHECK(cpu_seconds(host->process().pid()) - before < 0.3);
    auto full = HttpClient().get(host->url("/live"));
    CHECK(full.status == 503);

    for (int fd : clients) ::close(fd);
    long status = 0;
    for (int i = 0; i < 40 && status != 200; ++i) {
        std::this_thread::sleep_for(50ms);
        status = HttpClient().get(host->url("/live")).status;
    }
    CHECK(status == 200);
}

TEST_CASE("a client pipelining requests without reading cannot grow the host's memory") {
    // While a connection's answers wait, the host holds what the client goes on sending up to one
    // more request (max_body_mb plus a header), then closes it. With max_body_mb: 1 that bound is
    // about 2 MiB, so growth of tens of MiB means the bound is missing, even under
    // AddressSanitizer, whose allocator takes a few times what it holds. Freed memory waits in
    // ASan's quarantine (256 MB by default) before it is reused, which would show as growth: the
    // host runs without.
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::string asan_options = std::string(asan ? asan : "") + ":quarantine_size_mb=0";
    RunningHost host(std::string(kHost) + "http: { max_body_mb: 1 }\n", {},
                     {{"ASAN_OPTIONS", asan_options}});
    auto before = process_memory_mib(host.process().pid(), "VmRSS");
    int fd = connect_loopback(host.port());
    std::string requests;
    for (int i = 0; i < 1000; ++i) requests += "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    std::size_t sent = 0;
    bool closed = false;
    auto until = std::chrono::steady_clock::now() + 4s;
    while (std::chrono::steady_clock::now() < until) {
        auto n = ::send(fd, requests.data(), requests.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            std::this_thread::sleep_for(5ms);
        } else {
            closed = true;  // by the server: it held what it may and gave up on this client
            break;
        }
    }
    auto after = process_memory_mib(host.process().pid(), "VmRSS");
    ::close(fd);
    MESSAGE("sent " << sent / (1 << 20) << " MiB of requests"
                    << std::string(closed ? ", then the host closed the connection" : "")
                    << "; host RSS " << before << " -> " << after << " MiB");
    CHECK(sent > (3u << 20));  // more than the host may hold
    CHECK(after - before < 32);
    CHECK(HttpClient().get(host.url("/live")).status == 200);
}

TEST_CASE("liveness answers within a probe's second while slow /process calls fill the server") {
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\nprocessors: [ { plugin: fixture_processor, params: "
        "{ mode: pass, sleep_ms: 1500 } } ]\n",
        {"--plugin-path", kFixturePluginDir});
    std::vector<std::thread> slow;
    std::atomic<int> processed{0};
    for (int i = 0; i < 6; ++i)
        slow.emplace_back([&] {
            if (HttpClient()
                    .post(host.url("/process"), R"({"frame_data":"QUJD","metadata":{}})")
                    .status == 200)
                ++processed;
        });
    std::this_thread::sleep_for(300ms);  // all six are in
    HttpClient probe;
    for (int i = 0; i < 5; ++i) {
        auto started = std::chrono::steady_clock::now();
        CHECK(probe.get(host.url("/live")).status == 200);
        // Answered, either way: the fixture's 1.5 s calls may rightly show it stuck.
        auto ready = probe.get(host.url("/ready")).status;
        CHECK((ready == 200 || ready == 503));
        CHECK(std::chrono::steady_clock::now() - started < 1s);
        std::this_thread::sleep_for(200ms);
    }
    for (auto& t : slow) t.join();
    CHECK(processed == 6);
}

TEST_CASE("HEAD gives GET's length and no body, on both servers") {
    FrameBufferServer fb;
    RunningHost host(kHost);
    // An unknown path: its answer is the same at every call, so the two lengths compare.
    for (const std::string& url : {fb.url("/no-such-path"), host.url("/no-such-path")}) {
        CAPTURE(url);
        HttpClient client;
        auto get = client.get(url);
        auto head = client.request("HEAD", url);
        CHECK(get.status == 404);
        CHECK(head.status == 404);
        CHECK(head.body.empty());
        CHECK(head.headers["content-length"] == std::to_string(get.body.size()));
    }
}
