#pragma once
// Real plugin classes built into the test binary (not loaded from a file), so pipeline tests
// can watch what the pipeline does to them. They go through the same PluginInstance wrapper as
// loaded plugins.
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/plugins/plugin_instance.hpp"
#include "framehost/plugin.hpp"

namespace framehost::test {

inline const PluginDescriptor& descriptor_of(PluginKind kind) {
    static const PluginDescriptor source{"test_source", "0", PluginKind::Source, "", {}};
    static const PluginDescriptor processor{"test_processor", "0", PluginKind::Processor, "", {}};
    static const PluginDescriptor sink{"test_sink", "0", PluginKind::Sink, "", {}};
    return kind == PluginKind::Source ? source : kind == PluginKind::Processor ? processor : sink;
}

class CountingSource final : public Source {
  public:
    explicit CountingSource(std::uint64_t count, std::size_t pixel_bytes = 0)
        : count_(count),
          image_(pixel_bytes ? image_from_bytes(PixelFormat::Unknown, 0, 0,
                                                std::vector<std::uint8_t>(pixel_bytes, 7))
                             : Image{}) {}
    ReadStatus read(std::vector<Frame>& out, std::size_t max) override {
        if (count_ && next_ >= count_) return ReadStatus::EndOfInput;
        for (std::size_t i = 0; i < max && (!count_ || next_ < count_); ++i, ++next_) {
            Frame& f = out.emplace_back();
            f.id = "f" + std::to_string(next_);
            f.image = image_;
        }
        read_total += out.size();
        return ReadStatus::Frames;
    }
    void finished(const Frame&, Outcome outcome) override {
        ++finished_total;
        ++outcomes[static_cast<int>(outcome)];
    }
    void connect() override {
        if (failing_connects > 0) {
            --failing_connects;
            throw std::runtime_error("upstream refused");
        }
    }
    std::atomic<std::uint64_t> read_total{0};
    std::atomic<std::uint64_t> finished_total{0};
    std::array<std::atomic<std::uint64_t>, 4> outcomes{};  // by Outcome
    std::atomic<int> failing_connects{0};

  private:
    std::uint64_t count_;
    Image image_;
    std::uint64_t next_ = 0;
};

class RecordingProcessor final : public Processor {
  public:
    std::chrono::microseconds sleep_per_frame{0};
    std::uint64_t throw_every = 0;  // 0: never
    bool throw_on_start = false;

    void start() override {
        if (throw_on_start) throw std::runtime_error("cannot start");
    }
    void process(Frame& frame) override {
        if (sleep_per_frame.count()) std::this_thread::sleep_for(sleep_per_frame);
        auto n = ++processed;
        if (throw_every && n % throw_every == 0) throw std::runtime_error("bad frame " + frame.id);
        frame.detections.push_back({"thing", 1.0, {0, 0, 1, 1}});
    }
    void process_batch(std::span<Frame* const> frames) override {
        {
            std::lock_guard lock(mutex);
            batch_sizes.push_back(frames.size());
        }
        Processor::process_batch(frames);
    }
    std::atomic<std::uint64_t> processed{0};
    std::mutex mutex;
    std::vector<std::size_t> batch_sizes;
};

class CollectingSink final : public Sink {
  public:
    void write(std::span<const Frame* const> frames, SinkReport&) override {
        std::lock_guard lock(mutex);
        for (const Frame* f : frames) {
            if (f->failed())
                failed.push_back(f->id + ": " + f->failed_in() + ": " + f->error());
            else
                completed.insert(f->id);
        }
    }
    void stop() override { stopped = true; }
    std::mutex mutex;
    std::set<std::string> completed;
    std::vector<std::string> failed;
    std::atomic<bool> stopped{false};
};

// Plugins whose behaviour the test gives as functions.
class FunctionSource final : public Source {
  public:
    FunctionSource(std::uint64_t count, std::function<Frame(std::uint64_t)> make)
        : count_(count), make_(std::move(make)) {}
    ReadStatus read(std::vector<Frame>& out, std::size_t max) override {
        if (before_read) before_read(next_);
        if (next_ >= count_) return ReadStatus::EndOfInput;
        for (std::size_t i = 0; i < max && next_ < count_; ++i) out.push_back(make_(next_++));
        return ReadStatus::Frames;
    }
    void finished(const Frame& frame, Outcome outcome) override {
        std::lock_guard lock(mutex);
        outcomes[frame.id] = outcome;
    }
    std::function<void(std::uint64_t next)> before_read;  // may throw
    std::mutex mutex;
    std::map<std::string, Outcome> outcomes;

  private:
    std::uint64_t count_;
    std::function<Frame(std::uint64_t)> make_;
    std::uint64_t next_ = 0;
};

class FunctionProcessor final : public Processor {
  public:
    explicit FunctionProcessor(std::function<void(Frame&)> fn) : fn_(std::move(fn)) {}
    void process(Frame& frame) override { fn_(frame); }

  private:
    std::function<void(Frame&)> fn_;
};

class FunctionSink final : public Sink {
  public:
    explicit FunctionSink(std::function<void(std::span<const Frame* const>, SinkReport&)> fn)
        : fn_(std::move(fn)) {}
    void write(std::span<const Frame* const> frames, SinkReport& report) override {
        fn_(frames, report);
    }

  private:
    std::function<void(std::span<const Frame* const>, SinkReport&)> fn_;
};

// Wraps an in-process plugin object in a PluginInstance, with a descriptor the test owns (it
// must outlive the instance).
template <typename T>
std::shared_ptr<core::PluginInstance> instance_with(std::shared_ptr<T> plugin,
                                                    const PluginDescriptor& descriptor,
                                                    const std::string& name,
                                                    core::MetricsRegistry& metrics) {
    return core::PluginInstance::create(descriptor, name, Params(), metrics,
                                        [plugin](PluginContext&) { return plugin; });
}

// Wraps an in-process plugin object in a PluginInstance, keeping a typed pointer for the test.
template <typename T>
std::shared_ptr<core::PluginInstance> instance_of(std::shared_ptr<T> plugin, PluginKind kind,
                                                  const std::string& name,
                                                  core::MetricsRegistry& metrics) {
    return core::PluginInstance::create(descriptor_of(kind), name, Params(), metrics,
                                        [plugin](PluginContext&) { return plugin; });
}

}  // namespace framehost::test
