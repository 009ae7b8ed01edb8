#include "tests/support/cameras.hpp"

#include <signal.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "tests/support/paths.hpp"
#include "tests/support/services.hpp"

namespace framehost::test {

void make_clip(const std::filesystem::path& path, int width, int height, int fps, int seconds) {
    auto size = std::to_string(width) + "x" + std::to_string(height);
    auto result = run_program("/usr/bin/ffmpeg",
                              {"-v",
                               "error",
                               "-y",
                               "-f",
                               "lavfi",
                               "-i",
                               "testsrc2=size=" + size + ":rate=" + std::to_string(fps),
                               "-t",
                               std::to_string(seconds),
                               "-c:v",
                               "libx264",
                               "-preset",
                               "veryfast",
                               "-g",
                               std::to_string(fps),
                               "-pix_fmt",
                               "yuv420p",
                               "-movflags",
                               "+faststart",
                               path.string()},
                              {}, std::chrono::seconds(120));
    if (result.exit_code != 0) throw std::runtime_error("ffmpeg failed: " + result.err);
}

RtspCamera::RtspCamera(std::filesystem::path clip, int port, std::string address)
    : clip_(std::move(clip)), port_(port ? port : free_port()), address_(std::move(address)) {
    launch();
}

void RtspCamera::launch() {
    // Debian's interpreter: python3-gi is installed for it, not for any other python3 on PATH.
    process_ = std::make_unique<ChildProcess>(
        "/usr/bin/python3",
        std::vector<std::string>{kSourceDir + "/scripts/rtsp-camera", std::to_string(port_),
                                 clip_.string(), address_});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (process_->out().find("ready") == std::string::npos) {
        if (!process_->running() || std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("the RTSP server did not start: " + process_->err());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void RtspCamera::kill() {
    process_->signal(SIGKILL);
    process_->wait(std::chrono::seconds(5));
}

void RtspCamera::restart() {
    launch();
}

}  // namespace framehost::test
