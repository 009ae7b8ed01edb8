// framehost's image (Containerfile, built by scripts/image) run with podman: /health answers
// from inside the container on a published loopback port, the host runs as a user that is not
// root, SIGTERM to the container drains its frames (the finished line in its log), and the
// image's size is reported. Skipped, saying so, where podman or the image is missing (CI builds
// the image before the tests).
#include <doctest/doctest.h>

#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;

namespace {

const std::string kImage = "framehost:latest";

std::map<std::string, std::string> podman_env() {
    const char* conf = std::getenv("CONTAINERS_CONF");
    return {{"CONTAINERS_CONF", conf ? conf : kSourceDir + "/scripts/podman/containers.conf"}};
}

RunResult podman(const std::vector<std::string>& args, std::chrono::seconds timeout = 120s) {
    return run_program("/usr/bin/podman", args, podman_env(), timeout);
}

// Why the image cannot be tested here, or "" when it can.
std::string missing() {
    if (!std::filesystem::exists("/usr/bin/podman")) return "podman is not installed";
    if (podman({"image", "exists", kImage}).exit_code != 0)
        return kImage + " is not built (scripts/image builds it)";
    return {};
}

// A container started detached and removed when the test ends, whatever happened.
class Container {
  public:
    explicit Container(const std::vector<std::string>& run_args) {
        name_ = "framehost-test-" + std::to_string(getpid()) + "-" + std::to_string(++count_);
        std::vector<std::string> args{"run", "-d", "--name", name_};
        args.insert(args.end(), run_args.begin(), run_args.end());
        auto r = podman(args);
        started_ = r.exit_code == 0;
        error_ = r.err;
    }
    ~Container() { podman({"rm", "-f", "-t", "0", name_}); }
    bool started() const { return started_; }
    const std::string& error() const { return error_; }
    const std::string& name() const { return name_; }

  private:
    static inline int count_ = 0;
    std::string name_, error_;
    bool started_ = false;
};

}  // namespace

TEST_CASE("the image serves /health from the container, runs as non-root and drains on SIGTERM") {
    if (auto why = missing(); !why.empty()) {
        std::fprintf(stderr, "container test skipped: %s\n", why.c_str());
        return;
    }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    std::fprintf(stderr,
                 "container test skipped: the image holds a Release build; the plain "
                 "suite tests it\n");
    return;
#endif
    int port = free_port();
    // The image's own command (configs/sample-processor.yaml), told by the environment to listen
    // beyond the container's loopback; its Frame Buffer is nowhere, which /health reports.
    Container c({"-p", "127.0.0.1:" + std::to_string(port) + ":8099", "-e", "BIND_ADDRESS=0.0.0.0",
                 "-e", "ALLOW_OPEN_BIND=true", "-e", "FRAME_BUFFER_URL=http://127.0.0.1:1",
                 kImage});
    REQUIRE_MESSAGE(c.started(), c.error());

    HttpClient http;
    HttpResult health;
    for (int i = 0; i < 150 && health.status != 200; ++i) {
        std::this_thread::sleep_for(200ms);
        health = http.get("http://127.0.0.1:" + std::to_string(port) + "/health");
    }
    REQUIRE_MESSAGE(health.status == 200, podman({"logs", c.name()}).err);
    auto body = nlohmann::json::parse(health.body);
    CHECK(body["service"] == "sample-processor");
    CHECK(body["details"]["frame_buffer_url"] == "http://127.0.0.1:1");

    auto user = podman({"exec", c.name(), "id", "-u"});
    REQUIRE(user.exit_code == 0);
    CHECK(user.out != "0\n");
    CHECK(user.out == "10001\n");

    CHECK(podman({"kill", "--signal", "TERM", c.name()}).exit_code == 0);
    auto waited = podman({"wait", c.name()}, 60s);
    CHECK(waited.out == "0\n");  // drained and exited cleanly
    auto logs = podman({"logs", c.name()});
    CHECK_MESSAGE(logs.err.find("finished: ") != std::string::npos, logs.err);

    auto size = podman({"image", "inspect", kImage, "--format", "{{.Size}}"});
    REQUIRE(size.exit_code == 0);
    auto megabytes = std::stoull(size.out) / 1'000'000;
    std::fprintf(stderr, "image %s: %llu MB (goal: at most 250 MB)\n", kImage.c_str(),
                 static_cast<unsigned long long>(megabytes));
}
