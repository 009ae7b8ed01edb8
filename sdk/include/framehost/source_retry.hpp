#pragma once
// The host retries a failing source itself (backoff with jitter, then a circuit breaker), so
// sources do not each re-invent it. A source that wants its users to tune that retry adds
// these parameters to its descriptor; the host reads them by these names.
//
//   backoff_ms                 first wait after a failure; doubles per consecutive failure
//   max_backoff_ms             cap of that wait
//   circuit_failure_threshold  consecutive failures that open the circuit (no attempts)
//   circuit_open_ms            how long it stays open before one trial attempt (half-open)
#include <chrono>
#include <cstdint>
#include <vector>

#include "framehost/params.hpp"

namespace framehost {

// The names, for the host to read them by and the spec below to declare them by.
namespace retry_param {
inline constexpr const char* kBackoffMs = "backoff_ms";
inline constexpr const char* kMaxBackoffMs = "max_backoff_ms";
inline constexpr const char* kCircuitFailureThreshold = "circuit_failure_threshold";
inline constexpr const char* kCircuitOpenMs = "circuit_open_ms";
}  // namespace retry_param

struct SourceRetryDefaults {
    std::int64_t backoff_ms = 1000;
    std::int64_t max_backoff_ms = 30000;
    std::int64_t circuit_failure_threshold = 5;
    std::int64_t circuit_open_ms = 30000;
};

inline std::vector<ParamSpec> source_retry_params(SourceRetryDefaults d = {}) {
    return {
        param::Int(retry_param::kBackoffMs, d.backoff_ms,
                   "First wait after a failure; doubles per failure, with jitter")
            .range(1, 3'600'000),
        param::Int(retry_param::kMaxBackoffMs, d.max_backoff_ms, "Longest wait between attempts")
            .range(1, 3'600'000),
        param::Int(retry_param::kCircuitFailureThreshold, d.circuit_failure_threshold,
                   "Consecutive failures that open the circuit breaker")
            .range(1, 1'000'000),
        param::Int(retry_param::kCircuitOpenMs, d.circuit_open_ms,
                   "How long the open circuit makes no attempt before one trial")
            .range(1, 3'600'000),
    };
}

}  // namespace framehost
