// Turns a camera's tracked detections into events with a lifecycle and keeps them in the host's
// event store (framehost/events.hpp): an object event per watched track, a crossing per line
// crossing and a dwell per long visit of a zone (both from the zones processor before it), each
// with a snapshot of its best sighting. Ordered per camera: put it after object_tracker and
// zones.
#include <map>
#include <memory>
#include <mutex>

#include <framehost/events.hpp>
#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

#include "camera_events.hpp"
#include "event_snapshot.hpp"

namespace {

using namespace framehost;

struct Settings {
    std::vector<std::string> labels;
    double min_score = 0.5;
    int min_frames = 2;
    std::vector<std::string> required_zones;
    double max_duration_s = 300;
    int track_lost_frames = 10;
    bool snapshots = true;
    int snapshot_quality = 80;
    int snapshot_max_width = 640;
    std::string zones_from = "zones";
};

const ParamTable<Settings>& params() {
    static const ParamTable<Settings> table{
        param::bind(&Settings::labels, "labels", "Labels that make events; empty: every label"),
        param::bind(&Settings::min_score, "min_score",
                    "Confidence a track needs before its object event starts")
            .range(0, 1),
        param::bind(&Settings::min_frames, "min_frames",
                    "Frames a track must be seen in before its object event starts")
            .range(1, 10000),
        param::bind(&Settings::required_zones, "required_zones",
                    "An object event starts only inside one of these zones; empty: anywhere"),
        param::bind(&Settings::max_duration_s, "max_duration_s",
                    "An object event ends after this long even while its track goes on")
            .range(1, 86400),
        param::bind(&Settings::track_lost_frames, "track_lost_frames",
                    "Frames of its camera without a track after which its events end")
            .range(1, 100000),
        param::bind(&Settings::snapshots, "snapshots",
                    "Keep a JPEG of each event's best sighting with its box drawn"),
        param::bind(&Settings::snapshot_quality, "snapshot_quality", "JPEG quality of snapshots")
            .range(1, 100),
        param::bind(&Settings::snapshot_max_width, "snapshot_max_width",
                    "Snapshots wider than this are scaled down; 0 keeps the frame's size")
            .range(0, 10000),
        param::bind(&Settings::zones_from, "zones_from",
                    "The zones processor instance whose crossings and dwell become events"),
    };
    return table;
}

class Events final : public Processor {
  public:
    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "events",
            "1.0.0",
            PluginKind::Processor,
            "Turns tracked detections, line crossings and dwell into events with a start, "
            "updates and an end, each with a snapshot, kept in the host's event store",
            params().specs(),
            std::chrono::microseconds(100),
            Concurrency::OrderedPerCamera};
        return d;
    }

    Events(const Params& p, PluginContext& context)
        : context_(context),
          settings_(params().read(p)),
          store_(find_extension<EventStore>(context)),
          rules_{settings_.labels,
                 settings_.min_score,
                 settings_.min_frames,
                 settings_.required_zones,
                 static_cast<std::int64_t>(settings_.max_duration_s * 1000),
                 settings_.track_lost_frames},
          written_(
              &context.counter("events_written", "Event changes written to the event store", {})) {
        if (!store_)
            throw std::runtime_error(
                "the events processor keeps events in the host's event store: give the config "
                "an `events:` section with a `path` (the SQLite file)");
    }

    void process(Frame& frame) override {
        static const nlohmann::json kNoChanges = nlohmann::json::array();
        const nlohmann::json* changes = &kNoChanges;
        if (auto from = frame.results.find(settings_.zones_from);
            frame.results.is_object() && from != frame.results.end() && from->is_object())
            if (auto c = from->find("changes"); c != from->end()) changes = &*c;
        auto steps = camera_of(frame.camera_id).process(frame, *changes);
        if (steps.empty()) return;
        std::vector<EventWrite> writes;
        nlohmann::json report = nlohmann::json::array();
        for (auto& step : steps) {
            if (step.take_snapshot && settings_.snapshots && !frame.image.empty())
                step.write.snapshot =
                    events::draw_snapshot(frame, step.write.event, settings_.snapshot_max_width,
                                          settings_.snapshot_quality);
            report.push_back({{"id", step.write.event.id},
                              {"type", step.write.event.type},
                              {"change", step.kind}});
            writes.push_back(std::move(step.write));
        }
        // Throws when the store cannot write: the frame fails saying why, nothing is lost
        // silently.
        store_->write(writes);
        written_->add(static_cast<double>(writes.size()));
        // What starts and ends is logged once stored (updates would flood the log).
        for (std::size_t i = 0; i < writes.size(); ++i)
            if (steps[i].kind != "update")
                context_.log(LogLevel::Info, "stored event " + writes[i].event.id + " (" +
                                                 steps[i].kind + "): " + writes[i].event.type +
                                                 " " + writes[i].event.label + " on camera " +
                                                 writes[i].event.camera_id);
        frame.results[context_.instance_name()] = {{"events", std::move(report)}};
    }

    nlohmann::json status() const override {
        nlohmann::json cameras = nlohmann::json::object();
        std::lock_guard lock(mutex_);
        for (const auto& [id, camera] : cameras_)
            cameras[id] = {{"open_events", camera->open_events()}};
        return {{"healthy", true}, {"cameras", cameras}};
    }

  private:
    events::CameraEvents& camera_of(const std::string& id) {
        std::lock_guard lock(mutex_);
        auto& slot = cameras_[id];
        if (!slot) slot = std::make_unique<events::CameraEvents>(rules_);
        return *slot;
    }

    PluginContext& context_;
    const Settings settings_;
    EventStore* store_;
    const events::Rules rules_;
    CounterMetric* written_;
    mutable std::mutex mutex_;  // guards the map; each camera's state is its one thread's
    std::map<std::string, std::unique_ptr<events::CameraEvents>> cameras_;
};

}  // namespace

FRAMEHOST_PLUGIN(Events)
