#include "core/plugins/plugin_instance.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <stdexcept>
#include <unordered_set>

#include "core/log/log.hpp"
#include "framehost/stop_request.hpp"

namespace framehost::core {

namespace {
Labels instance_labels(const PluginDescriptor& d, const std::string& instance) {
    return {{"plugin", d.name}, {"instance", instance}, {"kind", to_string(d.kind)}};
}
}  // namespace

// The context is also the instance's stop request: the one service that is per instance.
class PluginInstance::Context final : public PluginContext, public StopRequest {
  public:
    Context(std::string name, Labels labels, MetricsRegistry& metrics,
            const HostExtensions* extensions)
        : name_(std::move(name)),
          labels_(std::move(labels)),
          metrics_(metrics),
          extensions_(extensions) {}

    void* extension(std::string_view id, std::uint32_t version) const override {
        if (id == StopRequest::kExtensionId && version == StopRequest::kExtensionVersion)
            return static_cast<StopRequest*>(const_cast<Context*>(this));
        return extensions_ ? extensions_->find(id, version) : nullptr;
    }
    bool requested() const override { return stop_requested_.load(std::memory_order_acquire); }
    void request_stop() { stop_requested_.store(true, std::memory_order_release); }

    const std::string& instance_name() const override { return name_; }
    void log(LogLevel level, std::string_view message) override {
        core::log(level, name_, message);
    }
    void add_to_counter(std::string_view name, double delta) override {
        counter(std::string(name)).add(delta);
    }
    void set_gauge(std::string_view name, double value) override {
        gauge(std::string(name)).set(value);
    }

    CounterMetric& counter(std::string_view name, std::string_view help,
                           std::span<const MetricLabel> labels) override {
        auto& c = metrics_.counter(metric_name(name, "_total"), std::string(help), with(labels));
        std::lock_guard lock(mutex_);
        return counter_handles_.emplace_back(c);
    }
    GaugeMetric& gauge(std::string_view name, std::string_view help,
                       std::span<const MetricLabel> labels) override {
        auto& g = metrics_.gauge(metric_name(name, ""), std::string(help), with(labels));
        std::lock_guard lock(mutex_);
        return gauge_handles_.emplace_back(g);
    }
    HistogramMetric& histogram(std::string_view name, std::string_view help,
                               std::span<const MetricLabel> labels) override {
        auto& h =
            metrics_.histogram(metric_name(name, "_seconds"), std::string(help), with(labels));
        std::lock_guard lock(mutex_);
        return histogram_handles_.emplace_back(h);
    }

  private:
    struct CounterHandle final : CounterMetric {
        explicit CounterHandle(Counter& c) : counter(c) {}
        void add(double delta) override { counter.add(delta); }
        Counter& counter;
    };
    struct GaugeHandle final : GaugeMetric {
        explicit GaugeHandle(Gauge& g) : gauge(g) {}
        void set(double value) override { gauge.set(value); }
        Gauge& gauge;
    };
    struct HistogramHandle final : HistogramMetric {
        explicit HistogramHandle(Histogram& h) : histogram(h) {}
        void observe(double seconds) override { histogram.observe(seconds); }
        Histogram& histogram;
    };

