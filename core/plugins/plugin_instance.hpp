#pragma once
// The host's side of one configured plugin: the instance, its name, the context lent to it,
// and the metrics the host keeps for it without a line of plugin code.
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/metrics/metrics_registry.hpp"
#include "core/plugins/host_extensions.hpp"
#include "core/plugins/plugin_library.hpp"
#include "framehost/plugin.hpp"

namespace framehost::core {

class PluginInstance {
  public:
    // Creates the instance from its library. Throws what the plugin's constructor throws, or
    // std::runtime_error when the instance is not of its declared kind. Its context offers
    // `extensions` (none when null); they outlive the instance.
    static std::shared_ptr<PluginInstance> create(std::shared_ptr<PluginLibrary> library,
                                                  const std::string& instance_name,
                                                  const Params& params, MetricsRegistry& metrics,
                                                  const HostExtensions* extensions = nullptr);
    // An instance built in-process (tests, benchmarks): `make` receives the context.
    using Factory = std::function<std::shared_ptr<Plugin>(PluginContext&)>;
    static std::shared_ptr<PluginInstance> create(const PluginDescriptor& descriptor,
                                                  const std::string& instance_name,
                                                  const Params& params, MetricsRegistry& metrics,
                                                  const Factory& make,
                                                  const HostExtensions* extensions = nullptr);
    // An instance of `library`'s plugin that `make` stands in for (an isolated one, whose
    // plugin runs in a worker process): the library stays loaded for its descriptor.
    static std::shared_ptr<PluginInstance> create(std::shared_ptr<PluginLibrary> library,
                                                  const std::string& instance_name,
                                                  const Params& params, MetricsRegistry& metrics,
                                                  const Factory& make,
                                                  const HostExtensions* extensions = nullptr);

    const std::string& name() const { return name_; }
    const PluginDescriptor& descriptor() const { return descriptor_; }
    const Params& params() const { return params_; }
    Plugin& plugin() { return *plugin_; }
    const Plugin& plugin() const { return *plugin_; }
    Source* source() { return plugin_->as_source(); }
    Processor* processor() { return plugin_->as_processor(); }
    Sink* sink() { return plugin_->as_sink(); }
    // The descriptor's frame_budget in seconds; 0 when the plugin declares none.
    double frame_budget_seconds() const {
        return std::chrono::duration<double>(descriptor_.frame_budget).count();
    }

    // Every call from the host into the plugin goes through here: it runs `f`, catching
    // whatever it throws (std::exception or anything else) as the message returned; records the
    // call while it runs, so one that does not come back shows as stuck (stuck_call()); and, for
    // the per-frame calls (`frames` > 0) of a serialized plugin, holds the instance's lock.
    // Returns the error, or nothing when the call succeeded. [any thread]
    template <class F>
    std::optional<std::string> call(const char* what, std::size_t frames_in_call, F&& f);

    // From now on the plugin's stop_requested() (framehost/stop_request.hpp) answers true. For
    // sources: their thread is being stopped. [any thread]
    void request_stop();

    struct StuckCall {
        std::string what;  // "process", "read", ...
        double seconds = 0;
    };
    // The longest call now running for longer than the instance may take: `cap` for a plugin
    // that declares no frame budget, else 50 budgets per frame of the call, at least 1 s and at
    // most `cap`. [any thread]
    std::optional<StuckCall> stuck_call(std::chrono::milliseconds cap) const;

    // A sink's writes: each batch that wrote nothing says why; one that wrote anything ends
    // the run of failures. /health is degraded while the last batch failed. [any thread]
    struct WriteFailures {
        std::uint64_t consecutive = 0;  // batches in a row that wrote nothing
        std::string last_error;
    };
    void note_write(std::size_t frames, std::size_t not_written, const std::string& reason);
    WriteFailures write_failures() const;

    // Kept by the host around every call.
    Counter& frames;
    Counter& failures;
    Histogram& latency;  // seconds per frame
    // Frames of calls whose time per frame exceeded the descriptor's frame_budget (never
    // counted when no budget is declared). Per call, not per frame: a batch is timed as a whole.
    Counter& over_budget;

  private:
    // A call in flight: its name (null: the slot is free), when it began and on how many frames.
    // One cache line each: calls from different threads never write the same line.
    struct alignas(64) CallSlot {
        std::atomic<const char*> what{nullptr};
        std::atomic<std::int64_t> started_ns{0};
        std::atomic<std::size_t> frames{0};
    };
    static constexpr std::size_t kCallSlots = 64;  // calls tracked at once; more run untracked
    CallSlot* claim_slot(const char* what, std::size_t frames);

    class Context;
    PluginInstance(const PluginDescriptor& descriptor, const std::string& instance_name,
                   const Params& params, MetricsRegistry& metrics,
                   const HostExtensions* extensions);
    void adopt(std::shared_ptr<Plugin> plugin);
    // Runs the plugin's factory through call(), so whatever its constructor throws is an error.
    void adopt_created(const std::function<std::shared_ptr<Plugin>()>& create);

    std::shared_ptr<PluginLibrary> library_;  // null for in-process instances; destroyed last
    const PluginDescriptor& descriptor_;
    std::string name_;
    Params params_;
    std::unique_ptr<Context> context_;  // outlives plugin_: declared first, destroyed last
    std::shared_ptr<Plugin> plugin_;
    std::array<CallSlot, kCallSlots> calls_{};
    std::mutex serial_;  // held around per-frame calls of a Serialized plugin
    mutable std::mutex write_failures_mutex_;
    WriteFailures write_failures_;
};

template <class F>
std::optional<std::string> PluginInstance::call(const char* what, std::size_t frames_in_call,
                                                F&& f) {
    CallSlot* slot = claim_slot(what, frames_in_call);
    std::unique_lock<std::mutex> serial(serial_, std::defer_lock);
    if (frames_in_call > 0 && descriptor_.concurrency == Concurrency::Serialized) serial.lock();
    std::optional<std::string> error;
    try {
        f();
    } catch (const std::exception& e) {
        error = e.what();
        if (error->empty()) error = "exception with no message";
    } catch (...) {
        error = "threw something that is not a std::exception";
    }
    if (slot) slot->what.store(nullptr, std::memory_order_release);
    return error;
}

}  // namespace framehost::core
