#pragma once
// The running host: one source thread feeding a bounded FrameQueue, `workers` threads taking
// batches through the FrameChain. Owns the order of plugin start and stop and the drain on
// shutdown.
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
#include "core/plugins/plugin_instance.hpp"

namespace framehost::core {

class Backoff;
class CircuitBreaker;

struct PipelineParts {
    std::shared_ptr<PluginInstance> source;  // may be null: the host then only serves requests
    std::vector<std::shared_ptr<PluginInstance>> processors;
    std::vector<std::shared_ptr<PluginInstance>> sinks;
};

// How the source thread retries a source that cannot connect or read.
struct SourceRetry {
    std::chrono::milliseconds initial_backoff{1000};
    std::chrono::milliseconds max_backoff{30000};
    int circuit_failure_threshold = 5;
    std::chrono::milliseconds circuit_open{30000};
};

class Pipeline {
public:
    Pipeline(const PipelineSettings& settings, PipelineParts parts, MetricsRegistry& metrics,
             FrameStates& states, SourceRetry retry = {});
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    // [main thread] Starts sinks, processors, then the source, then the threads. When a plugin's
    // start() throws, the ones already started are stopped and a runtime_error names it.
    void start();
    // [any thread] Stop reading; wait() drains what is in flight within shutdown_timeout.
    void request_stop();

    enum class Outcome {
        SourceExhausted,  // a finite source ended and everything was processed
        Stopped,          // request_stop(), and the drain finished in time
        DrainTimedOut,    // frames left in the queue were dropped; workers finished in the grace
        WorkersStuck,     // a plugin call did not return: plugins were not stopped
    };
    // [main thread] Blocks until the pipeline is done, then stops the plugins (source first).
    Outcome wait();

    // [any thread] One frame through the processors and sinks, now, on the calling thread.
    // Counts in the same states and metrics as queued frames.
    void process_now(Frame& frame, std::vector<StageTiming>* timings = nullptr);

    struct Status {
        bool started = false;
        bool stopping = false;
        bool source_finished = false;
        bool source_connected = false;
        int source_consecutive_failures = 0;
        std::chrono::milliseconds source_backoff{0};
        std::string source_last_error;
        std::string source_circuit = "closed";  // closed | open | half_open
        int source_circuit_opened = 0;          // times the circuit opened
        std::size_t queue_depth = 0;
        std::size_t queue_capacity = 0;
        std::size_t bytes_in_flight = 0;
        std::size_t memory_limit_bytes = 0;

        // Started, not stopping, and the source (if any) has not ended.
        bool source_running(bool has_source) const {
            return has_source && started && !source_finished && !stopping;
        }
    };
    Status status() const;

    const PipelineParts& parts() const { return parts_; }
    const PipelineSettings& settings() const { return settings_; }

private:
    void source_loop();
    void worker_loop();
    bool sleep_unless_stopped(std::chrono::milliseconds duration);
    void note_source_error(const std::string& what);
    // After a failed connect or read: counts it, then waits out the backoff.
    void source_failed(const std::string& what, Backoff& backoff, CircuitBreaker& breaker);
    void stop_plugins();

    PipelineSettings settings_;
    PipelineParts parts_;
    SourceRetry retry_;
    FrameStates& states_;
    FrameChain chain_;
    FrameQueue queue_;
    Histogram& end_to_end_;

    std::thread source_thread_;
    std::vector<std::thread> workers_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::atomic<bool> stop_requested_{false};
    bool source_done_ = false;
    bool started_ = false;
    bool finished_ = false;
    std::size_t workers_active_ = 0;

    // Source health, written by the source thread.
    std::atomic<bool> source_connected_{false};
    std::atomic<int> source_failures_{0};
    std::atomic<long long> source_backoff_ms_{0};
    std::atomic<int> source_circuit_{0};  // CircuitBreaker::State
    std::atomic<int> source_circuit_opened_{0};
    std::string source_last_error_;  // guarded by mutex_
};

}  // namespace framehost::core
