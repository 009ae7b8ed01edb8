#include "core/http/metrics_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <thread>

#include "core/http/health_report.hpp"
#include "core/http/plugin_figures.hpp"
#include "core/metrics/prometheus_text.hpp"
#include "core/resources/process_resources.hpp"

namespace framehost::core {

namespace {

double ms(double seconds) {
    return seconds * 1000.0;
}

nlohmann::json percentiles_ms(const Histogram::Snapshot& h) {
    return {{"p50", ms(h.quantile(0.50))},
            {"p95", ms(h.quantile(0.95))},
            {"p99", ms(h.quantile(0.99))},
            {"mean", ms(h.mean())},
            {"count", h.count}};
}

}  // namespace

nlohmann::json metrics_json(Host& host) {
    auto states = host.states().snapshot();
    auto status = host.pipeline().status();
    auto resources = read_process_resources();
    const auto& parts = host.pipeline().parts();
    auto count = [&](FrameState s) { return states.current[static_cast<int>(s)]; };
    auto completed = count(FrameState::Completed);
    auto failed = count(FrameState::Failed);
    auto latency = host.pipeline().end_to_end_latency().snapshot();

    nlohmann::json state_counts = nlohmann::json::object();
    nlohmann::json transitions = nlohmann::json::object();
    nlohmann::json time_in_state = nlohmann::json::object();
    for (auto from : kFrameStates) {
        auto f = static_cast<int>(from);
        state_counts[to_string(from)] = states.current[f];
        std::uint64_t left = 0;
        for (auto to : kFrameStates) {
            auto n = states.transitions[f][static_cast<int>(to)];
            left += n;
            if (n) transitions[std::string(to_string(from)) + "->" + to_string(to)] = n;
        }
        if (left)
            time_in_state[to_string(from)] =
                ms(states.seconds_spent[f] / static_cast<double>(left));
    }
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& f : states.recent_failures)
        failures.push_back({{"frame_id", f.frame_id}, {"stage", f.stage}, {"error", f.error}});

    nlohmann::json plugins = nlohmann::json::object();
    for (const auto& instance : host.pipeline().instances()) {
        auto entry = plugin_figures(*instance);
        entry["version"] = instance->descriptor().version;
        entry["latency_ms"] = percentiles_ms(instance->latency.snapshot());
        // An isolated instance's workers: pid, restarts, last crash (core/isolation/).
        auto status = instance->plugin().status();
        if (status.is_object() && status.contains("isolation"))
            entry["isolation"] = status["isolation"];
        plugins[instance->name()] = std::move(entry);
    }

    // The replaced service's consumer, which is framehost's first source; every source by name.
    nlohmann::json consumer = {{"enabled", !parts.sources.empty()},
                               {"running", status.sources_running()}};
    if (!status.sources.empty()) {
        const auto& first = status.sources[0];
        consumer.update({{"connected", first.connected},
                         {"consecutive_errors", first.consecutive_failures},
                         {"current_backoff_ms", first.backoff.count()},
                         {"last_error", first.last_error},
                         {"circuit_state", first.circuit},
                         {"circuit_opened", first.circuit_opened},
                         {"frames_received", first.frames}});
    }
    // Its own status, from the first configured source: a host may have none, only cameras
    // added over HTTP (status.sources lists those too).
    if (!parts.sources.empty()) {
        auto& instance = *parts.sources[0].instance;
        nlohmann::json own;
        if (auto error = instance.call("status", 0, [&] { own = instance.plugin().status(); }))
            consumer["status_error"] = *error;
        else if (own.is_object())
            consumer.update(own);
    }
    nlohmann::json sources = nlohmann::json::object();
    for (const auto& s : status.sources) sources[s.name] = source_json(s);
    double finished = static_cast<double>(completed + failed);

