#pragma once
// A request and a response as the API sees them, independent of the server library.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace framehost::core {

struct HttpRequest {
    std::string method;  // "GET", "POST", ...
    std::string path;    // without the query
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;

    std::string header(const std::string& lowercase_name) const {
        auto it = headers.find(lowercase_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

inline HttpResponse json_response(int status, const nlohmann::json& body) {
    return {status, "application/json",
            body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), {}};
}

// FastAPI's error shape, which the replaced service's clients parse: {"detail": "..."}.
inline HttpResponse error_response(int status, const std::string& detail) {
    return json_response(status, {{"detail", detail}});
}

}  // namespace framehost::core
