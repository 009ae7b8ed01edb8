#pragma once
// The plugin contract. A plugin is a shared library that exports, through FRAMEHOST_PLUGIN
// (framehost/export.hpp), one PluginEntry. Everything a plugin does is a call on an instance
// made by that entry's factory.
//
// Lifecycle of an instance, driven by the host, each step once and in this order:
//   create(params, context)  [main thread] params already validated against the descriptor
//   start()                  [main thread] open files, connect; throw to refuse to run
//   process / read / write   [worker or source threads, started] see each class
//   stop()                   [main thread, after the last call of the previous step returned]
//   destroy                  [main thread] through the entry, so the library frees what it made
// An exception thrown by a call (of any type, std::exception or not) is caught by the host: from
// start() it stops the host with the message; from a per-frame call it fails those frames and
// the host goes on. Every call is timed; one that runs far past the plugin's frame budget (or
// the host's cap) marks the instance stuck in /health, and /ready answers 503.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "framehost/frame.hpp"
#include "framehost/param_table.hpp"
#include "framehost/params.hpp"

namespace framehost {

enum class PluginKind { Source, Processor, Sink };

inline const char* to_string(PluginKind kind) {
    switch (kind) {
        case PluginKind::Source:
            return "source";
        case PluginKind::Processor:
            return "processor";
        case PluginKind::Sink:
            return "sink";
    }
    return "?";
}

// How the host may call an instance's per-frame function (process() or write()).
enum class Concurrency {
    Reentrant,         // any frames, on any threads at once: the plugin guards its own state
    Serialized,        // one call at a time on the instance, frames in any order
    OrderedPerCamera,  // frames of one camera_id one at a time, in the order the source read
                       // them (different cameras in parallel): for temporal plugins such as
                       // motion detection and tracking
};

inline const char* to_string(Concurrency c) {
    switch (c) {
        case Concurrency::Reentrant:
            return "reentrant";
        case Concurrency::Serialized:
            return "serialized";
        case Concurrency::OrderedPerCamera:
            return "ordered_per_camera";
    }
    return "?";
}

struct PluginDescriptor {
    std::string name;  // also the file name: <name>.so
    std::string version;
    PluginKind kind = PluginKind::Processor;
    std::string description;  // one line
    std::vector<ParamSpec> params;
    // What one frame may cost: process() per frame for a processor, write() per frame for a
    // sink, with the default parameters on a 640x480 RGB frame and one core. Zero means not
    // declared. `framehost check-plugin` fails a plugin that takes far longer; the host counts
    // the frames of calls over it (framehost_plugin_over_budget_frames_total, /health); it is
    // shown by `framehost inspect` so people sizing a pipeline know what to expect.
    std::chrono::microseconds frame_budget{0};
    Concurrency concurrency = Concurrency::Reentrant;
};

enum class LogLevel { Debug, Info, Warn, Error };

// A label a plugin puts on a metric of its own (camera="door"), beside the host's plugin,
// instance and kind labels. Names are Prometheus label names ([a-zA-Z_][a-zA-Z0-9_]*).
struct MetricLabel {
    std::string_view name;
    std::string_view value;
};

// A metric a plugin keeps for its whole life (one per camera, say): an update is one atomic
// operation, without a lookup. The host owns it; the reference stays valid after the instance
// is destroyed. [any thread]
class CounterMetric {
  public:
    virtual void add(double delta = 1) = 0;

  protected:
    ~CounterMetric() = default;
};
class GaugeMetric {
  public:
    virtual void set(double value) = 0;

  protected:
    ~GaugeMetric() = default;
};
class HistogramMetric {
  public:
    virtual void observe(double seconds) = 0;

  protected:
    ~HistogramMetric() = default;
};

// What the host lends an instance for its whole life. Thread-safe: any thread may call it.
class PluginContext {
  public:
    virtual ~PluginContext() = default;
    // The instance's name in the config (the plugin name unless `name:` was given).
    virtual const std::string& instance_name() const = 0;
    virtual void log(LogLevel level, std::string_view message) = 0;
    // The plugin's own metrics, labelled by the host with plugin and instance.
    virtual void add_to_counter(std::string_view name, double delta) = 0;
    virtual void set_gauge(std::string_view name, double value) = 0;
    // The same with labels of the plugin's, as handles to keep: `name` becomes
    // framehost_plugin_<name>_total for a counter, framehost_plugin_<name> for a gauge,
    // framehost_plugin_<name>_seconds for a histogram (latency buckets, 1 us to 100 s). The same
    // name and labels give the same metric. Throws std::invalid_argument for a name or label
    // name Prometheus would refuse, or a name already used with another type.
    virtual CounterMetric& counter(std::string_view name, std::string_view help,
                                   std::span<const MetricLabel> labels) = 0;
    virtual GaugeMetric& gauge(std::string_view name, std::string_view help,
                               std::span<const MetricLabel> labels) = 0;
    virtual HistogramMetric& histogram(std::string_view name, std::string_view help,
                                       std::span<const MetricLabel> labels) = 0;
    // A host service by id and version (framehost/extension.hpp has the typed lookup), or null
    // when this host does not offer it. The pointer stays valid for the instance's life.
    virtual void* extension(std::string_view id, std::uint32_t version) const = 0;
};

class Source;
class Processor;
class Sink;

class Plugin {
  public:
    virtual ~Plugin() = default;
    virtual void start() {}
    virtual void stop() {}
    // A JSON object describing the instance's health for /health (e.g. whether it reaches its
    // upstream, its last error). [any thread] must be cheap and must not block.
    virtual nlohmann::json status() const { return nlohmann::json::object(); }

