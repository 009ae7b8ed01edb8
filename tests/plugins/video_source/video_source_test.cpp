// video_source.so driven as the host drives a source, on real video: Debian's pedestrian clip,
// clips made here with ffmpeg, a corrupt file, a path that does not exist, and a listener that
// accepts connections and never answers.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include "core/config/param_values.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "tests/support/cameras.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

using namespace framehost;
using namespace framehost::core;
using namespace std::chrono_literals;

namespace {
struct VideoSource {
    MetricsRegistry metrics;
    std::shared_ptr<PluginInstance> instance;
    explicit VideoSource(const std::string& yaml) {
        auto library = PluginLibrary::load(test::kBundledPluginDir + "/video_source.so");
        Diagnostics d("test");
        YAML::Node node = YAML::Load(yaml);
        auto params = validate_params(node, node, library->descriptor().params, "video_source", d);
        d.throw_if_any();
        instance = PluginInstance::create(library, "video", params, metrics);
        instance->plugin().start();
    }
    ~VideoSource() { instance->plugin().stop(); }
    // Reads until `count` frames came, the source ended, or the timeout passed.
    std::vector<Frame> read(std::size_t count, std::chrono::milliseconds timeout = 60s,
                            ReadStatus* last = nullptr) {
        std::vector<Frame> frames;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        ReadStatus status = ReadStatus::Idle;
        while (frames.size() < count && std::chrono::steady_clock::now() < deadline) {
            status =
                instance->source()->read(frames, std::min<std::size_t>(10, count - frames.size()));
            if (status == ReadStatus::EndOfInput) break;
        }
        if (last) *last = status;
        return frames;
    }
    nlohmann::json camera(const std::string& id) {
        return instance->plugin().status()["cameras"][id];
    }
};

// Accepts TCP connections and never says a word: a camera that hangs.
class SilentListener {
  public:
    SilentListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(fd_, 8);
        socklen_t size = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &size);
        port_ = ntohs(a.sin_port);
    }
    ~SilentListener() { ::close(fd_); }
    int port() const { return port_; }

  private:
    int fd_ = -1;
    int port_ = 0;
};
}  // namespace

TEST_CASE("every frame of the pedestrian clip arrives once, in order, at its size, 100 ms apart") {
    REQUIRE(std::filesystem::exists(test::kPedestrianClip));
    VideoSource video("{url: '" + test::kPedestrianClip.string() + "', camera_id: street}");
    ReadStatus last{};
    auto frames = video.read(1000, 120s, &last);
    CHECK(last == ReadStatus::EndOfInput);
    REQUIRE(frames.size() == 795);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto& f = frames[i];
        INFO("frame " << i);
        REQUIRE(f.id == "street-" + std::to_string(i + 1));
        REQUIRE(f.camera_id == "street");
        REQUIRE(f.format == PixelFormat::BGR24);
        REQUIRE((f.image.width == 768 && f.image.height == 576));
        REQUIRE(image_problem(f.image).empty());
        if (i > 0) REQUIRE(f.timestamp_ms - frames[i - 1].timestamp_ms == 100);  // 10 fps clock
    }
    // The picture is the clip's, not a blank: the people make rows differ.
    const auto& image = frames[400].image;
    CHECK(std::memcmp(image.row(0, 100), image.row(0, 400), image.row_bytes(0)) != 0);
    auto status = video.camera("street");
    CHECK(status["state"] == "finished");
    CHECK(status["frames_decoded"] == 795);
    CHECK(status["frames_dropped"] == 0);
}

TEST_CASE("format native wraps the decoder's frames without a copy, and resize converts") {
    test::TempDir dir;
    auto clip = dir / "clip.mp4";
    test::make_clip(clip, 320, 240, 10, 2);
    {
        VideoSource video("{url: '" + clip.string() + "', format: native}");
        auto frames = video.read(100);
        REQUIRE(frames.size() == 20);
        CHECK(frames[0].format == PixelFormat::I420);
        CHECK(frames[0].image.stride(0) >= 320);
        CHECK(video.camera("camera")["frames_wrapped"] == 20);
    }
    VideoSource gray("{url: '" + clip.string() + "', format: gray, width: 160, height: 120}");
    auto frames = gray.read(100);
    REQUIRE(frames.size() == 20);
    CHECK(frames[5].format == PixelFormat::GRAY8);
    CHECK((frames[5].width == 160 && frames[5].height == 120));
    CHECK(gray.camera("camera")["frames_wrapped"] == 0);
}

TEST_CASE("a looping file goes on past its end with ids that keep counting") {
    test::TempDir dir;
    auto clip = dir / "short.mp4";
    test::make_clip(clip, 160, 120, 10, 1);  // 10 frames
    VideoSource video("{cameras: [ {id: a, url: '" + clip.string() + "', loop: true} ]}");
    ReadStatus last{};
    auto frames = video.read(35, 30s, &last);
    REQUIRE(frames.size() == 35);
    CHECK(last == ReadStatus::Frames);
    for (std::size_t i = 0; i < frames.size(); ++i)
        CHECK(frames[i].id == "a-" + std::to_string(i + 1));
    CHECK(video.camera("a")["state"] == "streaming");
}

