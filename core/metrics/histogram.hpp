#pragma once
// A lock-free latency histogram. Fine buckets (ten a decade, 1 us to 100 s) give usable
// p50/p95/p99; exposition uses every third boundary (1, 2.5, 5 a decade) so a scrape stays small.
#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

namespace framehost::core {

class Histogram {
  public:
    static constexpr std::size_t kBounds = 80;  // 8 decades x 10 steps

    // The fine upper bounds in seconds; a value above the last falls in the +Inf bucket.
    static const std::array<double, kBounds>& bounds();

    // Records `count` observations of `seconds` each (a batch timed once).
    void observe(double seconds, std::uint64_t count = 1);
    // Records one observation per value, touching each shared bucket once (for per-frame
    // latencies of a whole batch).
    void observe_each(std::span<const double> seconds);

    struct Snapshot {
        std::array<std::uint64_t, kBounds + 1> buckets{};  // not cumulative; last is +Inf
        std::uint64_t count = 0;
        double sum_seconds = 0;

        double quantile(double q) const;  // seconds; 0 when empty
        double mean() const { return count ? sum_seconds / static_cast<double>(count) : 0; }
        // Cumulative counts at the exposition boundaries, paired with their `le` value.
        std::vector<std::pair<double, std::uint64_t>> exposition_buckets() const;
    };
    Snapshot snapshot() const;

  private:
    std::array<std::atomic<std::uint64_t>, kBounds + 1> buckets_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<double> sum_seconds_{0};
};

}  // namespace framehost::core
