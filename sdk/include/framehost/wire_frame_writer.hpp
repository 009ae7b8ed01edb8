#pragma once
// A frame in the two wire forms wire_frame.hpp reads: framehost's JSON (what capture services
// POST to the Frame Buffer) and the original capture's flat entry of the Redis stream
// `frames:metadata` (every value a string). Writing and reading are each other's inverse:
// WireFrameReader gives back the frame's id, camera, time, size, format, trace, metadata and
// pixels.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "framehost/frame.hpp"

namespace framehost {

// What the pixels travel as: nothing, or bytes (packed rows of `format`, or JPEG with format
// Encoded) already base64-encoded.
struct WirePixels {
    PixelFormat format = PixelFormat::Unknown;
    std::string base64;  // empty: metadata only
};

// Epoch seconds with millisecond digits, as the original writes capture_timestamp.
inline std::string wire_epoch_seconds(std::int64_t ms) {
    char text[32];
    std::snprintf(text, sizeof text, "%lld.%03lld", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
    return text;
}

// {"frame_id", "camera_id", "timestamp" (epoch seconds, a number), "width", "height",
//  "format", "metadata", "traceparent", "data"}; format is the pixels' when they travel.
inline nlohmann::json wire_frame_json(const Frame& frame, const WirePixels& pixels = {}) {
    nlohmann::json j = {
        {"frame_id", frame.id},
        {"camera_id", frame.camera_id},
        {"timestamp", static_cast<double>(frame.timestamp_ms) / 1000.0},
        {"width", frame.width},
        {"height", frame.height},
        {"format", ffmpeg_name(pixels.base64.empty() ? frame.format : pixels.format)}};
    if (frame.metadata.is_object() && !frame.metadata.empty()) j["metadata"] = frame.metadata;
    if (!frame.traceparent.empty()) j["traceparent"] = frame.traceparent;
    if (!pixels.base64.empty()) j["data"] = pixels.base64;
    return j;
}

// The original capture's entry: frame_id, camera_id, timestamp and capture_timestamp (epoch
// seconds as text), resolution ("[w, h]"), format (FFmpeg's name), size_bytes (the raw
// picture's bytes), frame_buffer_key ("frame:<id>"), detection_type, traceparent, the
// metadata's keys (objects as JSON text), and framehost's `data` when pixels travel.
inline std::vector<std::pair<std::string, std::string>> capture_entry_fields(
    const Frame& frame, const WirePixels& pixels = {}) {
    auto seconds = wire_epoch_seconds(frame.timestamp_ms);
    PixelFormat format = pixels.base64.empty() ? frame.format : pixels.format;
    std::vector<std::pair<std::string, std::string>> fields = {
        {"frame_id", frame.id},
        {"camera_id", frame.camera_id},
        {"timestamp", seconds},
        {"resolution",
         "[" + std::to_string(frame.width) + ", " + std::to_string(frame.height) + "]"},
        {"format", ffmpeg_name(format)},
        {"size_bytes", std::to_string(packed_image_bytes(frame.format, frame.width, frame.height))},
        {"frame_buffer_key", "frame:" + frame.id},
        {"capture_timestamp", seconds},
        {"detection_type", "object_detection"},
    };
    if (!frame.traceparent.empty()) fields.emplace_back("traceparent", frame.traceparent);
    if (frame.metadata.is_object()) {
        for (auto it = frame.metadata.begin(); it != frame.metadata.end(); ++it) {
            bool taken = false;
            for (const auto& [key, value] : fields) taken = taken || key == it.key();
            if (taken || it.key() == "data") continue;
            fields.emplace_back(it.key(), it->is_string() ? it->get<std::string>() : it->dump());
        }
    }
    if (!pixels.base64.empty()) fields.emplace_back("data", pixels.base64);
    return fields;
}

}  // namespace framehost
