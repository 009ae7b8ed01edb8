#include "core/http/large_string_member.hpp"

#include <cstring>

namespace framehost::core {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t skip_space(std::string_view t, std::size_t i) {
    while (i < t.size() && is_space(t[i])) ++i;
    return i;
}

// Index just past the string starting at t[i] == '"', or npos.
std::size_t skip_string(std::string_view t, std::size_t i) {
    for (++i; i < t.size(); ++i) {
        if (t[i] == '\\')
            ++i;
        else if (t[i] == '"')
            return i + 1;
    }
    return std::string_view::npos;
}

// Index just past the value starting at t[i], or npos. Nested values are skipped by counting
// brackets outside strings; their syntax is left to the real parser.
std::size_t skip_value(std::string_view t, std::size_t i) {
    if (i >= t.size()) return std::string_view::npos;
    if (t[i] == '"') return skip_string(t, i);
    if (t[i] == '{' || t[i] == '[') {
        int depth = 0;
        while (i < t.size()) {
            char c = t[i];
            if (c == '"') {
                i = skip_string(t, i);
                if (i == std::string_view::npos) return i;
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
            ++i;
        }
        return std::string_view::npos;
    }
    while (i < t.size() && t[i] != ',' && t[i] != '}' && !is_space(t[i])) ++i;
    return i;
}

}  // namespace

std::optional<LiftedMember> lift_string_member(std::string_view t, std::string_view key) {
    std::size_t i = skip_space(t, 0);
    if (i >= t.size() || t[i] != '{') return std::nullopt;
    i = skip_space(t, i + 1);
    while (i < t.size() && t[i] == '"') {
        std::size_t key_end = skip_string(t, i);
        if (key_end == std::string_view::npos) return std::nullopt;
        std::string_view name = t.substr(i + 1, key_end - i - 2);
        i = skip_space(t, key_end);
        if (i >= t.size() || t[i] != ':') return std::nullopt;
        i = skip_space(t, i + 1);
        if (name == key) {
            if (i >= t.size() || t[i] != '"') return std::nullopt;
            const char* start = t.data() + i + 1;
            const void* close = std::memchr(start, '"', t.size() - i - 1);
            if (!close) return std::nullopt;
            std::size_t length = static_cast<const char*>(close) - start;
            if (std::memchr(start, '\\', length))
                return std::nullopt;  // escapes: let the parser decode
            LiftedMember lifted;
            lifted.value = std::string_view(start, length);
            lifted.rest.reserve(t.size() - length);
            lifted.rest.append(t.substr(0, i + 1));
            lifted.rest.append(t.substr(i + 1 + length));
            return lifted;
        }
        i = skip_value(t, i);
        if (i == std::string_view::npos) return std::nullopt;
        i = skip_space(t, i);
        if (i < t.size() && t[i] == ',') i = skip_space(t, i + 1);
    }
    return std::nullopt;
}

}  // namespace framehost::core
