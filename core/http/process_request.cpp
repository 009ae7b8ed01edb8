#include "core/http/process_request.hpp"

#include <chrono>
#include <optional>

#include "core/http/large_string_member.hpp"
#include "framehost/base64.hpp"
#include "framehost/json_limits.hpp"

namespace framehost::core {

namespace {

constexpr std::size_t kMaxMetadataBytes = 100 * 1024;

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

std::variant<Frame, HttpResponse> decode_process_request(
    const std::string& body_source, const std::function<std::string()>& fallback_id) {
    // frame_data is lifted out before parsing: the parser then walks kilobytes, not megabytes.
    auto lifted = lift_string_member(body_source, "frame_data");
    std::string_view text = lifted ? std::string_view(lifted->rest) : std::string_view(body_source);
    // Nesting is refused before parsing: copying a deep value recurses once per level.
    if (auto problem = json_nesting_problem(text); !problem.empty())
        return validation_error({"body"}, problem);
    nlohmann::json body;
    try {
        body = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        // The replaced service (FastAPI) answers a body that is not JSON with 422 too.
        return json_decode_error(e, text);
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
        frame.id = fallback_id();
    }
    if (metadata.contains("camera_id") && metadata["camera_id"].is_string())
        frame.camera_id = metadata["camera_id"].get<std::string>();
    frame.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    frame.image = image_from_bytes(layout, frame.width, frame.height, std::move(*bytes));
    frame.metadata = std::move(metadata);
    return frame;
}

}  // namespace framehost::core
