#pragma once
// Limits on JSON that comes from outside (frames, request bodies). nlohmann/json parses deep
// nesting iteratively, but copying and destroying a value recurses once per level: 400,000
// nested arrays in a frame's metadata overflowed the stack of every host that read it. Every
// reader of outside JSON checks the nesting first, in one pass over the text, and refuses the
// one document with the reason.
#include <cstddef>
#include <string>
#include <string_view>

namespace framehost {

// Deeper than any frame or request framehost reads, far shallower than a stack can hold.
inline constexpr std::size_t kMaxJsonNesting = 256;

// The deepest nesting of arrays and objects in `text` (JSON or not: brackets inside strings do
// not count). Stops counting past `limit` + 1.
inline std::size_t json_nesting(std::string_view text, std::size_t limit = kMaxJsonNesting) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"')
            in_string = true;
        else if (c == '[' || c == '{') {
            if (++depth > deepest && (deepest = depth) > limit) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

// Why `text` is refused, or empty when its nesting is within the limit.
inline std::string json_nesting_problem(std::string_view text,
                                        std::size_t limit = kMaxJsonNesting) {
    if (json_nesting(text, limit) <= limit) return {};
    return "JSON nested deeper than " + std::to_string(limit) + " levels";
}

}  // namespace framehost
