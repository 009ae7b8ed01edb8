#pragma once
// Named, labelled metrics shared by the pipeline, the plugins (through their context) and the
// HTTP surface. Metrics are created at setup and never removed, so a reference taken once stays
// valid for the registry's life and the frame path touches only atomics.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/metrics/histogram.hpp"

namespace framehost::core {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
  public:
    void add(double delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0};
};

class Gauge {
  public:
    void set(double value) { value_.store(value, std::memory_order_relaxed); }
    void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0};
};

enum class MetricType { Counter, Gauge, Histogram };

class MetricsRegistry {
  public:
    // Returns the metric with this name and labels, creating it on first use. The same name must
    // keep the same type and help. [any thread]
    Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
    Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
    Histogram& histogram(const std::string& name, const std::string& help,
                         const Labels& labels = {});

    struct Series {
        Labels labels;
        Counter* counter = nullptr;
        Gauge* gauge = nullptr;
        Histogram* histogram = nullptr;
    };
    struct Family {
        std::string name;
        std::string help;
        MetricType type;
        std::vector<Series> series;
    };
    // A copy of the families (pointers to live metrics), in name order, for exposition.
    std::vector<Family> families() const;

  private:
    struct Entry {
        std::string help;
        MetricType type;
        std::vector<Series> series;
    };
    Series& find_or_add(const std::string& name, const std::string& help, MetricType type,
                        const Labels& labels);

    mutable std::mutex mutex_;
    std::map<std::string, Entry> families_;
    std::deque<Counter> counters_;
    std::deque<Gauge> gauges_;
    std::deque<Histogram> histograms_;
};

}  // namespace framehost::core
