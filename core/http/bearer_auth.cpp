#include "core/http/bearer_auth.hpp"

#include <algorithm>
#include <cctype>

namespace framehost::core {

namespace {
// Compares in time that depends only on the lengths, so a token cannot be guessed byte by byte.
bool constant_time_equal(const std::string& a, const std::string& b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}
}  // namespace

bool bearer_authorized(const HttpRequest& request, const std::string& token) {
    if (token.empty()) return true;
    auto header = request.header("authorization");
    const std::string prefix = "bearer ";
    if (header.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(header[i])) != prefix[i]) return false;
    return constant_time_equal(header.substr(prefix.size()), token);
}

HttpResponse bearer_unauthorized() {
    auto response = error_response(401, "missing or wrong bearer token");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
}

}  // namespace framehost::core