    // Kind-safe access for the host, without RTTI across the library boundary.
    virtual Source* as_source() { return nullptr; }
    virtual Processor* as_processor() { return nullptr; }
    virtual Sink* as_sink() { return nullptr; }
};

// How a frame ended, as the host tells its source. The worst of what its processors and sinks
// did with it.
enum class Outcome {
    Completed,    // every processor ran and every sink wrote it
    Filtered,     // a processor dropped it on purpose: done, nothing to deliver
    Failed,       // a processor (or the host) failed it: retrying would fail again
    Undelivered,  // processed, but a sink could not write it: worth delivering again
};

inline const char* to_string(Outcome o) {
    switch (o) {
        case Outcome::Completed:
            return "completed";
        case Outcome::Filtered:
            return "filtered";
        case Outcome::Failed:
            return "failed";
        case Outcome::Undelivered:
            return "undelivered";
    }
    return "?";
}

enum class ReadStatus {
    Frames,        // appended at least one frame
    Idle,          // nothing to read now; the host calls again soon
    EndOfInput,    // never anything again; the host drains and finishes
    NotConnected,  // lost its upstream; the host backs off, then calls connect() again
};

class Source : public Plugin {
  public:
    // [source thread] Establish the upstream connection; throw on failure. The host retries with
    // backoff. Called once after start() and again after read() answered NotConnected.
    virtual void connect() {}
    // [source thread] Append at most `max_frames` frames to `out`. Must return within about
    // 100 ms when nothing arrives so the host can stop it; a read that waits longer on its
    // upstream checks stop_requested(context) (framehost/stop_request.hpp) while it waits. The host
    // calls read() only when its queue has room for `max_frames`, so a source never needs to
    // buffer.
    virtual ReadStatus read(std::vector<Frame>& out, std::size_t max_frames) = 0;
    // [worker thread] The frame left the pipeline with this outcome; `frame.delivery` is what
    // the source set. At-least-once sources acknowledge upstream here (Completed, Filtered),
    // dead-letter (Failed) or leave the delivery to be made again (Undelivered). Called exactly
    // once per frame read, from several workers at once.
    virtual void finished(const Frame& frame, Outcome outcome) {
        (void)frame;
        (void)outcome;
    }
    Source* as_source() override { return this; }
};

class Processor : public Plugin {
  public:
    // [worker threads, as the descriptor's concurrency allows] Add detections / results to the
    // frame. Throw, or call frame.fail(), to fail it; frame.filter() drops it on purpose.
    // Read pixels through frame.image's strides.
    virtual void process(Frame& frame) = 0;
    // [worker threads] Override to handle a batch at once; the default calls process() on each
    // frame, in order, and fails only the frames whose call threw. Frames already failed or
    // filtered are not passed; with ordered_per_camera a camera's frames come in order.
    virtual void process_batch(std::span<Frame* const> frames) {
        for (Frame* frame : frames) {
            try {
                process(*frame);
            } catch (const std::exception& e) {
                frame->fail(e.what());
            } catch (...) {
                frame->fail("threw something that is not a std::exception");
            }
        }
    }
    Processor* as_processor() override { return this; }
};

// What a sink tells the host about a batch it was given. [the calling worker thread, during
// write()]
class SinkReport {
  public:
    // frames[index] could not be written (the reason is kept with the frame); the others were.
    virtual void failed(std::size_t index, std::string_view reason) = 0;

  protected:
    ~SinkReport() = default;
};

class Sink : public Plugin {
  public:
    // [worker threads, as the descriptor's concurrency allows] Every finished frame, completed
    // or failed (frame.failed()), once; filtered frames never. Report the frames not written
    // through `report`; throwing reports the whole batch. A frame a sink did not write is
    // Undelivered to its source (redelivered by at-least-once sources).
    virtual void write(std::span<const Frame* const> frames, SinkReport& report) = 0;
    Sink* as_sink() override { return this; }
};

// The one symbol table a plugin exports besides framehost_abi_version().
struct PluginEntry {
    std::uint32_t abi_version;
    const char* sdk_version;
    // Layout of the boundary types as the plugin was compiled; the host compares them with its
    // own so a plugin built with other compiler flags is refused instead of corrupting memory.
    std::uint32_t frame_size;
    std::uint32_t params_size;
    std::uint32_t cxx11_string_abi;
    const PluginDescriptor& (*descriptor)();
    Plugin* (*create)(const Params& params, PluginContext& context);
    void (*destroy)(Plugin* instance);
};

}  // namespace framehost
