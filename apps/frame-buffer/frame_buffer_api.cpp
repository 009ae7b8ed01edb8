#include "apps/frame-buffer/frame_buffer_api.hpp"

#include <charconv>

#include "core/http/health_report.hpp"

namespace framehost::frame_buffer {

using core::error_response;
using core::HttpResponse;
using core::json_response;

namespace {
constexpr std::size_t kMaxDequeue = 100;
}

HttpResponse FrameBufferApi::handle(const core::HttpRequest& request) {
    try {
        const auto& path = request.path;
        bool get = request.method == "GET", post = request.method == "POST";
        if (path == "/frames" || path == "/frames/enqueue") {
            if (post) return enqueue(request);
        } else if (path == "/frames/dequeue") {
            if (get) return dequeue(request);
        } else if (path == "/frames/status") {
            if (get) return status();
        } else if (path == "/health") {
            if (get) {
                auto s = store_->status();
                return json_response(s.connected ? 200 : 503,
                                     {{"status", s.connected ? "healthy" : "unhealthy"},
                                      {"backend", s.backend},
                                      {"buffer_size", s.size},
                                      {"timestamp", core::iso_timestamp()},
                                      {"error", s.last_error}});
            }
        } else if (path == "/buffer/clear") {
            if (post) return json_response(200, {{"cleared", store_->clear()}});
        } else {
            return error_response(404, "Not Found: " + path);
        }
        return error_response(405, "Method Not Allowed: " + request.method + " " + path);
    } catch (const std::exception& e) {
        return error_response(503, std::string("frame store unavailable: ") + e.what());
    }
}

HttpResponse FrameBufferApi::enqueue(const core::HttpRequest& request) {
    nlohmann::json frame;
    try {
        frame = nlohmann::json::parse(request.body);
    } catch (const nlohmann::json::parse_error& e) {
        return error_response(400, std::string("invalid JSON: ") + e.what());
    }
    if (!frame.is_object()) return error_response(422, "a frame is a JSON object");
    if (!frame.contains("frame_id") || !frame["frame_id"].is_string() ||
        frame["frame_id"].get<std::string>().empty())
        return error_response(422, "frame_id is required (a non-empty string)");
    std::string frame_id = frame["frame_id"];
    auto result = store_->enqueue(frame_id, request.body);
    if (!result.accepted) return error_response(503, "Buffer full");
    return json_response(200, {{"status", "enqueued"},
                               {"frame_id", frame_id},
                               {"message_id", result.message_id},
                               {"queue_size", result.queue_size}});
}

HttpResponse FrameBufferApi::dequeue(const core::HttpRequest& request) {
    std::size_t count = 1;
    if (auto it = request.query.find("count"); it != request.query.end()) {
        long long n = 0;
        const auto& text = it->second;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc() || end != text.data() + text.size())
            return error_response(422, "count must be an integer, got '" + text + "'");
        if (n < 1) return error_response(422, "count must be at least 1, got " + text);
        count = std::min<std::size_t>(static_cast<std::size_t>(n), kMaxDequeue);
    }
    std::size_t remaining = 0;
    auto frames = store_->dequeue(count, remaining);
    // Frames are spliced in as stored: each comes back exactly as it was enqueued.
    std::string body = "{\"frames\":[";
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (i) body += ',';
        body += frames[i].json;
    }
    body += "],\"count\":" + std::to_string(frames.size()) + ",\"remaining\":" + std::to_string(remaining) + "}";
    return {200, "application/json", std::move(body), {}};
}

HttpResponse FrameBufferApi::status() {
    auto s = store_->status();
    double usage = s.max_size ? 100.0 * static_cast<double>(s.size) / static_cast<double>(s.max_size) : 0;
    return json_response(s.connected ? 200 : 503,
                         {{"connected", s.connected},
                          {"backend", s.backend},
                          {"total_frames", s.total_enqueued},
                          {"buffer",
                           {{"size", s.size},
                            {"max_size", s.max_size},
                            {"usage_percent", usage},
                            {"is_full", s.size >= s.max_size},
                            {"dropped_count", s.dropped},
                            {"total_processed", s.total_dequeued}}},
                          {"dlq", {{"size", s.dead_letters}}},
                          {"error", s.last_error}});
}

}  // namespace framehost::frame_buffer