    static bool prometheus_name(std::string_view name) {
        if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
        return std::all_of(name.begin(), name.end(),
                           [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    }
    static std::string metric_name(std::string_view name, std::string_view suffix) {
        if (!prometheus_name(name))
            throw std::invalid_argument("metric name '" + std::string(name) +
                                        "' is not [a-zA-Z_][a-zA-Z0-9_]*");
        return "framehost_plugin_" + std::string(name) + std::string(suffix);
    }
    Labels with(std::span<const MetricLabel> extra) const {
        Labels labels = labels_;
        for (const auto& l : extra) {
            if (!prometheus_name(l.name) || l.name.starts_with("__"))
                throw std::invalid_argument("metric label '" + std::string(l.name) +
                                            "' is not a Prometheus label name");
            for (const auto& [taken, value] : labels_)
                if (taken == l.name)
                    throw std::invalid_argument("metric label '" + taken + "' is the host's own");
            labels.emplace_back(std::string(l.name), std::string(l.value));
        }
        return labels;
    }

    Counter& counter(const std::string& name) {
        std::lock_guard lock(mutex_);
        auto it = counters_.find(name);
        if (it == counters_.end())
            it = counters_
                     .emplace(name, &metrics_.counter("framehost_plugin_" + name + "_total",
                                                      "Reported by the plugin", labels_))
                     .first;
        return *it->second;
    }
    Gauge& gauge(const std::string& name) {
        std::lock_guard lock(mutex_);
        auto it = gauges_.find(name);
        if (it == gauges_.end())
            it = gauges_
                     .emplace(name, &metrics_.gauge("framehost_plugin_" + name,
                                                    "Reported by the plugin", labels_))
                     .first;
        return *it->second;
    }

    std::string name_;
    Labels labels_;
    MetricsRegistry& metrics_;
    const HostExtensions* extensions_;
    std::atomic<bool> stop_requested_{false};
    std::mutex mutex_;
    std::unordered_map<std::string, Counter*> counters_;
    std::unordered_map<std::string, Gauge*> gauges_;
    // Handles live as long as the context, which outlives the plugin instance.
    std::deque<CounterHandle> counter_handles_;
    std::deque<GaugeHandle> gauge_handles_;
    std::deque<HistogramHandle> histogram_handles_;
};

PluginInstance::PluginInstance(const PluginDescriptor& descriptor, const std::string& instance_name,
                               const Params& params, MetricsRegistry& metrics,
                               const HostExtensions* extensions)
    : frames(metrics.counter("framehost_plugin_frames_total",
                             "Frames handed to the plugin instance",
                             instance_labels(descriptor, instance_name))),
      failures(metrics.counter("framehost_plugin_failures_total",
                               "Frames the plugin instance failed",
                               instance_labels(descriptor, instance_name))),
      latency(metrics.histogram("framehost_plugin_latency_seconds",
                                "Time the plugin instance spent per frame",
                                instance_labels(descriptor, instance_name))),
      over_budget(metrics.counter("framehost_plugin_over_budget_frames_total",
                                  "Frames on which the plugin instance took longer than its "
                                  "declared frame budget",
                                  instance_labels(descriptor, instance_name))),
      descriptor_(descriptor),
      name_(instance_name),
      params_(params),
      context_(std::make_unique<Context>(instance_name, instance_labels(descriptor, instance_name),
                                         metrics, extensions)) {
    if (frame_budget_seconds() > 0)
        metrics
            .gauge("framehost_plugin_frame_budget_seconds",
                   "What one frame may cost the plugin instance, as its descriptor declares",
                   instance_labels(descriptor, instance_name))
            .set(frame_budget_seconds());
}

void PluginInstance::request_stop() {
    context_->request_stop();
}

void PluginInstance::adopt_created(const std::function<std::shared_ptr<Plugin>()>& create) {
    std::shared_ptr<Plugin> plugin;
    if (auto error = call("create", 0, [&] { plugin = create(); }))
        throw std::runtime_error(*error);
    adopt(std::move(plugin));
}

void PluginInstance::adopt(std::shared_ptr<Plugin> plugin) {
    if (!plugin) throw std::runtime_error("plugin '" + descriptor_.name + "' created nothing");
    bool kind_ok = (descriptor_.kind == PluginKind::Source && plugin->as_source()) ||
                   (descriptor_.kind == PluginKind::Processor && plugin->as_processor()) ||
                   (descriptor_.kind == PluginKind::Sink && plugin->as_sink());
    if (!kind_ok)
        throw std::runtime_error("plugin '" + descriptor_.name + "' declares itself a " +
                                 to_string(descriptor_.kind) + " but its class is not one");
    plugin_ = std::move(plugin);
}

PluginInstance::CallSlot* PluginInstance::claim_slot(const char* what, std::size_t frames) {
    auto now = std::chrono::steady_clock::now().time_since_epoch();
    // Each thread starts looking at its own slot, so concurrent calls rarely meet.
    static std::atomic<std::size_t> threads{0};
    thread_local std::size_t start = threads.fetch_add(1) % kCallSlots;
    for (std::size_t k = 0; k < kCallSlots; ++k) {
        auto& slot = calls_[(start + k) % kCallSlots];
        const char* expected = nullptr;
        if (slot.what.load(std::memory_order_relaxed) != nullptr) continue;
        // Time and size first: a reader that sees the name sees them too.
        if (!slot.what.compare_exchange_strong(expected, "", std::memory_order_acquire)) continue;
        slot.started_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count(),
                              std::memory_order_relaxed);
        slot.frames.store(frames, std::memory_order_relaxed);
        slot.what.store(what, std::memory_order_release);
        return &slot;
    }
    return nullptr;
}

std::optional<PluginInstance::StuckCall> PluginInstance::stuck_call(
    std::chrono::milliseconds cap) const {
    auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
                   .count();
    double cap_s = std::chrono::duration<double>(cap).count();
    std::optional<StuckCall> worst;
    for (const auto& slot : calls_) {
        const char* what = slot.what.load(std::memory_order_acquire);
        if (!what || !*what) continue;
        double seconds =
            static_cast<double>(now - slot.started_ns.load(std::memory_order_relaxed)) / 1e9;
        auto frames = static_cast<double>(
            std::max<std::size_t>(slot.frames.load(std::memory_order_relaxed), 1));
        double limit = frame_budget_seconds() > 0
                           ? std::clamp(50 * frame_budget_seconds() * frames, 1.0, cap_s)
                           : cap_s;
        if (seconds > limit && (!worst || seconds > worst->seconds))
            worst = StuckCall{what, seconds};
    }
    return worst;
}

std::shared_ptr<PluginInstance> PluginInstance::create(std::shared_ptr<PluginLibrary> library,
                                                       const std::string& instance_name,
                                                       const Params& params,
                                                       MetricsRegistry& metrics,
                                                       const HostExtensions* extensions) {
    std::shared_ptr<PluginInstance> self(
        new PluginInstance(library->descriptor(), instance_name, params, metrics, extensions));
    self->library_ = library;
    self->adopt_created([&] { return library->create(params, *self->context_); });
    return self;
}

std::shared_ptr<PluginInstance> PluginInstance::create(
    const PluginDescriptor& descriptor, const std::string& instance_name, const Params& params,
    MetricsRegistry& metrics, const Factory& make, const HostExtensions* extensions) {
    std::shared_ptr<PluginInstance> self(
        new PluginInstance(descriptor, instance_name, params, metrics, extensions));
    self->adopt_created([&] { return make(*self->context_); });
    return self;
}

std::shared_ptr<PluginInstance> PluginInstance::create(
    std::shared_ptr<PluginLibrary> library, const std::string& instance_name, const Params& params,
    MetricsRegistry& metrics, const Factory& make, const HostExtensions* extensions) {
    auto self = create(library->descriptor(), instance_name, params, metrics, make, extensions);
    self->library_ = std::move(library);
    return self;
}

void PluginInstance::note_write(std::size_t frames, std::size_t not_written,
                                const std::string& reason) {
    std::lock_guard lock(write_failures_mutex_);
    if (frames > 0 && not_written == frames) {
        ++write_failures_.consecutive;
        write_failures_.last_error = reason;
    } else if (not_written < frames) {
        write_failures_.consecutive = 0;
    }
}

PluginInstance::WriteFailures PluginInstance::write_failures() const {
    std::lock_guard lock(write_failures_mutex_);
    return write_failures_;
}

}  // namespace framehost::core