    // The replaced service's figures, under its names (docs/compatibility.md maps each one).
    const auto& times = states.recent_processing_seconds;
    double time_avg = 0, time_min = 0, time_max = 0;
    if (!times.empty()) {
        time_min = *std::min_element(times.begin(), times.end());
        time_max = *std::max_element(times.begin(), times.end());
        for (double t : times) time_avg += t;
        time_avg /= static_cast<double>(times.size());
    }
    nlohmann::json error_types = nlohmann::json::object();
    for (const auto& [stage, n] : states.failures_by_stage) error_types[stage] = n;
    // Its state machine's names. framehost validates a frame as it reads it and queues it at
    // once, so RECEIVED and VALIDATED are always empty, its queued frames are QUEUED; it never
    // retries a frame inside the host (redelivery is the upstream's), so RETRY is empty; it
    // keeps no finished frames, so ARCHIVED is empty and COMPLETED/FAILED count every one.
    state_counts["RECEIVED"] = 0;
    state_counts["VALIDATED"] = 0;
    state_counts["QUEUED"] = count(FrameState::Received);
    state_counts["PROCESSING"] = count(FrameState::Processing);
    state_counts["COMPLETED"] = completed;
    state_counts["FAILED"] = failed;
    state_counts["RETRY"] = 0;
    state_counts["ARCHIVED"] = 0;
    auto workers = static_cast<long long>(host.config().pipeline.workers);
    auto cores = static_cast<long long>(std::max(1u, std::thread::hardware_concurrency()));
    double memory_limit_mb = static_cast<double>(status.memory_limit_bytes) / (1 << 20);
    double inflight_mb = static_cast<double>(status.bytes_in_flight) / (1 << 20);
    // Pixels plugins hold outside the frames in flight (decoders, frames decoded ahead).
    std::size_t reserved_bytes = host.pixel_budget().reserved();
    double allocated_mb = inflight_mb + static_cast<double>(reserved_bytes) / (1 << 20);
    return {{"processor_metrics",
             {{"frames_processed", completed},
              {"frames_failed", failed},
              {"frames_dropped", count(FrameState::Dropped)},
              {"frames_filtered", count(FrameState::Filtered)},
              {"success_rate", finished > 0 ? static_cast<double>(completed) / finished : 1.0},
              {"average_latency_ms", ms(latency.mean())},
              {"processing_time_ms",
               {{"p50", ms(latency.quantile(0.5))},
                {"p95", ms(latency.quantile(0.95))},
                {"p99", ms(latency.quantile(0.99))}}},
              {"active_frames", count(FrameState::Received) + count(FrameState::Processing)},
              {"errors_total", failed},
              {"processing_time_avg", time_avg},
              {"processing_time_min", time_min},
              {"processing_time_max", time_max},
              {"error_types", error_types}}},
            {"consumer_metrics", consumer},
            {"sources", sources},
            {"state_statistics",
             {{"total_frames", states.total_frames},
              {"state_counts", state_counts},
              {"transitions", transitions},
              {"average_time_in_state_ms", time_in_state},
              {"recent_failures", failures},
              {"retry_stats",
               {{"total_retries", 0}, {"max_retry_count", 0}, {"frames_with_retries", 0}}}}},
            {"resource_statistics",
             {{"rss_bytes", resources.rss_bytes},
              {"rss_mb", static_cast<double>(resources.rss_bytes) / (1 << 20)},
              {"cpu_seconds", resources.cpu_seconds},
              {"threads", resources.threads},
              {"memory_limit_mb", status.memory_limit_bytes >> 20},
              {"inflight_bytes", status.bytes_in_flight},
              {"reserved_bytes", reserved_bytes},
              {"queue_depth", status.queue_depth},
              {"queue_capacity", status.queue_capacity},
              {"workers", host.config().pipeline.workers},
              {"active_allocations", count(FrameState::Processing)},
              {"allocated_cpus", std::min(workers, cores)},
              {"allocated_memory_mb", allocated_mb},
              {"allocated_gpu_memory_mb", nlohmann::json::object()},
              {"available_cpus", std::max(0LL, cores - workers)},
              {"available_memory_mb", std::max(0.0, memory_limit_mb - allocated_mb)}}},
            {"plugins", plugins},
            {"timestamp", iso_timestamp()}};
}

