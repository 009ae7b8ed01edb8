#pragma once
// Prometheus text exposition format 0.0.4: families written one by one, or a whole registry.
// Shared by the host's /metrics and the Frame Buffer's, so both speak it the same way.
#include <sstream>
#include <string>

#include "core/metrics/histogram.hpp"
#include "core/metrics/metrics_registry.hpp"

namespace framehost::core {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

class PrometheusText {
  public:
    void family(const std::string& name, const char* type, const std::string& help);
    void sample(const std::string& name, const Labels& labels, double value);
    void histogram(const std::string& name, const Labels& labels, const Histogram::Snapshot& h);
    // Every family of the registry, with its series.
    void registry(const MetricsRegistry& metrics);
    std::string text() const { return out_.str(); }

  private:
    std::ostringstream out_;
};

}  // namespace framehost::core
