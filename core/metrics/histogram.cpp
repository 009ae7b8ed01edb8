#include "core/metrics/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace framehost::core {

namespace {
constexpr std::array<double, 10> kSteps = {1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.5, 8.0};
constexpr std::array<std::size_t, 3> kExposedSteps = {0, 4, 7};  // 1, 2.5, 5

std::array<double, Histogram::kBounds> make_bounds() {
    std::array<double, Histogram::kBounds> bounds{};
    double decade = 1e-6;
    for (std::size_t d = 0; d < Histogram::kBounds / kSteps.size(); ++d, decade *= 10) {
        for (std::size_t s = 0; s < kSteps.size(); ++s)
            bounds[d * kSteps.size() + s] = decade * kSteps[s];
    }
    return bounds;
}
}  // namespace

const std::array<double, Histogram::kBounds>& Histogram::bounds() {
    static const auto bounds = make_bounds();
    return bounds;
}

void Histogram::observe(double seconds, std::uint64_t count) {
    const auto& b = bounds();
    auto index =
        static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), seconds) - b.begin());
    buckets_[index].fetch_add(count, std::memory_order_relaxed);
    count_.fetch_add(count, std::memory_order_relaxed);
    sum_seconds_.fetch_add(seconds * static_cast<double>(count), std::memory_order_relaxed);
}

void Histogram::observe_each(std::span<const double> seconds) {
    if (seconds.empty()) return;
    const auto& b = bounds();
    std::array<std::uint64_t, kBounds + 1> local{};
    double sum = 0;
    for (double value : seconds) {
        ++local[static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), value) - b.begin())];
        sum += value;
    }
    for (std::size_t i = 0; i < local.size(); ++i) {
        if (local[i]) buckets_[i].fetch_add(local[i], std::memory_order_relaxed);
    }
    count_.fetch_add(seconds.size(), std::memory_order_relaxed);
    sum_seconds_.fetch_add(sum, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    for (std::size_t i = 0; i < buckets_.size(); ++i)
        s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    // The count is the sum of the buckets read, so a snapshot is self-consistent even while
    // other threads observe.
    for (auto c : s.buckets) s.count += c;
    s.sum_seconds = sum_seconds_.load(std::memory_order_relaxed);
    return s;
}

double Histogram::Snapshot::quantile(double q) const {
    if (count == 0) return 0;
    const auto& b = bounds();
    double rank = q * static_cast<double>(count);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        if (buckets[i] == 0) continue;
        if (static_cast<double>(cumulative + buckets[i]) >= rank) {
            if (i == kBounds) return b.back();
            double lower = i == 0 ? 0 : b[i - 1];
            double fraction =
                (rank - static_cast<double>(cumulative)) / static_cast<double>(buckets[i]);
            return lower + (b[i] - lower) * std::clamp(fraction, 0.0, 1.0);
        }
        cumulative += buckets[i];
    }
    return b.back();
}

std::vector<std::pair<double, std::uint64_t>> Histogram::Snapshot::exposition_buckets() const {
    std::vector<std::pair<double, std::uint64_t>> out;
    const auto& b = bounds();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBounds; ++i) {
        cumulative += buckets[i];
        std::size_t step = i % kSteps.size();
        if (std::find(kExposedSteps.begin(), kExposedSteps.end(), step) != kExposedSteps.end())
            out.emplace_back(b[i], cumulative);
    }
    return out;
}

}  // namespace framehost::core
