// framehost replay --config FILE CLIP...: a config's processors over recorded clips, as fast as
// the machine allows and every frame in order, so a config (zones, thresholds) is tuned against
// a recorded incident and a clip with its expected summary is a regression test of a config.
// The config's sources give way to video_source reading the clips (the config's video_source
// settings, frame rate cap included, kept: the same frames are picked as live); its sinks are
// left out (a replay sends no alert) and so is its HTTP API; events go to a store of their own.
// Prints each event stored as a JSON line, then "summary {...}".
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "apps/framehost/commands.hpp"
#include "core/config/diagnostics.hpp"
#include "core/host/host.hpp"
#include "core/log/log.hpp"
#include "core/plugins/plugin_binding.hpp"

namespace framehost::app {

namespace {

constexpr const char* kClipPlugin = "video_source";
// video_source settings a replay sets itself; the config's others (format, size, max_fps...)
// are kept.
const std::set<std::string> kReplaced = {"url", "camera_id", "cameras", "realtime", "loop"};

// The camera id each clip plays as: the config's own camera for a single clip (its events then
// name the camera the live run named), else each clip's file name without its extension.
std::vector<std::string> camera_ids(const std::vector<std::filesystem::path>& clips,
                                    const YAML::Node& live_params) {
    std::vector<std::string> ids;
    if (clips.size() == 1 && live_params.IsMap()) {
        if (live_params["camera_id"] && live_params["camera_id"].IsScalar())
            return {live_params["camera_id"].Scalar()};
        auto cameras = live_params["cameras"];
        if (cameras && cameras.IsSequence() && cameras.size() == 1 && cameras[0]["id"])
            return {cameras[0]["id"].Scalar()};
    }
    std::set<std::string> taken;
    for (const auto& clip : clips) {
        std::string id = clip.stem().string(), unique = id;
        for (int n = 2; !taken.insert(unique).second; ++n) unique = id + "_" + std::to_string(n);
        ids.push_back(unique);
    }
    return ids;
}

// The config as a replay runs it (see the file's comment).
void adjust_for_replay(core::HostConfig& config, const std::vector<std::filesystem::path>& clips,
                       const std::filesystem::path& store) {
    YAML::Node live = YAML::Node(YAML::NodeType::Map);
    if (!config.sources.empty() && config.sources[0].plugin == kClipPlugin &&
        config.sources[0].params_node.IsMap())
        live = config.sources[0].params_node;
    YAML::Node params(YAML::NodeType::Map);
    for (auto it = live.begin(); it != live.end(); ++it)
        if (!kReplaced.count(it->first.Scalar())) params[it->first.Scalar()] = it->second;
    auto ids = camera_ids(clips, live);
    for (std::size_t i = 0; i < clips.size(); ++i) {
        YAML::Node camera(YAML::NodeType::Map);
        camera["id"] = ids[i];
        camera["url"] = clips[i].string();
        params["cameras"].push_back(camera);
    }
    params["realtime"] = false;
    params["loop"] = false;
    core::PluginUse source;
    source.plugin = kClipPlugin;
    source.where = "replay";
    source.instance_name = config.sources.empty() ? kClipPlugin : config.sources[0].instance_name;
    source.params_node = params;
    source.node = YAML::Node(YAML::NodeType::Map);
    source.node["plugin"] = kClipPlugin;
    source.node["params"] = params;
    config.sources = {source};
    config.sinks.clear();
    config.http.enabled = false;
    config.events.path = store.string();
    config.events.url.clear();  // a replay never writes into a shared store
}

// Per camera and label: events, crossings per line and direction, dwells per zone; and each
// camera's zones and lines as the zones processor last published them.
nlohmann::json summary_of(const std::vector<Event>& events, const nlohmann::json& zones,
                          std::uint64_t frames) {
    nlohmann::json cameras = nlohmann::json::object();
    for (const auto& e : events) {
        auto& label = cameras[e.camera_id]["labels"][e.label];
        if (label.is_null()) label = {{"objects", 0}, {"crossings", nlohmann::json::object()}};
        if (e.type == "object") label["objects"] = label["objects"].get<int>() + 1;
        if (e.type == "crossing") {
            auto& count = label["crossings"][e.line][e.direction];
            count = count.is_null() ? 1 : count.get<int>() + 1;
        }
        if (e.type == "dwell") {
            auto& count = label["dwells"][e.zone];
            count = count.is_null() ? 1 : count.get<int>() + 1;
        }
    }
    if (zones.is_object())
        for (const auto& [camera, board] : zones.items()) {
            cameras[camera]["zones"] = board.value("zones", nlohmann::json::object());
            cameras[camera]["lines"] = board.value("lines", nlohmann::json::object());
        }
    return {{"frames", frames}, {"events", events.size()}, {"cameras", cameras}};
}

}  // namespace

int replay(const CommonOptions& options, const std::filesystem::path& config_file,
           const std::vector<core::ConfigOverride>& overrides,
           const std::vector<std::filesystem::path>& clips) {
    for (const auto& clip : clips) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(clip, ec) || ::access(clip.c_str(), R_OK) != 0) {
            std::cerr << "framehost replay: " << clip.string() << " is not a readable file\n";
            return 2;
        }
    }
    char pattern[] = "/tmp/framehost-replay-XXXXXX";
    if (!::mkdtemp(pattern)) {
        std::cerr << "framehost replay: cannot make a folder for the events in /tmp\n";
        return 1;
    }
    std::filesystem::path work = pattern;
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } cleanup{work};

    auto catalog = make_catalog(options);
    core::HostConfig config;
    try {
        config = core::load_host_config(
            config_file, overrides, catalog, core::process_environment(),
            [&](core::HostConfig& c) { adjust_for_replay(c, clips, work / "events.db"); });
    } catch (const core::ConfigErrors& errors) {
        for (const auto& e : errors.errors()) std::cerr << e.to_string() << "\n";
        return 1;
    }
    std::vector<Event> events;
    nlohmann::json zones;
    std::uint64_t frames = 0, failed = 0;
    try {
        core::Host host(std::move(config));
        host.start();
        host.wait();
        auto states = host.states().snapshot();
        auto count = [&](core::FrameState s) { return states.current[static_cast<int>(s)]; };
        failed = count(core::FrameState::Failed);
        frames = count(core::FrameState::Completed) + count(core::FrameState::Filtered) + failed;
        zones = host.zones().report()["cameras"];
        // Oldest first, every page.
        core::EventQuery query;
        query.limit = 1000;
        for (;;) {
            auto page = host.events()->find(query);
            events.insert(events.end(), page.events.begin(), page.events.end());
            if (page.next_cursor.empty()) break;
            query.cursor = page.next_cursor;
        }
    } catch (const std::exception& e) {
        core::log(LogLevel::Error, "replay", e.what());
        return 1;
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.start_ms < b.start_ms; });
    for (const auto& e : events) std::cout << nlohmann::json(e).dump() << "\n";
    std::cout << "summary " << summary_of(events, zones, frames).dump() << std::endl;
    if (frames == 0) {
        std::cerr << "framehost replay: no frame was read from the clips\n";
        return 1;
    }
    if (failed > 0)
        std::cerr << "framehost replay: " << failed << " frame(s) failed (see the log)\n";
    return 0;
}

}  // namespace framehost::app
