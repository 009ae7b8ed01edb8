#pragma once
// Where finished spans go: one log line each, and, when a collector is configured, OTLP/HTTP
// JSON batches posted by a background thread so a slow collector never slows a request.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config/host_config.hpp"
#include "core/tracing/trace_context.hpp"

namespace framehost::core {

class SpanExporter {
  public:
    SpanExporter(std::string service_name, TracingSettings settings);
    ~SpanExporter();  // sends what is queued (bounded by the export timeout), then stops
    SpanExporter(const SpanExporter&) = delete;
    SpanExporter& operator=(const SpanExporter&) = delete;

    // [any thread] Never blocks on the network; when the queue is full the spans are dropped
    // and counted.
    void export_spans(const std::vector<Span>& spans);

    struct Stats {
        std::uint64_t exported = 0;
        std::uint64_t failed = 0;
        std::uint64_t dropped = 0;
    };
    Stats stats() const;

    // The OTLP JSON body for a batch (public for tests).
    static std::string otlp_json(const std::string& service_name, const std::vector<Span>& spans);

    static constexpr std::size_t kQueueLimit = 10'000;
    static constexpr std::size_t kBatch = 512;

  private:
    void run();
    bool post(const std::string& body, std::string& error);

    std::string service_name_;
    TracingSettings settings_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Span> queue_;
    bool stopping_ = false;
    std::atomic<std::uint64_t> exported_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::thread thread_;
};

}  // namespace framehost::core
