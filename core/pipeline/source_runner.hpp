#pragma once
// One configured source on its own thread: connect, then read into the shared queue when it
// has room, with the host's retry (backoff and circuit breaker) around every failure, so one
// failing source never stalls another. Every call into the plugin goes through its guard.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/metrics/frame_states.hpp"
#include "core/pipeline/frame_queue.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "framehost/source_retry.hpp"

namespace framehost::core {

struct SourceStatus {
    std::string name;
    bool connected = false;
    bool finished = false;  // the source said EndOfInput, or its thread ended
    int consecutive_failures = 0;
    std::chrono::milliseconds backoff{0};
    std::string last_error;
    std::string circuit = "closed";  // closed | open | half_open
    int circuit_opened = 0;          // times the circuit opened
    std::uint64_t frames = 0;        // frames it read
    // Seconds it has been waiting because the pixel bytes in flight reached the memory budget;
    // 0 when it is not.
    double blocked_on_memory_s = 0;
};

class SourceRunner {
  public:
    // Every frame it reads carries `ticket`, by which the pipeline settles it with this source.
    SourceRunner(std::shared_ptr<PluginInstance> instance, SourceTicket ticket, SourceRetry retry,
                 FrameQueue& queue, FrameStates& states, std::size_t batch_size);
    ~SourceRunner();
    SourceRunner(const SourceRunner&) = delete;
    SourceRunner& operator=(const SourceRunner&) = delete;

    // [main thread] Starts the thread; `on_done` is called on it when the source is finished.
    void start(std::function<void()> on_done);
    // [any thread] Stops reading soon: the thread leaves at its next wait or read.
    void request_stop();
    void join();

    SourceStatus status() const;
    PluginInstance& instance() { return *instance_; }
    const std::shared_ptr<PluginInstance>& instance_ptr() const { return instance_; }
    bool finished() const { return finished_.load(); }
    // Frames it put in the queue that the host has not yet settled with it. [any thread]
    std::int64_t unsettled() const { return unsettled_.load(); }
    void settled(std::size_t frames) { unsettled_ -= static_cast<std::int64_t>(frames); }

  private:
    void loop();
    bool sleep_unless_stopped(std::chrono::milliseconds duration);
    void failed(const std::string& what, Retry& retry);

    std::shared_ptr<PluginInstance> instance_;
    SourceTicket ticket_;
    SourceRetry retry_;
    FrameQueue& queue_;
    FrameStates& states_;
    std::size_t batch_size_;
    std::function<void()> on_done_;
    std::thread thread_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> finished_{false};
    std::atomic<bool> connected_{false};
    std::atomic<int> failures_{0};
    std::atomic<long long> backoff_ms_{0};
    std::atomic<int> circuit_{0};  // CircuitBreaker::State
    std::atomic<int> circuit_opened_{0};
    std::atomic<std::uint64_t> frames_{0};
    std::atomic<std::int64_t> unsettled_{0};
    std::atomic<std::int64_t> waiting_since_ns_{0};  // 0: not waiting for room
    std::string last_error_;                         // guarded by mutex_
};

}  // namespace framehost::core
