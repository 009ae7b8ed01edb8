#pragma once
// Pixel formats a frame's image can have, and their names on the wire. framehost's names are
// RGB, BGR, RGBA, BGRA, GRAY, NV12 and I420; the capture services of the system framehost
// replaces write FFmpeg's (rgb24, bgr24, gray, yuv420p, ...). Both name the same layouts:
// readers of outside frames map them onto the enum once, at the edge.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace framehost {

enum class PixelFormat : std::uint8_t {
    Unknown = 0,  // a format framehost does not know: the image, if any, is passed on unread
    RGB24,        // packed, 3 bytes a pixel
    BGR24,        // packed, 3 bytes a pixel (OpenCV's and FFmpeg's bgr24)
    RGBA,         // packed, 4 bytes a pixel
    BGRA,         // packed, 4 bytes a pixel
    GRAY8,        // 1 byte a pixel
    NV12,         // Y plane, then one plane of interleaved U,V at half width and height
    I420,         // Y, U, V planes; U and V at half width and height (FFmpeg's yuv420p)
    Encoded,  // opaque bytes in plane 0 (JPEG or similar): width and height say what it decodes to
};

// framehost's wire name of a format: RGB, BGR, RGBA, BGRA, GRAY, NV12, I420, ENCODED, UNKNOWN.
inline const char* to_string(PixelFormat format) {
    switch (format) {
        case PixelFormat::RGB24:
            return "RGB";
        case PixelFormat::BGR24:
            return "BGR";
        case PixelFormat::RGBA:
            return "RGBA";
        case PixelFormat::BGRA:
            return "BGRA";
        case PixelFormat::GRAY8:
            return "GRAY";
        case PixelFormat::NV12:
            return "NV12";
        case PixelFormat::I420:
            return "I420";
        case PixelFormat::Encoded:
            return "ENCODED";
        case PixelFormat::Unknown:
            break;
    }
    return "UNKNOWN";
}

// FFmpeg's name of a format, as the original capture writes it: rgb24, bgr24, rgba, bgra, gray,
// nv12, yuv420p; "jpeg" for encoded bytes; "unknown" otherwise.
inline const char* ffmpeg_name(PixelFormat format) {
    switch (format) {
        case PixelFormat::RGB24:
            return "rgb24";
        case PixelFormat::BGR24:
            return "bgr24";
        case PixelFormat::RGBA:
            return "rgba";
        case PixelFormat::BGRA:
            return "bgra";
        case PixelFormat::GRAY8:
            return "gray";
        case PixelFormat::NV12:
            return "nv12";
        case PixelFormat::I420:
            return "yuv420p";
        case PixelFormat::Encoded:
            return "jpeg";
        case PixelFormat::Unknown:
            break;
    }
    return "unknown";
}

// The format a wire name means, in framehost's spelling or FFmpeg's (case-insensitive);
// Unknown for any other name.
inline PixelFormat parse_pixel_format(std::string_view name) {
    std::string lower;
    lower.reserve(name.size());
    for (char c : name) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    struct Alias {
        std::string_view alias;
        PixelFormat format;
    };
    static constexpr Alias kAliases[] = {
        {"rgb", PixelFormat::RGB24},    {"rgb24", PixelFormat::RGB24},
        {"bgr", PixelFormat::BGR24},    {"bgr24", PixelFormat::BGR24},
        {"rgba", PixelFormat::RGBA},    {"bgra", PixelFormat::BGRA},
        {"gray", PixelFormat::GRAY8},   {"gray8", PixelFormat::GRAY8},
        {"nv12", PixelFormat::NV12},    {"i420", PixelFormat::I420},
        {"yuv420p", PixelFormat::I420}, {"encoded", PixelFormat::Encoded},
        {"jpeg", PixelFormat::Encoded}, {"mjpeg", PixelFormat::Encoded},
    };
    for (const auto& a : kAliases)
        if (lower == a.alias) return a.format;
    return PixelFormat::Unknown;
}

// Planes the format has (0 for Unknown and for Encoded, whose single byte plane has no rows).
inline int plane_count(PixelFormat format) {
    switch (format) {
        case PixelFormat::NV12:
            return 2;
        case PixelFormat::I420:
            return 3;
        case PixelFormat::Unknown:
        case PixelFormat::Encoded:
            return 0;
        default:
            return 1;
    }
}

// Bytes of one row of `plane` holding `width` pixels, without padding; 0 when there is no such
// plane. Chroma planes of the 4:2:0 formats round odd sizes up, as FFmpeg allocates them.
inline std::size_t plane_row_bytes(PixelFormat format, int plane, int width) {
    if (width <= 0 || plane < 0 || plane >= plane_count(format)) return 0;
    auto w = static_cast<std::size_t>(width);
    switch (format) {
        case PixelFormat::RGB24:
        case PixelFormat::BGR24:
            return w * 3;
        case PixelFormat::RGBA:
        case PixelFormat::BGRA:
            return w * 4;
        case PixelFormat::GRAY8:
            return w;
        case PixelFormat::NV12:
            return plane == 0 ? w : 2 * ((w + 1) / 2);
        case PixelFormat::I420:
            return plane == 0 ? w : (w + 1) / 2;
        default:
            return 0;
    }
}

// Rows of `plane` in an image `height` pixels high.
inline int plane_rows(PixelFormat format, int plane, int height) {
    if (height <= 0 || plane < 0 || plane >= plane_count(format)) return 0;
    bool chroma = plane > 0 && (format == PixelFormat::NV12 || format == PixelFormat::I420);
    return chroma ? (height + 1) / 2 : height;
}

// Bytes of a packed image (rows without padding) of this format and size; 0 for Unknown,
// Encoded or a non-positive size.
inline std::size_t packed_image_bytes(PixelFormat format, int width, int height) {
    std::size_t total = 0;
    for (int p = 0; p < plane_count(format); ++p)
        total += plane_row_bytes(format, p, width) *
                 static_cast<std::size_t>(plane_rows(format, p, height));
    return total;
}

// Bytes a pixel of a packed single-plane format takes (3 for RGB24, 1 for GRAY8); 0 otherwise.
inline int bytes_per_pixel(PixelFormat format) {
    return format == PixelFormat::NV12 || format == PixelFormat::I420
               ? 0
               : static_cast<int>(plane_row_bytes(format, 0, 1));
}

}  // namespace framehost
