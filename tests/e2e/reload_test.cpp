// Changes without a restart, through the real framehost binary: a config re-read by
// POST /config/reload, SIGHUP and `framehost reload`, applied as a difference while frames flow;
// a plugin rebuilt on disk picked up by a reload.
#include <doctest/doctest.h>

#include <signal.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/cameras.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/running_host.hpp"

using namespace framehost::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

void rewrite(const std::filesystem::path& file, const std::string& text) {
    // Written beside and renamed over: a reload never reads half a file.
    auto next = file.string() + ".next";
    std::ofstream(next) << text;
    std::filesystem::rename(next, file);
}

HttpResult reload(HttpClient& http, const RunningHost& host) {
    return http.post(host.url("/config/reload"), "{}", {"Content-Type: application/json"});
}

json camera_entry(HttpClient& http, const RunningHost& host, const std::string& id) {
    auto report = json::parse(http.get(host.url("/cameras")).body);
    for (const auto& c : report["cameras"])
        if (c["id"] == id) return c;
    return nullptr;
}

// Three configs of one host: A and B differ in a processor's params, an ordered processor's
// params and an extra processor; the third has a value out of range on line 7.
struct Configs {
    std::string a, b, invalid;
};

Configs configs(const std::string& rtsp_url, const std::filesystem::path& out) {
    auto head = [&](const std::string& threshold) {
        return "pipeline: { workers: 2, batch_size: 10, progress_interval_s: 0 }\n"
               "sources:\n"
               "  - { plugin: synthetic_source, name: synth, params: { count: 0, rate_fps: 1000, "
               "width: 32, height: 24, pixels: true, cameras: 2 } }\n"
               "  - { plugin: video_source, name: street, params: { url: \"" +
               rtsp_url +
               "\", camera_id: street } }\n"
               "processors:\n"
               "  - { plugin: sample_detector, params: { processing_delay_ms: 0 } }\n"
               "  - { plugin: object_tracker, params: { iou_threshold: " +
               threshold + " } }\n";
    };
    auto sinks = "sinks: [ { plugin: jsonl_sink, params: { path: \"" + out.string() + "\" } } ]\n";
    return {head("0.3") + sinks, head("0.4") + "  - { plugin: identity, name: extra }\n" + sinks,
            head("7") + sinks};
}

}  // namespace

TEST_CASE(
    "50 reloads during a 1,000 frames/s run: every frame once, the invalid config refused with "
    "its position, the live RTSP camera never reconnects") {
    TempDir media;
    auto clip = media / "cam.mp4";
    // Longer than the test, so the test camera's own loop back to the clip's start never falls
    // inside it: what is checked is that reloads leave the camera alone.
    make_clip(clip, 320, 240, 15, 30);
    RtspCamera camera(clip);
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto c = configs(camera.url(), out);
    RunningHost host(c.a);
    HttpClient http;
    REQUIRE(eventually([&] { return camera_entry(http, host, "street")["state"] == "streaming"; },
                       30s));

    // The camera's own count, so what is checked is that it kept streaming through the reloads,
    // at whatever pace the reloads took.
    auto started = std::chrono::steady_clock::now();
    auto decoded_before = camera_entry(http, host, "street")["frames_decoded"].get<long>();
    int applied = 0, refused = 0;
    for (int i = 0; i < 50; ++i) {
        const auto& text = i % 3 == 0 ? c.b : i % 3 == 1 ? c.a : c.invalid;
        rewrite(host.config_file(), text);
        auto r = reload(http, host);
        auto body = json::parse(r.body);
        if (i % 3 == 2) {
            ++refused;
            CHECK(r.status == 422);
            REQUIRE(body["errors"].size() == 1);
            CHECK(body["errors"][0]["line"] == 7);
            CHECK(body["errors"][0]["column"].get<int>() > 0);
            CHECK_MESSAGE(has(body["errors"][0]["text"].get<std::string>(), "host.yaml:7:"),
                          r.body);
        } else {
            ++applied;
            CHECK_MESSAGE(r.status == 200, r.body);
            CHECK(body["changed"]["sources"]["kept"] == json::array({"synth", "street"}));
            CHECK(body["changed"]["sinks"]["kept"] == json::array({"jsonl_sink"}));
            if (i > 0)
                CHECK(body["changed"]["processors"]["replaced"] == json::array({"object_tracker"}));
            CHECK(body["changed"]["processors"][i % 3 == 0 ? "added" : "removed"] ==
                  json::array({"extra"}));
        }
        std::this_thread::sleep_for(20ms);
    }
    CHECK(applied == 34);
    CHECK(refused == 16);
    // What the last refused config would have changed did not happen: the running one stays.
    auto plugins = json::parse(http.get(host.url("/plugins")).body);
    for (const auto& p : plugins["plugins"])
        if (p["name"] == "object_tracker")
            CHECK(p["params"]["iou_threshold"] == 0.3);  // A, the last applied

    auto street = camera_entry(http, host, "street");
    CHECK(street["state"] == "streaming");
    CHECK(street["reconnects"] == 0);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto decoded = street["frames_decoded"].get<long>() - decoded_before;
    // 15 frames/s from the camera: at least half of them decoded while the reloads ran.
    CHECK_MESSAGE(decoded >= static_cast<long>(seconds * 15 / 2),
                  decoded << " frames in " << seconds << " s");
    auto delivered = street["frames_out"].get<std::size_t>();
    host.process().signal(SIGTERM);
    REQUIRE(host.process().wait(60s) == 0);
    CHECK(has(host.process().err(), "0 failed, 0 dropped"));

    std::set<long> synth;
    std::size_t lines = 0, street_frames = 0;
    for (const auto& line : read_jsonl(out)) {
        ++lines;
        auto id = line["frame_id"].get<std::string>();
        if (line["camera_id"] == "street") {
            ++street_frames;
            continue;
        }
        REQUIRE(id.rfind("frame-", 0) == 0);
        CHECK_MESSAGE(synth.insert(std::stol(id.substr(6))).second, ("twice: " + id));
    }
    REQUIRE(!synth.empty());
    // frame-0 to frame-N, each once: none lost across 34 swaps.
    CHECK(*synth.begin() == 0);
    CHECK(static_cast<std::size_t>(*synth.rbegin() + 1) == synth.size());
    // 1,000 frames/s from the synthetic cameras: at least half of them while the reloads ran.
    CHECK_MESSAGE(synth.size() >= static_cast<std::size_t>(seconds * 1000 / 2),
                  synth.size() << " frames in " << seconds << " s");
    CHECK(street_frames >= delivered);
}

