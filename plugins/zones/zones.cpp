// Zones and counting lines over tracked detections (after object_tracker): each detection is
// told the zones its object is in; each frame carries the changes its objects made (enter,
// exit, dwell beyond a zone's dwell_s, line crossings with their direction); occupancy per zone
// and label, and crossings per line and direction, are kept per camera, in /health and as
// metrics. Zones and lines belong to every camera, or to the one their `camera` names.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>
#include <framehost/zones.hpp>

#include "camera_zones.hpp"

namespace {

using namespace framehost;
using namespace framehost::zones;
using Points = std::vector<std::array<double, 2>>;

const std::vector<std::string> kAnchors = {"bottom_center", "center"};

struct ZoneRecord {
    std::string name;
    Points points;
    std::vector<std::string> labels;
    int min_frames = 1;
    double dwell_s = 0;
    std::optional<std::string> anchor;
    std::optional<std::string> camera;
};

struct LineRecord {
    std::string name;
    Points points;
    Points in;
    std::vector<std::string> labels;
    std::optional<std::string> camera;
};

struct Settings {
    std::vector<ZoneRecord> zones;
    std::vector<LineRecord> lines;
    std::string anchor = "bottom_center";
    double line_clearance_px = 10;
    int track_lost_frames = 10;
};

// [[x, y], ...] as points, a lone [x, y] as one.
Points points_of(const nlohmann::json& value) {
    if (value.size() == 2 && value[0].is_number()) return {value.get<std::array<double, 2>>()};
    return value.get<Points>();
}

Polygon polygon_of(const Points& points) {
    Polygon p;
    for (const auto& [x, y] : points) p.push_back({x, y});
    return p;
}

// Fractions of the frame when every value is at most 1, pixels otherwise.
bool fractional(std::initializer_list<const Points*> sets) {
    for (const Points* points : sets)
        for (const auto& [x, y] : *points)
            if (x > 1 || y > 1) return false;
    return true;
}

std::string zone_points_problem(const nlohmann::json& points) {
    return polygon_problem(polygon_of(points_of(points)));
}

std::string line_points_problem(const nlohmann::json& points) {
    auto p = points_of(points);
    if (p.size() == 2 && p[0] == p[1])
        return "the line's two points are the same: it has no length";
    return "";
}

// Names are unique among the zones (or lines) a camera has.
std::string duplicate_name(const nlohmann::json& records, const char* what) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& r : records) {
        std::string camera = r.contains("camera") ? r["camera"].get<std::string>() : "";
        auto name = r["name"].get<std::string>();
        if (!seen.insert({camera, name}).second)
            return std::string(what) + " '" + name + "' is given twice";
    }
    return "";
}

std::string line_side_problem(const nlohmann::json& lines) {
    auto problem = duplicate_name(lines, "line");
    if (!problem.empty()) return problem;
    for (const auto& r : lines) {
        auto p = points_of(r["points"]);
        auto in = points_of(r["in"]);
        if (std::abs(signed_distance({p[0][0], p[0][1]}, {p[1][0], p[1][1]},
                                     {in[0][0], in[0][1]})) < 1e-9)
            return "line '" + r["name"].get<std::string>() +
                   "': its `in` point lies on the line, so it names no side";
    }
    return "";
}

const ParamTable<ZoneRecord>& zone_fields() {
    static const ParamTable<ZoneRecord> table{
        param::bind(&ZoneRecord::name, "name", "The zone's name").mandatory(),
        param::bind(&ZoneRecord::points, "points",
                    "Its corners, [[x, y], ...]: pixels, or fractions of the frame when every "
                    "value is at most 1")
            .mandatory()
            .check(zone_points_problem),
        param::bind(&ZoneRecord::labels, "labels", "Labels it watches; empty watches every one"),
        param::bind(&ZoneRecord::min_frames, "min_frames",
                    "Frames in a row an object must be inside before it has entered (and "
                    "outside before it has left)")
            .range(1, 1000),
        param::bind(&ZoneRecord::dwell_s, "dwell_s",
                    "Seconds inside after which a dwell event is raised; 0 never")
            .range(0, 86400),
        param::bind(&ZoneRecord::anchor, "anchor", "Overrides the plugin's anchor for this zone")
            .one_of(kAnchors),
        param::bind(&ZoneRecord::camera, "camera", "The camera it belongs to; unset: every one"),
    };
    return table;
}

const ParamTable<LineRecord>& line_fields() {
    static const ParamTable<LineRecord> table{
        param::bind(&LineRecord::name, "name", "The line's name").mandatory(),
        param::bind(&LineRecord::points, "points", "Its two ends, [[x1, y1], [x2, y2]]")
            .mandatory()
            .range(2, 2)
            .check(line_points_problem),
        param::bind(&LineRecord::in, "in",
                    "A point [x, y] on the side that counts as inside: crossing towards it is "
                    "`in`, away from it `out`")
            .mandatory()
            .range(1, 1),
        param::bind(&LineRecord::labels, "labels", "Labels it counts; empty counts every one"),
        param::bind(&LineRecord::camera, "camera", "The camera it belongs to; unset: every one"),
    };
    return table;
}

