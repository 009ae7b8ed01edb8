#pragma once
// The Frame Buffer's JSON form of a frame, as capture services send it and the Frame Buffer
// and Redis streams carry it:
//   {"frame_id": "..", "camera_id": "..", "timestamp": 1234567890, "width": 640, "height": 480,
//    "format": "RGB", "metadata": {...}, "traceparent": "..", "data": "<base64 pixel bytes>"}
// Only frame_id is required. Sources that read this form share this reader, so a frame means
// the same whichever way it arrived.
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "framehost/base64.hpp"
#include "framehost/frame.hpp"

namespace framehost {

class WireFrameReader {
public:
    // synthesize_pixels: frames without data get a deterministic image of their size, shared by
    // every frame of that size (so it costs nothing per frame).
    explicit WireFrameReader(bool synthesize_pixels = true) : synthesize_(synthesize_pixels) {}

    // Never throws: a malformed frame comes back failed (frame.failed()) with the reason.
    Frame read(const nlohmann::json& item) {
        Frame f;
        auto reject = [&](const std::string& why) {
            f.fail("malformed frame: " + why);
            return f;
        };
        if (!item.is_object()) {
            f.id = "<not an object>";
            return reject("not a JSON object");
        }
        if (!item.contains("frame_id") || !item["frame_id"].is_string() ||
            item["frame_id"].get_ref<const std::string&>().empty()) {
            f.id = "<missing frame_id>";
            return reject("frame_id missing or not a string");
        }
        f.id = item["frame_id"].get<std::string>();
        if (item.contains("camera_id")) {
            if (!item["camera_id"].is_string()) return reject("camera_id is not a string");
            f.camera_id = item["camera_id"].get<std::string>();
        }
        if (item.contains("timestamp") && !item["timestamp"].is_null()) {
            if (!item["timestamp"].is_number()) return reject("timestamp is not a number");
            double t = item["timestamp"].get<double>();
            // Python clients send seconds (time.time()); anything this large is milliseconds.
            f.timestamp_ms = static_cast<std::int64_t>(t < 1e11 ? t * 1000 : t);
        }
        for (auto [key, field] : {std::pair{"width", &f.width}, std::pair{"height", &f.height}}) {
            if (!item.contains(key) || item[key].is_null()) continue;
            if (!item[key].is_number_integer()) return reject(std::string(key) + " is not an integer");
            auto v = item[key].get<std::int64_t>();
            if (v < 0 || v > 100000) return reject(std::string(key) + " " + std::to_string(v) + " is out of range");
            *field = static_cast<int>(v);
        }
        if (item.contains("format")) {
            if (!item["format"].is_string()) return reject("format is not a string");
            f.pixel_format = item["format"].get<std::string>();
        }
        if (item.contains("metadata") && !item["metadata"].is_null()) {
            if (!item["metadata"].is_object()) return reject("metadata is not an object");
            f.metadata = item["metadata"];
        }
        if (item.contains("traceparent") && item["traceparent"].is_string())
            f.traceparent = item["traceparent"].get<std::string>();
        int bpp = bytes_per_pixel(f.pixel_format);
        std::size_t expected = static_cast<std::size_t>(f.width) * static_cast<std::size_t>(f.height) *
                               static_cast<std::size_t>(bpp);
        if (item.contains("data") && !item["data"].is_null()) {
            if (!item["data"].is_string()) return reject("data is not a base64 string");
            auto bytes = decode_base64(item["data"].get_ref<const std::string&>());
            if (!bytes) return reject("data is not valid base64");
            if (bpp > 0 && f.width > 0 && f.height > 0 && bytes->size() != expected)
                return reject("data has " + std::to_string(bytes->size()) + " bytes, " + std::to_string(f.width) +
                              "x" + std::to_string(f.height) + " " + f.pixel_format + " needs " +
                              std::to_string(expected));
            f.pixels = make_pixels(std::move(*bytes));
        } else if (synthesize_ && bpp > 0 && f.width > 0 && f.height > 0) {
            f.pixels = synthetic_image(f.width, f.height, f.pixel_format, expected);
        }
        return f;
    }

private:
    PixelBuffer synthetic_image(int width, int height, const std::string& format, std::size_t size) {
        auto key = std::to_string(width) + "x" + std::to_string(height) + format;
        if (auto it = images_.find(key); it != images_.end()) return it->second;
        std::vector<std::uint8_t> bytes(size);
        for (std::size_t i = 0; i < size; ++i)
            bytes[i] = static_cast<std::uint8_t>((i * 31 + static_cast<std::size_t>(width) * 7 +
                                                  static_cast<std::size_t>(height)) & 0xff);
        auto image = make_pixels(std::move(bytes));
        if (images_.size() < 16) images_[key] = image;  // bounded: a few sizes in practice
        return image;
    }

    bool synthesize_;
    std::map<std::string, PixelBuffer> images_;
};

}  // namespace framehost
