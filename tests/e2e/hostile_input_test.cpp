// Hostile input through the real binaries: JSON nested to overflow a stack, numbers beyond any
// double, plugin names that are paths. Each is refused with its reason, and nothing accepted is
// lost (issue 16; the HTTP framing items are in http_framing_test.cpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <csignal>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/redis_client.hpp"
#include "tests/support/running_host.hpp"
#include "tests/support/services.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Bytes that are no file format: a fixed pseudo-random sequence.
std::string noise(std::size_t size) {
    std::string bytes(size, '\0');
    std::uint32_t state = 11;
    for (auto& c : bytes) {
        state = state * 1664525u + 1013904223u;
        c = static_cast<char>(state >> 24);
    }
    return bytes;
}

// {"frame_id": ID, "metadata": {"x": [[[ ... ]]]}} with `depth` nested arrays.
std::string deep_frame(const std::string& id, std::size_t depth) {
    return R"({"frame_id":")" + id + R"(","metadata":{"x":)" + std::string(depth, '[') +
           std::string(depth, ']') + "}}";
}

std::vector<json> lines_of(const std::filesystem::path& file) {
    std::vector<json> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        try {
            lines.push_back(json::parse(line));
        } catch (...) {
        }
    }
    return lines;
}

}  // namespace

TEST_CASE(
    "JSON nested 400,000 levels deep is refused with 422 by the Frame Buffer and /process, and "
    "both stay up") {
    FrameBufferServer fb;
    HttpClient client;
    CHECK(client.post(fb.url("/frames"), R"({"frame_id":"keep"})").status == 200);
    auto refused = client.post(fb.url("/frames"), deep_frame("deep", 400000));
    CHECK(refused.status == 422);
    CHECK(json::parse(refused.body)["detail"][0]["msg"] == "JSON nested deeper than 256 levels");
    CHECK(client.post(fb.url("/frames"), deep_frame("fine", 200)).status ==
          200);  // deep, but within the limit
    auto out = json::parse(client.get(fb.url("/frames/dequeue?count=10")).body);
    CHECK(out["count"] == 2);

    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\nprocessors: [ { plugin: identity } ]\n");
    auto process = client.post(host.url("/process"), R"({"frame_data":"QUJD","metadata":{"x":)" +
                                                         std::string(400000, '[') +
                                                         std::string(400000, ']') + "}}");
    CHECK(process.status == 422);
    CHECK(client.get(host.url("/live")).status == 200);
}

TEST_CASE(
    "a number beyond any double is a 422 naming the body, not a 500 or a 503 that clients retry") {
    FrameBufferServer fb;
    HttpClient client;
    for (const std::string& number : {std::string("1e400"), std::string(5000, '9')}) {
        auto r =
            client.post(fb.url("/frames"), R"({"frame_id":"n","metadata":{"v":)" + number + "}}");
        CHECK(r.status == 422);
        // The answer does not echo a 5,000-digit token: its messages and pydantic's ctx.doc are
        // cut (256 bytes of the document).
        CHECK(r.body.size() < 1000);
    }
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\nprocessors: [ { plugin: identity } ]\n");
    auto r = client.post(host.url("/process"), R"({"frame_data":"QUJD","metadata":{"v":1e400}})");
    CHECK(r.status == 422);
    CHECK(json::parse(r.body)["detail"][0]["type"] == "value_error.jsondecode");
    // A megabyte-long token in a frame a processor fails: its log line is bounded.
    auto huge = client.post(host.url("/process"), R"({"frame_data":"QUJD","metadata":{"v":)" +
                                                      std::string(1 << 20, '9') + "}}");
    CHECK(huge.status == 422);
    CHECK(huge.body.size() < 1000);
    std::istringstream log(host.process().err());
    for (std::string line; std::getline(log, line);) CHECK(line.size() < 2200);
}

