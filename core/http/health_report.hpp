#pragma once
// What /health, /ready and /live say, and why. The semantics (docs/http-api.md):
//   healthy    everything started and every dependency answers
//   degraded   running, but a source cannot reach its upstream or waits long for pixel memory,
//              a plugin reports a problem, or a plugin call is stuck
//   unhealthy  the pipeline cannot work: not started, or shutting down (answered with 503)
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/host/host.hpp"

namespace framehost::core {

struct HealthReport {
    std::string status;  // healthy | degraded | unhealthy
    std::vector<std::string> reasons;
    nlohmann::json body;
    int http_status() const { return status == "unhealthy" ? 503 : 200; }
};

HealthReport health_report(Host& host);

// One source's supervision figures, as /health and /metrics show them.
nlohmann::json source_json(const SourceStatus& status);

struct Readiness {
    bool ready = false;
    std::string reason;
};
Readiness readiness(Host& host);

// "2025-07-27T12:00:00.123456", UTC, as Python's datetime.isoformat() writes it.
std::string iso_timestamp();

}  // namespace framehost::core
