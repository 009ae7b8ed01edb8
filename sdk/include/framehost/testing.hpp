#pragma once
// A test harness for plugin authors: load a built plugin file and drive it as the host would,
// without a host. Header-only, needs only the C++ standard library, nlohmann/json and libdl.
//
//   framehost::testing::LoadedPlugin plugin("build/plugins/brightness.so", {{"scale", 2.0}});
//   auto frames = plugin.process({framehost::testing::make_frame("f1", 4, 2, 100)});
//   CHECK(frames[0].results["brightness"]["mean"] == 200.0);
// Sources: plugin.read(max) and plugin.finished(frame); sinks: plugin.write(frames).
#include <dlfcn.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "framehost/plugin.hpp"
#include "framehost/version.hpp"

namespace framehost::testing {

// A frame of width x height RGB pixels all equal to `fill` (no pixels when width or height is 0).
inline Frame make_frame(std::string id, int width, int height, std::uint8_t fill = 0) {
    Frame f;
    f.id = std::move(id);
    f.camera_id = "camera_01";
    f.width = width;
    f.height = height;
    if (width > 0 && height > 0)
        f.pixels = make_pixels(std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * 3, fill));
    return f;
}

class LoadedPlugin {
public:
    // Loads the plugin, checks its ABI, builds its Params from `values` over the spec's defaults
    // (types and ranges checked), creates the instance and starts it. Throws
    // std::runtime_error saying what is wrong.
    explicit LoadedPlugin(const std::string& path, const nlohmann::json& values = nlohmann::json::object()) {
        handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle_) throw std::runtime_error(path + ": " + dlerror());
        auto abi = reinterpret_cast<std::uint32_t (*)()>(dlsym(handle_, "framehost_abi_version"));
        if (!abi) throw std::runtime_error(path + ": not a framehost plugin (no framehost_abi_version)");
        if (abi() != kAbiVersion) {
            auto sdk = reinterpret_cast<const char* (*)()>(dlsym(handle_, "framehost_sdk_version"));
            throw std::runtime_error(path + ": built with SDK " + (sdk ? sdk() : "0.1") + " (plugin ABI " +
                                     std::to_string(abi()) + "), this SDK is " + kSdkVersion + " (plugin ABI " +
                                     std::to_string(kAbiVersion) + ")");
        }
        auto entry_fn = reinterpret_cast<const PluginEntry* (*)()>(dlsym(handle_, "framehost_plugin_entry"));
        if (!entry_fn) throw std::runtime_error(path + ": no framehost_plugin_entry");
        entry_ = entry_fn();
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
            if (!f.failed()) live.push_back(&f);
        try {
            processor->process_batch(live);
        } catch (const std::exception& e) {
            for (Frame* f : live) f->fail(e.what());
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
            throw std::logic_error(descriptor().name + " read " + std::to_string(result.frames.size()) +
                                   " frames when asked for at most " + std::to_string(max_frames));
        return result;
    }
    // Tells a source a frame left the pipeline, as the host does once per frame read.
    void finished(const Frame& frame) {
        Source* source = instance_->as_source();
        if (!source) throw std::logic_error(descriptor().name + " is not a source");
        source->finished(frame);
    }

    // Hands finished frames to a sink, as the host does. Throws what write() throws.
    void write(const std::vector<Frame>& frames) {
        Sink* sink = instance_->as_sink();
        if (!sink) throw std::logic_error(descriptor().name + " is not a sink");
        std::vector<const Frame*> pointers;
        for (const auto& f : frames) pointers.push_back(&f);
        sink->write(pointers);
    }

    // What the plugin logged through its context, one entry per call.
    std::vector<std::string> log() const {
        std::lock_guard lock(context_.mutex);
        return context_.lines;
    }
    // The plugin's own counters and gauges (add_to_counter / set_gauge) so far; 0 when unset.
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
    };

    static nlohmann::json build_params(const PluginDescriptor& d, const nlohmann::json& values) {
        nlohmann::json out = nlohmann::json::object();
        for (auto it = values.begin(); it != values.end(); ++it) {
            bool known = false;
            for (const auto& p : d.params) known = known || p.name == it.key();
            if (!known) throw std::runtime_error(d.name + " has no parameter '" + it.key() + "'");
        }
        for (const auto& p : d.params) {
            nlohmann::json value = values.contains(p.name) ? values[p.name] : p.default_value;
            if (value.is_null() && p.required) throw std::runtime_error(d.name + ": '" + p.name + "' is required");
            bool ok = value.is_null();
            switch (p.type) {
                case ParamType::Bool: ok = ok || value.is_boolean(); break;
                case ParamType::Int:
                case ParamType::Duration: ok = ok || value.is_number_integer(); break;
                case ParamType::Double: ok = ok || value.is_number(); break;
                case ParamType::String: ok = ok || value.is_string(); break;
                case ParamType::List: ok = ok || value.is_array(); break;
            }
            if (!ok) throw std::runtime_error(d.name + ": '" + p.name + "' must be a " + to_string(p.type));
            if (value.is_number() && ((p.min && value.get<double>() < *p.min) || (p.max && value.get<double>() > *p.max)))
                throw std::runtime_error(d.name + ": '" + p.name + "' is out of its range");
            if (value.is_number() && p.type == ParamType::Double) value = value.get<double>();
            out[p.name] = {{"type", to_string(p.type)}, {"value", value}};
        }
        return out;
    }

    void* handle_ = nullptr;
    const PluginEntry* entry_ = nullptr;
    Context context_;
    Params params_;
    Plugin* instance_ = nullptr;
    bool connected_ = false;
};

}  // namespace framehost::testing
