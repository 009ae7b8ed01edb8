#pragma once
// The unit of work that travels source -> processors -> sinks.
//
// Ownership: the host owns every Frame. A plugin sees a Frame only during a call and must not
// keep a pointer or reference to it after the call returns; to keep pixels, copy the `pixels`
// shared pointer (it is immutable, so sharing is safe and free).
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace framehost {

// Immutable pixel bytes shared by every holder: passing a frame along the chain, or keeping its
// pixels, never copies them.
using PixelBuffer = std::shared_ptr<const std::vector<std::uint8_t>>;

inline PixelBuffer make_pixels(std::vector<std::uint8_t> bytes) {
    return std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
}

// Bytes per pixel of the formats the host knows; 0 for a format it does not know (the frame is
// then passed on without a size check).
inline int bytes_per_pixel(const std::string& pixel_format) {
    if (pixel_format == "RGB" || pixel_format == "BGR") return 3;
    if (pixel_format == "RGBA" || pixel_format == "BGRA") return 4;
    if (pixel_format == "GRAY" || pixel_format == "GRAY8") return 1;
    return 0;
}

struct Detection {
    std::string class_name;
    double confidence = 0.0;
    std::array<int, 4> bbox{};  // x1, y1, x2, y2 in pixels, inside the frame
};

// The JSON form every output of framehost uses for a detection:
// {"class": "car", "confidence": 0.91, "bbox": [x1, y1, x2, y2]}. With it, nlohmann::json(
// frame.detections) is the list as the HTTP API, jsonl_sink and redis_streams_sink write it.
inline void to_json(nlohmann::json& j, const Detection& d) {
    j = {{"class", d.class_name}, {"confidence", d.confidence}, {"bbox", {d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]}}};
}

struct Frame {
    // What the source says about the frame.
    std::string id;
    std::string camera_id;
    std::int64_t timestamp_ms = 0;  // capture time, milliseconds since the Unix epoch
    int width = 0;
    int height = 0;
    std::string pixel_format = "RGB";
    PixelBuffer pixels;       // may be null: metadata-only frames are valid
    nlohmann::json metadata;  // free-form; null when the source had none
    std::string traceparent;  // W3C trace context of the frame, empty when none

    // What processors add. Detections are typed because every consumer of framehost reads them;
    // anything else a processor wants to report goes under results[<its instance name>].
    std::vector<Detection> detections;
    nlohmann::json results;

    // Set by the host: when the frame entered the host (for end-to-end latency).
    std::chrono::steady_clock::time_point received_at{};

    std::span<const std::uint8_t> pixel_bytes() const {
        if (!pixels) return {};
        return {pixels->data(), pixels->size()};
    }

    // Marks the frame failed without throwing, for processors that handle batches; later
    // processors skip it and sinks see it with its error. Throwing from process() does the same.
    void fail(std::string reason) {
        if (error_.empty()) error_ = reason.empty() ? std::string("failed") : std::move(reason);
    }
    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }
    // Which plugin instance failed the frame; set by the host.
    const std::string& failed_in() const { return failed_in_; }
    void set_failed_in(std::string instance) { failed_in_ = std::move(instance); }

private:
    std::string error_;
    std::string failed_in_;
};

}  // namespace framehost
