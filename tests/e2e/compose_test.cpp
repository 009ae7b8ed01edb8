// compose.yaml brought up with Debian's podman-compose: Redis, the Frame Buffer and the sample
// processor in containers on one network; the steps of the replaced system's own
// test_integration.py (both /health 200, five frames posted to the Frame Buffer, the processor's
// /metrics counting them consumed), then `down` leaves nothing running. Skipped, saying so,
// where podman-compose or the images are missing (scripts/image builds them).
#include <doctest/doctest.h>

#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/cameras.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;

namespace {

std::map<std::string, std::string> podman_env(std::map<std::string, std::string> extra = {}) {
    const char* conf = std::getenv("CONTAINERS_CONF");
    extra["CONTAINERS_CONF"] = conf ? conf : kSourceDir + "/scripts/podman/containers.conf";
    return extra;
}

std::string missing() {
    if (!std::filesystem::exists("/usr/bin/podman-compose"))
        return "podman-compose is not installed";
    for (const auto* image :
         {"framehost:latest", "framehost-redis:latest", "framehost-postgres:latest"})
        if (run_program("/usr/bin/podman", {"image", "exists", image}, podman_env()).exit_code != 0)
            return std::string(image) + " is not built (scripts/image builds it)";
    return {};
}

std::string trimmed(std::string text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    return text;
}

// `podman-compose -p PROJECT -f compose.yaml ARGS...`, the project's ports in the environment.
class Compose {
  public:
    Compose(int frame_buffer_port, int processor_port)
        : project_("framehost-test-" + std::to_string(getpid())),
          env_(podman_env({{"FRAME_BUFFER_PORT", std::to_string(frame_buffer_port)},
                           {"PORT", std::to_string(processor_port)}})) {}
    ~Compose() { run({"down"}); }
    // `extra`: more of the environment compose.yaml reads (CAMERA_URL).
    RunResult run(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& extra = {}) {
        std::vector<std::string> all{"-p", project_, "-f", kSourceDir + "/compose.yaml"};
        all.insert(all.end(), args.begin(), args.end());
        auto env = env_;
        env.insert(extra.begin(), extra.end());
        return run_program("/usr/bin/podman-compose", all, env, 180s);
    }
    // The address of this machine on the project's network: where its containers reach it.
    std::string gateway() {
        return trimmed(run_program("/usr/bin/podman",
                                   {"network", "inspect", project_ + "_default", "--format",
                                    "{{range .Subnets}}{{.Gateway}}{{end}}"},
                                   env_)
                           .out);
    }
    std::string logs(const std::string& service) {
        auto r = run_program("/usr/bin/podman", {"logs", project_ + "_" + service + "_1"}, env_);
        return r.out + r.err;
    }
    const std::string& project() const { return project_; }

  private:
    std::string project_;
    std::map<std::string, std::string> env_;
};

// Both services answer /health 200 and the processor's consumer runs (containers take a moment).
bool healthy(HttpClient& http, const std::string& buffer, const std::string& processor) {
    for (int i = 0; i < 150; ++i) {
        try {
            if (http.get(buffer + "/health").status == 200 &&
                http.get(processor + "/health").status == 200 &&
                nlohmann::json::parse(http.get(processor + "/health").body, nullptr,
                                      false)["details"]["consumer_running"] == true)
                return true;
        } catch (const std::exception&) {
            // not listening yet
        }
        std::this_thread::sleep_for(200ms);
    }
    return false;
}

double frames_processed(HttpClient& http, const std::string& processor) {
    auto metrics = nlohmann::json::parse(http.get(processor + "/metrics").body, nullptr, false);
    if (!metrics.is_object() || !metrics.contains("processor_metrics")) return 0;
    return metrics["processor_metrics"]["frames_processed"].get<double>();
}

}  // namespace

