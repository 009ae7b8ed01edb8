#pragma once
// The lifecycle of one camera's events, from its frames in order: an object event per watched
// track (started once the track is confirmed and, if asked, inside a required zone; updated
// when it enters a zone or is seen with a better score; ended when the track is lost or the
// event has lasted max_duration), a crossing event per line crossing, a dwell event per visit
// that outlasts a zone's dwell_s (ended when the object leaves the zone or is lost).
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <framehost/events.hpp>
#include <framehost/frame.hpp>

namespace framehost::events {

struct Rules {
    std::vector<std::string> labels;          // empty: every label
    double min_score = 0.5;                   // to start an object event
    int min_frames = 2;                       // sightings before a track's event starts
    std::vector<std::string> required_zones;  // empty: anywhere
    std::int64_t max_duration_ms = 300'000;
    int track_lost_frames = 10;
    double snapshot_margin = 0.05;  // a better score takes a new snapshot when this much better
};

// What one frame did: the writes for the store, and for each whether its snapshot should be
// taken from this frame (the box to draw).
struct EventStep {
    EventWrite write;
    bool take_snapshot = false;
    std::string kind;  // "new", "update" or "end", for the frame's results
};

class CameraEvents {
  public:
    explicit CameraEvents(const Rules& rules) : rules_(rules) {}

    // [one thread at a time, in the camera's order] `zone_changes` are the zones processor's
    // changes of this frame (an array, possibly empty).
    std::vector<EventStep> process(const Frame& frame, const nlohmann::json& zone_changes);
    // The events open after the last frame processed. [any thread: /health reads it while a
    // worker runs process()]
    std::size_t open_events() const { return open_.load(std::memory_order_relaxed); }

  private:
    struct Track {
        int sightings = 0;
        std::uint64_t last_frame = 0;
        std::int64_t last_ms = 0;
        std::string last_frame_id;
        bool started = false, done = false;
        Event event;
        std::map<std::string, Event> dwells;  // open dwell events by zone
    };
    bool watched(const std::string& label) const;
    static EventStep end_of(Event event, std::int64_t end_ms, const std::string& frame_id);

    const Rules& rules_;
    std::map<std::uint64_t, Track> tracks_;
    std::uint64_t frames_ = 0;
    std::atomic<std::size_t> open_{0};  // counted at the end of process(), from tracks_
};

}  // namespace framehost::events
