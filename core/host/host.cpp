#include "core/host/host.hpp"

#include <algorithm>
#include <cstdio>

#include "core/isolation/isolated_plugin.hpp"
#include "core/isolation/worker_process.hpp"
#include "core/log/log.hpp"
#include "core/resources/process_resources.hpp"

namespace framehost::core {

namespace {
// Five minutes of the live page's charts, a point every two seconds.
constexpr auto kHistoryInterval = std::chrono::seconds(2);
constexpr std::size_t kHistoryPoints = 150;

// An isolated instance's worker needs the pixels of the largest batch: no more than the pixel
// budget; its untouched pages cost nothing.
std::size_t arena_bytes(const PipelineSettings& pipeline) {
    return std::clamp<std::size_t>(pipeline.memory_limit_bytes + (64u << 20), 128u << 20,
                                   16ull << 30);
}

// The frame pool: twice what may be in flight, for the images sources keep besides; sparse.
std::size_t frame_pool_bytes(const PipelineSettings& pipeline) {
    return std::clamp<std::size_t>(2 * pipeline.memory_limit_bytes + (64u << 20), 128u << 20,
                                   32ull << 30);
}

std::shared_ptr<PluginInstance> make_instance(const PluginUse& use,
                                              const PipelineSettings& pipeline,
                                              MetricsRegistry& metrics,
                                              const HostExtensions& extensions,
                                              const isolation::FramePool* pool) {
    try {
        if (use.isolation.process) {
            isolation::WorkerSpec spec;
            spec.executable = isolation::worker_executable();
            spec.plugin_file = use.library->file();
            spec.instance_name = use.instance_name;
            YAML::Emitter params;
            params << (use.params_node.IsDefined() ? use.params_node
                                                   : YAML::Node(YAML::NodeType::Map));
            spec.params_yaml = params.c_str();
            spec.settings = use.isolation;
            spec.arena_bytes = arena_bytes(pipeline);
            spec.pool = pool;
            const auto& descriptor = use.library->descriptor();
            return PluginInstance::create(
                use.library, use.instance_name, use.params, metrics,
                [spec, &descriptor](PluginContext& context) {
                    return isolation::make_isolated(spec, descriptor, context);
                },
                &extensions);
        }
        return PluginInstance::create(use.library, use.instance_name, use.params, metrics,
                                      &extensions);
    } catch (const std::exception& e) {
        throw std::runtime_error("plugin instance '" + use.instance_name + "' (" + use.plugin +
                                 ") could not be created: " + e.what());
    }
}
}  // namespace

Host::Host(HostConfig config)
    : config_(std::move(config)), pixel_budget_(config_.pipeline.memory_limit_bytes) {
    extensions_.offer<PreviewPublisher>(&previews_);
    extensions_.offer<framehost::MemoryBudget>(&pixel_budget_);
    extensions_.offer<PacketRings>(&packets_);
    extensions_.offer<RecordingCatalog>(&recordings_);
    extensions_.offer<ZoneSummaries>(&zones_);
    try {
        frame_pool_ = std::make_unique<isolation::FramePool>(frame_pool_bytes(config_.pipeline));
        extensions_.offer<FrameMemory>(frame_pool_.get());
    } catch (const std::exception& e) {
        // Without it sources use the heap, and isolated plugins get a copy of each frame.
        log(LogLevel::Warn, "host", std::string("no shared frame memory: ") + e.what());
    }
    if (config_.events.configured()) {
        events_ = open_event_store(config_.events);
        extensions_.offer<EventStore>(events_.get());
        log(LogLevel::Info, "events",
            "event store " + events_->describe() + ": " +
                std::to_string(events_->figures().events_held) + " event(s) held");
    }
    PipelineParts parts;
    for (const auto& use : config_.sources) {
        parts.sources.push_back({instantiate(use), source_retry_params().read(use.params)});
    }
    for (const auto& use : config_.processors) parts.processors.push_back(instantiate(use));
    for (const auto& use : config_.sinks) parts.sinks.push_back(instantiate(use));
    pipeline_ = std::make_unique<Pipeline>(config_.pipeline, std::move(parts), metrics_, states_);
    pixel_budget_.share_with(pipeline_->queue());
    cameras_ = std::make_unique<RuntimeCameras>(*pipeline_, metrics_, extensions_,
                                                CameraUrlPolicy(config_.camera_api));
    history_ = std::make_unique<MetricsHistory>(states_, pipeline_->end_to_end_latency(),
                                                kHistoryInterval, kHistoryPoints);
}

std::shared_ptr<PluginInstance> Host::instantiate(const PluginUse& use) {
    return make_instance(use, config_.pipeline, metrics_, extensions_, frame_pool_.get());
}

Host::~Host() {
    {
        std::lock_guard lock(progress_mutex_);
        progress_done_ = true;
    }
    progress_wake_.notify_all();
    if (progress_thread_.joinable()) progress_thread_.join();
}

void Host::start() {
    pipeline_->start();
    history_->start();
    if (config_.pipeline.progress_interval.count() > 0)
        progress_thread_ = std::thread([this] { report_progress(); });
}

Pipeline::Outcome Host::wait() {
    auto outcome = pipeline_->wait();
    history_->stop();
    {
        std::lock_guard lock(progress_mutex_);
        progress_done_ = true;
    }
    progress_wake_.notify_all();
    if (progress_thread_.joinable()) progress_thread_.join();
    return outcome;
}

void Host::report_progress() {
    auto interval = config_.pipeline.progress_interval;
    auto last_time = std::chrono::steady_clock::now();
    std::uint64_t last_done = 0;
    std::unique_lock lock(progress_mutex_);
    while (!progress_wake_.wait_for(lock, interval, [&] { return progress_done_; })) {
        auto s = states_.snapshot();
        auto status = pipeline_->status();
        auto resources = read_process_resources();
        auto now = std::chrono::steady_clock::now();
        std::uint64_t done = s.current[static_cast<int>(FrameState::Completed)] +
                             s.current[static_cast<int>(FrameState::Failed)] +
                             s.current[static_cast<int>(FrameState::Filtered)];
        int failing = 0;
        for (const auto& source : status.sources) failing += source.consecutive_failures > 0;
        double rate = static_cast<double>(done - last_done) /
                      std::chrono::duration<double>(now - last_time).count();
        last_done = done;
        last_time = now;
        char line[256];
        std::snprintf(
            line, sizeof line,
            "%.0f frames/s, %llu done, queue %zu/%zu, failed %llu, dropped %llu, "
            "rss %.1f MiB%s",
            rate, static_cast<unsigned long long>(done), status.queue_depth, status.queue_capacity,
            static_cast<unsigned long long>(s.current[static_cast<int>(FrameState::Failed)]),
            static_cast<unsigned long long>(s.current[static_cast<int>(FrameState::Dropped)]),
            static_cast<double>(resources.rss_bytes) / (1 << 20),
            failing ? (", " + std::to_string(failing) + " source(s) failing").c_str() : "");
        log(LogLevel::Info, "progress", line);
    }
}

}  // namespace framehost::core
