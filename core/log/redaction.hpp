#pragma once
// Credentials never leave the host in an answer or a log line: a URL's user information
// ("redis://:pw@host", "http://user:pw@host") is shown as "***". /plugins shows parameters and
// /health and /metrics show what plugins report, all open to anyone who can reach the port.
#include <string>

namespace framehost::core {

inline std::string redact_credentials(std::string text) {
    for (std::size_t scheme = text.find("://"); scheme != std::string::npos;
         scheme = text.find("://", scheme + 3)) {
        std::size_t start = scheme + 3;
        std::size_t end = text.find_first_of("/?# \t\n\"'", start);
        std::size_t at = text.rfind('@', end == std::string::npos ? text.size() : end);
        if (at == std::string::npos || at < start) continue;
        text.replace(start, at - start, "***");
    }
    return text;
}

}  // namespace framehost::core
