#pragma once
// The pixels of a frame: a format, a size, up to four planes each with its own stride (bytes
// from one row to the next, padding allowed), and an owner that keeps the memory alive. The
// memory may be the host's, a decoder's (an FFmpeg AVFrame), a pool's or a mapped file's:
// wrap_image() takes it as it is, so a camera's frame crosses the whole chain without a copy.
//
// An Image is a cheap value (a shared owner and a few numbers); copies share the pixels.
// Pixels a frame carries are shared by every holder and must never be written through its
// image. make_image() gives fresh memory its caller may fill before handing the image on.
//
// Read rows through the strides: `image.row(p, y)` is row y of plane p; `image.row_bytes(p)`
// the bytes of pixels in it. Never assume stride == row_bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "framehost/pixel_format.hpp"

namespace framehost {

struct ImagePlane {
    std::uint8_t* data = nullptr;
    std::size_t stride = 0;  // bytes from the start of one row to the next, >= the row's bytes
    std::size_t size =
        0;  // bytes of the plane that may be read: stride * (rows - 1) + row bytes, or more
};

struct Image {
    PixelFormat format = PixelFormat::Unknown;
    int width = 0;
    int height = 0;
    std::array<ImagePlane, 4> planes{};
    std::shared_ptr<const void> owner;  // keeps the memory of every plane alive

