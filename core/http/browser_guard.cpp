#include "core/http/browser_guard.hpp"
#include "core/text/ascii.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace framehost::core {

namespace {

// The name of a Host header without its port: "example.com:8099" -> "example.com",
// "[::1]:8099" -> "::1".
std::string host_name(const std::string& host) {
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        return close == std::string::npos ? host : host.substr(1, close - 1);
    }
    auto colon = host.find(':');
    return ascii_lowercase(colon == std::string::npos ? host : host.substr(0, colon));
}

bool is_ip_literal(const std::string& name) {
    unsigned char address[16];
    return inet_pton(AF_INET, name.c_str(), address) == 1 ||
           inet_pton(AF_INET6, name.c_str(), address) == 1;
}

bool is_loopback_bind(const std::string& bind) {
    return bind.rfind("127.", 0) == 0 || bind == "::1" || bind == "localhost";
}

bool listed(const std::vector<std::string>& list, const std::string& value) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& item) { return ascii_lowercase(item) == value; });
}

}  // namespace

std::optional<HttpResponse> refuse_host(const HttpRequest& request, const BrowserGuard& guard) {
    auto header = request.header("host");
    if (header.empty()) return std::nullopt;  // HTTP/1.0 clients send none
    auto name = host_name(header);
    if (is_ip_literal(name) || listed(guard.allowed_hosts, name)) return std::nullopt;
    bool loopback = is_loopback_bind(guard.bind);
    if (loopback && (name == "localhost" || name.ends_with(".localhost"))) return std::nullopt;
    if (!loopback && guard.allowed_hosts.empty()) return std::nullopt;
    return error_response(421, "this server does not answer to the name '" + name.substr(0, 100) +
                                   "' (Host header); list it in http.allowed_hosts");
}

std::optional<HttpResponse> refuse_cross_site(const HttpRequest& request,
                                              const BrowserGuard& guard) {
    auto origin = ascii_lowercase(request.header("origin"));
    bool origin_allowed = !origin.empty() && listed(guard.allowed_origins, origin);
    if (origin_allowed) return std::nullopt;
    if (!origin.empty()) {
        auto own = "://" + ascii_lowercase(request.header("host"));
        auto scheme_end = origin.find("://");
        bool same = scheme_end != std::string::npos && origin.substr(scheme_end) == own;
        if (!same)
            return error_response(403, "a request from the page at " + origin.substr(0, 100) +
                                           " may not change this server (Origin); list it in "
                                           "http.allowed_origins");
    }
    auto site = ascii_lowercase(request.header("sec-fetch-site"));
    if (site == "cross-site" || site == "same-site")
        return error_response(403,
                              "a request from another site's page may not change this server "
                              "(Sec-Fetch-Site: " +
                                  site + ")");
    return std::nullopt;
}

std::optional<HttpResponse> refuse_body_type(const HttpRequest& request) {
    if (request.method != "POST") return std::nullopt;
    auto type = request.header("content-type");
    if (type.empty()) return std::nullopt;
    auto media = ascii_lowercase(type.substr(0, type.find(';')));
    while (!media.empty() && media.back() == ' ') media.pop_back();
    if (media == "application/json" ||
        (media.rfind("application/", 0) == 0 && media.ends_with("+json")))
        return std::nullopt;
    return error_response(
        415, "the body must be JSON (Content-Type: application/json), not " + media.substr(0, 100));
}

}  // namespace framehost::core
