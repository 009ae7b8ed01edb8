#pragma once
// The unit of work that travels source -> processors -> sinks.
//
// Ownership: the host owns every Frame. A plugin sees a Frame only during a call and must not
// keep a pointer or reference to it after the call returns; to keep its pixels, copy its
// `image` (a shared, immutable view: copying it is free and keeps the memory alive).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "framehost/image.hpp"

namespace framehost {

struct Detection {
    Detection() = default;
    Detection(std::string class_name_, double confidence_, std::array<int, 4> bbox_,
              std::uint64_t track_id_ = 0)
        : class_name(std::move(class_name_)),
          confidence(confidence_),
          bbox(bbox_),
          track_id(track_id_) {}

    std::string class_name;
    double confidence = 0.0;
    std::array<int, 4> bbox{};  // x1, y1, x2, y2 in pixels, inside the frame
    // The object's track among its camera's frames, from 1 (object_tracker sets it); 0 when
    // the detection is not tracked.
    std::uint64_t track_id = 0;
    // Landmarks of the object in frame pixels, in the model's order (a face detector's eyes,
    // nose, mouth, ears); empty when the detector gives none.
    std::vector<std::array<float, 2>> keypoints;
    // The zones the object is in (the zones processor names them); empty when none.
    std::vector<std::string> zones;
};

// The JSON form every output of framehost uses for a detection:
// {"class": "car", "confidence": 0.91, "bbox": [x1, y1, x2, y2]}, and "track_id" when tracked,
// "keypoints": [[x, y], ...] and "zones": [...] when it has them.
// With it, nlohmann::json(frame.detections) is the list as the HTTP API, jsonl_sink and
// redis_streams_sink write it.
inline void to_json(nlohmann::json& j, const Detection& d) {
    j = {{"class", d.class_name},
         {"confidence", d.confidence},
         {"bbox", {d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]}}};
    if (d.track_id != 0) j["track_id"] = d.track_id;
    if (!d.keypoints.empty()) j["keypoints"] = d.keypoints;
    if (!d.zones.empty()) j["zones"] = d.zones;
}

struct Frame {
    // What the source says about the frame. width, height and format describe it even when it
    // carries no pixels (metadata-only frames are valid); with an image they are the image's.
    std::string id;
    std::string camera_id;
    std::int64_t timestamp_ms = 0;  // capture time, milliseconds since the Unix epoch
    int width = 0;
    int height = 0;
    PixelFormat format = PixelFormat::RGB24;
    Image image;              // may be empty
    nlohmann::json metadata;  // free-form; null when the source had none
    std::string traceparent;  // W3C trace context of the frame, empty when none
    // [source] Which upstream delivery this frame is, for the source's own use: the host hands
    // it back untouched in Source::finished(). Frame ids may repeat; this need not.
    std::uint64_t delivery = 0;

    // What processors add. Detections are typed because every consumer of framehost reads them;
    // anything else a processor wants to report goes under results[<its instance name>].
    std::vector<Detection> detections;
    nlohmann::json results;

    // The image and the size and format it gives the frame.
    void set_image(Image pixels) {
        width = pixels.width;
        height = pixels.height;
        format = pixels.format;
        image = std::move(pixels);
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

    // Drops the frame on purpose ("no motion"): later processors and the sinks never see it; it
    // is counted filtered, and the source settles it as done. Ignored on a failed frame.
    void filter(std::string reason = "filtered") {
        if (!failed() && filter_reason_.empty())
            filter_reason_ = reason.empty() ? std::string("filtered") : std::move(reason);
    }
    bool filtered() const { return !filter_reason_.empty(); }
    const std::string& filter_reason() const { return filter_reason_; }

  private:
    std::string error_;
    std::string failed_in_;
    std::string filter_reason_;
};

}  // namespace framehost
