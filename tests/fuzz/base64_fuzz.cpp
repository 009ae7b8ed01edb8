// Text that claims to be base64: decoding is strict, and what it accepts encodes back to bytes
// that decode to the same thing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "framehost/base64.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto decoded = framehost::decode_base64(text);
    if (!decoded) return 0;
    auto encoded = framehost::encode_base64(*decoded);
    auto again = framehost::decode_base64(encoded);
    if (!again || *again != *decoded) std::abort();
    // And every byte string round-trips.
    auto raw = std::span<const std::uint8_t>(data, size);
    auto back = framehost::decode_base64(framehost::encode_base64(raw));
    if (!back || !std::equal(back->begin(), back->end(), raw.begin(), raw.end())) std::abort();
    return 0;
}
