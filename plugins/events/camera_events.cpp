#include "camera_events.hpp"

#include <algorithm>

namespace framehost::events {

namespace {
bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}
}  // namespace

bool CameraEvents::watched(const std::string& label) const {
    return rules_.labels.empty() || contains(rules_.labels, label);
}

EventStep CameraEvents::end_of(Event event, std::int64_t end_ms, const std::string& frame_id) {
    event.end_ms = end_ms;
    event.end_frame_id = frame_id;
    return {{std::move(event), nullptr}, false, "end"};
}

std::vector<EventStep> CameraEvents::process(const Frame& frame,
                                             const nlohmann::json& zone_changes) {
    ++frames_;
    std::vector<EventStep> steps;
    const auto now = frame.timestamp_ms;
    std::map<std::uint64_t, const Detection*> seen;

    for (const auto& d : frame.detections) {
        if (d.track_id == 0 || !watched(d.class_name)) continue;
        seen[d.track_id] = &d;
        Track& track = tracks_[d.track_id];
        ++track.sightings;
        track.last_frame = frames_;
        track.last_ms = now;
        track.last_frame_id = frame.id;
        if (track.done) continue;
        Event& event = track.event;
        if (!track.started) {
            bool confirmed =
                track.sightings >= rules_.min_frames && d.confidence >= rules_.min_score;
            bool placed = rules_.required_zones.empty() ||
                          std::any_of(d.zones.begin(), d.zones.end(), [&](const std::string& z) {
                              return contains(rules_.required_zones, z);
                          });
            if (!confirmed || !placed) continue;
            track.started = true;
            event.id = make_event_id(now);
            event.type = "object";
            event.camera_id = frame.camera_id;
            event.label = d.class_name;
            event.track_id = d.track_id;
            event.start_ms = now;
            event.start_frame_id = frame.id;
            event.zones = d.zones;
            event.score = d.confidence;
            event.bbox = d.bbox;
            event.keypoints = d.keypoints;
            steps.push_back({{event, nullptr}, true, "new"});
            continue;
        }
        bool changed = false, snapshot = false;
        for (const auto& zone : d.zones)
            if (!contains(event.zones, zone)) {
                event.zones.push_back(zone);
                changed = true;
            }
        if (d.confidence > event.score) {
            snapshot = d.confidence >= event.score + rules_.snapshot_margin;
            // The score and its box move together, so the box is always the best sighting's.
            if (snapshot) {
                event.score = d.confidence;
                event.bbox = d.bbox;
                event.keypoints = d.keypoints;
                changed = true;
            }
        }
        if (now - event.start_ms >= rules_.max_duration_ms) {
            track.done = true;
            steps.push_back(end_of(event, now, frame.id));
        } else if (changed) {
            steps.push_back({{event, nullptr}, snapshot, "update"});
        }
    }

    // Crossings and dwell, as the zones processor saw them on this frame.
    if (zone_changes.is_array()) {
        for (const auto& change : zone_changes) {
            auto type = change.value("type", std::string());
            auto track_id = change.value("track_id", std::uint64_t{0});
            auto label = change.value("label", std::string());
            if (!watched(label)) continue;
            auto it = seen.find(track_id);
            const Detection* d = it == seen.end() ? nullptr : it->second;
            auto made = [&](const char* kind) {
                Event e;
                e.id = make_event_id(now);
                e.type = kind;
                e.camera_id = frame.camera_id;
                e.label = label;
                e.track_id = track_id;
                e.start_ms = now;
                e.start_frame_id = frame.id;
                if (d) {
                    e.zones = d->zones;
                    e.score = d->confidence;
                    e.bbox = d->bbox;
                    e.keypoints = d->keypoints;
                }
                return e;
            };
            if (type == "crossing") {
                Event e = made("crossing");
                e.line = change.value("line", std::string());
                e.direction = change.value("direction", std::string());
                e.end_ms = now;
                e.end_frame_id = frame.id;
                steps.push_back({{std::move(e), nullptr}, d != nullptr, "new"});
            } else if (type == "dwell") {
                Event e = made("dwell");
                e.zone = change.value("zone", std::string());
                e.dwell_s = change.value("dwell_s", 0.0);
                auto& track = tracks_[track_id];
                if (track.dwells.count(e.zone)) continue;
                track.dwells[e.zone] = e;
                steps.push_back({{std::move(e), nullptr}, d != nullptr, "new"});
            } else if (type == "exit") {
                auto found = tracks_.find(track_id);
                if (found == tracks_.end()) continue;
                auto zone = change.value("zone", std::string());
                auto dwell = found->second.dwells.find(zone);
                if (dwell == found->second.dwells.end()) continue;
                Event e = dwell->second;
                e.dwell_s = change.value("dwell_s", e.dwell_s);  // the whole visit
                found->second.dwells.erase(dwell);
                steps.push_back(end_of(std::move(e), now, frame.id));
            }
        }
    }

    // Tracks lost: their open events end where the track was last seen.
    for (auto it = tracks_.begin(); it != tracks_.end();) {
        Track& track = it->second;
        if (frames_ - track.last_frame < static_cast<std::uint64_t>(rules_.track_lost_frames)) {
            ++it;
            continue;
        }
        if (track.started && !track.done)
            steps.push_back(end_of(track.event, track.last_ms, track.last_frame_id));
        for (auto& [zone, dwell] : track.dwells) {
            dwell.dwell_s += static_cast<double>(track.last_ms - dwell.start_ms) / 1000.0;
            steps.push_back(end_of(dwell, track.last_ms, track.last_frame_id));
        }
        it = tracks_.erase(it);
    }
    std::size_t open = 0;
    for (const auto& [id, track] : tracks_)
        open += (track.started && !track.done ? 1 : 0) + track.dwells.size();
    open_.store(open, std::memory_order_relaxed);
    return steps;
}

}  // namespace framehost::events