TEST_CASE("SIGHUP and framehost reload re-read the config, and a host section's change is named") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config = [&](const std::string& threshold, const std::string& extra) {
        return extra +
               "pipeline: { workers: 2, batch_size: 10, progress_interval_s: 0 }\n"
               "source: { plugin: synthetic_source, params: { count: 0, rate_fps: 200 } }\n"
               "processors: [ { plugin: sample_detector, params: { processing_delay_ms: 0, "
               "detection_threshold: " +
               threshold +
               " } } ]\n"
               "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
               out.string() + "\" } } ]\n";
    };
    RunningHost host(config("0.5", ""));
    HttpClient http;
    auto threshold = [&] {
        auto plugins = json::parse(http.get(host.url("/plugins")).body);
        for (const auto& p : plugins["plugins"])
            if (p["name"] == "sample_detector")
                return p["params"]["detection_threshold"].get<double>();
        return -1.0;
    };
    REQUIRE(threshold() == 0.5);

    rewrite(host.config_file(), config("0.75", ""));
    host.process().signal(SIGHUP);
    CHECK(eventually([&] { return threshold() == 0.75; }, 10s));

    rewrite(host.config_file(), config("0.25", "service: { name: renamed }\n"));
    auto r = run_program(kFramehostBinary, {"reload", "--url", host.url("")});
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(has(r.out, "processors: sample_detector replaced"));
    CHECK(has(r.out, "service: changed, takes effect at the next start"));
    CHECK(threshold() == 0.25);

    rewrite(host.config_file(), config("2", ""));
    r = run_program(kFramehostBinary, {"reload", "--url", host.url("")});
    CHECK(r.exit_code == 1);
    CHECK_MESSAGE(has(r.err, "host.yaml:3:97: 'detection_threshold'"), r.err);
    CHECK(has(r.err, "reload refused (422); the running config stays"));
    CHECK(threshold() == 0.25);
    CHECK(host.process().running());
}

TEST_CASE("POST /config/reload is under the token") {
    RunningHost host("http: { auth_token: s3cret }\nprocessors: [ { plugin: identity } ]\n");
    HttpClient http;
    CHECK(reload(http, host).status == 401);
    auto r = http.post(host.url("/config/reload"), "{}",
                       {"Content-Type: application/json", "Authorization: Bearer s3cret"});
    CHECK_MESSAGE(r.status == 200, r.body);
    auto cli =
        run_program(kFramehostBinary, {"reload", "--url", host.url(""), "--token", "s3cret"});
    CHECK(cli.exit_code == 0);
}

