#pragma once
// /metrics in its two forms: the JSON the replaced service's dashboards read, and Prometheus
// text exposition 0.0.4 for scrapers.
#include <string>

#include <nlohmann/json.hpp>

#include "core/host/host.hpp"

namespace framehost::core {

nlohmann::json metrics_json(Host& host);
std::string metrics_prometheus(Host& host);

// True when an Accept header prefers Prometheus text (text/plain or OpenMetrics) to JSON, as
// Prometheus' own scrape header does; plain curl ("*/*") and JSON clients get JSON.
bool prefers_prometheus_text(const std::string& accept);

}  // namespace framehost::core
