#include "camera_zones.hpp"

#include <algorithm>
#include <cmath>

namespace framehost::zones {

namespace {
Point anchor_of(const Detection& d, Anchor anchor) {
    double x = (d.bbox[0] + d.bbox[2]) / 2.0;
    double y = anchor == Anchor::Center ? (d.bbox[1] + d.bbox[3]) / 2.0 : d.bbox[3];
    return {x, y};
}
bool watches(const std::vector<std::string>& labels, const std::string& label) {
    return labels.empty() || std::find(labels.begin(), labels.end(), label) != labels.end();
}
Point scaled(Point p, bool fractional, int width, int height) {
    return fractional ? Point{p.x * width, p.y * height} : p;
}
bool outside_frame(Point p, int width, int height) {
    return p.x < 0 || p.y < 0 || p.x > width || p.y > height;
}
}  // namespace

CameraZones::CameraZones(std::string camera, std::vector<ZoneSpec> zones,
                         std::vector<LineSpec> lines, Tuning tuning, PluginContext& context)
    : camera_(std::move(camera)),
      zones_(std::move(zones)),
      lines_(std::move(lines)),
      tuning_(tuning),
      context_(context),
      crossing_counters_(lines_.size(), {nullptr, nullptr}),
      occupancy_(zones_.size()),
      crossings_(lines_.size(), {0, 0}) {}

bool CameraZones::resize_to(int width, int height) {
    if (width == width_ && height == height_) return false;
    width_ = width;
    height_ = height;
    std::vector<Polygon> zone_px;
    std::vector<std::array<Point, 3>> line_px;
    std::string problem;
    auto note = [&](const std::string& what, Point p) {
        if (problem.empty() && outside_frame(p, width, height))
            problem = what + " has a point (" + std::to_string(static_cast<int>(p.x)) + ", " +
                      std::to_string(static_cast<int>(p.y)) + ") outside the " +
                      std::to_string(width) + "x" + std::to_string(height) + " frame";
    };
    for (const auto& z : zones_) {
        Polygon px;
        for (const auto& p : z.points) {
            px.push_back(scaled(p, z.fractional, width, height));
            note("zone '" + z.name + "'", px.back());
        }
        zone_px.push_back(std::move(px));
    }
    for (const auto& l : lines_) {
        std::array<Point, 3> px = {scaled(l.a, l.fractional, width, height),
                                   scaled(l.b, l.fractional, width, height),
                                   scaled(l.in, l.fractional, width, height)};
        note("line '" + l.name + "'", px[0]);
        note("line '" + l.name + "'", px[1]);
        line_px.push_back(px);
    }
    std::lock_guard lock(mutex_);
    zone_px_ = std::move(zone_px);
    line_px_ = std::move(line_px);
    frame_size_ = {width, height};
    problem_ = problem.empty() ? "" : "camera '" + camera_ + "': " + problem;
    return true;
}

void CameraZones::enter(std::size_t zone, const std::string& label, std::int64_t delta) {
    std::int64_t now;
    {
        std::lock_guard lock(mutex_);
        now = occupancy_[zone][label] += delta;
    }
    auto& gauge = occupancy_gauges_[{zone, label}];
    if (!gauge) {
        MetricLabel labels[] = {{"camera", camera_}, {"zone", zones_[zone].name}, {"label", label}};
        gauge = &context_.gauge("zone_occupancy", "Tracked objects in the zone, by label", labels);
    }
    gauge->set(static_cast<double>(now));
}

nlohmann::json CameraZones::change(const char* type, std::uint64_t track_id,
                                   const Track& track) const {
    return {{"type", type}, {"track_id", track_id}, {"label", track.label}};
}

nlohmann::json CameraZones::process(Frame& frame) {
    ++frames_;
    nlohmann::json changes = nlohmann::json::array();
    if (frame.width <= 0 || frame.height <= 0) return changes;  // no size: nothing to place
    resized_ = resize_to(frame.width, frame.height);
    double now_s = static_cast<double>(frame.timestamp_ms) / 1000.0;

    for (auto& d : frame.detections) {
        if (d.track_id == 0) continue;  // zones follow tracks: object_tracker comes first
        auto [it, added] = tracks_.try_emplace(d.track_id);
        Track& track = it->second;
        if (added) {
            track.label = d.class_name;
            track.zones.resize(zones_.size());
            track.lines.resize(lines_.size());
        }
        track.last_frame = frames_;

        for (std::size_t z = 0; z < zones_.size(); ++z) {
            const ZoneSpec& zone = zones_[z];
            if (!watches(zone.labels, track.label)) continue;
            TrackZone& tz = track.zones[z];
            bool in = inside(zone_px_[z], anchor_of(d, zone.anchor));
            tz.inside_run = in ? tz.inside_run + 1 : 0;
            tz.outside_run = in ? 0 : tz.outside_run + 1;
            if (!tz.entered && tz.inside_run >= zone.min_frames) {
                tz.entered = true;
                tz.entered_at = now_s;
                tz.dwelt = false;
                enter(z, track.label, 1);
                auto c = change("enter", d.track_id, track);
                c["zone"] = zone.name;
                changes.push_back(std::move(c));
            } else if (tz.entered && tz.outside_run >= zone.min_frames) {
                tz.entered = false;
                enter(z, track.label, -1);
                auto c = change("exit", d.track_id, track);
                c["zone"] = zone.name;
                c["dwell_s"] = now_s - tz.entered_at;
                changes.push_back(std::move(c));
            }
            if (tz.entered && zone.dwell_s > 0 && !tz.dwelt &&
                now_s - tz.entered_at >= zone.dwell_s) {
                tz.dwelt = true;
                auto c = change("dwell", d.track_id, track);
                c["zone"] = zone.name;
                c["dwell_s"] = now_s - tz.entered_at;
                changes.push_back(std::move(c));
            }
            if (tz.entered) d.zones.push_back(zone.name);
        }

        Point p = anchor_of(d, tuning_.line_anchor);
        for (std::size_t l = 0; l < lines_.size(); ++l) {
            if (!watches(lines_[l].labels, track.label)) continue;
            const auto& [a, b, in_point] = line_px_[l];
            double distance = signed_distance(a, b, p);
            int side = distance > tuning_.clearance_px    ? 1
                       : distance < -tuning_.clearance_px ? -1
                                                          : 0;
            if (side == 0) continue;  // on the line, within the clearance: wait until clear
            TrackLine& tl = track.lines[l];
            if (tl.side != 0 && side != tl.side && segments_intersect(tl.last_clear, p, a, b)) {
                int inside_side = signed_distance(a, b, in_point) > 0 ? 1 : -1;
                bool inward = side == inside_side;
                {
                    std::lock_guard lock(mutex_);
                    ++crossings_[l][inward ? 0 : 1];
                }
                auto& counter = crossing_counters_[l][inward ? 0 : 1];
                if (!counter) {
                    MetricLabel labels[] = {{"camera", camera_},
                                            {"line", lines_[l].name},
                                            {"direction", inward ? "in" : "out"}};
                    counter = &context_.counter("line_crossings",
                                                "Tracked objects that crossed the line", labels);
                }
                counter->add(1);
                auto c = change("crossing", d.track_id, track);
                c["line"] = lines_[l].name;
                c["direction"] = inward ? "in" : "out";
                changes.push_back(std::move(c));
            }
            tl.side = side;
            tl.last_clear = p;
        }
    }

    // A track not seen for a while has ended: it leaves the zones it was in.
    for (auto it = tracks_.begin(); it != tracks_.end();) {
        Track& track = it->second;
        if (frames_ - track.last_frame <= static_cast<std::uint64_t>(tuning_.track_lost_frames)) {
            ++it;
            continue;
        }
        for (std::size_t z = 0; z < zones_.size(); ++z) {
            if (!track.zones[z].entered) continue;
            enter(z, track.label, -1);
            auto c = change("exit", it->first, track);
            c["zone"] = zones_[z].name;
            c["dwell_s"] = now_s - track.zones[z].entered_at;
            c["track_ended"] = true;
            changes.push_back(std::move(c));
        }
        it = tracks_.erase(it);
    }
    return changes;
}

nlohmann::json CameraZones::summary() const {
    nlohmann::json zones = nlohmann::json::object(), lines = nlohmann::json::object();
    std::lock_guard lock(mutex_);
    for (std::size_t z = 0; z < zones_.size(); ++z) {
        nlohmann::json occupancy = nlohmann::json::object();
        for (const auto& [label, n] : occupancy_[z]) occupancy[label] = n;
        zones[zones_[z].name] = {{"occupancy", occupancy}};
        if (z < zone_px_.size()) {
            auto& points = zones[zones_[z].name]["points"] = nlohmann::json::array();
            for (const auto& p : zone_px_[z]) points.push_back({p.x, p.y});
        }
    }
    for (std::size_t l = 0; l < lines_.size(); ++l) {
        lines[lines_[l].name] = {{"in", crossings_[l][0]}, {"out", crossings_[l][1]}};
        if (l < line_px_.size()) {
            const auto& [a, b, in] = line_px_[l];
            lines[lines_[l].name]["points"] = {{a.x, a.y}, {b.x, b.y}};
        }
    }
    nlohmann::json summary = {{"zones", zones}, {"lines", lines}};
    if (frame_size_[0] > 0) summary["frame_size"] = frame_size_;
    return summary;
}

std::string CameraZones::problem() const {
    std::lock_guard lock(mutex_);
    return problem_;
}

}  // namespace framehost::zones
