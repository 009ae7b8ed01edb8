// The recorder sink through the real host: an event's clip made of the camera's own packets,
// byte for byte, over the span pre_s and post_s ask for, served by GET /events/{id}/clip.mp4
// whole and by byte ranges.
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <limits>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/browser.hpp"
#include "tests/support/cameras.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/running_host.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// 10 s at 10 fps, H.264 with a keyframe each second: 3 s of black, the astronaut's face for
// 3 s, 4 s of black. One face event, from about 3 s to 6 s.
std::filesystem::path face_clip(const TempDir& dir) {
    auto clip = dir / "face.mp4";
    auto made = run_program(
        "/usr/bin/ffmpeg",
        {"-v",
         "error",
         "-y",
         "-f",
         "lavfi",
         "-i",
         "color=black:s=640x480:r=10:d=3",
         "-loop",
         "1",
         "-t",
         "3",
         "-r",
         "10",
         "-i",
         kAstronaut.string(),
         "-f",
         "lavfi",
         "-i",
         "color=black:s=640x480:r=10:d=4",
         "-filter_complex",
         "[1:v]scale=480:480,pad=640:480:80:0,setsar=1[a];[0:v][a][2:v]concat=n=3:v=1[v]",
         "-map",
         "[v]",
         "-c:v",
         "libx264",
         "-g",
         "10",
         "-pix_fmt",
         "yuv420p",
         clip.string()});
    REQUIRE_MESSAGE(made.exit_code == 0, made.err);
    return clip;
}

struct PacketLine {
    bool key;
    std::string hash;
};

// Each video packet of `file`: keyframe or not, and the MD5 of its bytes (ffprobe).
std::vector<PacketLine> packets_of(const std::filesystem::path& file) {
    auto probe =
        run_program("/usr/bin/ffprobe", {"-v", "error", "-select_streams", "v", "-show_entries",
                                         "packet=flags,data_hash", "-show_data_hash", "MD5", "-of",
                                         "csv=p=0", file.string()});
    REQUIRE_MESSAGE(probe.exit_code == 0, probe.err);
    std::vector<PacketLine> packets;
    std::istringstream lines(probe.out);
    for (std::string line; std::getline(lines, line);) {
        auto comma = line.find(',');
        if (comma == std::string::npos) continue;
        packets.push_back({line[0] == 'K', line.substr(comma + 1)});
    }
    return packets;
}

// The config of a camera with a face now and then: BlazeFace, the tracker, events, and a
// recorder with `recorder_params`.
std::string face_config(const TempDir& dir, const std::string& camera_params,
                        const std::string& recorder_params) {
    return "events: { path: '" + (dir / "events.db").string() +
           "' }\n"
           "source: { plugin: video_source, params: { camera_id: door, " +
           camera_params +
           " } }\n"
           "processors:\n"
           "  - { plugin: dnn_detector, params: { preset: blazeface_front_128 } }\n"
           "  - { plugin: object_tracker }\n"
           "  - { plugin: events, params: { min_frames: 2 } }\n"
           "sinks:\n"
           "  - { plugin: recorder, params: { " +
           recorder_params + " } }\n";
}

// True when ffmpeg decodes every frame of `file` without a complaint.
bool plays(const std::filesystem::path& file, std::string& complaint) {
    auto decoded =
        run_program("/usr/bin/ffmpeg", {"-v", "error", "-i", file.string(), "-f", "null", "-"});
    complaint = decoded.err;
    return decoded.exit_code == 0 && decoded.err.empty();
}

// The bytes of the files under `folder` (that exist as it is walked).
std::uintmax_t folder_bytes(const std::filesystem::path& folder) {
    std::uintmax_t total = 0;
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(folder, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
        std::error_code gone;  // removed by retention as it is walked
        if (!it->is_regular_file(gone)) continue;
        auto bytes = it->file_size(gone);
        if (!gone) total += bytes;
    }
    return total;
}

// The frame number (from 0) of a frame id "door-N" in a 100-frame clip looped.
int frame_index(const std::string& frame_id) {
    return (std::stoi(frame_id.substr(frame_id.rfind('-') + 1)) - 1) % 100;
}

}  // namespace

