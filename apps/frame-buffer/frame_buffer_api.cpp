#include "apps/frame-buffer/frame_buffer_api.hpp"

#include <charconv>
#include <limits>
#include <optional>
#include <variant>

#include "core/http/health_report.hpp"
#include "core/http/routes.hpp"
#include "core/metrics/prometheus_text.hpp"
#include "core/tracing/trace_context.hpp"
#include "framehost/json_limits.hpp"
#include "framehost/version.hpp"

namespace framehost::frame_buffer {

using core::body_response;
using core::error_response;
using core::HttpResponse;
using core::json_response;
using core::validation_error;
using nlohmann::json;

namespace {

// The original clamps count to 1..100 rather than refusing it.
constexpr long long kMaxDequeue = 100;
// The original reports the frame path unhealthy after this long without a frame.
constexpr double kFrameSilenceSeconds = 60;

double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// An integer query parameter as FastAPI reads one: absent gives `fallback`; not an integer is
// a 422 naming it; beyond the range of a long long is clamped like any other large value.
std::variant<long long, HttpResponse> query_integer(const core::HttpRequest& request,
                                                    const char* name, long long fallback) {
    auto it = request.query.find(name);
    if (it == request.query.end()) return fallback;
    std::string_view text = it->second;
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    long long n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || end != text.data() + text.size() ||
        (ec != std::errc() && ec != std::errc::result_out_of_range))
        return validation_error({"query", name}, "value is not a valid integer",
                                "type_error.integer");
    if (ec == std::errc::result_out_of_range)
        n = text.front() == '-' ? std::numeric_limits<long long>::min()
                                : std::numeric_limits<long long>::max();
    return n;
}

}  // namespace

FrameBufferApi::FrameBufferApi(std::unique_ptr<FrameStore> store, ApiSettings settings)
    : store_(std::move(store)), settings_(settings) {}

const core::Route<FrameBufferApi> FrameBufferApi::kRoutes[] = {
    {"POST", "/frames", false, &FrameBufferApi::enqueue, "enqueues a frame"},
    {"POST", "/frames/enqueue", false, &FrameBufferApi::enqueue, "the same"},
    {"GET", "/frames/dequeue", false, &FrameBufferApi::dequeue,
     "takes up to `count` frames (1..100)", true},
    {"GET", "/frames/status", false, &FrameBufferApi::status, "the buffer's figures"},
    {"GET", "/health", false, &FrameBufferApi::health, "healthy, degraded or unhealthy"},
    {"GET", "/ready", false, &FrameBufferApi::ready, "200 when the backend is reachable"},
    {"GET", "/metrics", false, &FrameBufferApi::prometheus, "Prometheus text"},
    {"POST", "/buffer/clear", false, &FrameBufferApi::clear, "empties the buffer"},
    {"GET", "/buffer/backpressure", false, &FrameBufferApi::backpressure,
     "usage, severity and advice"},
    {"GET", "/dlq/status", false, &FrameBufferApi::dead_letter_status,
     "the dead-letter queue's size and oldest failures"},
    {"POST", "/frames/dlq/clear", false, &FrameBufferApi::clear_dead_letters,
     "empties the dead-letter queue"},
    {"POST", "/dlq/reprocess", false, &FrameBufferApi::reprocess_dead_letters,
     "puts dead letters back in the buffer while it has room"},
    {"POST", "/test-frame", false, &FrameBufferApi::test_frame,
     "enqueues a frame in a trace and dequeues one"},
};

std::span<const core::Route<FrameBufferApi>> FrameBufferApi::routes() {
    return kRoutes;
}

HttpResponse FrameBufferApi::handle(const core::HttpRequest& request) {
    try {
        // The original Frame Buffer asks for no token.
        return core::dispatch<FrameBufferApi>(
            kRoutes, *this, request, settings_.browser_guard, [] { return true; },
            [] { return HttpResponse{}; });
    } catch (const std::exception& e) {
        return error_response(503, std::string("frame store unavailable: ") + e.what());
    }
}

HttpResponse FrameBufferApi::clear(const core::HttpRequest&, const core::PathMatch&) {
    auto cleared = store_->clear();
    count("clear", "success");
    return json_response(200, {{"cleared", cleared}});
}

void FrameBufferApi::count(const char* operation, const char* outcome) {
    metrics_
        .counter("frame_buffer_frames_total", "Frames through the buffer by operation and outcome",
                 {{"operation", operation}, {"status", outcome}})
        .add();
}

