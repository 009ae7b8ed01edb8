#pragma once
// Strict standard base64 (RFC 4648, padding optional), for frames that arrive as JSON: a
// plugin or the host must be able to tell a sender that its data is not base64 rather than
// decode garbage, which lenient decoders do.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace framehost {

namespace detail {
constexpr std::array<std::int8_t, 256> make_base64_table() {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t) v = -1;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
        t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
}
inline constexpr auto kBase64Table = make_base64_table();
}  // namespace detail

// nullopt when `text` holds anything but the base64 alphabet, misplaced padding, or a length
// no encoding produces. ASCII whitespace (line breaks of MIME encoders) is skipped.
inline std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text) {
    std::vector<std::uint8_t> out(text.size() / 4 * 3);
    std::size_t written = 0;
    std::size_t at = 0;
    // The common case, four clean symbols at a time; anything else (whitespace, padding, an
    // invalid byte) leaves this loop for the careful one below.
    const auto& table = detail::kBase64Table;
    while (at + 4 <= text.size()) {
        auto a = table[static_cast<unsigned char>(text[at])],
             b = table[static_cast<unsigned char>(text[at + 1])],
             c = table[static_cast<unsigned char>(text[at + 2])],
             d = table[static_cast<unsigned char>(text[at + 3])];
        if ((a | b | c | d) < 0) break;
        auto v = static_cast<std::uint32_t>(a) << 18 | static_cast<std::uint32_t>(b) << 12 |
                 static_cast<std::uint32_t>(c) << 6 | static_cast<std::uint32_t>(d);
        out[written] = static_cast<std::uint8_t>(v >> 16);
        out[written + 1] = static_cast<std::uint8_t>(v >> 8);
        out[written + 2] = static_cast<std::uint8_t>(v);
        written += 3;
        at += 4;
    }
    out.resize(written);
    text.remove_prefix(at);
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

// Standard base64 with padding, e.g. for a frame's "data" field.
inline std::string encode_base64(std::span<const std::uint8_t> bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        std::uint32_t v = static_cast<std::uint32_t>(bytes[i]) << 16 |
                          static_cast<std::uint32_t>(bytes[i + 1]) << 8 | bytes[i + 2];
        out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
                kAlphabet[v & 63]};
    }
    if (std::size_t left = bytes.size() - i; left > 0) {
        std::uint32_t v = static_cast<std::uint32_t>(bytes[i]) << 16 |
                          (left == 2 ? static_cast<std::uint32_t>(bytes[i + 1]) << 8 : 0);
        out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63],
                left == 2 ? kAlphabet[(v >> 6) & 63] : '=', '='};
    }
    return out;
}

}  // namespace framehost
