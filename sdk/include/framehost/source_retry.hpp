#pragma once
// How a failing upstream is retried: backoff with jitter, then a circuit breaker. The host
// retries every source this way itself; a source that supervises connections of its own (one per
// camera) retries them with the same Retry. The defaults are declared once, here.
//
// A source that wants its users to tune the host's retry includes source_retry_params() in its
// parameter table (ParamTable::include); the host reads them from the same table.
//   backoff_ms                 first wait after a failure; doubles per consecutive failure
//   max_backoff_ms             cap of that wait
//   circuit_failure_threshold  consecutive failures that open the circuit (no attempts)
//   circuit_open_ms            how long it stays open before one trial attempt (half-open)
#include <algorithm>
#include <chrono>

#include "framehost/backoff.hpp"
#include "framehost/circuit_breaker.hpp"
#include "framehost/param_table.hpp"

namespace framehost {

struct SourceRetry {
    std::chrono::milliseconds backoff_ms{1000};
    std::chrono::milliseconds max_backoff_ms{30000};
    int circuit_failure_threshold = 5;
    std::chrono::milliseconds circuit_open_ms{30000};
};

inline const ParamTable<SourceRetry>& source_retry_params() {
    static const ParamTable<SourceRetry> table{
        param::bind(&SourceRetry::backoff_ms, "backoff_ms",
                    "First wait after a failure; doubles per failure, with jitter")
            .range(1, 3'600'000),
        param::bind(&SourceRetry::max_backoff_ms, "max_backoff_ms", "Longest wait between attempts")
            .range(1, 3'600'000),
        param::bind(&SourceRetry::circuit_failure_threshold, "circuit_failure_threshold",
                    "Consecutive failures that open the circuit breaker")
            .range(1, 1'000'000),
        param::bind(&SourceRetry::circuit_open_ms, "circuit_open_ms",
                    "How long the open circuit makes no attempt before one trial")
            .range(1, 3'600'000),
    };
    return table;
}

// The pacing of one supervised connection: when the next attempt may be made, and what a
// failure or a success changes. [one thread: the one that makes the attempts]
class Retry {
  public:
    explicit Retry(const SourceRetry& settings)
        : settings_(settings),
          backoff_(settings.backoff_ms, settings.max_backoff_ms),
          breaker_(settings.circuit_failure_threshold, settings.circuit_open_ms) {}

    // Zero when an attempt may be made now (circuit closed, or half-open for one trial);
    // otherwise how long the open circuit still refuses attempts.
    std::chrono::milliseconds wait_before_attempt() {
        if (breaker_.allow()) return std::chrono::milliseconds(0);
        return std::max(std::chrono::milliseconds(1),
                        std::chrono::ceil<std::chrono::milliseconds>(breaker_.open_remaining()));
    }

    struct Failure {
        std::chrono::milliseconds delay;  // wait this long before the next attempt
        bool circuit_opened;              // this failure opened the circuit
    };
    Failure failed() {
        auto before = breaker_.state();
        breaker_.record_failure();
        bool opened = breaker_.state() == CircuitBreaker::State::Open &&
                      before != CircuitBreaker::State::Open;
        return {backoff_.next(), opened};
    }
    // The upstream answered: the next failure starts again from the first backoff step.
    void succeeded() {
        backoff_.reset();
        breaker_.record_success();
    }

    CircuitBreaker::State circuit() const { return breaker_.state(); }
    const SourceRetry& settings() const { return settings_; }

  private:
    SourceRetry settings_;
    Backoff backoff_;
    CircuitBreaker breaker_;
};

}  // namespace framehost
