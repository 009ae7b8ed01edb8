#pragma once
// Case folding for protocol and config words (header names, URL schemes, host names, enum
// values): ASCII only, whatever the locale, as RFC 9110 and YAML keys mean it.
#include <algorithm>
#include <cctype>
#include <string>

namespace framehost::core {

inline std::string ascii_lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace framehost::core
