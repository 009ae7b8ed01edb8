#include "wire_pixels.hpp"

#include <memory>
#include <mutex>
#include <stdexcept>

#include <turbojpeg.h>
#include <framehost/base64.hpp>

namespace framehost::wire_pixels {

namespace {
struct HandleDeleter {
    void operator()(void* handle) const { tjDestroy(handle); }
};
using Compressor = std::unique_ptr<void, HandleDeleter>;

// Compressors lent to one caller at a time: sinks are called from several workers at once. A
// pool, not a thread_local: a thread_local in a dlopen()ed plugin is dynamic TLS, whose first
// use on a thread makes GCC 12's ThreadSanitizer fail to map shadow memory now and then.
class CompressorPool {
  public:
    Compressor take() {
        {
            std::lock_guard lock(mutex_);
            if (!idle_.empty()) {
                Compressor c = std::move(idle_.back());
                idle_.pop_back();
                return c;
            }
        }
        Compressor c(tjInitCompress());
        if (!c) throw std::runtime_error("TurboJPEG: cannot create a compressor");
        return c;
    }
    void give_back(Compressor c) {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(c));
    }

  private:
    std::mutex mutex_;
    std::vector<Compressor> idle_;
};

CompressorPool& compressors() {
    static CompressorPool pool;
    return pool;
}

// A compressor for one call, back to the pool when the call ends.
class BorrowedCompressor {
  public:
    BorrowedCompressor() : handle_(compressors().take()) {}
    ~BorrowedCompressor() { compressors().give_back(std::move(handle_)); }
    BorrowedCompressor(const BorrowedCompressor&) = delete;
    BorrowedCompressor& operator=(const BorrowedCompressor&) = delete;
    tjhandle get() const { return handle_.get(); }

  private:
    Compressor handle_;
};

}  // namespace

std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality) {
    BorrowedCompressor borrowed;
    tjhandle tj = borrowed.get();
    unsigned char* jpeg = nullptr;
    unsigned long size = 0;
    int rc = -1;
    int flags = TJFLAG_FASTDCT;
    auto pixel_format = [&]() -> int {
        switch (image.format) {
            case PixelFormat::RGB24:
                return TJPF_RGB;
            case PixelFormat::BGR24:
                return TJPF_BGR;
            case PixelFormat::RGBA:
                return TJPF_RGBA;
            case PixelFormat::BGRA:
                return TJPF_BGRA;
            case PixelFormat::GRAY8:
                return TJPF_GRAY;
            default:
                return -1;
        }
    }();
    std::vector<std::uint8_t> chroma;  // NV12's interleaved U,V split into I420's two planes
    if (pixel_format >= 0) {
        rc = tjCompress2(tj, image.planes[0].data, image.width, static_cast<int>(image.stride(0)),
                         image.height, pixel_format, &jpeg, &size,
                         pixel_format == TJPF_GRAY ? TJSAMP_GRAY : TJSAMP_420, quality, flags);
    } else if (image.format == PixelFormat::I420 || image.format == PixelFormat::NV12) {
        const unsigned char* planes[3] = {image.planes[0].data, image.planes[1].data,
                                          image.planes[2].data};
        int strides[3] = {static_cast<int>(image.stride(0)), static_cast<int>(image.stride(1)),
                          static_cast<int>(image.stride(2))};
        if (image.format == PixelFormat::NV12) {
            auto cw = static_cast<std::size_t>((image.width + 1) / 2);
            auto ch = static_cast<std::size_t>((image.height + 1) / 2);
            chroma.resize(cw * ch * 2);
            for (std::size_t y = 0; y < ch; ++y) {
                const auto* uv = image.row(1, static_cast<int>(y));
                for (std::size_t x = 0; x < cw; ++x) {
                    chroma[y * cw + x] = uv[2 * x];
                    chroma[cw * ch + y * cw + x] = uv[2 * x + 1];
                }
            }
            planes[1] = chroma.data();
            planes[2] = chroma.data() + cw * ch;
            strides[1] = strides[2] = static_cast<int>(cw);
        }
        rc = tjCompressFromYUVPlanes(tj, planes, image.width, strides, image.height, TJSAMP_420,
                                     &jpeg, &size, quality, flags);
    } else {
        throw std::runtime_error(std::string("JPEG cannot encode ") + to_string(image.format) +
                                 " pixels");
    }
    std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(jpeg, tjFree);
    if (rc != 0) throw std::runtime_error(std::string("TurboJPEG: ") + tjGetErrorStr2(tj));
    return {jpeg, jpeg + size};
}

ParamTable<Settings> params(std::string_view default_payload) {
    return {
        param::bind(&Settings::pixels, "pixels",
                    "How pixels travel: none (metadata only), raw (the exact bytes, base64) or "
                    "jpeg (base64 JPEG, about a tenth of the size, lossy)")
            .one_of({"none", "raw", "jpeg"})
            .defaults_to(std::string(default_payload)),
        param::bind(&Settings::jpeg_quality, "jpeg_quality", "JPEG quality, 1..100").range(1, 100),
    };
}

Payload Settings::payload() const {
    return pixels == "raw" ? Payload::Raw : pixels == "jpeg" ? Payload::Jpeg : Payload::None;
}

WirePixels encode(const Image& image, Payload payload, int jpeg_quality) {
    if (payload == Payload::None || image.empty()) return {};
    if (image.format == PixelFormat::Encoded || payload == Payload::Raw ||
        image.format == PixelFormat::Unknown) {
        auto bytes = packed_bytes(image);
        return {image.format, encode_base64(bytes)};
    }
    return {PixelFormat::Encoded, encode_base64(encode_jpeg(image, jpeg_quality))};
}

}  // namespace framehost::wire_pixels
