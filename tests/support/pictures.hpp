#pragma once
// Picture files (PNG, JPEG) as RGB pixels, decoded by the ffmpeg CLI: the same decoder for the
// tests' inputs and the host's outputs, and no cv::imread, which brings GDAL (whose own mutexes
// ThreadSanitizer reports as a lock-order inversion).
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "tests/support/process.hpp"

namespace framehost::test {

struct RgbPicture {
    int width = 0, height = 0;
    std::string pixels;  // rows of width x 3 bytes, R, G, B
    const unsigned char* at(int x, int y) const {
        return reinterpret_cast<const unsigned char*>(pixels.data()) +
               (static_cast<std::size_t>(y) * width + x) * 3;
    }
};

inline RgbPicture decoded_picture(const std::filesystem::path& path) {
    auto r = run_program("/usr/bin/ffmpeg", {"-v", "error", "-i", path.string(), "-f", "image2pipe",
                                             "-vcodec", "ppm", "-"});
    RgbPicture picture;
    int consumed = 0;
    if (r.exit_code != 0 ||
        std::sscanf(r.out.c_str(), "P6 %d %d 255%n", &picture.width, &picture.height, &consumed) !=
            2 ||
        picture.width <= 0 || picture.height <= 0 ||
        r.out.size() != static_cast<std::size_t>(consumed) + 1 +
                            static_cast<std::size_t>(picture.width) * picture.height * 3)
        throw std::runtime_error("cannot decode " + path.string() + ": " + r.err);
    picture.pixels = r.out.substr(static_cast<std::size_t>(consumed) + 1);
    return picture;
}

}  // namespace framehost::test
