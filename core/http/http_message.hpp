#pragma once
// A request and a response as the API sees them, independent of the server library.
#include <chrono>
#include <map>
#include <memory>
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

// A response that goes on after its headers (multipart MJPEG): the server writes each part as
// it comes to a reader that keeps up, skips parts for one that does not, and closes one that
// stops reading (core/http/stream_writer.hpp).
class ResponseStream {
  public:
    virtual ~ResponseStream() = default;
    // [the server's stream thread] The next part when there is a newer one than the last given,
    // else null. Must not block.
    virtual std::shared_ptr<const std::string> next_part() = 0;
    // The least time between two parts.
    virtual std::chrono::milliseconds interval() const = 0;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::shared_ptr<ResponseStream> stream;  // set: `body` is not sent, the parts are
};

inline HttpResponse json_response(int status, const nlohmann::json& body) {
    return {status,
            "application/json",
            body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
            {},
            {}};
}

// FastAPI's error shape, which the replaced service's clients parse: {"detail": "..."}.
inline HttpResponse error_response(int status, const std::string& detail) {
    return json_response(status, {{"detail", detail}});
}

// FastAPI's answer to a request that fails validation (pydantic 1), which the replaced
// services' clients parse: 422 {"detail": [{"loc": ["body", "frame_data"], "msg": "field
// required", "type": "value_error.missing"}]}. `loc` is where: "body" or "query", then the
// field's path; `type` pydantic's error type (value_error, value_error.missing, type_error.str,
// value_error.jsondecode, ...).
inline HttpResponse validation_error(nlohmann::json loc, const std::string& msg,
                                     const std::string& type = "value_error") {
    return json_response(
        422, {{"detail",
               nlohmann::json::array({{{"loc", std::move(loc)}, {"msg", msg}, {"type", type}}})}});
}

// A body that is not JSON, as FastAPI answers it: 422, located at the offset where parsing
// failed (0-based, as Python's json module counts). A number out of range (1e400, a 5,000-digit
// integer) is refused the same way; the message is cut, so an answer never echoes a huge token.
inline HttpResponse json_decode_error(const nlohmann::json::exception& e) {
    std::string what = e.what();
    if (what.size() > 200) what = what.substr(0, 200) + "...";
    nlohmann::json loc = {"body"};
    if (const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&e))
        loc.push_back(parse->byte > 0 ? parse->byte - 1 : 0);
    return validation_error(std::move(loc), "invalid JSON: " + what, "value_error.jsondecode");
}

}  // namespace framehost::core
