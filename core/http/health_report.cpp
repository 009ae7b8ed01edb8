#include "core/http/health_report.hpp"

#include <chrono>
#include <cstdio>
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

// A source waiting this long on the memory budget is worth a reason in /health.
constexpr double kMemoryWaitWorthSaying = 5.0;

nlohmann::json plugin_status(PluginInstance& instance) {
    nlohmann::json status = plugin_own_status(instance);
    status.update(plugin_figures(instance));
    return status;
}

std::string stuck_text(const StuckInstance& s) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", s.call.seconds);
    return "plugin instance '" + s.instance + "' is stuck: its " + s.call.what +
           "() call has run " + seconds + " s";
}

}  // namespace

nlohmann::json source_json(const SourceStatus& s) {
    return {{"connected", s.connected},
            {"consecutive_errors", s.consecutive_failures},
            {"current_backoff_ms", s.backoff.count()},
            {"last_error", s.last_error},
            {"circuit", s.circuit},
            {"circuit_opened", s.circuit_opened},
            {"finished", s.finished},
            {"frames", s.frames},
            {"blocked_on_memory_s", s.blocked_on_memory_s}};
}

Readiness readiness(Host& host) {
    auto status = host.pipeline().status();
    if (!status.started) return {false, "the pipeline has not started"};
    if (status.stopping) return {false, "shutting down"};
    for (const auto& source : status.sources)
        if (!source.connected && !source.finished)
            return {false, "source '" + source.name + "' has not reached its upstream" +
                               (source.last_error.empty() ? "" : ": " + source.last_error)};
    if (auto stuck = host.pipeline().stuck(); !stuck.empty())
        return {false, stuck_text(stuck.front())};
    return {true, ""};
}

HealthReport health_report(Host& host) {
    HealthReport report;
    auto status = host.pipeline().status();
    auto states = host.states().snapshot();
    auto stuck = host.pipeline().stuck();
    auto count = [&](FrameState s) { return states.current[static_cast<int>(s)]; };

    nlohmann::json plugins = nlohmann::json::object();
    for (const auto& instance : host.pipeline().instances()) {
        auto s = plugin_status(*instance);
        if (s.contains("healthy") && s["healthy"] == false) {
            report.reasons.push_back("plugin '" + instance->name() + "' reports a problem" +
                                     (s.contains("error") ? ": " + s["error"].dump() : ""));
        }
        if (auto writes = instance->write_failures(); writes.consecutive > 0) {
            s["failed_writes_in_a_row"] = writes.consecutive;
            s["last_write_error"] = writes.last_error;
            report.reasons.push_back("sink '" + instance->name() + "' wrote none of its last " +
                                     std::to_string(writes.consecutive) +
                                     " batch(es): " + writes.last_error);
        }
        for (const auto& st : stuck)
            if (st.instance == instance->name())
                s["stuck"] = {{"call", st.call.what}, {"seconds", st.call.seconds}};
        plugins[instance->name()] = std::move(s);
    }

    bool unhealthy = false;
    if (!status.started) {
        unhealthy = true;
        report.reasons.push_back("the pipeline has not started");
    }
    if (status.stopping) {
        unhealthy = true;
        report.reasons.push_back("shutting down");
    }
    nlohmann::json sources = nlohmann::json::object();
    for (const auto& source : status.sources) {
        if (source.circuit != "closed")
            report.reasons.push_back("source '" + source.name + "' circuit is " + source.circuit);
        if (source.consecutive_failures > 0)
            report.reasons.push_back(
                "source '" + source.name + "' is failing (" +
                std::to_string(source.consecutive_failures) + " consecutive errors, retrying in " +
                std::to_string(source.backoff.count()) + " ms): " + source.last_error);
        if (source.blocked_on_memory_s > kMemoryWaitWorthSaying)
            report.reasons.push_back(
                "source '" + source.name + "' has waited " +
                std::to_string(static_cast<long long>(source.blocked_on_memory_s)) +
                " s for pixel memory: the frames in flight hold the whole memory_limit_mb");
        sources[source.name] = source_json(source);
    }
    for (const auto& st : stuck) report.reasons.push_back(stuck_text(st));
    report.status = unhealthy ? "unhealthy" : report.reasons.empty() ? "healthy" : "degraded";

    const auto& parts = host.pipeline().parts();
    nlohmann::json source_url = nullptr;
    if (!parts.sources.empty() && parts.sources[0].instance->params().has("url"))
        source_url = parts.sources[0].instance->params().json()["url"]["value"];
    nlohmann::json first_source =
        status.sources.empty() ? source_json(SourceStatus{}) : source_json(status.sources[0]);
    const auto& config = host.config();
    report.body = {
        {"status", report.status},
        {"timestamp", iso_timestamp()},
        {"service", config.service.name},
        {"version", config.service.version},
        {"details",
         {{"processor_initialized", status.started},
          {"consumer_enabled", !parts.sources.empty()},
          {"consumer_running", status.sources_running()},
          {"frame_buffer_url", source_url},
          {"metrics",
           {{"frames_processed", count(FrameState::Completed)},
            {"frames_failed", count(FrameState::Failed)},
            {"frames_filtered", count(FrameState::Filtered)},
            {"active_frames", count(FrameState::Received) + count(FrameState::Processing)}}},
          {"shutting_down", status.stopping},
          {"reasons", report.reasons},
          {"pipeline",
           {{"workers", host.config().pipeline.workers},
            {"queue_depth", status.queue_depth},
            {"queue_capacity", status.queue_capacity},
            {"inflight_bytes", status.bytes_in_flight},
            {"reserved_bytes", host.pixel_budget().reserved()},
            {"memory_limit_bytes", status.memory_limit_bytes}}},
          // The first source, where the replaced service's clients look; every source by name.
          {"source", first_source},
          {"sources", sources},
          {"plugins", plugins}}}};
    return report;
}

}  // namespace framehost::core
