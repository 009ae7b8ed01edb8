#pragma once
// The Frame Buffer's JSON form of a frame, as capture services send it and the Frame Buffer
// and Redis streams carry it:
//   {"frame_id": "..", "camera_id": "..", "timestamp": 1234567890, "width": 640, "height": 480,
//    "format": "RGB", "metadata": {...}, "traceparent": "..", "data": "<base64 pixel bytes>"}
// and its flat, every-field-a-string form, as the original capture XADDs it to Redis and the
// original Frame Buffer serves it:
//   {"frame_id": "..", "timestamp": "2025-07-27T12:00:00.123456", "resolution": "[1920, 1080]",
//    "format": "bgr24", "size_bytes": "0", "capture_timestamp": "1733040000.123", ...}
// Only frame_id is required. Sources that read either form share this reader, so a frame means
// the same whichever way it arrived. Fields it does not map onto the Frame are kept unchanged in
// frame.metadata (beside the keys of a `metadata` object, which win on a clash).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "framehost/base64.hpp"
#include "framehost/frame.hpp"
#include "framehost/json_limits.hpp"
#include "framehost/wire_time.hpp"

namespace framehost {

class WireFrameReader {
  public:
    // Largest width or height a wire frame may declare.
    static constexpr std::int64_t kMaxSide = 100000;
    // Largest synthetic image made for frames without data, and the most all of them hold.
    static constexpr std::size_t kMaxSynthesizedBytes = 64u << 20;

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
        auto field = [&](const char* key) -> const nlohmann::json* {
            auto it = item.find(key);
            return it == item.end() || it->is_null() ? nullptr : &*it;
        };
        const auto* id = field("frame_id");
        if (!id || !id->is_string() || id->get_ref<const std::string&>().empty()) {
            f.id = "<missing frame_id>";
            return reject("frame_id missing or not a string");
        }
        f.id = id->get<std::string>();
        if (const auto* camera = field("camera_id")) {
            if (!camera->is_string()) return reject("camera_id is not a string");
            f.camera_id = camera->get<std::string>();
        }
        if (const auto* t = field("timestamp")) {
            std::optional<std::int64_t> ms;
            if (t->is_number())
                ms = epoch_number_to_ms(t->get<double>());
            else if (t->is_string())
                ms = wire_text_time_ms(t->get_ref<const std::string&>());
            else
                return reject("timestamp is not a number or a string");
            if (!ms)
                return reject(
                    "timestamp " + t->dump().substr(0, 64) +
                    " is neither epoch seconds, epoch milliseconds nor an ISO-8601 datetime");
            f.timestamp_ms = *ms;
        }
        if (const auto* resolution = field("resolution")) {
            auto size = read_resolution(*resolution);
            if (!size)
                return reject("resolution " + resolution->dump().substr(0, 64) +
                              " is not [width, height]");
            f.width = size->first;
            f.height = size->second;
        }
        for (auto [key, out] : {std::pair{"width", &f.width}, std::pair{"height", &f.height}}) {
            const auto* v = field(key);
            if (!v) continue;
            auto n = read_side(*v);
            if (!n)
                return reject(std::string(key) + " " + v->dump().substr(0, 64) +
                              " is not an integer from 0 to " + std::to_string(kMaxSide));
            *out = *n;
        }
        std::string unknown_format;
        if (const auto* format = field("format")) {
            if (!format->is_string()) return reject("format is not a string");
            f.format = parse_pixel_format(format->get_ref<const std::string&>());
            if (f.format == PixelFormat::Unknown) unknown_format = format->get<std::string>();
        }
        if (const auto* metadata = field("metadata")) {
            if (metadata->is_object()) {
                f.metadata = *metadata;
            } else if (auto parsed = metadata->is_string()
                                         ? parse_object(metadata->get_ref<const std::string&>())
                                         : std::nullopt) {
                f.metadata = std::move(*parsed);  // the flat form carries objects as JSON text
            } else {
                return reject("metadata is not an object");
            }
        }
        if (const auto* traceparent = field("traceparent"); traceparent && traceparent->is_string())
            f.traceparent = traceparent->get<std::string>();
        // Frame Buffer v2's entries carry the trace as `trace_context`: the W3C carrier, an
        // object (or its JSON text) with "traceparent". Kept in metadata too, as it came.
        if (const auto* context = field("trace_context"); context && f.traceparent.empty()) {
            auto carrier = context->is_string()
                               ? parse_object(context->get_ref<const std::string&>())
                               : std::optional<nlohmann::json>(*context);
            if (carrier && carrier->is_object()) {
                auto it = carrier->find("traceparent");
                if (it != carrier->end() && it->is_string()) f.traceparent = it->get<std::string>();
            }
        }
        for (auto it = item.begin(); it != item.end(); ++it) {
            if (is_mapped(it.key())) continue;
            if (!f.metadata.is_object()) f.metadata = nlohmann::json::object();
            if (!f.metadata.contains(it.key())) f.metadata[it.key()] = it.value();
        }
        // A format framehost does not know stays readable under its own name.
        if (!unknown_format.empty()) {
            if (!f.metadata.is_object()) f.metadata = nlohmann::json::object();
            f.metadata["format"] = unknown_format;
        }
        std::size_t expected = packed_image_bytes(f.format, f.width, f.height);
        if (const auto* data = field("data")) {
            if (!data->is_string()) return reject("data is not a base64 string");
            auto bytes = decode_base64(data->get_ref<const std::string&>());
            if (!bytes) return reject("data is not valid base64");
            if (expected > 0 && bytes->size() != expected)
                return reject("data has " + std::to_string(bytes->size()) + " bytes, " +
                              std::to_string(f.width) + "x" + std::to_string(f.height) + " " +
                              to_string(f.format) + " needs " + std::to_string(expected));
            // Bytes whose layout the frame does not say (no size, or an unknown format) travel as
            // they are, opaque.
            bool layout_known = expected > 0 || f.format == PixelFormat::Encoded;
            f.image = image_from_bytes(layout_known ? f.format : PixelFormat::Unknown, f.width,
                                       f.height, std::move(*bytes));
        } else if (synthesize_ && expected > 0 && expected <= kMaxSynthesizedBytes) {
            f.image = synthetic_image(f.width, f.height, f.format);
        }
        return f;
    }

