#include "core/http/metrics_report.hpp"

#include <doctest/doctest.h>

using framehost::core::prefers_prometheus_text;

TEST_CASE("Prometheus' scrape header gets text, curl, browsers and JSON clients get JSON") {
    CHECK(prefers_prometheus_text(
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
    CHECK(prefers_prometheus_text("text/plain"));
    CHECK(prefers_prometheus_text("text/plain;version=0.0.4"));
    CHECK_FALSE(prefers_prometheus_text(""));
    CHECK_FALSE(prefers_prometheus_text("*/*"));
    CHECK_FALSE(prefers_prometheus_text("application/json"));
    CHECK_FALSE(prefers_prometheus_text("text/plain;q=0.5, application/json"));
    CHECK_FALSE(prefers_prometheus_text("text/html,application/xhtml+xml,*/*;q=0.8"));
}
