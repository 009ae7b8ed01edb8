#include "core/http/file_ranges.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>

namespace framehost::core {

namespace {

struct ByteRange {
    std::size_t first = 0, last = 0;  // inclusive
};

std::optional<std::size_t> number(std::string_view text) {
    std::size_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

enum class Parsed { Whole, Range, Unsatisfiable };

// The first range of a `bytes=` header over a file of `size` bytes.
Parsed parse_range(std::string_view header, std::size_t size, ByteRange& range) {
    constexpr std::string_view kUnit = "bytes=";
    if (!header.starts_with(kUnit)) return Parsed::Whole;
    auto spec = header.substr(kUnit.size());
    spec = spec.substr(0, spec.find(','));
    while (!spec.empty() && spec.back() == ' ') spec.remove_suffix(1);
    auto dash = spec.find('-');
    if (dash == std::string_view::npos) return Parsed::Whole;
    auto first = spec.substr(0, dash), last = spec.substr(dash + 1);
    if (first.empty()) {  // the last n bytes
        auto n = number(last);
        if (!n) return Parsed::Whole;
        if (*n == 0 || size == 0) return Parsed::Unsatisfiable;
        range = {size - std::min(*n, size), size - 1};
        return Parsed::Range;
    }
    auto a = number(first);
    if (!a) return Parsed::Whole;
    auto b = last.empty() ? std::optional<std::size_t>(*a) : number(last);
    if (!b || *b < *a) return Parsed::Whole;
    if (*a >= size) return Parsed::Unsatisfiable;
    if (last.empty()) b = size - 1;
    range = {*a, std::min(*b, size - 1)};
    return Parsed::Range;
}

}  // namespace

HttpResponse file_response(const std::string& file, const std::string& content_type,
                           const std::string& range_header, const std::string& what) {
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in) return error_response(404, what + " is gone (removed by retention?)");
    auto size = static_cast<std::size_t>(in.tellg());
    ByteRange range{0, size ? size - 1 : 0};
    auto parsed = parse_range(range_header, size, range);
    if (parsed == Parsed::Unsatisfiable) {
        auto response = error_response(
            416, "the range is past the end of " + what + " (" + std::to_string(size) + " bytes)");
        response.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
        return response;
    }
    // Whole files past the cap go out as their first range: a player asks for the rest.
    if (parsed == Parsed::Whole && size > kMaxRangeBytes) parsed = Parsed::Range;
    if (parsed == Parsed::Range)
        range.last = std::min(range.last, range.first + kMaxRangeBytes - 1);
    std::size_t length = size == 0 ? 0 : range.last - range.first + 1;
    auto response =
        body_response(parsed == Parsed::Range ? 206 : 200, content_type, std::string(length, '\0'));
    in.seekg(static_cast<std::streamoff>(range.first));
    if (length && !in.read(response.body.data(), static_cast<std::streamsize>(length)))
        return error_response(500, "cannot read " + what);
    response.headers.emplace_back("Accept-Ranges", "bytes");
    response.headers.emplace_back("Cache-Control", "no-store");
    if (parsed == Parsed::Range)
        response.headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) +
                                                           "-" + std::to_string(range.last) + "/" +
                                                           std::to_string(size));
    return response;
}

}  // namespace framehost::core