TEST_CASE("a looped clip or still picture keeps its clock across the loop: paced, max_fps held") {
    test::TempDir dir;
    auto clip = dir / "short.mp4";
    test::make_clip(clip, 160, 120, 10, 1);  // 10 frames, 100 ms apart
    // Timestamps rise by 100 ms across each pass's end, as within a pass.
    VideoSource looped("{cameras: [ {id: a, url: '" + clip.string() + "', loop: true} ]}");
    auto frames = looped.read(25, 30s);
    REQUIRE(frames.size() == 25);
    for (std::size_t i = 1; i < frames.size(); ++i)
        CHECK(frames[i].timestamp_ms - frames[i - 1].timestamp_ms == 100);

    // A still picture played as a live camera at 5 frames a second: one frame every 200 ms,
    // not as fast as the file reopens.
    VideoSource still("{cameras: [ {id: door, url: '" + test::kAstronaut.string() +
                      "', loop: true, realtime: true, max_fps: 5} ]}");
    auto started = std::chrono::steady_clock::now();
    auto pictures = still.read(6, 30s);
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(pictures.size() == 6);
    for (std::size_t i = 1; i < pictures.size(); ++i)
        CHECK(pictures[i].timestamp_ms - pictures[i - 1].timestamp_ms == 200);
    // Five intervals of 200 ms between the first and the sixth (generously bounded above: the
    // point is that it is not a spin).
    CHECK(took >= 900ms);
    CHECK(took < 10s);
}

TEST_CASE(
    "a corrupt file and a path that does not exist fail per camera with the reason, others run") {
    test::TempDir dir;
    auto corrupt = dir / "corrupt.mp4";
    {
        std::ofstream out(corrupt, std::ios::binary);
        std::mt19937 random(7);
        for (int i = 0; i < 200000; ++i) out.put(static_cast<char>(random()));
    }
    auto good = dir / "good.mp4";
    test::make_clip(good, 160, 120, 10, 1);
    VideoSource video("{backoff_ms: 100, cameras: [ {id: bad, url: '" + corrupt.string() +
                      "'}, {id: missing, url: '" + (dir / "nothing.mp4").string() +
                      "'}, {id: good, url: '" + good.string() + "'} ]}");
    auto frames = video.read(10, 30s);
    CHECK(frames.size() == 10);
    for (const auto& f : frames) CHECK(f.camera_id == "good");
    CHECK(test::eventually(
        [&] {
            return video.camera("bad").contains("last_error") &&
                   video.camera("missing").contains("last_error");
        },
        10s));
    auto missing = video.camera("missing");
    CHECK(missing["last_error"].get<std::string>().find("No such file") != std::string::npos);
    CHECK(missing["state"] != "streaming");
    CHECK(video.camera("bad")["state"] != "streaming");
    auto status = video.instance->plugin().status();
    CHECK(status["healthy"] == false);
    CHECK(status["error"].get<std::string>().find("camera 'missing'") != std::string::npos);
}

TEST_CASE("a camera that accepts the connection and never answers times out within its bound") {
    SilentListener listener;
    auto started = std::chrono::steady_clock::now();
    VideoSource video("{url: 'rtsp://127.0.0.1:" + std::to_string(listener.port()) +
                      "/cam', connect_timeout_ms: 500, backoff_ms: 5000}");
    REQUIRE(test::eventually([&] { return video.camera("camera").contains("last_error"); }, 5s));
    auto waited = std::chrono::steady_clock::now() - started;
    CHECK(waited < 2500ms);
    auto camera = video.camera("camera");
    CHECK(camera["last_error"].get<std::string>().find("no answer within 500 ms") !=
          std::string::npos);
    CHECK(camera["state"] == "reconnecting");
    CHECK(video.read(1, 300ms).empty());  // a read never hangs on it
}

TEST_CASE("a camera list is checked item by item, naming the item") {
    auto library = PluginLibrary::load(test::kBundledPluginDir + "/video_source.so");
    Diagnostics d("cameras.yaml");
    YAML::Node node = YAML::Load("cameras:\n  - {id: a, url: x}\n  - {id: b, max_fps: -1}\n");
    validate_params(node, node, library->descriptor().params, "video_source", d);
    REQUIRE_THROWS_AS(d.throw_if_any(), ConfigErrors);
    try {
        d.throw_if_any();
    } catch (const ConfigErrors& e) {
        std::string all;
        for (const auto& error : e.errors())
            all += std::to_string(error.line) + ": " + error.message + "\n";
        INFO(all);
        CHECK(all.find("3: item 2 of 'cameras' of video_source: missing required key 'url'") !=
              std::string::npos);
        CHECK(all.find("'max_fps'") != std::string::npos);
    }
}