TEST_CASE(
    "recorder: an event's clip is the camera's own packets from pre_s before it to post_s after, "
    "served whole and by byte ranges") {
    TempDir dir;
    auto source = face_clip(dir);
    auto clips = dir / "clips";
    RunningHost host(face_config(dir, "url: '" + source.string() + "', realtime: true, loop: true",
                                 "path: '" + clips.string() + "', pre_s: 1, post_s: 1"));
    HttpClient http;
    json event;
    REQUIRE(eventually(
        [&] {
            auto events = json::parse(http.get(host.url("/events")).body)["events"];
            for (const auto& e : events)
                if (e.contains("clip")) event = e;
            return !event.is_null();
        },
        40s));
    INFO(event.dump());
    const std::string id = event["id"];
    CHECK(event["clip"] == "/events/" + id + "/clip.mp4");

    auto whole = http.get(host.url(event["clip"]));
    REQUIRE(whole.status == 200);
    CHECK(whole.headers["content-type"] == "video/mp4");
    CHECK(whole.headers["accept-ranges"] == "bytes");
    auto saved = dir.write("clip.mp4", whole.body);

    // Byte for byte the camera's packets, a run of them starting at a keyframe.
    auto from_source = packets_of(source);
    auto in_clip = packets_of(saved);
    REQUIRE(from_source.size() == 100);
    REQUIRE(!in_clip.empty());
    CHECK(in_clip.front().key);
    auto start = std::find_if(from_source.begin(), from_source.end(),
                              [&](const PacketLine& p) { return p.hash == in_clip.front().hash; });
    REQUIRE(start != from_source.end());
    auto first = static_cast<int>(start - from_source.begin());
    REQUIRE(first + in_clip.size() <= from_source.size());
    for (std::size_t i = 0; i < in_clip.size(); ++i)
        CHECK(in_clip[i].hash == from_source[static_cast<std::size_t>(first) + i].hash);
    // From the keyframe before pre_s (1 s = 10 frames) ahead of the start, to post_s after the
    // end; a GOP is 10 frames.
    int event_start = frame_index(event["start_frame_id"]);
    int event_end = frame_index(event["end_frame_id"]);
    int last = first + static_cast<int>(in_clip.size()) - 1;
    CHECK(first <= event_start - 10);
    CHECK(first > event_start - 10 - 10);
    CHECK(last >= event_end + 10 - 1);

    // The clip run back through the same config finds the same event on the same frames: the
    // clip's frame 1 is the source's frame `first`.
    auto config = dir.write("faces.yaml", face_config(dir, "url: '" + source.string() + "'",
                                                      "path: '" + clips.string() + "'"));
    auto replayed = run_program(kFramehostBinary,
                                {"replay", "--config", config.string(), saved.string()}, {}, 120s);
    INFO(replayed.err);
    REQUIRE(replayed.exit_code == 0);
    std::vector<json> found;
    std::istringstream lines(replayed.out);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("summary ", 0) != 0) found.push_back(json::parse(line));
    REQUIRE(found.size() == 1);
    CHECK(frame_index(found[0]["start_frame_id"]) + first == event_start);
    CHECK(frame_index(found[0]["end_frame_id"]) + first == event_end);
    CHECK(found[0]["bbox"] == event["bbox"]);
    CHECK(found[0]["label"] == "face");

    // Ranges, for a player that seeks.
    auto size = whole.body.size();
    auto part = http.get(host.url(event["clip"]), {"Range: bytes=100-199"});
    CHECK(part.status == 206);
    CHECK(part.body == whole.body.substr(100, 100));
    CHECK(part.headers["content-range"] == "bytes 100-199/" + std::to_string(size));
    auto tail = http.get(host.url(event["clip"]), {"Range: bytes=-50"});
    CHECK(tail.status == 206);
    CHECK(tail.body == whole.body.substr(size - 50));
    auto open_ended = http.get(host.url(event["clip"]), {"Range: bytes=10-"});
    CHECK(open_ended.status == 206);
    CHECK(open_ended.body == whole.body.substr(10));
    auto past = http.get(host.url(event["clip"]), {"Range: bytes=" + std::to_string(size) + "-"});
    CHECK(past.status == 416);
    CHECK(past.headers["content-range"] == "bytes */" + std::to_string(size));

    CHECK(http.get(host.url("/events/nothing/clip.mp4")).status == 404);

    // Listed among the recordings, with its file.
    auto listed = json::parse(http.get(host.url("/recordings?camera=door")).body)["recordings"];
    INFO(listed.dump());
    json clip_entry;
    for (const auto& r : listed)
        if (r["event_id"] == id) clip_entry = r;
    REQUIRE(!clip_entry.is_null());
    CHECK(clip_entry["camera_id"] == "door");
    CHECK(clip_entry["bytes"] == size);
    CHECK(clip_entry["start_time"].get<double>() <= event["start_time"].get<double>() - 1.0);
    CHECK(clip_entry["end_time"].get<double>() >= event["end_time"].get<double>() + 0.9);
    CHECK(http.get(host.url(clip_entry["url"])).body == whole.body);
    CHECK(http.get(host.url(clip_entry["url"]), {"Range: bytes=0-9"}).status == 206);
    CHECK(json::parse(http.get(host.url("/recordings?camera=nobody")).body)["recordings"].empty());
    CHECK(http.get(host.url("/recordings?from=yesterday")).status == 422);
    CHECK(http.get(host.url("/recordings/nothing.mp4")).status == 404);
    // Written under a temporary name: nothing half-written is left beside the clips.
    for (const auto& f : std::filesystem::recursive_directory_iterator(clips))
        CHECK(f.path().extension() != ".part");
}

