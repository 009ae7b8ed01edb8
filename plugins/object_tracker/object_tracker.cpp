// Gives detections a track id that stays the same while an object moves through a camera's
// frames. Per camera (ordered_per_camera: its frames arrive one at a time, in order): each
// detection is matched to a live track of its class by overlap (IoU, best first), failing that
// by the distance of the centres, each against where the track's box would be now at its recent
// speed (two people passing each other otherwise swap ids, and a counting line counts neither);
// unmatched detections start tracks, tracks unmatched for more than max_age frames end. Each frame
// reports its tracks with their ages, and the camera's tracks started and ended so far.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

namespace {

using namespace framehost;
using Box = std::array<int, 4>;

double iou(const Box& a, const Box& b) {
    double w = std::max(0, std::min(a[2], b[2]) - std::max(a[0], b[0]));
    double h = std::max(0, std::min(a[3], b[3]) - std::max(a[1], b[1]));
    double inter = w * h;
    double area_a = static_cast<double>(a[2] - a[0]) * (a[3] - a[1]);
    double area_b = static_cast<double>(b[2] - b[0]) * (b[3] - b[1]);
    double all = area_a + area_b - inter;
    return all > 0 ? inter / all : 0;
}

double centre_distance(const Box& a, const Box& b) {
    double dx = (a[0] + a[2]) / 2.0 - (b[0] + b[2]) / 2.0;
    double dy = (a[1] + a[3]) / 2.0 - (b[1] + b[3]) / 2.0;
    return std::hypot(dx, dy);
}

double diagonal(const Box& b) {
    return std::hypot(b[2] - b[0], b[3] - b[1]);
}

struct Settings {
    double iou_threshold = 0.3;
    double max_centre_distance = 0.5;
    int max_age = 5;
    int min_hits = 1;
    bool predict_motion = true;
};

// The box moved by `frames` steps of `velocity` (pixels a frame, of its centre).
Box moved(const Box& b, const std::array<double, 2>& velocity, int frames) {
    auto dx = static_cast<int>(std::lround(velocity[0] * frames));
    auto dy = static_cast<int>(std::lround(velocity[1] * frames));
    return {b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy};
}

// Weight of the newest step in a track's speed: enough to follow a walker who turns, not so much
// that one jittery box sends the prediction off.
constexpr double kVelocitySmoothing = 0.5;

class ObjectTracker final : public Processor {
  public:
    static const ParamTable<Settings>& params() {
        static const ParamTable<Settings> table{
            param::bind(&Settings::iou_threshold, "iou_threshold",
                        "Overlap a detection needs with a track's last box to continue it")
                .range(0, 1),
            param::bind(&Settings::max_centre_distance, "max_centre_distance",
                        "Failing overlap, how far the centres may be apart, as a share of the "
                        "track box's diagonal; 0 overlap only")
                .range(0, 10),
            param::bind(&Settings::max_age, "max_age",
                        "Frames a track may go unmatched before it ends")
                .range(0, 10'000),
            param::bind(&Settings::min_hits, "min_hits",
                        "Matches a track needs before its id is put on detections")
                .range(1, 1000),
            param::bind(&Settings::predict_motion, "predict_motion",
                        "Match detections against where each track would be at its recent speed "
                        "(centre moved a frame, smoothed), not where it was last seen"),
        };
        return table;
    }

    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "object_tracker",
            "1.0.0",
            PluginKind::Processor,
            "Gives detections track ids stable across a camera's frames (IoU, then centre "
            "distance), with track ages and per-camera counts",
            params().specs(),
            std::chrono::microseconds(50),
            Concurrency::OrderedPerCamera};
        return d;
    }

    ObjectTracker(const Params& p, PluginContext& context)
        : context_(context), settings_(params().read(p)) {}

