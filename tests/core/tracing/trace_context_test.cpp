#include "core/tracing/trace_context.hpp"

#include <doctest/doctest.h>

#include "core/tracing/span_exporter.hpp"

using namespace framehost::core;

TEST_CASE("a valid traceparent is read field by field") {
    auto p = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    REQUIRE(p);
    CHECK(p->trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(p->parent_id == "00f067aa0ba902b7");
    CHECK(p->flags == "01");
    CHECK(p->to_string() == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    // A future version may append fields; its first four are read the same way.
    CHECK(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
}

TEST_CASE("malformed traceparents are refused") {
    for (auto bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                     "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                     "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                     "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                     "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                     "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_traceparent(bad));
    }
}

TEST_CASE("new ids have the right length and differ") {
    CHECK(new_trace_id().size() == 32);
    CHECK(new_span_id().size() == 16);
    CHECK(new_trace_id() != new_trace_id());
    CHECK(parse_traceparent("00-" + new_trace_id() + "-" + new_span_id() + "-01"));
}

TEST_CASE("OTLP JSON carries hex ids, nanosecond strings and typed attributes") {
    Span s{"stage",
           std::string(32, 'a'),
           std::string(16, 'b'),
           std::string(16, 'c'),
           std::chrono::system_clock::time_point(std::chrono::seconds(1)),
           std::chrono::system_clock::time_point(std::chrono::seconds(2)),
           false,
           "boom",
           {{"detections.count", 3}, {"frame.id", "f1"}}};
    auto body = nlohmann::json::parse(SpanExporter::otlp_json("svc", {s}));
    auto span = body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    CHECK(body["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"] == "svc");
    CHECK(span["traceId"] == std::string(32, 'a'));
    CHECK(span["parentSpanId"] == std::string(16, 'c'));
    CHECK(span["startTimeUnixNano"] == "1000000000");
    CHECK(span["status"]["code"] == 2);
    CHECK(span["attributes"][0]["value"]["intValue"] == "3");
}