HttpResponse FrameBufferApi::enqueue(const core::HttpRequest& request, const core::PathMatch&) {
    return enqueue_body(request.body);
}

HttpResponse FrameBufferApi::enqueue_body(const std::string& body) {
    auto started = std::chrono::steady_clock::now();
    // Nesting is refused before parsing: copying a deep value recurses once per level.
    if (auto problem = json_nesting_problem(body); !problem.empty())
        return validation_error({"body"}, problem);
    json frame;
    try {
        frame = json::parse(body);
    } catch (const json::exception& e) {
        return core::json_decode_error(e, body);
    }
    if (!frame.is_object())
        return validation_error({"body"}, "value is not a valid dict", "type_error.dict");
    if (!frame.contains("frame_id"))
        return validation_error({"body", "frame_id"}, "field required", "value_error.missing");
    if (!frame["frame_id"].is_string() || frame["frame_id"].get_ref<const std::string&>().empty())
        return validation_error({"body", "frame_id"}, "frame_id must be a non-empty string");
    std::string frame_id = frame["frame_id"];
    // The JSON parser skips a UTF-8 byte order mark (RFC 8259 8.1 lets it), but the frame is
    // stored as sent and spliced into dequeue answers, where a BOM would break the whole answer.
    static constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
    auto result = std::string_view(body).substr(0, 3) == kByteOrderMark
                      ? store_->enqueue(frame_id, body.substr(kByteOrderMark.size()))
                      : store_->enqueue(frame_id, body);
    metrics_
        .histogram("frame_buffer_processing_seconds", "Time an operation took",
                   {{"operation", "enqueue"}})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (!result.accepted) {
        count("enqueue", "dropped");
        metrics_
            .counter("frame_buffer_dlq_total", "Frames sent to the dead-letter queue",
                     {{"reason", kBufferFullReason}})
            .add();
        last_backpressure_time_ = wall_seconds();
        return error_response(503, "Buffer full");
    }
    count("enqueue", "success");
    last_frame_time_ = wall_seconds();
    return json_response(200, {{"status", "enqueued"},
                               {"frame_id", frame_id},
                               {"message_id", result.message_id},
                               {"queue_size", result.queue_size}});
}

std::string FrameBufferApi::dequeue_body(std::size_t count_wanted,
                                         std::shared_ptr<Receipt>& receipt) {
    auto started = std::chrono::steady_clock::now();
    std::size_t remaining = 0;
    auto frames = store_->dequeue(count_wanted, settings_.max_answer_bytes, remaining, receipt);
    metrics_
        .histogram("frame_buffer_processing_seconds", "Time an operation took",
                   {{"operation", "dequeue"}})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (!frames.empty()) {
        last_frame_time_ = wall_seconds();
        metrics_
            .counter("frame_buffer_frames_total",
                     "Frames through the buffer by operation and outcome",
                     {{"operation", "dequeue"}, {"status", "success"}})
            .add(static_cast<double>(frames.size()));
    }
    // Frames are spliced in as stored: each comes back exactly as it was enqueued.
    std::string body = "{\"frames\":[";
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (i) body += ',';
        body += frames[i].json;
    }
    body += "],\"count\":" + std::to_string(frames.size()) +
            ",\"remaining\":" + std::to_string(remaining) + "}";
    return body;
}

HttpResponse FrameBufferApi::dequeue(const core::HttpRequest& request, const core::PathMatch&) {
    auto n = query_integer(request, "count", 1);
    if (auto* error = std::get_if<HttpResponse>(&n)) return *error;
    auto wanted = static_cast<std::size_t>(std::clamp(std::get<long long>(n), 1LL, kMaxDequeue));
    std::shared_ptr<Receipt> receipt;
    auto answer = body_response(200, "application/json", dequeue_body(wanted, receipt));
    if (receipt) answer.after_send = [receipt](bool handed) { receipt->settle(handed); };
    return answer;
}