const ParamTable<Settings>& params() {
    static const ParamTable<Settings> table{
        param::records(&Settings::zones, "zones", zone_fields(),
                       "Zones: {name, points, labels, min_frames, dwell_s, anchor, camera}")
            .check([](const nlohmann::json& zones) { return duplicate_name(zones, "zone"); }),
        param::records(&Settings::lines, "lines", line_fields(),
                       "Counting lines: {name, points, in, labels, camera}")
            .check(line_side_problem),
        param::bind(&Settings::anchor, "anchor",
                    "The point of a box that is placed: bottom_center (where a person stands) "
                    "or center")
            .one_of(kAnchors),
        param::bind(&Settings::line_clearance_px, "line_clearance_px",
                    "How far from a line an object must get before it counts as on a side: one "
                    "that jitters on the line crosses once")
            .range(0, 10000),
        param::bind(&Settings::track_lost_frames, "track_lost_frames",
                    "Frames of its camera without a track after which it has ended (and left "
                    "its zones)")
            .range(1, 100000),
    };
    return table;
}

Anchor anchor_named(const std::string& name) {
    return name == "center" ? Anchor::Center : Anchor::BottomCenter;
}

class Zones final : public Processor {
  public:
    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "zones", "1.0.0", PluginKind::Processor,
            "Zones and counting lines over tracked objects: entries, exits, dwell, crossings "
            "with direction, occupancy per zone and totals per line",
            params().specs(),
            // 20 zones, 4 lines and 50 tracks on a frame.
            std::chrono::microseconds(200), Concurrency::OrderedPerCamera};
        return d;
    }

    // With no zone and no line it only passes frames on (its status says so).
    Zones(const Params& p, PluginContext& context)
        : context_(context),
          settings_(params().read(p)),
          publisher_(find_extension<ZoneSummaries>(context)) {}

    void process(Frame& frame) override {
        auto& camera = camera_of(frame.camera_id);
        auto changes = camera.process(frame);
        // The host's /zones and live page see each camera's zones once placed, then each change.
        if (publisher_ && (camera.resized() || !changes.empty()))
            publisher_->publish(frame.camera_id, camera.summary());
        frame.results[context_.instance_name()] = {{"changes", std::move(changes)}};
    }

    nlohmann::json status() const override {
        nlohmann::json cameras = nlohmann::json::object();
        std::string problems;
        std::lock_guard lock(mutex_);
        for (const auto& [id, camera] : cameras_) {
            cameras[id] = camera->summary();
            if (auto p = camera->problem(); !p.empty())
                problems += (problems.empty() ? "" : "; ") + p;
        }
        nlohmann::json status = {{"cameras", cameras}, {"healthy", problems.empty()}};
        if (!problems.empty()) status["error"] = problems;
        if (settings_.zones.empty() && settings_.lines.empty())
            status["note"] = "no zone and no line is configured: frames pass unchanged";
        return status;
    }

  private:
    CameraZones& camera_of(const std::string& id) {
        std::lock_guard lock(mutex_);
        auto& slot = cameras_[id];
        if (!slot) {
            std::vector<ZoneSpec> zones;
            for (const auto& z : settings_.zones) {
                if (z.camera && *z.camera != id) continue;
                zones.push_back({z.name, polygon_of(z.points), fractional({&z.points}), z.labels,
                                 z.min_frames, z.dwell_s,
                                 anchor_named(z.anchor.value_or(settings_.anchor))});
            }
            std::vector<LineSpec> lines;
            for (const auto& l : settings_.lines) {
                if (l.camera && *l.camera != id) continue;
                lines.push_back({l.name,
                                 {l.points[0][0], l.points[0][1]},
                                 {l.points[1][0], l.points[1][1]},
                                 {l.in[0][0], l.in[0][1]},
                                 fractional({&l.points, &l.in}),
                                 l.labels});
            }
            Tuning tuning{anchor_named(settings_.anchor), settings_.line_clearance_px,
                          settings_.track_lost_frames};
            slot = std::make_unique<CameraZones>(id, std::move(zones), std::move(lines), tuning,
                                                 context_);
        }
        return *slot;
    }

    PluginContext& context_;
    const Settings settings_;
    ZoneSummaries* publisher_;  // null without a host (the test harness)
    mutable std::mutex mutex_;  // guards the map; each camera's state is its one thread's
    std::map<std::string, std::unique_ptr<CameraZones>> cameras_;
};

}  // namespace

FRAMEHOST_PLUGIN(Zones)
