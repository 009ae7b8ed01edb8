#pragma once
// Events: what happened on a camera, with a start and an end (an object seen, a line crossed, a
// zone where someone stayed too long), kept by the host's event store and delivered from it.
// The store is a host service (framehost/extension.hpp), offered when the config has an
// `events:` section: the `events` processor writes to it; sinks that send events out (MQTT,
// webhooks) read its changes in order from their own cursor, so an event stored is delivered
// even across a broker's outage or a restart.
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "framehost/extension.hpp"

namespace framehost {

struct Event {
    std::string id;    // unique across restarts and hosts (make_event_id)
    std::string type;  // "object", "crossing" or "dwell"
    std::string camera_id;
    std::string label;
    std::uint64_t track_id = 0;
    std::int64_t start_ms = 0;           // wall clock, milliseconds since the Unix epoch
    std::optional<std::int64_t> end_ms;  // unset while the event is open
    std::string start_frame_id, end_frame_id;
    std::vector<std::string> zones;               // every zone the object entered, in order
    double score = 0;                             // the best confidence seen
    std::array<int, 4> bbox{};                    // the box of that best sighting
    std::vector<std::array<float, 2>> keypoints;  // and its keypoints (a face's eyes...), if any
    std::string line, direction;                  // a crossing's line and "in" / "out"
    std::string zone;                             // a dwell's zone
    double dwell_s = 0;                           // a dwell's time in its zone so far
    bool has_snapshot = false;                    // the store holds a JPEG of the best sighting
    std::string clip;  // GET path of its video (/events/{id}/clip.mp4) once a recorder kept one
};

// The event JSON that the store, the HTTP API, MQTT and webhooks all carry. Times are seconds
// since the Unix epoch (as Frigate's events), end_time null while open.
inline void to_json(nlohmann::json& j, const Event& e) {
    auto seconds = [](std::int64_t ms) { return static_cast<double>(ms) / 1000.0; };
    j = {{"id", e.id},
         {"type", e.type},
         {"camera_id", e.camera_id},
         {"label", e.label},
         {"track_id", e.track_id},
         {"start_time", seconds(e.start_ms)},
         {"end_time", e.end_ms ? nlohmann::json(seconds(*e.end_ms)) : nlohmann::json()},
         {"start_frame_id", e.start_frame_id},
         {"end_frame_id",
          e.end_frame_id.empty() ? nlohmann::json() : nlohmann::json(e.end_frame_id)},
         {"zones", e.zones},
         {"score", e.score},
         {"bbox", {e.bbox[0], e.bbox[1], e.bbox[2], e.bbox[3]}},
         {"has_snapshot", e.has_snapshot}};
    if (!e.keypoints.empty()) j["keypoints"] = e.keypoints;
    if (!e.clip.empty()) j["clip"] = e.clip;
    if (e.type == "crossing") {
        j["line"] = e.line;
        j["direction"] = e.direction;
    }
    if (e.type == "dwell") {
        j["zone"] = e.zone;
        j["dwell_s"] = e.dwell_s;
    }
}

inline void from_json(const nlohmann::json& j, Event& e) {
    auto ms = [](const nlohmann::json& seconds) {
        return static_cast<std::int64_t>(std::llround(seconds.get<double>() * 1000.0));
    };
    e.id = j.at("id").get<std::string>();
    e.type = j.at("type").get<std::string>();
    e.camera_id = j.at("camera_id").get<std::string>();
    e.label = j.at("label").get<std::string>();
    e.track_id = j.value("track_id", std::uint64_t{0});
    e.start_ms = ms(j.at("start_time"));
    if (auto end = j.find("end_time"); end != j.end() && !end->is_null()) e.end_ms = ms(*end);
    e.start_frame_id = j.value("start_frame_id", std::string());
    if (auto end = j.find("end_frame_id"); end != j.end() && end->is_string())
        e.end_frame_id = end->get<std::string>();
    e.zones = j.value("zones", std::vector<std::string>{});
    e.score = j.value("score", 0.0);
    if (auto box = j.find("bbox"); box != j.end() && box->is_array() && box->size() == 4)
        for (std::size_t i = 0; i < 4; ++i) e.bbox[i] = (*box)[i].get<int>();
    e.keypoints = j.value("keypoints", std::vector<std::array<float, 2>>{});
    e.line = j.value("line", std::string());
    e.direction = j.value("direction", std::string());
    e.zone = j.value("zone", std::string());
    e.dwell_s = j.value("dwell_s", 0.0);
    e.has_snapshot = j.value("has_snapshot", false);
    e.clip = j.value("clip", std::string());
}

// The GET path of an event's clip, as `clip` carries it and the host serves it.
inline constexpr std::string_view kEventClipRoute = "/events/{id}/clip.mp4";
inline std::string clip_path(const std::string& event_id) {
    std::string path(kEventClipRoute);
    return path.replace(path.find("{id}"), 4, event_id);
}

// One write of an event: its state now, and optionally a new snapshot (a JPEG of its best
// sighting with the box drawn); null keeps the one stored.
struct EventWrite {
    Event event;
    std::shared_ptr<const std::vector<std::uint8_t>> snapshot;
};

// What became of an event, in the order the store took it: "new" (first stored; a crossing is
// new and ended at once), "update" or "end". `seq` counts up across restarts.
struct EventChange {
    std::uint64_t seq = 0;
    std::string kind;
    Event event;
};

class EventStore {
  public:
    static constexpr std::string_view kExtensionId = "framehost.events";
    // 2: Event::keypoints. 3: attach_clip, Event::clip.
    static constexpr std::uint32_t kExtensionVersion = 3;

    // Stores the events (new ones, or new states of stored ones, by id) in one transaction;
    // returns once they would survive the process being killed. Throws std::runtime_error
    // saying why when the store cannot write. [any thread]
    virtual void write(std::span<const EventWrite> events) = 0;

    // Delivery, for a sink that sends events out: `consumer` names it (its instance name);
    // its cursor is kept in the store, so it survives restarts.
    // The seq of the last change `consumer` acknowledged (0: none yet). [any thread]
    virtual std::uint64_t cursor(std::string_view consumer) = 0;
    // Up to `limit` changes after `after`, oldest first; waits up to `wait` for one when there
    // are none. Changes of events removed by retention are gone. [any thread]
    virtual std::vector<EventChange> changes_after(std::uint64_t after, std::size_t limit,
                                                   std::chrono::milliseconds wait) = 0;
    // Moves `consumer`'s cursor to `seq` (never back). [any thread]
    virtual void acknowledge(std::string_view consumer, std::uint64_t seq) = 0;
    // Links the video file `file` (complete, an absolute path) to event `id`: the event gets
    // its `clip` and an "update" change. False when no such event is stored (retention took
    // it). [any thread]
    virtual bool attach_clip(const std::string& id, const std::string& file) = 0;

  protected:
    ~EventStore() = default;
};

// "1733480000.123-k3x9qa": the start time in seconds, then six random characters, so ids are
// unique across restarts and hosts and sort by time. [any thread]
inline std::string make_event_id(std::int64_t start_ms) {
    static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    static std::mutex mutex;
    static std::mt19937_64 random{std::random_device{}()};
    char suffix[7] = {};
    {
        std::lock_guard lock(mutex);
        for (int i = 0; i < 6; ++i) suffix[i] = kAlphabet[random() % 36];
    }
    char id[48];
    std::snprintf(id, sizeof id, "%lld.%03lld-%s", static_cast<long long>(start_ms / 1000),
                  static_cast<long long>(start_ms % 1000), suffix);
    return id;
}

}  // namespace framehost