HttpResponse FrameBufferApi::status(const core::HttpRequest&, const core::PathMatch&) {
    auto s = store_->status();
    double usage =
        s.max_size ? 100.0 * static_cast<double>(s.size) / static_cast<double>(s.max_size) : 0;
    return json_response(
        s.connected ? 200 : 503,
        {{"connected", s.connected},
         {"consumer_running", settings_.capture_consumer && s.connected},
         {"backend", s.backend},
         {"total_frames", s.total_enqueued},
         {"buffer",
          {{"size", s.size},
           {"max_size", s.max_size},
           {"usage_percent", usage},
           {"is_full", s.size >= s.max_size},
           {"dropped_count", s.dropped},
           {"total_processed", s.total_dequeued}}},
         // The original's "redis" figures: its stream's length and its dead
         // letters', -1 without Redis (as the original when Redis is away).
         {"redis",
          {{"queue_size", s.stream_length},
           {"dlq_size", s.uses_redis ? static_cast<long long>(s.dead_letters) : -1}}},
         {"dlq", {{"size", s.dead_letters}}},
         {"error", s.last_error}});
}

HttpResponse FrameBufferApi::health(const core::HttpRequest&, const core::PathMatch&) {
    auto s = store_->status();
    double last = last_frame_time_.load();
    json last_age = last > 0 ? json(wall_seconds() - last) : json();
    bool frames_flowing = last == 0 || wall_seconds() - last < kFrameSilenceSeconds;
    // As the original: healthy when both checks pass, degraded when one does, else unhealthy.
    // Without Redis there is nothing to be disconnected from, so that check passes.
    bool store_healthy = s.connected;
    const char* verdict = store_healthy && frames_flowing   ? "healthy"
                          : store_healthy || frames_flowing ? "degraded"
                                                            : "unhealthy";
    double utilization =
        s.max_size ? static_cast<double>(s.size) / static_cast<double>(s.max_size) : 0;
    json checks = {
        {"redis",
         {{"healthy", store_healthy},
          {"connected", s.uses_redis && s.connected},
          {"used", s.uses_redis}}},
        {"frame_processing", {{"healthy", frames_flowing}, {"last_frame_age", last_age}}},
        {"buffer",
         {{"healthy", s.connected},
          {"size", s.size},
          {"max_size", s.max_size},
          {"utilization", utilization}}}};
    // 503 when the store is unreachable (the original always answered 200): probes act on it.
    return json_response(
        s.connected ? 200 : 503,
        {{"status", verdict},
         {"version", FRAMEHOST_SDK_VERSION_STRING},
         {"uptime_seconds",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()},
         {"checks", checks},
         {"backend", s.backend},
         {"buffer_size", s.size},
         {"timestamp", core::iso_timestamp()},
         {"error", s.last_error}});
}

HttpResponse FrameBufferApi::ready(const core::HttpRequest&, const core::PathMatch&) {
    auto s = store_->status();
    if (s.connected) return json_response(200, {{"ready", true}});
    return json_response(503,
                         {{"ready", false}, {"reason", "Redis not connected: " + s.last_error}});
}

HttpResponse FrameBufferApi::backpressure(const core::HttpRequest&, const core::PathMatch&) {
    auto s = store_->status();
    double ratio = s.max_size ? static_cast<double>(s.size) / static_cast<double>(s.max_size) : 0;
    const char* severity = ratio > 0.9   ? "critical"
                           : ratio > 0.7 ? "high"
                           : ratio > 0.5 ? "moderate"
                                         : "none";
    double last = last_backpressure_time_.load();
    json last_event = last > 0 ? json(last) : json();
    json since = last > 0 ? json(wall_seconds() - last) : json();
    // The original's advice, word for word: dashboards and runbooks quote it.
    json advice = json::array();
    if (ratio > 0.9) {
        advice.push_back("CRITICAL: Buffer is almost full. Consider scaling consumers.");
        advice.push_back("Increase consumer batch size or add more consumer instances.");
    } else if (ratio > 0.7) {
        advice.push_back("WARNING: High buffer usage. Monitor closely.");
        advice.push_back("Consider increasing buffer size or optimizing consumer performance.");
    }
    if (s.dropped > 100) advice.push_back("High number of dropped frames. Review system capacity.");
    if (last > 0 && wall_seconds() - last < 60)
        advice.push_back("Recent backpressure detected. System may be under load.");
    return json_response(
        200, {{"buffer",
               {{"current_size", s.size},
                {"max_size", s.max_size},
                {"usage_ratio", ratio},
                {"usage_percent", ratio * 100}}},
              {"backpressure",
               {{"severity", severity},
                {"is_experiencing_backpressure", ratio > 0.7},
                {"total_events", s.dropped},
                {"last_event_time", last_event},
                {"seconds_since_last_event", since}}},
              {"consumer",
               {{"running", settings_.capture_consumer && s.connected},
                {"batch_size", settings_.capture_consumer ? settings_.consumer_batch_size : 0}}},
              {"recommendations", advice}});
}