TEST_CASE(
    "recorder: a camera killed during an event closes the clip playable, and the next part "
    "starts after the reconnect") {
    TempDir dir;
    auto source = face_clip(dir);
    RtspCamera camera(source);
    auto clips = dir / "clips";
    RunningHost host(face_config(dir, "url: '" + camera.url() + "'",
                                 "path: '" + clips.string() + "', pre_s: 1, post_s: 1"));
    HttpClient http;
    std::string id;
    REQUIRE(eventually(
        [&] {
            auto events = json::parse(http.get(host.url("/events")).body)["events"];
            if (!events.empty()) id = events.back()["id"].get<std::string>();
            return !id.empty();
        },
        40s));
    camera.kill();
    std::this_thread::sleep_for(1500ms);
    camera.restart();
    auto first = clips / "door" / (id + ".mp4");
    auto second = clips / "door" / (id + ".2.mp4");
    // The second part ends post_s after the event does, once the face has gone.
    REQUIRE(eventually([&] { return std::filesystem::exists(second); }, 60s));
    REQUIRE(std::filesystem::exists(first));
    std::string complaint;
    CHECK_MESSAGE(plays(first, complaint), complaint);
    CHECK_MESSAGE(plays(second, complaint), complaint);
    auto before = packets_of(first), after = packets_of(second);
    REQUIRE(!before.empty());
    REQUIRE(!after.empty());
    CHECK(before.front().key);
    CHECK(after.front().key);
    // The event links the first part, served like any clip.
    auto event = json::parse(http.get(host.url("/events/" + id)).body);
    CHECK(event["clip"] == "/events/" + id + "/clip.mp4");
    CHECK(http.get(host.url(event["clip"])).body == read_file(first));
}

namespace {
// A tmpfs of `kilobytes` mounted at `folder` for the test's life (the test runs as root, as CI
// does): a file system that fills.
class SmallDisk {
  public:
    SmallDisk(std::filesystem::path folder, int kilobytes) : folder_(std::move(folder)) {
        std::filesystem::create_directories(folder_);
        auto mounted = run_program("/usr/bin/mount",
                                   {"-t", "tmpfs", "-o", "size=" + std::to_string(kilobytes) + "k",
                                    "tmpfs", folder_.string()});
        REQUIRE_MESSAGE(mounted.exit_code == 0, ("mounting a tmpfs needs root: " + mounted.err));
    }
    ~SmallDisk() { run_program("/usr/bin/umount", {"-l", folder_.string()}); }
    const std::filesystem::path& folder() const { return folder_; }

  private:
    std::filesystem::path folder_;
};
}  // namespace

