#pragma once
// Strict standard base64 (RFC 4648, padding optional), for frames that arrive as JSON: a
// plugin or the host must be able to tell a sender that its data is not base64 rather than
// decode garbage, which lenient decoders do.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace framehost {

namespace detail {
constexpr std::array<std::int8_t, 256> make_base64_table() {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t) v = -1;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
}
inline constexpr auto kBase64Table = make_base64_table();
}  // namespace detail

// nullopt when `text` holds anything but the base64 alphabet, misplaced padding, or a length
// no encoding produces. ASCII whitespace (line breaks of MIME encoders) is skipped.
inline std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text) {
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t accumulator = 0;
    int bits = 0;
    std::size_t symbols = 0;
    std::size_t padding = 0;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            ++padding;
            continue;
        }
        if (padding > 0) return std::nullopt;  // data after padding
        auto value = detail::kBase64Table[static_cast<unsigned char>(c)];
        if (value < 0) return std::nullopt;
        accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        ++symbols;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(accumulator >> bits));
            accumulator &= (1u << bits) - 1;
        }
    }
    if (symbols % 4 == 1) return std::nullopt;  // no encoding ends with one symbol
    if (padding > 2 || (padding > 0 && (symbols + padding) % 4 != 0)) return std::nullopt;
    if (accumulator != 0) return std::nullopt;  // leftover bits must be zero in canonical form
    return out;
}

}  // namespace framehost
