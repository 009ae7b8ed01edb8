#pragma once
// A request and a response as the API sees them, independent of the server library.
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
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
    // [the server's stream thread] True when nothing more will come (the camera is gone): the
    // writer finishes the part being written and closes the connection. Must not block.
    virtual bool ended() { return false; }
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::shared_ptr<ResponseStream> stream;  // set: `body` is not sent, the parts are
    // Called once the kernel has every byte of the answer (true), or never will (false: the
    // client is gone): what it gave out may be settled only then (the Frame Buffer's dequeue
    // acknowledges its entries here, so a server killed before that hands them out again).
    std::function<void(bool handed)> after_send;
};

// An answer of `status` whose whole body is `body`, without headers of its own.
inline HttpResponse body_response(int status, std::string content_type, std::string body) {
    HttpResponse response;
    response.status = status;
    response.content_type = std::move(content_type);
    response.body = std::move(body);
    return response;
}

inline HttpResponse json_response(int status, const nlohmann::json& body) {
    return body_response(status, "application/json",
                         body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
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
// failed (0-based, as Python's json module counts), with pydantic's `ctx`: {"msg", "doc", "pos",
// "lineno", "colno"}. A number out of range (1e400, a 5,000-digit integer) is refused the same
// way. The message and the document are cut (kDecodeErrorDocument), so an answer never echoes a
// huge body; positions count bytes where Python counts characters (the same for ASCII).
inline constexpr std::size_t kDecodeErrorDocument = 256;
inline HttpResponse json_decode_error(const nlohmann::json::exception& e, std::string_view body) {
    std::string what = e.what();
    if (what.size() > 200) what = what.substr(0, 200) + "...";
    std::size_t pos = 0;
    if (const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&e))
        pos = parse->byte > 0 ? std::min<std::size_t>(parse->byte - 1, body.size()) : 0;
    // nlohmann's "[json.exception...] parse error at line 1, column 2: syntax error ...": the
    // part after the position, as Python's msg is the reason alone.
    std::string reason = what;
    if (auto colon = reason.find(": "); colon != std::string::npos)
        reason = reason.substr(colon + 2);
    // As Python's json module: lineno counts the newlines before pos; colno is pos less the
    // last newline before it (pos + 1 on the first line).
    auto before = body.substr(0, pos);  // a view
    auto lineno = static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n')) + 1;
    auto newline = before.rfind('\n');
    std::size_t colno = newline == std::string::npos ? pos + 1 : pos - newline;
    nlohmann::json ctx = {{"msg", reason},
                          {"doc", std::string(body.substr(0, kDecodeErrorDocument))},
                          {"pos", pos},
                          {"lineno", lineno},
                          {"colno", colno}};
    auto response =
        json_response(422, {{"detail", nlohmann::json::array({{{"loc", {"body", pos}},
                                                               {"msg", "invalid JSON: " + what},
                                                               {"type", "value_error.jsondecode"},
                                                               {"ctx", std::move(ctx)}}})}});
    return response;
}

}  // namespace framehost::core