TEST_CASE(
    "recorder: a full file system stops recording with the reason in /health, and frames and "
    "events go on") {
    TempDir dir;
    auto source = face_clip(dir);
    SmallDisk disk(dir / "disk", 300);
    RunningHost host(face_config(
        dir, "url: '" + source.string() + "', realtime: true, loop: true",
        "path: '" + disk.folder().string() + "', continuous: true, segment_s: 1, pre_s: 1"));
    HttpClient http;
    std::string health;
    REQUIRE(eventually(
        [&] {
            health = http.get(host.url("/health")).body;
            return health.find("plugin 'recorder' reports a problem") != std::string::npos &&
                   health.find("No space left on device") != std::string::npos;
        },
        40s));
    INFO(health);
    auto processed = [&] {
        return json::parse(
                   http.get(host.url("/metrics")).body)["processor_metrics"]["frames_processed"]
            .get<int>();
    };
    auto before = processed();
    std::this_thread::sleep_for(2s);
    CHECK(processed() >= before + 10);  // 10 fps, nothing held up
    // Events are still stored: a face comes every 10 s.
    auto events_before = json::parse(http.get(host.url("/events")).body)["events"].size();
    CHECK(eventually(
        [&] {
            return json::parse(http.get(host.url("/events")).body)["events"].size() > events_before;
        },
        25s));
    CHECK(host.process().running());
}

TEST_CASE(
    "recorder: 16 cameras recorded all the time stay within max_size_mb, the oldest files going "
    "first") {
    TempDir dir;
    auto clip = dir / "small.mp4";
    make_clip(clip, 320, 240, 15, 2);
    std::string cameras;
    for (int i = 0; i < 16; ++i)
        cameras += std::string(i ? ", " : "") + "{ id: cam" + std::to_string(i) + ", url: '" +
                   clip.string() + "' }";
    auto folder = dir / "recordings";
    RunningHost host(
        "source: { plugin: video_source, params: { realtime: true, loop: true, "
        "cameras: [" +
        cameras +
        "] } }\nprocessors: [ { plugin: identity } ]\n"
        "sinks: [ { plugin: recorder, params: { path: '" +
        folder.string() + "', continuous: true, segment_s: 1, max_size_mb: 1 } } ]\n");
    HttpClient http;
    auto started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    std::uintmax_t most = 0;
    int samples = 0;
    auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
        most = std::max(most, folder_bytes(folder));
        ++samples;
        std::this_thread::sleep_for(100ms);
    }
    INFO("largest of ", samples, " samples: ", most, " bytes");
    CHECK(most <= (1u << 20));
    // The oldest went: what is left starts seconds after the first segments did.
    std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
    std::size_t files = 0;
    for (const auto& f : std::filesystem::recursive_directory_iterator(folder))
        if (f.path().extension() == ".mp4") {
            ++files;
            oldest = std::min<std::int64_t>(oldest, std::stoll(f.path().stem().string()));
        }
    CHECK(files >= 16);
    CHECK(oldest > started_ms + 3000);
    CHECK(host.process().running());
}

TEST_CASE("recorder: the page plays an event's clip in headless Chromium, seeking by byte ranges") {
    TempDir dir;
    auto source = face_clip(dir);
    RunningHost host(face_config(dir, "url: '" + source.string() + "', realtime: true, loop: true",
                                 "path: '" + (dir / "clips").string() + "', pre_s: 1, post_s: 1"));
    HttpClient http;
    std::string id, events_body;
    INFO(events_body);
    REQUIRE(eventually(
        [&] {
            events_body = http.get(host.url("/events")).body;
            auto events = json::parse(events_body)["events"];
            for (const auto& e : events)
                if (e.contains("clip")) id = e["id"].get<std::string>();
            return !id.empty();
        },
        40s));
    // Opened on the clip by a link, starting 1 s in: the browser asks for the file by ranges.
    Browser browser;
    auto net_log = dir / "net.json";
    auto page = browser.dump_dom(host.url("/#play=" + id + "&at=1"), 8000,
                                 {"--log-net-log=" + net_log.string()});
    INFO(page.console);
    auto video_at = page.dom.find("<video id=\"clip-video\"");
    REQUIRE(video_at != std::string::npos);
    auto video = page.dom.substr(video_at, page.dom.find('>', video_at) - video_at);
    INFO(video);
    CHECK(video.find("data-event=\"" + id + "\"") != std::string::npos);
    CHECK(video.find("data-error") == std::string::npos);
    auto time_at = video.find("data-time=\"");
    REQUIRE(time_at != std::string::npos);
    double played = std::stod(video.substr(time_at + 11));
    CHECK(played > 1.5);  // it advanced past where it was sent

    // The video element's requests: byte ranges, answered 206.
    auto log = json::parse(read_file(net_log));
    int ranges = 0, partial = 0;
    for (const auto& e : log["events"]) {
        auto headers =
            e.contains("params") ? e["params"].value("headers", json::array()) : json::array();
        if (!headers.is_array()) continue;
        for (const auto& h : headers) {
            if (!h.is_string()) continue;
            auto line = h.get<std::string>();
            if (line.rfind("Range: bytes=", 0) == 0) ++ranges;
            if (line.rfind("HTTP/1.1 206", 0) == 0) ++partial;
        }
    }
    CHECK(ranges >= 1);
    CHECK(partial >= 1);
}