  private:
    static bool is_mapped(const std::string& key) {
        static constexpr const char* kMapped[] = {"frame_id", "camera_id",   "timestamp",
                                                  "width",    "height",      "format",
                                                  "metadata", "traceparent", "data"};
        for (const char* m : kMapped)
            if (key == m) return true;
        return false;
    }

    // A width or height: a JSON integer, an integral float, or the same as text ("640").
    static std::optional<int> read_side(const nlohmann::json& v) {
        double value;
        if (v.is_number_integer() || v.is_number_unsigned()) {
            if (v.is_number_unsigned() &&
                v.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxSide))
                return std::nullopt;
            value = static_cast<double>(v.get<std::int64_t>());
        } else if (v.is_number_float()) {
            value = v.get<double>();
        } else if (v.is_string()) {
            const auto& text = v.get_ref<const std::string&>();
            if (text.empty() || text.size() > 12) return std::nullopt;
            char* end = nullptr;
            value = std::strtod(text.c_str(), &end);
            if (end != text.c_str() + text.size()) return std::nullopt;
        } else {
            return std::nullopt;
        }
        if (!(value >= 0 && value <= static_cast<double>(kMaxSide)) ||
            value != static_cast<double>(static_cast<int>(value)))
            return std::nullopt;
        return static_cast<int>(value);
    }

    // [w, h] as a JSON array or as its text ("[1920, 1080]", as Python's str() of a list).
    static std::optional<std::pair<int, int>> read_resolution(const nlohmann::json& v) {
        nlohmann::json list = v;
        if (v.is_string()) {
            if (json_nesting(v.get_ref<const std::string&>(), 2) > 2) return std::nullopt;
            list = nlohmann::json::parse(v.get_ref<const std::string&>(), nullptr, false);
            if (list.is_discarded()) return std::nullopt;
        }
        if (!list.is_array() || list.size() != 2) return std::nullopt;
        auto w = read_side(list[0]), h = read_side(list[1]);
        if (!w || !h) return std::nullopt;
        return std::pair{*w, *h};
    }

    static std::optional<nlohmann::json> parse_object(const std::string& text) {
        if (!json_nesting_problem(text).empty()) return std::nullopt;
        auto parsed = nlohmann::json::parse(text, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
        return parsed;
    }

    // One image per size and format, shared by every frame of it, so it costs nothing per frame;
    // at most kMaxSynthesizedBytes in all. A frame without data declaring a larger size is given
    // no pixels: it stays metadata-only.
    Image synthetic_image(int width, int height, PixelFormat format) {
        auto key = std::to_string(width) + "x" + std::to_string(height) + to_string(format);
        if (auto it = images_.find(key); it != images_.end()) return it->second;
        Image image = make_image(format, width, height);
        for (int p = 0; p < image.plane_count(); ++p) {
            for (int y = 0; y < image.rows(p); ++y) {
                auto* row = image.planes[static_cast<std::size_t>(p)].data +
                            static_cast<std::size_t>(y) * image.stride(p);
                std::size_t at = static_cast<std::size_t>(y) * image.row_bytes(p);
                for (std::size_t x = 0; x < image.row_bytes(p); ++x)
                    row[x] = static_cast<std::uint8_t>(((at + x) * 31 +
                                                        static_cast<std::size_t>(width) * 7 +
                                                        static_cast<std::size_t>(height)) &
                                                       0xff);
            }
        }
        while (!images_.empty() && cached_bytes_ + image.byte_size() > kMaxSynthesizedBytes) {
            cached_bytes_ -= images_.begin()->second.byte_size();
            images_.erase(images_.begin());
        }
        cached_bytes_ += image.byte_size();
        images_[key] = image;
        return image;
    }

    bool synthesize_;
    std::map<std::string, Image> images_;
    std::size_t cached_bytes_ = 0;
};

}  // namespace framehost
