#include "core/http/http_api.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

#include "core/http/cameras_report.hpp"
#include "core/http/health_report.hpp"
#include "core/http/large_string_member.hpp"
#include "core/http/live_page.hpp"
#include "core/http/metrics_report.hpp"
#include "core/http/mjpeg_stream.hpp"
#include "core/http/routes.hpp"
#include "core/log/log.hpp"
#include "core/log/redaction.hpp"
#include "core/metrics/prometheus_text.hpp"
#include "core/tracing/trace_context.hpp"
#include "framehost/base64.hpp"
#include "framehost/json_limits.hpp"

namespace framehost::core {

namespace {

constexpr std::size_t kMaxMetadataBytes = 100 * 1024;
// Parts a second of a camera's MJPEG stream, unless ?fps= asks otherwise, and the most it may.
constexpr double kDefaultStreamFps = 5;
constexpr double kMaxStreamFps = 25;

constexpr Route kRoutes[] = {
    {"/", "GET"},         {"/cameras", "GET"},
    {"/cameras", "POST"}, {"/health", "GET"},
    {"/live", "GET"},     {"/ready", "GET"},
    {"/metrics", "GET"},  {"/plugins", "GET"},
    {"/process", "POST"}, {"/process-with-tracking", "POST"},
};

// Compares in time that depends only on the lengths, so a token cannot be guessed byte by byte.
bool constant_time_equal(const std::string& a, const std::string& b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

// Reads an optional integer field of metadata; an error answer naming it when present but wrong.
std::optional<HttpResponse> metadata_int(const nlohmann::json& metadata, const char* key,
                                         int& out) {
    if (!metadata.contains(key) || metadata[key].is_null()) return std::nullopt;
    const auto& v = metadata[key];
    if (!v.is_number_integer() || v.get<std::int64_t>() <= 0 || v.get<std::int64_t>() > 100000)
        return validation_error({"body", "metadata", key},
                                std::string("metadata.") + key + " must be a positive integer");
    out = v.get<int>();
    return std::nullopt;
}

HttpResponse frame_data_error(const std::string& msg, const std::string& type = "value_error") {
    return validation_error({"body", "frame_data"}, msg, type);
}

}  // namespace

HttpApi::HttpApi(Host& host, SpanExporter& spans)
    : host_(host),
      spans_(spans),
      mjpeg_parts_(std::make_shared<MjpegParts>(PreviewBoard::process_board())) {}

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

bool HttpApi::authorized(const HttpRequest& request) const {
    const auto& token = host_.config().http.auth_token;
    if (token.empty()) return true;
    auto header = request.header("authorization");
    // The scheme is case-insensitive (RFC 9110 11.1): "bearer" is "Bearer".
    const std::string prefix = "bearer ";
    if (header.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(header[i])) != prefix[i]) return false;
    return constant_time_equal(header.substr(prefix.size()), token);
}

HttpResponse HttpApi::route(const HttpRequest& request) {
    if (auto id = camera_resource(request.path)) {
        if (request.method == "GET" || request.method == "HEAD") return camera(*id);
        if (request.method != "DELETE") {
            auto response = error_response(405, "Method Not Allowed");
            response.headers.emplace_back("Allow", "GET, DELETE");
            return response;
        }
        if (!authorized(request)) return unauthorized();
        auto r = host_.cameras().remove(*id, camera_known(host_, *id));
        if (r.status == 200) PreviewBoard::process_board().forget(*id);
        return r.status < 300 ? json_response(r.status, r.body)
                              : error_response(r.status, r.detail);
    }
    if (auto camera = parse_camera_path(request.path)) {
        if (camera->leaf != kSnapshotLeaf && camera->leaf != kStreamLeaf)
            return error_response(404, "Not Found");
        if (request.method != "GET" && request.method != "HEAD") {
            auto response = error_response(405, "Method Not Allowed");
            response.headers.emplace_back("Allow", "GET");
            return response;
        }
        return camera->leaf == kSnapshotLeaf ? snapshot(camera->camera)
                                             : stream(camera->camera, request);
    }
    auto found = find_route(kRoutes, request);
    if (auto* answer = std::get_if<HttpResponse>(&found)) return *answer;
    const Route* match = std::get<const Route*>(found);
    std::string path = match->path;
    if (path == "/") {
        HttpResponse page{200, "text/html; charset=utf-8", std::string(live_page_html()), {}, {}};
        page.headers.emplace_back("Cache-Control", "no-cache");
        return page;
    }
    if (path == "/cameras" && request.method == "POST") {
        if (!authorized(request)) return unauthorized();
        return add_camera(request);
    }
    if (path == "/cameras")
        return json_response(200, cameras_report(host_, PreviewBoard::process_board()));
    if (path == "/live")
        return json_response(200, {{"status", "alive"}, {"timestamp", iso_timestamp()}});
    if (path == "/health") {
        auto report = health_report(host_);
        return json_response(report.http_status(), report.body);
    }
    if (path == "/ready") {
        auto r = readiness(host_);
        if (r.ready) return json_response(200, {{"ready", true}});
        return json_response(503, {{"ready", false}, {"reason", r.reason}});
    }
    if (path == "/metrics") {
        if (prefers_prometheus_text(request.header("accept")))
            return {200, kPrometheusContentType, metrics_prometheus(host_), {}, {}};
        return json_response(200, metrics_json(host_));
    }
    if (path == "/plugins") return plugins();
    if (!authorized(request)) return unauthorized();
    return process(request, path == "/process-with-tracking");
}

HttpResponse HttpApi::unauthorized() {
    auto response = error_response(401, "missing or wrong bearer token");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
}

HttpResponse HttpApi::camera(const std::string& id) {
    auto report = cameras_report(host_, PreviewBoard::process_board());
    for (auto& c : report["cameras"])
        if (c["id"] == id) return json_response(200, c);
    return error_response(404, "no camera '" + id + "'");
}

HttpResponse HttpApi::add_camera(const HttpRequest& request) {
    if (auto problem = json_nesting_problem(request.body); !problem.empty())
        return validation_error({"body"}, problem);
    nlohmann::json body;
    try {
        body = nlohmann::json::parse(request.body);
    } catch (const nlohmann::json::exception& e) {
        return json_decode_error(e);
    }
    auto r =
        host_.cameras().add(body, [&](const std::string& id) { return camera_known(host_, id); });
    if (r.status < 300) return json_response(r.status, r.body);
    if (r.status == 422) {
        nlohmann::json loc = {"body"};
        if (!r.field.empty()) loc.push_back(r.field);
        return validation_error(std::move(loc), r.detail);
    }
    return error_response(r.status, r.detail);
}

HttpResponse HttpApi::snapshot(const std::string& camera) {
    auto picture = PreviewBoard::process_board().latest(camera);
    if (!picture) {
        if (!camera_known(host_, camera)) return error_response(404, "no camera '" + camera + "'");
        return error_response(503, "no picture of camera '" + camera +
                                       "' yet (annotated_snapshot among the sinks publishes them)");
    }
    HttpResponse response{
        200, "image/jpeg", std::string(picture->jpeg->begin(), picture->jpeg->end()), {}, {}};
    response.headers.emplace_back("Cache-Control", "no-store");
    // Frame ids come from outside: one that is not plain printable text is not a header.
    if (std::all_of(picture->frame_id.begin(), picture->frame_id.end(),
                    [](unsigned char c) { return c >= 0x20 && c < 0x7f; }))
        response.headers.emplace_back("X-Frame-Id", picture->frame_id);
    return response;
}

HttpResponse HttpApi::stream(const std::string& camera, const HttpRequest& request) {
    if (!PreviewBoard::process_board().latest(camera) && !camera_known(host_, camera))
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
    HttpResponse response{
        200, std::string("multipart/x-mixed-replace; boundary=") + kMjpegBoundary, "", {}, {}};
    response.headers.emplace_back("Cache-Control", "no-store");
    response.stream = mjpeg_stream(mjpeg_parts_, camera, fps);
    return response;
}

HttpResponse HttpApi::plugins() {
    nlohmann::json list = nlohmann::json::array();
    auto add = [&](const std::shared_ptr<PluginInstance>& instance) {
        nlohmann::json params = nlohmann::json::object();
        for (auto it = instance->params().json().begin(); it != instance->params().json().end();
             ++it)
            params[it.key()] = it.value()["value"];
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

HttpResponse HttpApi::process(const HttpRequest& request, bool traced) {
    auto status = host_.pipeline().status();
    // The replaced service's texts for both.
    if (status.stopping) return error_response(503, "Service is shutting down");
    if (!status.started) return error_response(503, "Processor not initialized");

    // frame_data is lifted out before parsing: the parser then walks kilobytes, not megabytes.
    auto lifted = lift_string_member(request.body, "frame_data");
    std::string_view text =
        lifted ? std::string_view(lifted->rest) : std::string_view(request.body);
    // Nesting is refused before parsing: copying a deep value recurses once per level.
    if (auto problem = json_nesting_problem(text); !problem.empty())
        return validation_error({"body"}, problem);
    nlohmann::json body;
    try {
        body = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        // The replaced service (FastAPI) answers a body that is not JSON with 422 too.
        return json_decode_error(e);
    }
    if (!body.is_object())
        return validation_error({"body"}, "value is not a valid dict", "type_error.dict");
    if (!body.contains("frame_data"))
        return frame_data_error("field required", "value_error.missing");
    if (body["frame_data"].is_null())
        return frame_data_error("none is not an allowed value", "type_error.none.not_allowed");
    if (!body["frame_data"].is_string())
        return frame_data_error("str type expected", "type_error.str");
    std::string_view encoded =
        lifted ? lifted->value : std::string_view(body["frame_data"].get_ref<const std::string&>());
    if (encoded.empty()) return frame_data_error("frame_data cannot be empty");
    auto bytes = decode_base64(encoded);
    if (!bytes || bytes->empty()) return frame_data_error("Invalid base64 encoding");

    nlohmann::json metadata =
        body.contains("metadata") ? body["metadata"] : nlohmann::json::object();
    if (metadata.is_null()) metadata = nlohmann::json::object();
    if (!metadata.is_object())
        return validation_error({"body", "metadata"}, "value is not a valid dict",
                                "type_error.dict");
    if (metadata.dump().size() > kMaxMetadataBytes)
        return validation_error({"body", "metadata"}, "Metadata too large");

    Frame frame;
    if (auto error = metadata_int(metadata, "width", frame.width)) return *error;
    if (auto error = metadata_int(metadata, "height", frame.height)) return *error;
    if (metadata.contains("format")) {
        if (!metadata["format"].is_string())
            return validation_error({"body", "metadata", "format"},
                                    "metadata.format must be a string", "type_error.str");
        frame.format = parse_pixel_format(metadata["format"].get_ref<const std::string&>());
    }
    std::string format_name = metadata.value("format", std::string(to_string(frame.format)));
    if (frame.width > 0 && frame.height > 0) {
        auto expected = packed_image_bytes(frame.format, frame.width, frame.height);
        if (expected == 0)
            return validation_error(
                {"body", "metadata", "format"},
                "metadata.format '" + format_name +
                    "' is not one of RGB, BGR, RGBA, BGRA, GRAY, NV12, I420 (or FFmpeg's rgb24, "
                    "bgr24, rgba, bgra, gray, nv12, yuv420p)");
        if (bytes->size() != expected)
            return validation_error(
                {"body", "frame_data"},
                "metadata.width, metadata.height and metadata.format (" +
                    std::to_string(frame.width) + "x" + std::to_string(frame.height) + " " +
                    format_name + " = " + std::to_string(expected) +
                    " bytes) contradict frame_data (" + std::to_string(bytes->size()) + " bytes)");
    } else if (frame.width > 0 || frame.height > 0) {
        return validation_error({"body", "metadata", frame.width > 0 ? "height" : "width"},
                                "metadata.width and metadata.height go together",
                                "value_error.missing");
    }
    // Without a size, the bytes travel as they are, opaque.
    PixelFormat layout = frame.width > 0 ? frame.format : PixelFormat::Unknown;

    if (metadata.contains("frame_id") && metadata["frame_id"].is_string() &&
        !metadata["frame_id"].get<std::string>().empty()) {
        frame.id = metadata["frame_id"].get<std::string>();
    } else {
        frame.id = "req-" + new_span_id().substr(0, 8) + "-" + std::to_string(++generated_ids_);
    }
    if (metadata.contains("camera_id") && metadata["camera_id"].is_string())
        frame.camera_id = metadata["camera_id"].get<std::string>();
    frame.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    frame.image = image_from_bytes(layout, frame.width, frame.height, std::move(*bytes));

    TraceParent trace;
    std::string root_span_id;
    if (traced) {
        std::optional<TraceParent> parent = parse_traceparent(request.header("traceparent"));
        if (!parent && metadata.contains("traceparent") && metadata["traceparent"].is_string())
            parent = parse_traceparent(metadata["traceparent"].get<std::string>());
        root_span_id = new_span_id();
        trace = parent ? TraceParent{parent->trace_id, parent->parent_id, parent->flags}
                       : TraceParent{new_trace_id(), "", "01"};
        frame.traceparent = TraceParent{trace.trace_id, root_span_id, trace.flags}.to_string();
    }
    frame.metadata = std::move(metadata);

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