TEST_CASE("a plugin rebuilt on disk between two reloads: the new code's results after the reload") {
    TempDir dir;
    auto plugins = dir / "plugins";
    std::filesystem::create_directories(plugins);
    auto source = dir.write("versioned.cpp", R"(
#include <framehost/export.hpp>
namespace {
class Versioned final : public framehost::Processor {
  public:
    static const framehost::PluginDescriptor& descriptor() {
        static const framehost::PluginDescriptor d{"versioned", "1.0.0",
            framehost::PluginKind::Processor, "Says which build it is", {}};
        return d;
    }
    Versioned(const framehost::Params&, framehost::PluginContext&) {}
    void process(framehost::Frame& frame) override {
        frame.detections.push_back({BUILD, 1.0, {0, 0, 1, 1}});
    }
};
}
FRAMEHOST_PLUGIN(Versioned)
)");
    auto build = [&](const std::string& which) {
        auto r = run_program("/usr/bin/c++",
                             {"-std=c++20", "-O0", "-shared", "-fPIC", "-DBUILD=\"" + which + "\"",
                              "-I", kSourceDir + "/sdk/include", source.string(), "-o",
                              (plugins / "versioned.so").string()},
                             {}, 180s);
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    };
    build("first");
    auto out = dir / "out.jsonl";
    RunningHost host(
        "pipeline: { workers: 2, batch_size: 5, progress_interval_s: 0 }\n"
        "plugin_paths: [" +
        plugins.string() +
        "]\n"
        "source: { plugin: synthetic_source, params: { count: 0, rate_fps: 200 } }\n"
        "processors: [ { plugin: versioned } ]\n"
        "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
        out.string() + "\" } } ]\n");
    auto last_class = [&] {
        auto lines = read_jsonl(out);
        return lines.empty() || lines.back()["detections"].empty()
                   ? std::string()
                   : lines.back()["detections"][0]["class"].get<std::string>();
    };
    REQUIRE(eventually([&] { return last_class() == "first"; }, 10s));
    build("second");  // the author's edit and build
    HttpClient http;
    CHECK(last_class() == "first");  // nothing changes until the reload
    auto r = reload(http, host);
    CHECK_MESSAGE(r.status == 200, r.body);
    CHECK(json::parse(r.body)["changed"]["processors"]["replaced"] == json::array({"versioned"}));
    CHECK(eventually([&] { return last_class() == "second"; }, 10s));
    // A reload with nothing rebuilt keeps the instance.
    r = reload(http, host);
    CHECK(json::parse(r.body)["changed"]["processors"]["kept"] == json::array({"versioned"}));
    host.process().signal(SIGTERM);
    CHECK(host.process().wait(30s) == 0);
}

TEST_CASE("a reload adds, changes and removes configured sources, the others untouched") {
    TempDir dir;
    auto out = dir / "out.jsonl";
    auto config = [&](const std::string& sources) {
        return "pipeline: { workers: 2, batch_size: 5, progress_interval_s: 0 }\n"
               "sources:\n" +
               sources +
               "processors: [ { plugin: identity } ]\n"
               "sinks: [ { plugin: jsonl_sink, params: { path: \"" +
               out.string() + "\" } } ]\n";
    };
    auto first =
        "  - { plugin: synthetic_source, name: a, params: { count: 0, rate_fps: 100, "
        "id_prefix: a- } }\n";
    auto second = [](const std::string& prefix) {
        return "  - { plugin: synthetic_source, name: b, params: { count: 0, rate_fps: 100, "
               "id_prefix: " +
               prefix + " } }\n";
    };
    RunningHost host(config(first));
    HttpClient http;
    auto count_prefix = [&](const std::string& prefix) {
        std::size_t n = 0;
        for (const auto& line : read_jsonl(out))
            n += line["frame_id"].get<std::string>().rfind(prefix, 0) == 0;
        return n;
    };
    REQUIRE(eventually([&] { return count_prefix("a-") > 20; }, 10s));

    rewrite(host.config_file(), config(std::string(first) + second("b-")));
    auto r = reload(http, host);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(json::parse(r.body)["changed"]["sources"]["added"] == json::array({"b"}));
    CHECK(eventually([&] { return count_prefix("b-") > 20; }, 10s));

    rewrite(host.config_file(), config(std::string(first) + second("c-")));
    r = reload(http, host);
    CHECK(json::parse(r.body)["changed"]["sources"]["replaced"] == json::array({"b"}));
    CHECK(eventually([&] { return count_prefix("c-") > 20; }, 10s));
    auto b_frames = count_prefix("b-");

    rewrite(host.config_file(), config(first));
    r = reload(http, host);
    CHECK(json::parse(r.body)["changed"]["sources"]["removed"] == json::array({"b"}));
    auto c_frames = count_prefix("c-");
    auto a_frames = count_prefix("a-");
    std::this_thread::sleep_for(500ms);
    CHECK(count_prefix("b-") == b_frames);  // gone and stays gone
    CHECK(count_prefix("c-") == c_frames);
    CHECK(count_prefix("a-") > a_frames);  // the untouched source went on all along
    host.process().signal(SIGTERM);
    CHECK(host.process().wait(30s) == 0);
    CHECK(has(host.process().err(), "0 failed, 0 dropped"));
}
