#pragma once
// How a sink sends a frame's pixels: not at all, as packed raw bytes (exact: a consumer gets
// the very pixels), or as JPEG (a tenth of the bytes, lossy). Base64 either way, as the Frame
// Buffer's `data` field carries them.
#include <string>
#include <string_view>
#include <vector>

#include <framehost/param_table.hpp>
#include <framehost/wire_frame_writer.hpp>

namespace framehost::wire_pixels {

enum class Payload { None, Raw, Jpeg };

// The parameters every sink that sends pixels declares (ParamTable::include).
struct Settings {
    std::string pixels = "none";
    int jpeg_quality = 85;
    Payload payload() const;
};
// A sink's table, with its own default for `pixels`.
ParamTable<Settings> params(std::string_view default_payload);

// Throws std::runtime_error when JPEG cannot encode the image's format.
WirePixels encode(const Image& image, Payload payload, int jpeg_quality);
// The image as JPEG bytes (RGB, BGR, RGBA, BGRA, GRAY, NV12, I420); throws as above.
std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality);

}  // namespace framehost::wire_pixels
