#include "core/metrics/metrics_registry.hpp"

#include <stdexcept>

namespace framehost::core {

MetricsRegistry::Series& MetricsRegistry::find_or_add(const std::string& name,
                                                      const std::string& help, MetricType type,
                                                      const Labels& labels) {
    auto [it, inserted] = families_.try_emplace(name, Entry{help, type, {}});
    if (!inserted && it->second.type != type)
        throw std::invalid_argument("metric " + name + " registered with two types");
    for (auto& series : it->second.series) {
        if (series.labels == labels) return series;
    }
    Series series;
    series.labels = labels;
    switch (type) {
        case MetricType::Counter:
            series.counter = &counters_.emplace_back();
            break;
        case MetricType::Gauge:
            series.gauge = &gauges_.emplace_back();
            break;
        case MetricType::Histogram:
            series.histogram = &histograms_.emplace_back();
            break;
    }
    return it->second.series.emplace_back(std::move(series));
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  const Labels& labels) {
    std::lock_guard lock(mutex_);
    return *find_or_add(name, help, MetricType::Counter, labels).counter;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                              const Labels& labels) {
    std::lock_guard lock(mutex_);
    return *find_or_add(name, help, MetricType::Gauge, labels).gauge;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      const Labels& labels) {
    std::lock_guard lock(mutex_);
    return *find_or_add(name, help, MetricType::Histogram, labels).histogram;
}

std::vector<MetricsRegistry::Family> MetricsRegistry::families() const {
    std::lock_guard lock(mutex_);
    std::vector<Family> out;
    out.reserve(families_.size());
    for (const auto& [name, entry] : families_)
        out.push_back({name, entry.help, entry.type, entry.series});
    return out;
}

}  // namespace framehost::core
