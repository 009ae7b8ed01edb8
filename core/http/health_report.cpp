#include "core/http/health_report.hpp"

#include <chrono>
#include <ctime>

#include "core/http/plugin_figures.hpp"

namespace framehost::core {

std::string iso_timestamp() {
    auto now = std::chrono::system_clock::now();
    auto seconds = std::chrono::system_clock::to_time_t(now);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) %
                  std::chrono::seconds(1);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[48];
    auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + n, sizeof text - n, ".%06lld", static_cast<long long>(micros.count()));
    return text;
}

namespace {

nlohmann::json plugin_status(const PluginInstance& instance) {
    nlohmann::json status;
    try {
        status = instance.plugin().status();
    } catch (const std::exception& e) {
        status = {{"healthy", false}, {"error", std::string("status() threw: ") + e.what()}};
    }
    if (!status.is_object()) status = {{"status", status}};
    status.update(plugin_figures(instance));
    return status;
}

}  // namespace

Readiness readiness(Host& host) {
    auto status = host.pipeline().status();
    if (!status.started) return {false, "the pipeline has not started"};
    if (status.stopping) return {false, "shutting down"};
    const auto& source = host.pipeline().parts().source;
    if (source && !status.source_connected && !status.source_finished)
        return {false, "source '" + source->name() + "' has not reached its upstream" +
                           (status.source_last_error.empty() ? "" : ": " + status.source_last_error)};
    return {true, ""};
}

HealthReport health_report(Host& host) {
    HealthReport report;
    auto status = host.pipeline().status();
    auto states = host.states().snapshot();
    const auto& parts = host.pipeline().parts();
    auto count = [&](FrameState s) { return states.current[static_cast<int>(s)]; };

    nlohmann::json plugins = nlohmann::json::object();
    auto add = [&](const std::shared_ptr<PluginInstance>& instance) {
        auto s = plugin_status(*instance);
        if (s.contains("healthy") && s["healthy"] == false) {
            report.reasons.push_back("plugin '" + instance->name() + "' reports a problem" +
                                     (s.contains("error") ? ": " + s["error"].dump() : ""));
        }
        plugins[instance->name()] = std::move(s);
    };
    if (parts.source) add(parts.source);
    for (const auto& p : parts.processors) add(p);
    for (const auto& s : parts.sinks) add(s);

    bool unhealthy = false;
    if (!status.started) {
        unhealthy = true;
        report.reasons.push_back("the pipeline has not started");
    }
    if (status.stopping) {
        unhealthy = true;
        report.reasons.push_back("shutting down");
    }
    if (parts.source && status.source_circuit != "closed") {
        report.reasons.push_back("source '" + parts.source->name() + "' circuit is " + status.source_circuit);
    }
    if (parts.source && status.source_consecutive_failures > 0) {
        report.reasons.push_back("source '" + parts.source->name() + "' is failing (" +
                                 std::to_string(status.source_consecutive_failures) +
                                 " consecutive errors, retrying in " +
                                 std::to_string(status.source_backoff.count()) +
                                 " ms): " + status.source_last_error);
    }
    report.status = unhealthy ? "unhealthy" : report.reasons.empty() ? "healthy" : "degraded";

    nlohmann::json source_url = nullptr;
    if (parts.source && parts.source->params().has("url"))
        source_url = parts.source->params().json()["url"]["value"];
    const auto& config = host.config();
    report.body = {
        {"status", report.status},
        {"timestamp", iso_timestamp()},
        {"service", config.service_name},
        {"version", config.service_version},
        {"details",
         {{"processor_initialized", status.started},
          {"consumer_enabled", parts.source != nullptr},
{"consumer_running", status.source_running(parts.source != nullptr)},
          {"frame_buffer_url", source_url},
          {"metrics",
           {{"frames_processed", count(FrameState::Completed)},
            {"frames_failed", count(FrameState::Failed)},
            {"active_frames", count(FrameState::Received) + count(FrameState::Processing)}}},
          {"shutting_down", status.stopping},
          {"reasons", report.reasons},
          {"pipeline",
           {{"workers", host.config().pipeline.workers},
            {"queue_depth", status.queue_depth},
            {"queue_capacity", status.queue_capacity},
            {"inflight_bytes", status.bytes_in_flight},
            {"memory_limit_bytes", status.memory_limit_bytes}}},
          {"source",
           {{"connected", status.source_connected},
            {"consecutive_errors", status.source_consecutive_failures},
            {"current_backoff_ms", status.source_backoff.count()},
            {"last_error", status.source_last_error},
            {"circuit", status.source_circuit},
            {"circuit_opened", status.source_circuit_opened},
            {"finished", status.source_finished}}},
          {"plugins", plugins}}}};
    return report;
}

}  // namespace framehost::core