TEST_CASE(
    "compose.yaml runs redis, frame-buffer and the sample processor in containers: the replaced "
    "system's integration steps pass and down stops everything") {
    if (auto why = missing(); !why.empty()) {
        std::fprintf(stderr, "compose test skipped: %s\n", why.c_str());
        return;
    }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    std::fprintf(stderr, "compose test skipped: the images hold a Release build\n");
    return;
#endif
    int buffer_port = free_port(), processor_port = free_port();
    Compose compose(buffer_port, processor_port);
    auto up = compose.run({"up", "-d", "frame-buffer", "sample-processor", "redis"});
    REQUIRE_MESSAGE(up.exit_code == 0, (up.out + up.err));

    std::string buffer = "http://localhost:" + std::to_string(buffer_port);
    std::string processor = "http://localhost:" + std::to_string(processor_port);
    HttpClient http;
    // 1: both healthy (the script asks once; the containers may still be starting).
    REQUIRE(healthy(http, buffer, processor));
    // 2, 3: the buffer's status, then five frames as the script posts them.
    CHECK(http.get(buffer + "/frames/status").status == 200);
    for (int i = 0; i < 5; ++i) {
        nlohmann::json frame{{"frame_id", "test_frame_" + std::to_string(i)},
                             {"timestamp", 1'700'000'000.5 + i},
                             {"camera_id", "test_camera"},
                             {"width", 640},
                             {"height", 480},
                             {"format", "RGB"},
                             {"metadata", {{"test", true}, {"source", "integration_test"}}}};
        auto posted =
            http.post(buffer + "/frames", frame.dump(), {"Content-Type: application/json"});
        CHECK_MESSAGE((posted.status == 200 || posted.status == 201), posted.body);
    }
    // 4-7: the processor consumed them.
    double processed = 0;
    for (int i = 0; i < 100 && processed < 5; ++i) {
        std::this_thread::sleep_for(100ms);
        processed = frames_processed(http, processor);
    }
    CHECK(processed == 5);

    auto down = compose.run({"down"});
    CHECK_MESSAGE(down.exit_code == 0, (down.out + down.err));
    auto left =
        run_program("/usr/bin/podman",
                    {"ps", "-a", "--filter", "label=io.podman.compose.project=" + compose.project(),
                     "--format", "{{.Names}}"},
                    podman_env());
    CHECK(left.out.empty());
}

TEST_CASE(
    "compose.yaml's capture service captures the test RTSP camera of this machine, and the "
    "processor (people-events) processes its frames with its events in events-db, all in "
    "containers") {
    if (auto why = missing(); !why.empty()) {
        std::fprintf(stderr, "compose capture test skipped: %s\n", why.c_str());
        return;
    }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    std::fprintf(stderr, "compose capture test skipped: the images hold a Release build\n");
    return;
#endif
    int buffer_port = free_port(), processor_port = free_port();
    Compose compose(buffer_port, processor_port);
    // What the system is for: people detected, tracked and stored as events, in the shared
    // store (the processor waits for the database to accept it).
    const std::map<std::string, std::string> people_events = {
        {"PROCESSOR_CONFIG", "/opt/framehost/configs/people-events.yaml"}};
    auto up = compose.run({"up", "-d", "frame-buffer", "sample-processor", "redis", "events-db"},
                          people_events);
    REQUIRE_MESSAGE(up.exit_code == 0, (up.out + up.err));
    std::string buffer = "http://localhost:" + std::to_string(buffer_port);
    std::string processor = "http://localhost:" + std::to_string(processor_port);
    HttpClient http;
    REQUIRE_MESSAGE(healthy(http, buffer, processor), compose.logs("sample-processor"));
    CHECK(compose.logs("sample-processor").find("event store PostgreSQL postgresql://") !=
          std::string::npos);
    auto events = http.get(processor + "/events");
    CHECK(events.status == 200);
    CHECK(nlohmann::json::parse(events.body, nullptr, false)["events"].is_array());

    // The camera listens on this machine's address on the project's network, not beyond it:
    // the containers reach it as they would a camera on the LAN.
    auto gateway = compose.gateway();
    REQUIRE_MESSAGE(!gateway.empty(), "no gateway for " << compose.project());
    TempDir dir;
    make_clip(dir / "cam.mp4", 320, 240, 10, 30);
    RtspCamera camera(dir / "cam.mp4", 0, gateway);
    auto capture = compose.run({"up", "-d", "capture"}, {{"CAMERA_URL", camera.url()}});
    REQUIRE_MESSAGE(capture.exit_code == 0, (capture.out + capture.err));

    // Nothing else feeds the Frame Buffer: what the processor counts came from the camera.
    double processed = 0;
    for (int i = 0; i < 300 && processed < 20; ++i) {
        std::this_thread::sleep_for(100ms);
        processed = frames_processed(http, processor);
    }
    CHECK_MESSAGE(processed >= 20, compose.logs("capture"));
    auto frames = nlohmann::json::parse(http.get(buffer + "/frames/status").body, nullptr, false);
    CAPTURE(frames.dump());
    CHECK(compose.run({"down"}).exit_code == 0);
}
