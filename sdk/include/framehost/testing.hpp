#pragma once
// A test harness for plugin authors: load a built plugin file and drive it as the host would,
// without a host. Header-only, needs only the C++ standard library, nlohmann/json and libdl.
//
//   framehost::testing::LoadedPlugin plugin("build/plugins/brightness.so", {{"scale", 2.0}});
//   auto frames = plugin.process({framehost::testing::make_frame("f1", 4, 2, 100)});
//   CHECK(frames[0].results["brightness"]["mean"] == 200.0);
// Sources: plugin.read(max) and plugin.finished(frame, outcome); sinks: plugin.write(frames).
// Parameters are checked by the host's own rules (framehost/param_rules.hpp).
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "framehost/abi_check.hpp"
#include "framehost/extension.hpp"
#include "framehost/param_rules.hpp"
#include "framehost/plugin.hpp"
#include "framehost/version.hpp"

namespace framehost::testing {

// A frame of width x height RGB pixels all equal to `fill` (no pixels when width or height is
// 0). With `row_padding`, each row is followed by that many bytes of 0xA5 that are not part of
// the picture: a plugin that reads the frame correctly gives the same output either way.
inline Frame make_frame(std::string id, int width, int height, std::uint8_t fill = 0,
                        std::size_t row_padding = 0) {
    Frame f;
    f.id = std::move(id);
    f.camera_id = "camera_01";
    f.width = width;
    f.height = height;
    if (width <= 0 || height <= 0) return f;
    std::size_t row = static_cast<std::size_t>(width) * 3, stride = row + row_padding;
    auto bytes = std::make_shared<std::vector<std::uint8_t>>(
        stride * static_cast<std::size_t>(height), 0xA5);
    for (int y = 0; y < height; ++y)
        std::fill_n(bytes->data() + stride * static_cast<std::size_t>(y), row, fill);
    std::array<ImagePlane, 4> planes{};
    planes[0] = {bytes->data(), stride, bytes->size()};
    f.set_image(wrap_image(PixelFormat::RGB24, width, height, planes, bytes));
    return f;
}

// Host services a test lends the plugin (framehost/extension.hpp), e.g. an event store:
//   HostServices services;
//   services.offer<EventStore>(&store);
// The harness offers none unless given them, as check-plugin's child offers none.
using HostServices = ExtensionTable;

class LoadedPlugin {
  public:
    // Loads the plugin, checks its ABI, builds its Params from `values` over the spec's defaults
    // (types and ranges checked), creates the instance and starts it. Throws
    // std::runtime_error saying what is wrong. `services` must outlive the instance.
    explicit LoadedPlugin(const std::string& path,
                          const nlohmann::json& values = nlohmann::json::object(),
                          HostServices services = {}) {
        context_.services = std::move(services);
        handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle_) throw std::runtime_error(path + ": " + dlerror());
        auto checked = check_plugin_abi([this](const char* name) { return dlsym(handle_, name); });
        if (!checked.entry) throw std::runtime_error(path + ": " + checked.problem);
        entry_ = checked.entry;
        context_.name = entry_->descriptor().name;
        params_ = Params(build_params(entry_->descriptor(), values));
        instance_ = entry_->create(params_, context_);
        instance_->start();
    }

    ~LoadedPlugin() {
        if (instance_) {
            try {
                instance_->stop();
            } catch (...) {
            }
            entry_->destroy(instance_);
        }
        if (handle_) dlclose(handle_);
    }
    LoadedPlugin(const LoadedPlugin&) = delete;
    LoadedPlugin& operator=(const LoadedPlugin&) = delete;

    const PluginDescriptor& descriptor() const { return entry_->descriptor(); }
    Plugin& plugin() { return *instance_; }

    // Runs a processor over the frames as the host does: a frame whose call throws comes back
    // failed with the message; frames already failed are not passed.
    std::vector<Frame> process(std::vector<Frame> frames) {
        Processor* processor = instance_->as_processor();
        if (!processor) throw std::logic_error(descriptor().name + " is not a processor");
        std::vector<Frame*> live;
        for (auto& f : frames)
            if (!f.failed() && !f.filtered()) live.push_back(&f);
        try {
            processor->process_batch(live);
        } catch (const std::exception& e) {
            for (Frame* f : live) f->fail(e.what());
        } catch (...) {
            for (Frame* f : live) f->fail("threw something that is not a std::exception");
        }
        return frames;
    }

    // Runs a source's read() as the host does: connect() before the first read (and again after
    // NotConnected), at most `max_frames` frames per call. Returns what one read appended.
    struct ReadResult {
        ReadStatus status;
        std::vector<Frame> frames;
    };
    ReadResult read(std::size_t max_frames = 16) {
        Source* source = instance_->as_source();
        if (!source) throw std::logic_error(descriptor().name + " is not a source");
        if (!connected_) {
            source->connect();
            connected_ = true;
        }
        ReadResult result{ReadStatus::Idle, {}};
        result.status = source->read(result.frames, max_frames);
        if (result.status == ReadStatus::NotConnected) connected_ = false;
        if (result.frames.size() > max_frames)
            throw std::logic_error(descriptor().name + " read " +
                                   std::to_string(result.frames.size()) +
                                   " frames when asked for at most " + std::to_string(max_frames));
        return result;
    }
    // Tells a source a frame left the pipeline, as the host does once per frame read.
    void finished(const Frame& frame, Outcome outcome = Outcome::Completed) {
        Source* source = instance_->as_source();
        if (!source) throw std::logic_error(descriptor().name + " is not a source");
        source->finished(frame, outcome);
    }

