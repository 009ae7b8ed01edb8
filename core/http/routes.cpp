#include "core/http/routes.hpp"

#include <cctype>

namespace framehost::core {

namespace {
// A path segment with its %XX escapes decoded; nothing when an escape is broken or the segment
// is empty.
bool decode_segment(std::string_view encoded, std::string& out) {
    if (encoded.empty()) return false;
    out.clear();
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        char c = encoded[i];
        if (c != '%') {
            out += c;
            continue;
        }
        if (i + 2 >= encoded.size()) return false;
        auto hex = [](char h) {
            return std::isdigit(static_cast<unsigned char>(h)) ? h - '0'
                                                               : std::tolower(h) - 'a' + 10;
        };
        if (!std::isxdigit(static_cast<unsigned char>(encoded[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(encoded[i + 2])))
            return false;
        out += static_cast<char>(hex(encoded[i + 1]) * 16 + hex(encoded[i + 2]));
        i += 2;
    }
    return true;
}
}  // namespace

bool match_path(std::string_view pattern, std::string_view path, PathMatch& match) {
    static constexpr std::string_view kId = "{id}";
    auto at = pattern.find(kId);
    if (at == std::string_view::npos) return pattern == path;
    std::string_view before = pattern.substr(0, at), after = pattern.substr(at + kId.size());
    if (path.size() < before.size() + after.size() + 1 || !path.starts_with(before) ||
        !path.ends_with(after))
        return false;
    auto segment = path.substr(before.size(), path.size() - before.size() - after.size());
    if (segment.find('/') != std::string_view::npos) return false;
    return decode_segment(segment, match.id);
}

HttpResponse method_not_allowed(const std::string& allowed) {
    auto response = error_response(405, "Method Not Allowed");
    response.headers.emplace_back("Allow", allowed);
    return response;
}

}  // namespace framehost::core
