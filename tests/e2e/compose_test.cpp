// compose.yaml brought up with Debian's podman-compose: Redis, the Frame Buffer and the sample
// processor in containers on one network; the steps of the replaced system's own
// test_integration.py (both /health 200, five frames posted to the Frame Buffer, the processor's
// /metrics counting them consumed), then `down` leaves nothing running. Skipped, saying so,
// where podman-compose or the images are missing (scripts/image builds them).
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

std::map<std::string, std::string> podman_env(std::map<std::string, std::string> extra = {}) {
    const char* conf = std::getenv("CONTAINERS_CONF");
    extra["CONTAINERS_CONF"] = conf ? conf : kSourceDir + "/scripts/podman/containers.conf";
    return extra;
}

std::string missing() {
    if (!std::filesystem::exists("/usr/bin/podman-compose"))
        return "podman-compose is not installed";
    for (const auto* image : {"framehost:latest", "framehost-redis:latest"})
        if (run_program("/usr/bin/podman", {"image", "exists", image}, podman_env()).exit_code != 0)
            return std::string(image) + " is not built (scripts/image builds it)";
    return {};
}

// `podman-compose -p PROJECT -f compose.yaml ARGS...`, the project's ports in the environment.
class Compose {
  public:
    Compose(int frame_buffer_port, int processor_port)
        : project_("framehost-test-" + std::to_string(getpid())),
          env_(podman_env({{"FRAME_BUFFER_PORT", std::to_string(frame_buffer_port)},
                           {"PORT", std::to_string(processor_port)}})) {}
    ~Compose() { run({"down"}); }
    RunResult run(const std::vector<std::string>& args) {
        std::vector<std::string> all{"-p", project_, "-f", kSourceDir + "/compose.yaml"};
        all.insert(all.end(), args.begin(), args.end());
        return run_program("/usr/bin/podman-compose", all, env_, 180s);
    }
    const std::string& project() const { return project_; }

  private:
    std::string project_;
    std::map<std::string, std::string> env_;
};

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
    bool healthy = false;
    for (int i = 0; i < 150 && !healthy; ++i) {
        std::this_thread::sleep_for(200ms);
        healthy = http.get(buffer + "/health").status == 200 &&
                  http.get(processor + "/health").status == 200 &&
                  nlohmann::json::parse(
                      http.get(processor + "/health").body)["details"]["consumer_running"] == true;
    }
    REQUIRE(healthy);
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
        auto metrics = nlohmann::json::parse(http.get(processor + "/metrics").body, nullptr, false);
        if (metrics.is_object() && metrics.contains("processor_metrics"))
            processed = metrics["processor_metrics"]["frames_processed"].get<double>();
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
