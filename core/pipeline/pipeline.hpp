#pragma once
// The running host: a thread per source (SourceRunner) feeding one bounded FrameQueue,
// `workers` threads taking batches through the FrameChain and settling each frame with the
// source that read it. Owns the order of plugin start and stop and the drain on shutdown.
// pipeline.cpp: start, stop and drain; pipeline_workers.cpp: the workers, settlement and
// /process; pipeline_sources.cpp: sources added and removed at run time; pipeline_status.cpp:
// what /health and /metrics read.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config/host_config.hpp"
#include "core/metrics/frame_states.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/pipeline/frame_chain.hpp"
#include "core/pipeline/frame_queue.hpp"
#include "core/pipeline/source_runner.hpp"
#include "core/pipeline/source_slots.hpp"
#include "core/plugins/plugin_instance.hpp"

namespace framehost::core {

struct SourcePart {
    std::shared_ptr<PluginInstance> instance;
    SourceRetry retry;
};

struct PipelineParts {
    std::vector<SourcePart> sources;  // may be empty: the host then only serves requests
    std::vector<std::shared_ptr<PluginInstance>> processors;
    std::vector<std::shared_ptr<PluginInstance>> sinks;
};

// A plugin call running past what its instance may take (PluginInstance::stuck_call).
struct StuckInstance {
    std::string instance;
    PluginInstance::StuckCall call;
};

class Pipeline {
  public:
    Pipeline(const PipelineSettings& settings, PipelineParts parts, MetricsRegistry& metrics,
             FrameStates& states);
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    // [main thread] Starts sinks, processors, then the sources, then the threads. When a
    // plugin's start() throws, the ones already started are stopped and a runtime_error names it.
    void start();
    // [any thread] Stop reading; wait() drains what is in flight within shutdown_timeout.
    void request_stop();

    enum class Outcome {
        SourceExhausted,  // every source was finite, they ended, and everything was processed
        Stopped,          // request_stop(), and the drain finished in time
        DrainTimedOut,    // frames left in the queue were dropped; workers finished in the grace
        WorkersStuck,     // a plugin call did not return: plugins were not stopped
    };
    // [main thread] Blocks until the pipeline is done, then stops the plugins (sources first).
    Outcome wait();

    // [any thread] Adds a source to the running pipeline (a camera added over HTTP): starts the
    // plugin, then its thread. Throws std::runtime_error when the pipeline is not running, has
    // kMaxSources sources at once, or the plugin's start() throws.
    // `configured`: a source of the config (a reload added it), which a reload may remove.
    void add_source(SourcePart part, bool configured = false);
    // [any thread] Removes a source added with add_source: stops its reading, waits (up to the
    // shutdown timeout) for the frames it read to be settled, then stops the plugin. Returns
    // the number of frames it waited for; throws std::invalid_argument for a name that is not
    // such a source.
    std::size_t remove_source(const std::string& instance_name);
    // The same for a configured source (a reload that removes or changes it).
    std::size_t remove_configured_source(const std::string& instance_name);
    // Sources at once; the slots of removed ones are reused.
    static constexpr std::size_t kMaxSources = SourceSlots::kCapacity;

    // [any thread] One frame through the processors and sinks, now, on the calling thread.
    // Counts in the same states and metrics as queued frames.
    // The frame is settled by no source.
    void process_now(Frame& frame, std::vector<StageTiming>* timings = nullptr);

    struct Status {
        bool started = false;
        bool stopping = false;
        std::vector<SourceStatus> sources;  // in config order
        std::size_t queue_depth = 0;
        std::size_t queue_capacity = 0;
        std::size_t bytes_in_flight = 0;
        std::size_t memory_limit_bytes = 0;

        bool all_sources_finished() const {
            for (const auto& s : sources)
                if (!s.finished) return false;
            return true;
        }
        // Started, not stopping, and some source has not ended.
        bool sources_running() const {
            return started && !stopping && !sources.empty() && !all_sources_finished();
        }
    };
    Status status() const;
    // Calls running far past what their instance may take, worst first. [any thread]
    std::vector<StuckInstance> stuck() const;

    // What runs now (a reload may have replaced processors and sinks). [any thread]
    PipelineParts parts() const;

    // [any thread, one at a time] Swaps in a new chain of processors and sinks, between batches:
    // instances not in the running chain are started (sinks first), the chain is replaced
    // atomically with the queue's pops (a batch runs wholly on the chain it was taken with),
    // the batches still on the old chain finish, then the instances no longer used are
    // stopped. Throws std::runtime_error, with nothing changed, when a new instance's start()
    // throws.
    void replace_chain(std::vector<std::shared_ptr<PluginInstance>> processors,
                       std::vector<std::shared_ptr<PluginInstance>> sinks);
    // From a frame entering the host to its last sink (framehost_frame_latency_seconds).
    const Histogram& end_to_end_latency() const { return end_to_end_; }
    const PipelineSettings& settings() const { return settings_; }
    // The frames in flight, charged their pixel bytes (memory_limit_mb).
    const FrameQueue& queue() const { return queue_; }
    // Every instance: sources (those added at runtime after the configured ones, removed ones
    // left out), processors, sinks, in that order.
    std::vector<std::shared_ptr<PluginInstance>> instances() const;

  private:
    void worker_loop();
    void settle(FrameBatch& batch, const std::vector<framehost::Outcome>& outcomes);
    void stop_plugins();
    std::shared_ptr<SourceRunner> make_runner(const SourcePart& part, SourceTicket ticket);
    void notify_changed();
    std::size_t remove_runner(const std::shared_ptr<SourceRunner>& runner,
                              const std::string& instance_name);

    PipelineSettings settings_;
    PipelineParts parts_;
    FrameStates& states_;
    std::shared_ptr<FrameChain> chain_;  // the newest; each batch holds the one it runs on
    std::mutex chain_mutex_;             // one replace_chain at a time
    mutable std::mutex parts_mutex_;     // parts_.processors and parts_.sinks
    FrameQueue queue_;
    Histogram& end_to_end_;
    SourceSlots sources_;
    std::vector<std::shared_ptr<SourceRunner>> configured_;  // the config's, in its order
    std::mutex sources_mutex_;                               // one add or remove at a time
    std::vector<std::thread> workers_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::atomic<bool> stop_requested_{false};
    bool started_ = false;
    bool finished_ = false;
    std::size_t workers_active_ = 0;
};

}  // namespace framehost::core
