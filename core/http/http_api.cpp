#include "core/http/http_api.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

#include "core/http/bearer_auth.hpp"
#include "core/http/cameras_report.hpp"
#include "core/http/events_api.hpp"
#include "core/http/health_report.hpp"
#include "core/http/live_page.hpp"
#include "core/http/metrics_report.hpp"
#include "core/http/mjpeg_stream.hpp"
#include "core/http/process_request.hpp"
#include "core/http/recordings_api.hpp"
#include "core/log/log.hpp"
#include "core/log/redaction.hpp"
#include "core/metrics/prometheus_text.hpp"
#include "core/tracing/trace_context.hpp"
#include "framehost/json_limits.hpp"

namespace framehost::core {

namespace {

// Parts a second of a camera's MJPEG stream, unless ?fps= asks otherwise, and the most it may.
constexpr double kDefaultStreamFps = 5;
constexpr double kMaxStreamFps = 25;

// The status of each outcome of adding or removing a camera; a body at fault names its field.
HttpResponse camera_answer(const RuntimeCameras::Result& r) {
    using Outcome = RuntimeCameras::Outcome;
    switch (r.outcome) {
        case Outcome::Added:
            return json_response(201, r.body);
        case Outcome::Removed:
            return json_response(200, r.body);
        case Outcome::Invalid: {
            nlohmann::json loc = {"body"};
            if (!r.field.empty()) loc.push_back(r.field);
            return validation_error(std::move(loc), r.detail);
        }
        case Outcome::NotFound:
            return error_response(404, r.detail);
        case Outcome::Exists:
        case Outcome::FromConfig:
        case Outcome::Conflict:
            return error_response(409, r.detail);
        case Outcome::Unavailable:
            return error_response(503, r.detail);
    }
    return error_response(500, r.detail);
}

}  // namespace

HttpApi::HttpApi(Host& host, SpanExporter& spans)
    : host_(host),
      spans_(spans),
      mjpeg_parts_(std::make_shared<MjpegParts>(host_.previews())),
      browser_guard_{host.config().http.bind, host.config().http.allowed_hosts,
                     host.config().http.allowed_origins} {}

HttpResponse HttpApi::handle(const HttpRequest& request) {
    try {
        auto response = route(request);
        // Parameters, plugin statuses and errors may hold URLs with credentials: no answer does.
        // (Only JSON: a picture's bytes are not text, and the page holds no status.)
        if (response.content_type == "application/json" &&
            response.body.find("://") != std::string::npos)
            response.body = redact_credentials(std::move(response.body));
        return response;
    } catch (const std::exception& e) {
        log(LogLevel::Error, "http", request.method + " " + request.path + " failed: " + e.what());
        return error_response(500, "internal error");
    }
}

const Route<HttpApi> HttpApi::kRoutes[] = {
    {"GET", "/", false, &HttpApi::page, "the live page: every camera's picture, state and figures"},
    {"GET", "/cameras", false, &HttpApi::list_cameras,
     "every camera of every source, with its state, figures and latest picture"},
    {"POST", "/cameras", true, &HttpApi::add_camera,
     "adds a camera while the host runs: 201, 409 when its id exists, 422 naming the field"},
    {"GET", "/cameras/{id}", false, &HttpApi::camera, "one camera, as /cameras lists it"},
    {"DELETE", "/cameras/{id}", true, &HttpApi::remove_camera,
     "removes a camera added over HTTP once its frames in flight finish"},
    {"GET", kSnapshotRoute, false, &HttpApi::snapshot,
     "the camera's latest annotated picture, JPEG"},
    {"GET", kStreamRoute, false, &HttpApi::stream,
     "the camera's pictures as they come, MJPEG (`?fps=` 0.1 to 25)"},
    {"GET", "/events", true, &HttpApi::events,
     "stored events, newest first: `?camera= &label= &zone= &type= &after= &before=` (seconds "
     "since the epoch), `&limit=` (1 to 1000, 50) and `&cursor=` (the page before's "
     "next_cursor)"},
    {"GET", "/events/stream", true, &HttpApi::event_stream,
     "Server-Sent Events: each event as it starts, changes and ends (`Last-Event-ID` resumes)"},
    {"GET", "/events/{id}", true, &HttpApi::event, "one stored event"},
    {"GET", "/events/{id}/snapshot.jpg", true, &HttpApi::event_snapshot,
     "the event's best sighting with its box drawn, JPEG"},
    {"GET", kEventClipRoute.data(), true, &HttpApi::event_clip,
     "the event's video as the camera sent it, MP4 (kept by a `recorder` sink); byte ranges "
     "(`Range`, 206) for seeking"},
    {"GET", "/recordings", true, &HttpApi::recordings,
     "the files recorders finished (event clips, continuous segments), oldest first: `?camera= "
     "&from= &to=` (seconds since the epoch, overlapping), `&limit=` (1 to 10000, 100)"},
    {"GET", kRecordingRoute, true, &HttpApi::recording,
     "one recording, MP4; byte ranges (`Range`, 206) for seeking"},
    {"GET", "/zones", true, &HttpApi::zones,
     "each camera's zones (occupancy per label) and counting lines (crossings in and out)"},
    {"GET", "/health", false, &HttpApi::health,
     "200 healthy or degraded, 503 unhealthy; details of the pipeline and every plugin"},
    {"GET", "/live", false, &HttpApi::live, "200 while the process serves requests"},
    {"GET", "/ready", false, &HttpApi::ready,
     "200 when every plugin started, every source reaches its upstream and no plugin call is "
     "stuck, else 503 with the reason"},
    {"GET", "/metrics", false, &HttpApi::metrics,
     "JSON, or Prometheus text 0.0.4 when the Accept header prefers `text/plain` or "
     "OpenMetrics"},
    {"GET", "/metrics/history", false, &HttpApi::metrics_history,
     "the last five minutes as the host sampled them every 2 s: frames and failures a second, "
     "latency p99 (the live page's charts)"},
    {"GET", "/plugins", false, &HttpApi::plugins,
     "the plugin instances and the parameters in effect"},
    {"POST", "/config/reload", true, &HttpApi::reload_config,
     "re-reads the config file and applies what changed (sources, processors, sinks) without a "
     "restart: 200 with what changed, 422 with every error at file:line:column (the running "
     "config stays)"},
    {"POST", "/process", true, &HttpApi::process,
     "runs one frame through the processors (and sinks) now"},
    {"POST", "/process-with-tracking", true, &HttpApi::process_traced,
     "the same, continuing a W3C trace"},
};

std::span<const Route<HttpApi>> HttpApi::routes() {
    return kRoutes;
}

HttpResponse HttpApi::route(const HttpRequest& request) {
    return dispatch<HttpApi>(
        kRoutes, *this, request, browser_guard_,
        [&] { return bearer_authorized(request, host_.config().http.auth_token); },
        &bearer_unauthorized);
}

HttpResponse HttpApi::page(const HttpRequest&, const PathMatch&) {
    auto page = body_response(200, "text/html; charset=utf-8", std::string(live_page_html()));
    page.headers.emplace_back("Cache-Control", "no-cache");
    return page;
}

HttpResponse HttpApi::reload_config(const HttpRequest&, const PathMatch&) {
    auto result = host_.reload();
    return json_response(result.status, result.body);
}

HttpResponse HttpApi::list_cameras(const HttpRequest&, const PathMatch&) {
    return json_response(200, cameras_report(host_, host_.previews()));
}

HttpResponse HttpApi::remove_camera(const HttpRequest&, const PathMatch& match) {
    const auto& id = match.id;
    auto r = host_.cameras().remove(id, camera_known(host_, id));
    if (r.ok()) host_.previews().forget(id);
    return camera_answer(r);
}

HttpResponse HttpApi::events(const HttpRequest& request, const PathMatch&) {
    return list_events(host_.events(), request);
}

HttpResponse HttpApi::event(const HttpRequest&, const PathMatch& match) {
    return one_event(host_.events(), match.id);
}

HttpResponse HttpApi::event_snapshot(const HttpRequest&, const PathMatch& match) {
    return core::event_snapshot(host_.events(), match.id);
}

HttpResponse HttpApi::recordings(const HttpRequest& request, const PathMatch&) {
    return list_recordings(host_.recordings(), request);
}

HttpResponse HttpApi::recording(const HttpRequest& request, const PathMatch& match) {
    return recording_file(host_.recordings(), match.id, request);
}

HttpResponse HttpApi::event_clip(const HttpRequest& request, const PathMatch& match) {
    return core::event_clip(host_.events(), match.id, request);
}

HttpResponse HttpApi::event_stream(const HttpRequest& request, const PathMatch&) {
    return core::event_stream(host_.events(), request);
}

HttpResponse HttpApi::zones(const HttpRequest&, const PathMatch&) {
    return json_response(200, host_.zones().report());
}

HttpResponse HttpApi::metrics_history(const HttpRequest&, const PathMatch&) {
    return json_response(200, host_.history().report());
}

HttpResponse HttpApi::health(const HttpRequest&, const PathMatch&) {
    auto report = health_report(host_);
    return json_response(report.http_status(), report.body);
}

HttpResponse HttpApi::live(const HttpRequest&, const PathMatch&) {
    return json_response(200, {{"status", "alive"}, {"timestamp", iso_timestamp()}});
}

HttpResponse HttpApi::ready(const HttpRequest&, const PathMatch&) {
    auto r = readiness(host_);
    if (r.ready) return json_response(200, {{"ready", true}});
    return json_response(503, {{"ready", false}, {"reason", r.reason}});
}

HttpResponse HttpApi::metrics(const HttpRequest& request, const PathMatch&) {
    if (prefers_prometheus_text(request.header("accept")))
        return body_response(200, kPrometheusContentType, metrics_prometheus(host_));
    return json_response(200, metrics_json(host_));
}

HttpResponse HttpApi::process_traced(const HttpRequest& request, const PathMatch&) {
    return run_process(request, true);
}

HttpResponse HttpApi::process(const HttpRequest& request, const PathMatch&) {
    return run_process(request, false);
}

HttpResponse HttpApi::camera(const HttpRequest&, const PathMatch& match) {
    const auto& id = match.id;
    auto report = cameras_report(host_, host_.previews());
    for (auto& c : report["cameras"])
        if (c["id"] == id) return json_response(200, c);
    return error_response(404, "no camera '" + id + "'");
}

HttpResponse HttpApi::add_camera(const HttpRequest& request, const PathMatch&) {
    if (auto problem = json_nesting_problem(request.body); !problem.empty())
        return validation_error({"body"}, problem);
    nlohmann::json body;
    try {
        body = nlohmann::json::parse(request.body);
    } catch (const nlohmann::json::exception& e) {
        return json_decode_error(e, request.body);
    }
    auto r =
        host_.cameras().add(body, [&](const std::string& id) { return camera_known(host_, id); });
    return camera_answer(r);
}

HttpResponse HttpApi::snapshot(const HttpRequest&, const PathMatch& match) {
    const auto& camera = match.id;
    auto picture = host_.previews().latest(camera);
    if (!picture) {
        if (!camera_known(host_, camera)) return error_response(404, "no camera '" + camera + "'");
        return error_response(503, "no picture of camera '" + camera +
                                       "' yet (annotated_snapshot among the sinks publishes them)");
    }
    auto response =
        body_response(200, "image/jpeg", std::string(picture->jpeg->begin(), picture->jpeg->end()));
    response.headers.emplace_back("Cache-Control", "no-store");
    // Frame ids come from outside: one that is not plain printable text is not a header.
    if (std::all_of(picture->frame_id.begin(), picture->frame_id.end(),
                    [](unsigned char c) { return c >= 0x20 && c < 0x7f; }))
        response.headers.emplace_back("X-Frame-Id", picture->frame_id);
    return response;
}

HttpResponse HttpApi::stream(const HttpRequest& request, const PathMatch& match) {
    const auto& camera = match.id;
    if (!host_.previews().latest(camera) && !camera_known(host_, camera))
        return error_response(404, "no camera '" + camera + "'");
    double fps = kDefaultStreamFps;
    if (auto it = request.query.find("fps"); it != request.query.end()) {
        std::size_t used = 0;
        try {
            fps = std::stod(it->second, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != it->second.size() || !(fps >= 0.1 && fps <= kMaxStreamFps))
            return validation_error({"query", "fps"},
                                    "fps must be a number from 0.1 to " +
                                        std::to_string(static_cast<int>(kMaxStreamFps)));
    }
    auto response = body_response(
        200, std::string("multipart/x-mixed-replace; boundary=") + kMjpegBoundary, "");
    response.headers.emplace_back("Cache-Control", "no-store");
    response.stream = mjpeg_stream(mjpeg_parts_, camera, fps);
    return response;
}

HttpResponse HttpApi::plugins(const HttpRequest&, const PathMatch&) {
    nlohmann::json list = nlohmann::json::array();
    auto add = [&](const std::shared_ptr<PluginInstance>& instance) {
        nlohmann::json params = nlohmann::json::object();
        for (auto it = instance->params().json().begin(); it != instance->params().json().end();
             ++it)
            params[it.key()] = it.value()["value"];
        for (const auto& spec : instance->descriptor().params)
            if (spec.secret && params.contains(spec.name) && params[spec.name] != "")
                params[spec.name] = "***";
        list.push_back({{"name", instance->name()},
                        {"plugin", instance->descriptor().name},
                        {"kind", to_string(instance->descriptor().kind)},
                        {"version", instance->descriptor().version},
                        {"description", instance->descriptor().description},
                        {"params", params}});
    };
    for (const auto& instance : host_.pipeline().instances()) add(instance);
    return json_response(200, {{"plugins", list}});
}

HttpResponse HttpApi::run_process(const HttpRequest& request, bool traced) {
    auto status = host_.pipeline().status();
    // The replaced service's texts for both.
    if (status.stopping) return error_response(503, "Service is shutting down");
    if (!status.started) return error_response(503, "Processor not initialized");

    auto decoded = decode_process_request(request.body, [this] {
        return "req-" + new_span_id().substr(0, 8) + "-" + std::to_string(++generated_ids_);
    });
    if (auto* refused = std::get_if<HttpResponse>(&decoded)) return std::move(*refused);
    Frame frame = std::move(std::get<Frame>(decoded));

    TraceParent trace;
    std::string root_span_id;
    if (traced) {
        std::optional<TraceParent> parent = parse_traceparent(request.header("traceparent"));
        const auto& metadata = frame.metadata;
        if (!parent && metadata.contains("traceparent") && metadata["traceparent"].is_string())
            parent = parse_traceparent(metadata["traceparent"].get<std::string>());
        root_span_id = new_span_id();
        trace = parent ? TraceParent{parent->trace_id, parent->parent_id, parent->flags}
                       : TraceParent{new_trace_id(), "", "01"};
        frame.traceparent = TraceParent{trace.trace_id, root_span_id, trace.flags}.to_string();
    }
    auto wall_start = std::chrono::system_clock::now();
    auto steady_start = std::chrono::steady_clock::now();
    std::vector<StageTiming> timings;
    host_.pipeline().process_now(frame, traced ? &timings : nullptr);
    auto elapsed = std::chrono::steady_clock::now() - steady_start;
    double elapsed_ms = std::chrono::duration<double, std::milli>(elapsed).count();

    HttpResponse response;
    if (frame.failed()) {
        response =
            json_response(frame.failed_in() == "host" ? 422 : 500,
                          {{"detail", (frame.failed_in() == "host" ? "" : "Processing failed: ") +
                                          frame.failed_in() + ": " + frame.error()},
                           {"frame_id", frame.id}});
    } else {
        response = json_response(200, {{"frame_id", frame.id},
                                       {"detections", frame.detections},
                                       {"total_objects", frame.detections.size()},
                                       {"processing_time_ms", elapsed_ms},
                                       {"timestamp", iso_timestamp()}});
    }
    if (traced) {
        auto to_wall = [&](std::chrono::steady_clock::time_point t) {
            return wall_start + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                    t - steady_start);
        };
        std::vector<Span> spans;
        Span root{"POST " + request.path,
                  trace.trace_id,
                  root_span_id,
                  trace.parent_id,
                  wall_start,
                  to_wall(steady_start + elapsed),
                  !frame.failed(),
                  frame.error(),
                  {{"frame.id", frame.id},
                   {"detections.count", frame.detections.size()},
                   {"http.status_code", response.status}}};
        spans.push_back(root);
        for (const auto& t : timings) {
            spans.push_back(
                Span{t.instance,
                     trace.trace_id,
                     new_span_id(),
                     root_span_id,
                     to_wall(t.start),
                     to_wall(t.end),
                     t.error.empty(),
                     t.error,
                     {{"frame.id", frame.id}, {"detections.count", t.detections_after}}});
        }
        spans_.export_spans(spans);
        std::string traceparent =
            TraceParent{trace.trace_id, root_span_id, trace.flags}.to_string();
        response.headers.emplace_back("traceparent", traceparent);
        auto j = nlohmann::json::parse(response.body);
        j["frame_tracking_enabled"] = true;
        j["trace_id"] = trace.trace_id;
        j["span_id"] = root_span_id;
        j["traceparent"] = traceparent;
        response.body = j.dump();
    }
    return response;
}

}  // namespace framehost::core
