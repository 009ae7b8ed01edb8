#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/): the traceparent header and the ids
// of the spans framehost makes.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace framehost::core {

struct TraceParent {
    std::string trace_id;   // 32 lowercase hex digits, not all zero
    std::string parent_id;  // 16 lowercase hex digits, not all zero
    std::string flags = "01";

    std::string to_string() const { return "00-" + trace_id + "-" + parent_id + "-" + flags; }
};

// Parses a traceparent value; nullopt when it is malformed (callers then start a new trace).
// Accepts future versions as the spec asks: their first four fields are read the same way.
std::optional<TraceParent> parse_traceparent(std::string_view text);

std::string new_trace_id();  // 32 hex
std::string new_span_id();   // 16 hex

struct Span {
    std::string name;
    std::string trace_id;
    std::string span_id;
    std::string parent_span_id;  // empty for a root span
    std::chrono::system_clock::time_point start;
    std::chrono::system_clock::time_point end;
    bool ok = true;
    std::string status_message;
    nlohmann::json attributes = nlohmann::json::object();  // string, number or bool values

    nlohmann::json to_json() const;  // for the log
};

}  // namespace framehost::core