TEST_CASE(
    "a Frame Buffer answering a frame nested 400,000 levels deep: that frame fails with the "
    "reason, the next completes, the host lives") {
    ScriptedHttpServer upstream;
    upstream.answer(200, R"({"frames":[)" + deep_frame("deep-1", 400000) +
                             R"(,{"frame_id":"ok-1"}],"count":2,"remaining":0})");
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\n"
        "source: { plugin: frame_buffer_consumer, params: { url: \"http://127.0.0.1:" +
        std::to_string(upstream.port()) +
        "\", poll_interval_ms: 200, health_check_interval_s: 0 } }\n"
        "processors: [ { plugin: identity } ]\n"
        "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
        out.string() + "\" } } ]\n");
    std::vector<json> lines;
    for (int i = 0; i < 100 && lines.size() < 2; ++i) {
        std::this_thread::sleep_for(100ms);
        lines = lines_of(out);
    }
    REQUIRE(lines.size() >= 2);
    CHECK(lines[0]["frame_id"] == "deep-1");
    CHECK(lines[0]["state"] == "failed");
    CHECK(lines[0]["error"] == "malformed frame: JSON nested deeper than 256 levels");
    CHECK(lines[1]["frame_id"] == "ok-1");
    CHECK(lines[1]["state"] == "completed");
    CHECK(host.process().running());
}

TEST_CASE("redis_streams_source fails an entry nested too deep with the reason, and reads on") {
    RedisServer redis;
    RedisClient r(redis.port());
    r.pipeline({{"XADD", "frames", "*", "frame", deep_frame("deep-2", 400000)},
                {"XADD", "frames", "*", "frame", R"({"frame_id":"ok-2"})"}});
    TempDir dir;
    auto out = dir / "out.jsonl";
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\n"
        "source: { plugin: redis_streams_source, params: { url: \"" +
        redis.url() +
        "\", stream: frames, dead_letter_stream: \"frames:dead\" } }\n"
        "processors: [ { plugin: identity } ]\n"
        "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
        out.string() + "\" } } ]\n");
    std::vector<json> lines;
    for (int i = 0; i < 100 && lines.size() < 2; ++i) {
        std::this_thread::sleep_for(100ms);
        lines = lines_of(out);
    }
    REQUIRE(lines.size() == 2);
    CHECK(lines[0]["state"] == "failed");
    CHECK(lines[0]["error"].get<std::string>().find("JSON nested deeper than 256 levels") !=
          std::string::npos);
    CHECK(lines[1]["state"] == "completed");
}

TEST_CASE(
    "a plugin name that is a path is refused, in a config and by inspect, before anything is "
    "opened") {
    TempDir dir;
    auto config = dir.write("host.yaml",
                            "http: { enabled: false }\nprocessors: [ { plugin: "
                            "../../../../usr/lib/x86_64-linux-gnu/libz } ]\n");
    auto check = run_program(kFramehostBinary, {"--config", config.string(), "--check"});
    CHECK(check.exit_code == 1);
    CHECK(check.err.find("is not a name") != std::string::npos);
    auto inspect =
        run_program(kFramehostBinary, {"inspect", "../../../../usr/lib/x86_64-linux-gnu/libz"});
    CHECK(inspect.exit_code != 0);
    CHECK(inspect.err.find("is not a name") != std::string::npos);
}

TEST_CASE("a password in a URL shows in no answer and no log line") {
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\n"
        "source: { plugin: frame_buffer_consumer, params: { url: "
        "\"http://user:s3cr3tpw@127.0.0.1:" +
        std::to_string(free_port()) +
        "\", backoff_ms: 50 } }\n"
        "processors: [ { plugin: identity } ]\n");
    HttpClient client;
    std::this_thread::sleep_for(500ms);  // a few failed connects, logged with the URL
    for (const char* path : {"/health", "/plugins", "/metrics", "/ready"}) {
        auto r = client.get(host.url(path));
        CAPTURE(path);
        CHECK(r.body.find("s3cr3tpw") == std::string::npos);
    }
    CHECK(client.get(host.url("/plugins")).body.find("http://***@127.0.0.1") != std::string::npos);
    CHECK(host.process().err().find("s3cr3tpw") == std::string::npos);
    CHECK(host.process().err().find("***@127.0.0.1") != std::string::npos);
}

TEST_CASE(
    "a host bound beyond loopback with no token refuses to start unless the config says so, naming "
    "why") {
    TempDir dir;
    auto open = dir.write("open.yaml", "http: { bind: 0.0.0.0, port: 0 }\n");
    auto refused = run_program(kFramehostBinary, {"--config", open.string(), "--check"});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("open.yaml:1:15: http.bind 0.0.0.0 serves POST /process to the network "
                           "with no auth_token") != std::string::npos);
    auto token = dir.write("token.yaml", "http: { bind: 0.0.0.0, port: 0, auth_token: t0ken }\n");
    CHECK(run_program(kFramehostBinary, {"--config", token.string(), "--check"}).exit_code == 0);
    auto allowed =
        dir.write("allowed.yaml", "http: { bind: 0.0.0.0, port: 0, allow_open_bind: true }\n");
    CHECK(run_program(kFramehostBinary, {"--config", allowed.string(), "--check"}).exit_code == 0);
}

