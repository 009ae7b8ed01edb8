#pragma once
// A server's endpoints in one table: method, path, whether the bearer token is needed, the
// handler, and a line saying what it answers. The same table dispatches requests, answers the
// ones it has no entry for as FastAPI does (the replaced services' clients compare the texts:
// 404 {"detail": "Not Found"}, or 405 {"detail": "Method Not Allowed"} with an Allow header),
// lists the endpoints in the startup log, and renders docs/http-api.md's endpoint list (a test
// compares them). HEAD is answered wherever GET is.
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/http/browser_guard.hpp"
#include "core/http/http_message.hpp"

namespace framehost::core {

// The parts of a path a pattern's {id} matched.
struct PathMatch {
    std::string id;  // percent-decoded
};

template <class Api>
struct Route {
    const char* method;
    // Literal segments, and at most one {id} that matches one segment, percent-decoded:
    // "/cameras/{id}/snapshot.jpg".
    const char* path;
    bool needs_token;  // when a token is configured
    HttpResponse (Api::*handle)(const HttpRequest&, const PathMatch&);
    const char* summary;  // what it answers, one line
    // A GET that changes something (the Frame Buffer's dequeue): guarded against other sites'
    // pages as the other methods are.
    bool get_changes_state = false;

    bool changes_state() const { return std::string_view(method) != "GET" || get_changes_state; }
};

// Whether `path` is an instance of `pattern`, filling `match`.
bool match_path(std::string_view pattern, std::string_view path, PathMatch& match);

// 405 with the methods the path has.
HttpResponse method_not_allowed(const std::string& allowed);

// The route for the request: `api`'s handler's answer; 421, 403 or 415 when `guard` refuses the
// request (core/http/browser_guard.hpp), 401 when the route needs the token and `authorized()`
// says no, or 404/405 when no route takes it.
template <class Api>
HttpResponse dispatch(std::span<const Route<Api>> routes, Api& api, const HttpRequest& request,
                      const BrowserGuard& guard, const std::function<bool()>& authorized,
                      const std::function<HttpResponse()>& unauthorized) {
    if (auto refused = refuse_host(request, guard)) return *refused;
    const Route<Api>* found = nullptr;
    PathMatch found_match;
    std::string allowed;
    for (const auto& route : routes) {
        PathMatch match;
        if (!match_path(route.path, request.path, match)) continue;
        if (allowed.find(route.method) == std::string::npos)
            allowed += (allowed.empty() ? "" : ", ") + std::string(route.method);
        bool method = request.method == route.method ||
                      (request.method == "HEAD" && std::string_view(route.method) == "GET");
        if (method && !found) {
            found = &route;
            found_match = std::move(match);
        }
    }
    if (!found) {
        if (allowed.empty()) return error_response(404, "Not Found");
        return method_not_allowed(allowed);
    }
    if (found->changes_state()) {
        if (auto refused = refuse_cross_site(request, guard)) return *refused;
        if (auto refused = refuse_body_type(request)) return *refused;
    }
    if (found->needs_token && !authorized()) return unauthorized();
    return (api.*(found->handle))(request, found_match);
}

// The paths of the table, each once, in its order: "/ /cameras /health ...".
template <class Api>
std::string route_paths(std::span<const Route<Api>> routes) {
    std::string out;
    for (const auto& r : routes) {
        std::string path = r.path;
        if ((" " + out + " ").find(" " + path + " ") != std::string::npos) continue;
        out += (out.empty() ? "" : " ") + path;
    }
    return out;
}

// The table as docs/http-api.md lists it: "| `GET /health` | what it answers |" per route, and
// whether it needs the token.
template <class Api>
std::string route_markdown(std::span<const Route<Api>> routes) {
    std::string out = "| method and path | token | answers |\n|---|---|---|\n";
    for (const auto& r : routes)
        out += "| `" + std::string(r.method) + " " + r.path + "` | " +
               (r.needs_token ? "yes" : "no") + " | " + r.summary + " |\n";
    return out;
}

}  // namespace framehost::core
