#pragma once
// A host built from a validated config: plugin instances, the pipeline, the metrics they share,
// and the progress line. What an app (framehost, a benchmark) wires together.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/config/host_config.hpp"
#include "core/events/event_store.hpp"
#include "core/host/packet_board.hpp"
#include "core/host/previews.hpp"
#include "core/host/recording_list.hpp"
#include "core/host/runtime_cameras.hpp"
#include "core/host/zone_board.hpp"
#include "core/isolation/frame_pool.hpp"
#include "core/metrics/frame_states.hpp"
#include "core/metrics/history.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/pipeline/pipeline.hpp"
#include "core/pipeline/pixel_budget.hpp"
#include "core/plugins/host_extensions.hpp"

namespace framehost::core {

class Host {
  public:
    // Creates every plugin instance. Throws std::runtime_error naming the instance when a
    // plugin's constructor throws.
    explicit Host(HostConfig config);
    ~Host();

    void start();
    void request_stop() { pipeline_->request_stop(); }
    Pipeline::Outcome wait();

    // The config as started, sections included. [main thread, or under a reload's lock]
    const HostConfig& config() const { return config_; }

    // How to read the config again (the file, with the command line's overrides): set by the
    // app that started the host from a file. Without it a reload is refused.
    void set_config_loader(std::function<HostConfig()> loader) { loader_ = std::move(loader); }
    struct ReloadResult {
        bool applied = false;
        int status = 200;  // as POST /config/reload answers: 200, 422 (errors), 409
        nlohmann::json body;
    };
    // Re-reads the config and applies what changed in its sources, processors and sinks
    // (host_reload.cpp). A config that fails validation, or a new instance that cannot be
    // created or started, leaves the running one as it was. [any thread, one at a time]
    ReloadResult reload();
    MetricsRegistry& metrics() { return metrics_; }
    FrameStates& states() { return states_; }
    Pipeline& pipeline() { return *pipeline_; }
    // Cameras added and removed over HTTP while the host runs.
    RuntimeCameras& cameras() { return *cameras_; }
    // The pictures this host's plugins published (framehost.preview).
    PreviewBoard& previews() { return previews_; }
    // The event store (framehost.events), or null when the config has no `events:` store.
    HostEventStore* events() { return events_.get(); }
    // What the zones plugins published of each camera (framehost.zones).
    ZoneBoard& zones() { return zones_; }
    // The last minutes' figures, sampled by the host (GET /metrics/history).
    const MetricsHistory& history() const { return *history_; }
    // memory_limit_mb shared by the frames in flight and what plugins reserved
    // (framehost.memory).
    const PixelBudget& pixel_budget() const { return pixel_budget_; }
    // Each camera's last seconds of encoded packets (framehost.packets).
    PacketBoard& packets() { return packets_; }
    // The files the recorders finished (framehost.recordings).
    const RecordingList& recordings() const { return recordings_; }

  private:
    void report_progress();
    std::shared_ptr<PluginInstance> instantiate(const PluginUse& use);
    ReloadResult apply(HostConfig next);

    HostConfig config_;
    MetricsRegistry metrics_;
    FrameStates states_;
    // Declared before every plugin instance: the services outlive them.
    PreviewBoard previews_;
    ZoneBoard zones_;
    PixelBudget pixel_budget_;
    PacketBoard packets_;
    RecordingList recordings_;
    std::unique_ptr<HostEventStore> events_;
    // framehost.frame_memory: images isolated plugins read where they are (core/isolation/).
    std::unique_ptr<isolation::FramePool> frame_pool_;
    HostExtensions extensions_;
    std::unique_ptr<Pipeline> pipeline_;
    std::unique_ptr<RuntimeCameras> cameras_;
    std::unique_ptr<MetricsHistory> history_;

    std::function<HostConfig()> loader_;
    std::mutex reload_mutex_;
    std::uint64_t reloads_ = 0;

    std::thread progress_thread_;
    std::mutex progress_mutex_;
    std::condition_variable progress_wake_;
    bool progress_done_ = false;
};

}  // namespace framehost::core