HttpResponse FrameBufferApi::dead_letter_status(const core::HttpRequest&, const core::PathMatch&) {
    std::size_t size = 0;
    std::vector<DeadLetter> recent;
    try {
        recent = store_->dead_letters(5, size);
    } catch (const std::exception& e) {
        return json_response(
            200, {{"size", 0}, {"connected", false}, {"error", e.what()}});  // as the original
    }
    json failures = json::array();
    for (const auto& d : recent)
        failures.push_back({{"id", d.id},
                            {"reason", d.reason},
                            {"timestamp", d.id.substr(0, d.id.find('-'))},
                            {"frame_id", d.frame_id}});
    return json_response(200, {{"size", size}, {"connected", true}, {"recent_failures", failures}});
}

HttpResponse FrameBufferApi::clear_dead_letters(const core::HttpRequest&, const core::PathMatch&) {
    auto cleared = store_->clear_dead_letters();
    return json_response(200, {{"status", "cleared"},
                               {"message", "DLQ cleared successfully"},
                               {"cleared_count", cleared}});
}

HttpResponse FrameBufferApi::reprocess_dead_letters(const core::HttpRequest& request,
                                                    const core::PathMatch&) {
    auto n = query_integer(request, "max_items", 100);
    if (auto* error = std::get_if<HttpResponse>(&n)) return *error;
    auto max_items = static_cast<std::size_t>(
        std::clamp(std::get<long long>(n), 0LL, static_cast<long long>(kDeadLetterLimit)));
    auto r = store_->reprocess_dead_letters(max_items);
    return json_response(
        200, {{"reprocessed", r.reprocessed}, {"failed", r.failed}, {"remaining", r.remaining}});
}

HttpResponse FrameBufferApi::test_frame(const core::HttpRequest& request, const core::PathMatch&) {
    if (auto problem = json_nesting_problem(request.body); !problem.empty())
        return validation_error({"body"}, problem);
    json frame = json::parse(request.body, nullptr, false);
    if (frame.is_discarded())
        return validation_error({"body"}, "invalid JSON", "value_error.jsondecode");
    if (!frame.is_object())
        return validation_error({"body"}, "value is not a valid dict", "type_error.dict");
    if (!frame.contains("frame_id")) frame["frame_id"] = "test";  // the original's default
    // The frame carries the trace it starts (or continues), so the dequeued copy shows it.
    std::optional<core::TraceParent> parent;
    if (frame.contains("traceparent") && frame["traceparent"].is_string())
        parent = core::parse_traceparent(frame["traceparent"].get<std::string>());
    std::string trace_id = parent ? parent->trace_id : core::new_trace_id();
    if (!parent)
        frame["traceparent"] = core::TraceParent{trace_id, core::new_span_id(), "01"}.to_string();
    auto enqueued = enqueue_body(frame.dump());
    if (enqueued.status != 200) return enqueued;
    std::shared_ptr<Receipt> receipt;
    json dequeued = json::parse(dequeue_body(1, receipt));
    auto answer = json_response(200, {{"frame_tracking_enabled", true},
                                      {"trace_id", trace_id},
                                      {"enqueue_result", json::parse(enqueued.body)},
                                      {"dequeue_result", dequeued}});
    if (receipt) answer.after_send = [receipt](bool handed) { receipt->settle(handed); };
    return answer;
}

HttpResponse FrameBufferApi::prometheus(const core::HttpRequest&, const core::PathMatch&) {
    auto s = store_->status();
    metrics_.gauge("frame_buffer_queue_size", "Frames waiting in the buffer")
        .set(static_cast<double>(s.size));
    metrics_.gauge("frame_buffer_dlq_size", "Frames in the dead-letter queue")
        .set(static_cast<double>(s.dead_letters));
    metrics_.gauge("frame_buffer_redis_connected", "1 while the store is reachable")
        .set(s.connected ? 1 : 0);
    core::PrometheusText text;
    text.registry(metrics_);
    return core::body_response(200, core::kPrometheusContentType, text.text());
}

}  // namespace framehost::frame_buffer