    void process(Frame& frame) override {
        Camera& camera = camera_of(frame.camera_id);
        auto& tracks = camera.tracks;
        std::vector<int> match(frame.detections.size(), -1);
        std::vector<bool> taken(tracks.size(), false);
        // Best overlaps first, then the nearest centres, each pair of one class.
        struct Pair {
            double score;
            std::size_t detection, track;
        };
        std::vector<Box> expected(tracks.size());
        for (std::size_t t = 0; t < tracks.size(); ++t)
            expected[t] = settings_.predict_motion
                              ? moved(tracks[t].box, tracks[t].velocity, tracks[t].missed + 1)
                              : tracks[t].box;
        for (int pass = 0; pass < 2; ++pass) {
            std::vector<Pair> pairs;
            for (std::size_t d = 0; d < frame.detections.size(); ++d) {
                if (match[d] >= 0) continue;
                for (std::size_t t = 0; t < tracks.size(); ++t) {
                    if (taken[t] || tracks[t].class_name != frame.detections[d].class_name)
                        continue;
                    const auto& box = frame.detections[d].bbox;
                    if (pass == 0) {
                        double overlap = iou(box, expected[t]);
                        if (overlap >= settings_.iou_threshold && overlap > 0)
                            pairs.push_back({overlap, d, t});
                    } else if (settings_.max_centre_distance > 0) {
                        double distance = centre_distance(box, expected[t]);
                        if (distance <= settings_.max_centre_distance * diagonal(expected[t]))
                            pairs.push_back({-distance, d, t});
                    }
                }
            }
            std::sort(pairs.begin(), pairs.end(),
                      [](const Pair& a, const Pair& b) { return a.score > b.score; });
            for (const auto& p : pairs) {
                if (match[p.detection] >= 0 || taken[p.track]) continue;
                match[p.detection] = static_cast<int>(p.track);
                taken[p.track] = true;
            }
        }
        for (std::size_t d = 0; d < frame.detections.size(); ++d) {
            auto& detection = frame.detections[d];
            if (match[d] < 0) {
                tracks.push_back({++camera.last_id,
                                  detection.class_name,
                                  detection.bbox,
                                  0,
                                  0,
                                  frame.timestamp_ms,
                                  {0, 0}});
                taken.push_back(true);
                match[d] = static_cast<int>(tracks.size() - 1);
                ++camera.started;
                camera.started_metric->add(1);
            }
            auto& track = tracks[static_cast<std::size_t>(match[d])];
            if (track.hits > 0) {
                // The centre's step per frame since the track was last seen.
                double steps = track.missed + 1;
                for (int axis = 0; axis < 2; ++axis) {
                    double step = ((detection.bbox[axis] + detection.bbox[axis + 2]) -
                                   (track.box[axis] + track.box[axis + 2])) /
                                  2.0 / steps;
                    track.velocity[axis] =
                        track.hits == 1 ? step
                                        : kVelocitySmoothing * step +
                                              (1 - kVelocitySmoothing) * track.velocity[axis];
                }
            }
            track.box = detection.bbox;
            track.missed = 0;
            ++track.hits;
            if (track.hits >= settings_.min_hits) detection.track_id = track.id;
        }
        nlohmann::json report = nlohmann::json::array();
        for (std::size_t t = 0; t < tracks.size(); ++t) {
            if (!taken[t]) ++tracks[t].missed;
            if (tracks[t].missed == 0 && tracks[t].hits >= settings_.min_hits)
                report.push_back(
                    {{"track_id", tracks[t].id},
                     {"class", tracks[t].class_name},
                     {"bbox", tracks[t].box},
                     {"age_frames", tracks[t].hits},
                     {"age_s",
                      static_cast<double>(frame.timestamp_ms - tracks[t].first_ms) / 1000}});
        }
        auto ended = std::remove_if(tracks.begin(), tracks.end(),
                                    [&](const Track& t) { return t.missed > settings_.max_age; });
        auto count = static_cast<std::uint64_t>(tracks.end() - ended);
        camera.ended += count;
        camera.ended_metric->add(static_cast<double>(count));
        tracks.erase(ended, tracks.end());
        frame.results[context_.instance_name()] = {{"tracks", std::move(report)},
                                                   {"tracks_started", camera.started.load()},
                                                   {"tracks_ended", camera.ended.load()},
                                                   {"live_tracks", tracks.size()}};
    }

    nlohmann::json status() const override {
        std::lock_guard lock(mutex_);
        nlohmann::json cameras = nlohmann::json::object();
        for (const auto& [id, c] : cameras_)
            cameras[id] = {{"tracks_started", c.started.load()}, {"tracks_ended", c.ended.load()}};
        return {{"cameras", cameras}};
    }

  private:
    struct Track {
        std::uint64_t id;
        std::string class_name;
        Box box;
        int hits;
        int missed;
        std::int64_t first_ms;
        std::array<double, 2> velocity;  // of the box's centre, pixels a frame
    };
    struct Camera {
        std::vector<Track> tracks;
        std::uint64_t last_id = 0;
        // Read by status() from any thread.
        std::atomic<std::uint64_t> started{0};
        std::atomic<std::uint64_t> ended{0};
        CounterMetric* started_metric = nullptr;
        CounterMetric* ended_metric = nullptr;
    };
    Camera& camera_of(const std::string& id) {
        std::lock_guard lock(mutex_);
        auto [it, added] = cameras_.try_emplace(id);
        if (added) {
            MetricLabel label{"camera", id};
            it->second.started_metric = &context_.counter(
                "tracks_started", "Tracks the tracker started", std::span(&label, 1));
            it->second.ended_metric =
                &context_.counter("tracks_ended", "Tracks that ended", std::span(&label, 1));
        }
        return it->second;
    }

    PluginContext& context_;
    const Settings settings_;
    mutable std::mutex mutex_;
    std::map<std::string, Camera> cameras_;  // references stay valid as it grows
};

}  // namespace

FRAMEHOST_PLUGIN(ObjectTracker)
