#pragma once
// Pixel format names as frames carry them. framehost's own names are RGB, BGR, RGBA, BGRA, GRAY,
// NV12 and I420; the capture services of the system framehost replaces write FFmpeg's names
// (bgr24, rgb24, gray, yuv420p, ...). Both name the same layouts, so readers of outside frames
// map them onto framehost's names once, at the edge, and everything after compares one spelling.
#include <cstddef>
#include <string>
#include <string_view>

namespace framehost {

// framehost's name for a format given in either spelling (case-insensitive); an empty string
// when the name is neither framehost's nor an FFmpeg name of a layout framehost knows.
inline std::string canonical_pixel_format(std::string_view name) {
    std::string lower;
    lower.reserve(name.size());
    for (char c : name) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    struct Alias {
        std::string_view alias;
        const char* canonical;
    };
    static constexpr Alias kAliases[] = {
        {"rgb", "RGB"},   {"rgb24", "RGB"}, {"bgr", "BGR"},      {"bgr24", "BGR"},
        {"rgba", "RGBA"}, {"bgra", "BGRA"}, {"gray", "GRAY"},    {"gray8", "GRAY"},
        {"nv12", "NV12"}, {"i420", "I420"}, {"yuv420p", "I420"},
    };
    for (const auto& a : kAliases)
        if (lower == a.alias) return a.canonical;
    return {};
}

// Bytes of a packed image of this format and size: rows without padding, chroma planes of the
// 4:2:0 formats rounded up for odd sizes as FFmpeg allocates them. 0 for a format framehost
// does not know (the frame then passes without a size check) or a non-positive size.
inline std::size_t packed_image_bytes(const std::string& format, int width, int height) {
    if (width <= 0 || height <= 0) return 0;
    auto w = static_cast<std::size_t>(width), h = static_cast<std::size_t>(height);
    if (format == "RGB" || format == "BGR") return w * h * 3;
    if (format == "RGBA" || format == "BGRA") return w * h * 4;
    if (format == "GRAY" || format == "GRAY8") return w * h;
    if (format == "NV12" || format == "I420") return w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2);
    return 0;
}

}  // namespace framehost
