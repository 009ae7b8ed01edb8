#pragma once
// A server's table of paths and methods, and the answer when a request matches none, as
// FastAPI gives it (the replaced services' clients compare the texts): 404
// {"detail": "Not Found"}, or 405 {"detail": "Method Not Allowed"} with an Allow header. HEAD is
// answered wherever GET is.
#include <span>
#include <string>
#include <variant>

#include "core/http/http_message.hpp"

namespace framehost::core {

struct Route {
    const char* path;
    const char* method;
};

inline std::variant<const Route*, HttpResponse> find_route(std::span<const Route> routes,
                                                           const HttpRequest& request) {
    const Route* match = nullptr;
    std::string allowed;
    for (const auto& r : routes) {
        if (request.path != r.path) continue;
        allowed += (allowed.empty() ? "" : ", ") + std::string(r.method);
        if (request.method == r.method ||
            (request.method == "HEAD" && std::string(r.method) == "GET"))
            match = &r;
    }
    if (match) return match;
    if (allowed.empty()) return error_response(404, "Not Found");
    auto response = error_response(405, "Method Not Allowed");
    response.headers.emplace_back("Allow", allowed);
    return response;
}

}  // namespace framehost::core