TEST_CASE("the bearer scheme is case-insensitive") {
    RunningHost host(
        "pipeline: { progress_interval_s: 0 }\nhttp: { auth_token: t0ken }\nprocessors: [ { "
        "plugin: identity } ]\n");
    HttpClient client;
    std::string body = R"({"frame_data":"QUJD"})";
    CHECK(client.post(host.url("/process"), body, {"Authorization: bearer t0ken"}).status == 200);
    CHECK(client.post(host.url("/process"), body, {"Authorization: BEARER t0ken"}).status == 200);
    CHECK(client.post(host.url("/process"), body, {"Authorization: bearer wrong"}).status == 401);
}

TEST_CASE("a config that is a directory, a device or a FIFO is refused by what it is, at once") {
    TempDir dir;
    auto fifo = dir / "config.fifo";
    REQUIRE(run_program("/usr/bin/mkfifo", {fifo.string()}).exit_code == 0);
    const std::pair<std::string, std::string> cases[] = {
        {dir.path().string(), "is a directory"},
        {"/dev/zero", "is not a regular file"},
        {fifo.string(), "is not a regular file"},
        {(dir / "none.yaml").string(), "no such file"}};
    for (const auto& [path, words] : cases) {
        CAPTURE(path);
        auto r = run_program(kFramehostBinary, {"--config", path, "--check"}, {}, 10s);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find(words) != std::string::npos);
    }
}

TEST_CASE("a YAML alias bomb of 480 bytes is refused at once, naming the aliases") {
    TempDir dir;
    std::string text = "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n";
    for (int level = 1; level < 10; ++level) {
        text += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
        for (int k = 0; k < 10; ++k) text += (k ? ",*a" : "*a") + std::to_string(level - 1);
        text += "]\n";
    }
    auto config = dir.write("bomb.yaml", text);
    auto started = std::chrono::steady_clock::now();
    auto r = run_program(kFramehostBinary, {"--config", config.string(), "--check"}, {}, 20s);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("once its aliases (*name) are expanded") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < 10s);
}

TEST_CASE(
    "SIGTERM with a frozen Frame Buffer and a 30 s read timeout: the source's read is "
    "interrupted and the host exits cleanly within the shutdown timeout") {
    // A frozen upstream: connections complete in the kernel's backlog and are never answered.
    int frozen = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(frozen, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(frozen, 16) == 0);
    socklen_t size = sizeof address;
    ::getsockname(frozen, reinterpret_cast<sockaddr*>(&address), &size);
    RunningHost host(
        "pipeline: { progress_interval_s: 0, shutdown_timeout_s: 1 }\n"
        "source: { plugin: frame_buffer_consumer, params: { url: \"http://127.0.0.1:" +
        std::to_string(ntohs(address.sin_port)) +
        "\", read_timeout_ms: 30000, health_check_interval_s: 0 } }\n"
        "processors: [ { plugin: identity } ]\n");
    std::this_thread::sleep_for(500ms);  // the source is in its read
    auto started = std::chrono::steady_clock::now();
    host.process().signal(SIGTERM);
    int code = host.process().wait(25s);
    auto took = std::chrono::steady_clock::now() - started;
    ::close(frozen);
    CHECK(code == 0);
    // The read gives up when asked to stop (libcurl looks about once a second), well inside the
    // 1 s shutdown timeout and its grace; no thread is left behind in a call.
    CHECK(took < 2500ms);
    CHECK(host.process().err().find("did not return") == std::string::npos);
}