std::string metrics_prometheus(Host& host) {
    PrometheusText e;
    auto states = host.states().snapshot();
    auto status = host.pipeline().status();
    auto resources = read_process_resources();
    const auto& config = host.config();

    e.family("framehost_info", "gauge", "Service name and version of this host");
    e.sample("framehost_info",
             {{"service", config.service.name}, {"version", config.service.version}}, 1);
    const std::pair<FrameState, const char*> totals[] = {
        {FrameState::Received, "Frames that entered the host"},
        {FrameState::Completed, "Frames every processor and sink finished"},
        {FrameState::Failed, "Frames a plugin or the host failed, or a sink did not write"},
        {FrameState::Filtered, "Frames a processor dropped on purpose"},
        {FrameState::Dropped, "Frames given up without processing (shutdown timeout)"}};
    for (const auto& [state, help] : totals) {
        std::string name = std::string("framehost_frames_") + to_string(state) + "_total";
        e.family(name, "counter", help);
        e.sample(name, {},
                 static_cast<double>(state == FrameState::Received
                                         ? states.total_frames
                                         : states.current[static_cast<int>(state)]));
    }
    e.family("framehost_frames_in_state", "gauge", "Frames now queued (received) or processing");
    for (auto state : {FrameState::Received, FrameState::Processing})
        e.sample("framehost_frames_in_state", {{"state", to_string(state)}},
                 static_cast<double>(states.current[static_cast<int>(state)]));
    e.family("framehost_queue_depth", "gauge", "Frames waiting in the queue");
    e.sample("framehost_queue_depth", {}, static_cast<double>(status.queue_depth));
    e.family("framehost_queue_capacity", "gauge",
             "Frames the queue holds before pausing the source");
    e.sample("framehost_queue_capacity", {}, static_cast<double>(status.queue_capacity));
    e.family("framehost_inflight_bytes", "gauge", "Pixel bytes queued or processing");
    e.sample("framehost_inflight_bytes", {}, static_cast<double>(status.bytes_in_flight));
    e.family("framehost_memory_reserved_bytes", "gauge",
             "Pixel bytes plugins hold outside the frames in flight (decoders, frames decoded "
             "ahead), within memory_limit_mb");
    e.sample("framehost_memory_reserved_bytes", {},
             static_cast<double>(host.pixel_budget().reserved()));
    e.family("framehost_source_up", "gauge", "1 when the source reaches its upstream");
    for (const auto& s : status.sources)
        e.sample("framehost_source_up", {{"source", s.name}}, s.connected ? 1 : 0);
    e.family("framehost_source_consecutive_errors", "gauge",
             "Source errors since the last success");
    for (const auto& s : status.sources)
        e.sample("framehost_source_consecutive_errors", {{"source", s.name}},
                 s.consecutive_failures);
    e.family("framehost_source_backoff_seconds", "gauge", "Current wait before the source retries");
    for (const auto& s : status.sources)
        e.sample("framehost_source_backoff_seconds", {{"source", s.name}},
                 static_cast<double>(s.backoff.count()) / 1000);
    e.family("framehost_source_circuit_open", "gauge",
             "1 while the source's circuit breaker is open");
    for (const auto& s : status.sources)
        e.sample("framehost_source_circuit_open", {{"source", s.name}},
                 s.circuit == "open" ? 1 : 0);
    e.family("framehost_source_frames_total", "counter", "Frames the source read");
    for (const auto& s : status.sources)
        e.sample("framehost_source_frames_total", {{"source", s.name}},
                 static_cast<double>(s.frames));
    e.family("framehost_source_memory_wait_seconds", "gauge",
             "How long the source has waited for the memory budget; 0 when it is not waiting");
    for (const auto& s : status.sources)
        e.sample("framehost_source_memory_wait_seconds", {{"source", s.name}},
                 s.blocked_on_memory_s);
    auto stuck = host.pipeline().stuck();
    e.family("framehost_plugin_stuck", "gauge",
             "1 while a call of the plugin instance runs far past what it may take");
    for (const auto& instance : host.pipeline().instances()) {
        bool is_stuck = std::any_of(stuck.begin(), stuck.end(),
                                    [&](const auto& s) { return s.instance == instance->name(); });
        e.sample("framehost_plugin_stuck", {{"instance", instance->name()}}, is_stuck ? 1 : 0);
    }
    e.family("framehost_process_resident_memory_bytes", "gauge", "Resident memory of the process");
    e.sample("framehost_process_resident_memory_bytes", {},
             static_cast<double>(resources.rss_bytes));
    e.family("framehost_process_cpu_seconds_total", "counter",
             "User and system CPU time of the process");
    e.sample("framehost_process_cpu_seconds_total", {}, resources.cpu_seconds);

    e.registry(host.metrics());
    return e.text();
}

bool prefers_prometheus_text(const std::string& accept) {
    double text_q = -1, json_q = -1;
    std::istringstream items(accept);
    for (std::string item; std::getline(items, item, ',');) {
        std::string type = item.substr(0, item.find(';'));
        type.erase(0, type.find_first_not_of(" \t"));
        type.erase(type.find_last_not_of(" \t") + 1);
        double q = 1;
        if (auto at = item.find("q="); at != std::string::npos) {
            try {
                q = std::stod(item.substr(at + 2));
            } catch (...) {
                q = 0;
            }
        }
        if (type == "text/plain" || type == "application/openmetrics-text")
            text_q = std::max(text_q, q);
        if (type == "application/json" || type == "*/*" || type == "application/*")
            json_q = std::max(json_q, q);
    }
    return text_q > json_q;
}

}  // namespace framehost::core