    // Hands finished frames to a sink, as the host does (filtered frames are not passed).
    // Returns the indices of `frames` the sink reported not written, with the reasons. Throws
    // what write() throws.
    std::map<std::size_t, std::string> write(const std::vector<Frame>& frames) {
        Sink* sink = instance_->as_sink();
        if (!sink) throw std::logic_error(descriptor().name + " is not a sink");
        std::vector<const Frame*> pointers;
        std::vector<std::size_t> index;
        for (std::size_t i = 0; i < frames.size(); ++i) {
            if (frames[i].filtered()) continue;
            pointers.push_back(&frames[i]);
            index.push_back(i);
        }
        struct Report final : SinkReport {
            std::map<std::size_t, std::string> failed_at;
            const std::vector<std::size_t>* index = nullptr;
            void failed(std::size_t i, std::string_view reason) override {
                if (i < index->size()) failed_at.emplace((*index)[i], std::string(reason));
            }
        } report;
        report.index = &index;
        sink->write(pointers, report);
        return report.failed_at;
    }

    // What the plugin logged through its context, one entry per call.
    std::vector<std::string> log() const {
        std::lock_guard lock(context_.mutex);
        return context_.lines;
    }
    // The plugin's own counters and gauges (add_to_counter / set_gauge) so far; 0 when unset.
    // A labelled one is found as name{label=value,...}, labels in the order the plugin gave
    // them; a histogram's value is its number of observations.
    double metric(const std::string& name) const {
        std::lock_guard lock(context_.mutex);
        auto it = context_.metrics.find(name);
        return it == context_.metrics.end() ? 0.0 : it->second;
    }

  private:
    struct Context final : PluginContext {
        std::string name;
        mutable std::mutex mutex;
        std::vector<std::string> lines;
        std::map<std::string, double> metrics;
        const std::string& instance_name() const override { return name; }
        HostServices services;  // none unless the test lends some
        void* extension(std::string_view id, std::uint32_t version) const override {
            return services.find(id, version);
        }
        void log(LogLevel, std::string_view message) override {
            std::lock_guard lock(mutex);
            lines.emplace_back(message);
        }
        void add_to_counter(std::string_view metric, double delta) override {
            std::lock_guard lock(mutex);
            metrics[std::string(metric)] += delta;
        }
        void set_gauge(std::string_view metric, double value) override {
            std::lock_guard lock(mutex);
            metrics[std::string(metric)] = value;
        }
        // Labelled metrics write into `metrics` under name{label=value,...}.
        struct Handle final : CounterMetric, GaugeMetric, HistogramMetric {
            Context* context = nullptr;
            std::string key;
            void add(double delta) override {
                std::lock_guard lock(context->mutex);
                context->metrics[key] += delta;
            }
            void set(double value) override {
                std::lock_guard lock(context->mutex);
                context->metrics[key] = value;
            }
            void observe(double) override { add(1); }
        };
        std::deque<Handle> handles;
        Handle& handle(std::string_view metric, std::span<const MetricLabel> labels) {
            std::string key(metric);
            if (!labels.empty()) {
                key += "{";
                for (std::size_t i = 0; i < labels.size(); ++i)
                    key += (i ? "," : "") + std::string(labels[i].name) + "=" +
                           std::string(labels[i].value);
                key += "}";
            }
            std::lock_guard lock(mutex);
            auto& h = handles.emplace_back();
            h.context = this;
            h.key = std::move(key);
            return h;
        }
        CounterMetric& counter(std::string_view metric, std::string_view,
                               std::span<const MetricLabel> labels) override {
            return handle(metric, labels);
        }
        GaugeMetric& gauge(std::string_view metric, std::string_view,
                           std::span<const MetricLabel> labels) override {
            return handle(metric, labels);
        }
        HistogramMetric& histogram(std::string_view metric, std::string_view,
                                   std::span<const MetricLabel> labels) override {
            return handle(metric, labels);
        }
    };

    // The host's rules (check_param_value), not a copy of them.
    static nlohmann::json build_params(const PluginDescriptor& d, const nlohmann::json& values) {
        if (auto problem = check_json_params(d.params, values))
            throw std::runtime_error(d.name + ": " + problem.text);
        nlohmann::json given = nlohmann::json::object();
        for (auto it = values.begin(); it != values.end(); ++it)
            if (!it->is_null()) given[it.key()] = *it;
        return typed_params(d.params, given);
    }

    void* handle_ = nullptr;
    const PluginEntry* entry_ = nullptr;
    Context context_;
    Params params_;
    Plugin* instance_ = nullptr;
    bool connected_ = false;
};

}  // namespace framehost::testing