TEST_CASE(
    "recorder: after SIGKILL every recording is whole or absent, and the next run lists the "
    "whole ones") {
    TempDir dir;
    auto source = face_clip(dir);
    auto folder = dir / "recordings";
    auto config = face_config(dir, "url: '" + source.string() + "', realtime: true, loop: true",
                              "path: '" + folder.string() + "', continuous: true, segment_s: 1");
    std::size_t whole = 0;
    {
        RunningHost host(config);
        HttpClient http;
        REQUIRE(eventually(
            [&] {
                return json::parse(http.get(host.url("/recordings")).body)["recordings"].size() >=
                       3;
            },
            30s));
        // Killed while the next segment is being written.
        std::this_thread::sleep_for(500ms);
        host.process().signal(SIGKILL);
        host.process().wait(10s);
    }
    std::vector<std::filesystem::path> unfinished;
    for (const auto& f : std::filesystem::recursive_directory_iterator(folder)) {
        if (f.path().extension() == ".part") {
            unfinished.push_back(f.path());
            continue;
        }
        if (f.path().extension() != ".mp4") continue;
        ++whole;
        std::string complaint;
        CHECK_MESSAGE(plays(f.path(), complaint), (f.path().string() + ": " + complaint));
    }
    CHECK(whole >= 3);
    // The segment and the event clip being written, never under their names.
    CHECK(unfinished.size() <= 2);

    // The next run: the .part is gone, the whole ones are listed (and served) from the start.
    RunningHost again(config);
    HttpClient http;
    auto listed = json::parse(http.get(again.url("/recordings?camera=door")).body)["recordings"];
    CHECK(listed.size() >= whole);
    for (const auto& part : unfinished) CHECK_FALSE(std::filesystem::exists(part));
    REQUIRE(!listed.empty());
    auto first = http.get(again.url(listed[0]["url"].get<std::string>()));
    CHECK(first.status == 200);
    CHECK(first.headers["content-type"] == "video/mp4");
}

TEST_CASE("recorder: recordings older than retention_days go, the newer stay") {
    TempDir dir;
    auto clip = dir / "small.mp4";
    make_clip(clip, 320, 240, 15, 2);
    auto folder = dir / "recordings";
    // 0.00005 days: 4.3 s.
    RunningHost host("source: { plugin: video_source, params: { url: '" + clip.string() +
                     "', camera_id: cam, realtime: true, loop: true } }\n"
                     "processors: [ { plugin: identity } ]\n"
                     "sinks: [ { plugin: recorder, params: { path: '" +
                     folder.string() +
                     "', continuous: true, segment_s: 1, retention_days: 0.00005 } } ]\n");
    HttpClient http;
    std::this_thread::sleep_for(10s);
    auto now = std::filesystem::file_time_type::clock::now();
    std::size_t files = 0;
    for (const auto& f : std::filesystem::recursive_directory_iterator(folder)) {
        if (f.path().extension() != ".mp4") continue;
        ++files;
        auto age = std::chrono::duration<double>(now - f.last_write_time()).count();
        INFO(f.path().string(), " is ", age, " s old");
        CHECK(age < 4.3 + 1.5);  // checked every tick; a segment is finished a second at most late
    }
    CHECK(files >= 2);
    // 10 s of 1 s segments were written; the first ones went. /recordings lists what is on disk;
    // the two are read a moment apart while segments come and go, so until they agree.
    auto on_disk = [&] {
        std::size_t n = 0;
        for (const auto& f : std::filesystem::recursive_directory_iterator(folder))
            n += f.path().extension() == ".mp4";
        return n;
    };
    std::size_t listed = 0, seen = 0;
    CHECK_MESSAGE(
        eventually(
            [&] {
                listed = json::parse(http.get(host.url("/recordings")).body)["recordings"].size();
                seen = on_disk();
                return listed == seen;
            },
            5s),
        listed << " listed, " << seen << " on disk");
}