    bool empty() const { return planes[0].data == nullptr; }
    explicit operator bool() const { return !empty(); }
    int plane_count() const { return framehost::plane_count(format); }
    // Row y of plane p.
    const std::uint8_t* row(int plane, int y) const {
        return planes[static_cast<std::size_t>(plane)].data +
               static_cast<std::size_t>(y) * planes[static_cast<std::size_t>(plane)].stride;
    }
    std::size_t row_bytes(int plane) const { return plane_row_bytes(format, plane, width); }
    int rows(int plane) const { return plane_rows(format, plane, height); }
    std::size_t stride(int plane) const { return planes[static_cast<std::size_t>(plane)].stride; }
    // Bytes the image holds in all planes: what the host's memory budget charges for it.
    std::size_t byte_size() const {
        std::size_t total = 0;
        for (const auto& p : planes) total += p.size;
        return total;
    }
    // True when every plane's rows follow each other without padding.
    bool packed() const {
        for (int p = 0; p < plane_count(); ++p)
            if (stride(p) != row_bytes(p)) return false;
        return true;
    }
    // The opaque bytes of an Encoded image (plane 0).
    std::span<const std::uint8_t> encoded_bytes() const { return {planes[0].data, planes[0].size}; }
};

// What is wrong with an image's planes for its format and size (a stride shorter than a row,
// a plane too small, a missing plane); empty when it can be read safely.
inline std::string image_problem(const Image& image) {
    if (image.empty()) return {};
    if (image.format == PixelFormat::Encoded || image.format == PixelFormat::Unknown) return {};
    if (image.width <= 0 || image.height <= 0)
        return "an image of " + std::to_string(image.width) + "x" + std::to_string(image.height);
    for (int p = 0; p < image.plane_count(); ++p) {
        const auto& plane = image.planes[static_cast<std::size_t>(p)];
        auto row = image.row_bytes(p);
        auto needed = plane.stride * static_cast<std::size_t>(image.rows(p) - 1) + row;
        if (plane.data && plane.stride >= row && plane.size >= needed) continue;
        // Described only when wrong: the host checks every frame's image.
        std::string which = "plane " + std::to_string(p) + " of a " + std::to_string(image.width) +
                            "x" + std::to_string(image.height) + " " + to_string(image.format) +
                            " image";
        if (!plane.data) return which + " is missing";
        if (plane.stride < row)
            return which + " has a stride of " + std::to_string(plane.stride) +
                   " bytes, under its " + std::to_string(row) + "-byte rows";
        return which + " has " + std::to_string(plane.size) + " bytes, its rows need " +
               std::to_string(needed);
    }
    return {};
}

// A new image with every row of every plane starting at a multiple of `row_alignment` bytes
// (64 by default: cache lines and SIMD loads), contents unspecified. The caller may write it
// before handing it on.
inline Image make_image(PixelFormat format, int width, int height, std::size_t row_alignment = 64) {
    Image image;
    image.format = format;
    image.width = width;
    image.height = height;
    if (row_alignment == 0 || (row_alignment & (row_alignment - 1)) != 0) row_alignment = 64;
    std::array<std::size_t, 4> offsets{};
    std::size_t total = 0;
    for (int p = 0; p < plane_count(format); ++p) {
        auto stride =
            (plane_row_bytes(format, p, width) + row_alignment - 1) / row_alignment * row_alignment;
        offsets[static_cast<std::size_t>(p)] = total;
        image.planes[static_cast<std::size_t>(p)].stride = stride;
        image.planes[static_cast<std::size_t>(p)].size =
            stride * static_cast<std::size_t>(plane_rows(format, p, height));
        total += image.planes[static_cast<std::size_t>(p)].size;
    }
    if (total == 0) return Image{};
    auto alignment = std::align_val_t(row_alignment);
    auto* memory = static_cast<std::uint8_t*>(::operator new[](total, alignment));
    image.owner = std::shared_ptr<std::uint8_t>(
        memory, [alignment](std::uint8_t* m) { ::operator delete[](m, alignment); });
    for (int p = 0; p < plane_count(format); ++p)
        image.planes[static_cast<std::size_t>(p)].data =
            memory + offsets[static_cast<std::size_t>(p)];
    return image;
}

// Memory someone else owns, as it is: no copy. `owner` must keep every plane alive for as long
// as any copy of the image exists (a shared_ptr whose deleter frees the AVFrame, unmaps, or
// returns the buffer to its pool). Check it with image_problem() when the planes come from
// outside.
inline Image wrap_image(PixelFormat format, int width, int height,
                        const std::array<ImagePlane, 4>& planes,
                        std::shared_ptr<const void> owner) {
    Image image;
    image.format = format;
    image.width = width;
    image.height = height;
    image.planes = planes;
    image.owner = std::move(owner);
    return image;
}

// Packed bytes (rows without padding, planes one after the other) taken over without a copy.
// `bytes` must hold packed_image_bytes(format, width, height) bytes; for Encoded, any number.
inline Image image_from_bytes(PixelFormat format, int width, int height,
                              std::vector<std::uint8_t> bytes) {
    auto shared = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
    std::array<ImagePlane, 4> planes{};
    if (format == PixelFormat::Encoded || format == PixelFormat::Unknown) {
        planes[0] = {shared->data(), shared->size(), shared->size()};
    } else {
        std::size_t offset = 0;
        for (int p = 0; p < plane_count(format); ++p) {
            auto row = plane_row_bytes(format, p, width);
            auto size = row * static_cast<std::size_t>(plane_rows(format, p, height));
            planes[static_cast<std::size_t>(p)] = {
                shared->data() + offset, row,
                std::min(size, shared->size() - std::min(offset, shared->size()))};
            offset += size;
        }
    }
    return wrap_image(format, width, height, planes,
                      std::shared_ptr<const void>(shared, shared->data()));
}

// The image's pixels as packed bytes (what the wire formats carry), copying row by row.
inline std::vector<std::uint8_t> packed_bytes(const Image& image) {
    if (image.format == PixelFormat::Encoded || image.format == PixelFormat::Unknown) {
        auto bytes = image.encoded_bytes();
        return {bytes.begin(), bytes.end()};
    }
    std::vector<std::uint8_t> out;
    out.reserve(packed_image_bytes(image.format, image.width, image.height));
    for (int p = 0; p < image.plane_count(); ++p)
        for (int y = 0; y < image.rows(p); ++y)
            out.insert(out.end(), image.row(p, y), image.row(p, y) + image.row_bytes(p));
    return out;
}

}  // namespace framehost