TEST_CASE(
    "a model that is a directory, a device, an empty file or missing is named for what it is, by "
    "--check at its position and by a run") {
    TempDir dir;
    std::filesystem::create_directories(dir / "models");
    dir.write("empty.onnx", "");
    struct Case {
        std::string path, says;
    };
    for (const auto& c : {Case{(dir / "models").string(), "is a directory"},
                          Case{"/dev/zero", "is a device, not a file"},
                          Case{(dir / "empty.onnx").string(), "is empty"},
                          Case{(dir / "none.onnx").string(), "does not exist"}}) {
        CAPTURE(c.path);
        auto config = dir.write("host.yaml",
                                "http: { enabled: false }\nprocessors:\n  - plugin: dnn_detector\n"
                                "    params: { model: '" +
                                    c.path + "' }\n");
        auto check = run_program(kFramehostBinary, {"--config", config.string(), "--check"});
        CHECK(check.exit_code == 1);
        CHECK_MESSAGE(check.err.find("host.yaml:4:") != std::string::npos, check.err);
        CHECK_MESSAGE(check.err.find(c.says) != std::string::npos, check.err);
        auto run = run_program(kFramehostBinary, {"--config", config.string()}, {}, 30s);
        CHECK(run.exit_code != 0);
        CHECK_MESSAGE(run.err.find(c.says) != std::string::npos, run.err);
    }
}

TEST_CASE("an ONNX model of random bytes is refused by --check at its position, as the run does") {
    TempDir dir;
    auto model = dir.write("face.onnx", noise(50'000));
    auto config = dir.write("host.yaml",
                            "http: { enabled: false }\nprocessors:\n  - plugin: dnn_detector\n"
                            "    params: { model: '" +
                                model.string() + "' }\n");
    auto check = run_program(kFramehostBinary, {"--config", config.string(), "--check"});
    CHECK(check.exit_code == 1);
    CHECK(check.err.find("host.yaml:4:") != std::string::npos);
    CHECK_MESSAGE(check.err.find("is not a network OpenCV can load") != std::string::npos,
                  check.err);
    auto run = run_program(kFramehostBinary, {"--config", config.string()}, {}, 30s);
    CHECK(run.exit_code != 0);
    CHECK(run.err.find("is not a network OpenCV can load") != std::string::npos);
}

TEST_CASE(
    "Caffe and Darknet files of random bytes, and files of no format OpenCV reads, are refused "
    "by --check, and real ones pass") {
    TempDir dir;
    // The smallest real files of each: a one-layer Darknet network and its weights (version
    // 0.2.0, 4 biases and 4x3x3x3 weights), a Caffe description and a model naming the net.
    auto cfg = dir.write("tiny.cfg",
                         "[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=4\n"
                         "size=3\nstride=1\npad=1\nactivation=leaky\n");
    std::string weights(12 + 8 + (4 + 4 * 27) * 4, '\0');
    weights[4] = 2;  // major 0, minor 2, revision 0, then 8 bytes of images seen
    auto real_weights = dir.write("tiny.weights", weights);
    auto prototxt = dir.write("tiny.prototxt",
                              "name: \"tiny\"\ninput: \"data\"\n"
                              "input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n");
    auto real_caffemodel = dir.write("tiny.caffemodel", std::string("\x0a\x04tiny", 6));
    auto random = [&](const std::string& name) { return dir.write(name, noise(50'000)).string(); };
    struct Case {
        std::string model, config, says;
    };
    const Case cases[] = {
        {random("face.caffemodel"), prototxt.string(), "is not a network OpenCV can load"},
        {random("yolo.weights"), cfg.string(), "does not begin as Darknet weights do"},
        {random("model.bin"), "", "is of no format OpenCV reads"},
        {real_weights.string(), random("yolo.cfg"), "is not a description OpenCV can read"},
        {real_weights.string(), random("yolo.txt"), "is of no description format"},
        {real_weights.string(), cfg.string(), ""},
        {real_caffemodel.string(), prototxt.string(), ""},
    };
    for (const auto& c : cases) {
        INFO(c.model, " with ", c.config);
        auto config = dir.write(
            "host.yaml",
            "http: { enabled: false }\nprocessors:\n  - plugin: dnn_detector\n"
            "    params: { model: '" +
                c.model + "'" + (c.config.empty() ? "" : ", config: '" + c.config + "'") + " }\n");
        auto check = run_program(kFramehostBinary, {"--config", config.string(), "--check"});
        if (c.says.empty()) {
            CHECK_MESSAGE(check.exit_code == 0, check.err);
            continue;
        }
        CHECK(check.exit_code == 1);
        CHECK_MESSAGE(check.err.find("host.yaml:4:") != std::string::npos, check.err);
        CHECK_MESSAGE(check.err.find(c.says) != std::string::npos, check.err);
    }
}
