#pragma once
// One camera's zones and counting lines, and what its tracked objects do there: which zones each
// track is in and since when, entries and exits (after min_frames inside or outside), dwell
// beyond a zone's dwell_s, and line crossings with their direction. An object that jitters on a
// line counts once: its side changes only when it is farther than the clearance from the line.
// Times are the frames' capture times, so a recorded clip gives the events the live run gave.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <framehost/frame.hpp>
#include <framehost/plugin.hpp>
#include <nlohmann/json.hpp>

#include "geometry.hpp"

namespace framehost::zones {

enum class Anchor { BottomCenter, Center };

struct ZoneSpec {
    std::string name;
    Polygon points;  // pixels, or fractions of the frame when `fractional`
    bool fractional = false;
    std::vector<std::string> labels;  // empty: every label
    int min_frames = 1;
    double dwell_s = 0;  // 0: no dwell events
    Anchor anchor = Anchor::BottomCenter;
};

struct LineSpec {
    std::string name;
    Point a, b;
    Point in;  // a point on the side that counts as inside
    bool fractional = false;
    std::vector<std::string> labels;
};

struct Tuning {
    Anchor line_anchor = Anchor::BottomCenter;
    double clearance_px = 10;
    int track_lost_frames = 10;
};

class CameraZones {
  public:
    CameraZones(std::string camera, std::vector<ZoneSpec> zones, std::vector<LineSpec> lines,
                Tuning tuning, PluginContext& context);

    // [one thread at a time, in the camera's order] Names each tracked detection's zones and
    // returns what its tracks did on this frame, one JSON object per change.
    nlohmann::json process(Frame& frame);
    // [any thread] {"zones": {NAME: {"occupancy": {LABEL: n}, "points"}}, "lines": {NAME: {"in",
    // "out", "points"}}, "frame_size": [w, h]}; points in pixels, once the frame size is known.
    nlohmann::json summary() const;
    // Whether the last frame processed gave the camera a new size (its zones new pixels).
    bool resized() const { return resized_; }
    // [any thread] Coordinates beyond the frame, once its size is known; "" when none.
    std::string problem() const;

  private:
    struct TrackZone {
        int inside_run = 0;   // frames in a row inside
        int outside_run = 0;  // frames in a row outside
        bool entered = false;
        double entered_at = 0;
        bool dwelt = false;
    };
    struct TrackLine {
        int side = 0;  // -1, 1; 0 until it was clear of the line once
        Point last_clear;
    };
    struct Track {
        std::string label;
        std::uint64_t last_frame = 0;
        std::vector<TrackZone> zones;
        std::vector<TrackLine> lines;
    };

    // False when the frame size is the one already known.
    bool resize_to(int width, int height);
    void enter(std::size_t zone, const std::string& label, std::int64_t delta);
    nlohmann::json change(const char* type, std::uint64_t track_id, const Track& track) const;

    std::string camera_;
    std::vector<ZoneSpec> zones_;
    std::vector<LineSpec> lines_;
    Tuning tuning_;
    PluginContext& context_;

    int width_ = 0, height_ = 0;
    bool resized_ = false;
    // zones_ and lines_ (a, b, in) in this frame size's pixels; written under mutex_, read by
    // the camera's thread without it.
    std::vector<Polygon> zone_px_;
    std::vector<std::array<Point, 3>> line_px_;
    std::array<int, 2> frame_size_{0, 0};  // what the points are pixels of
    std::unordered_map<std::uint64_t, Track> tracks_;
    std::uint64_t frames_ = 0;
    // Metric handles, made once each (the context's metrics live as long as the host).
    std::map<std::pair<std::size_t, std::string>, GaugeMetric*> occupancy_gauges_;
    std::vector<std::array<CounterMetric*, 2>> crossing_counters_;  // per line: in, out

    mutable std::mutex mutex_;  // guards what summary() and problem() read
    std::vector<std::map<std::string, std::int64_t>> occupancy_;  // per zone: label -> tracks
    std::vector<std::array<std::uint64_t, 2>> crossings_;         // per line: in, out
    std::string problem_;
};

}  // namespace framehost::zones
