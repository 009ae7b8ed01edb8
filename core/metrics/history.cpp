#include "core/metrics/history.hpp"

namespace framehost::core {

MetricsHistory::MetricsHistory(const FrameStates& states, const Histogram& latency,
                               std::chrono::milliseconds interval, std::size_t points)
    : states_(states), latency_(latency), interval_(interval), points_(points) {}

MetricsHistory::~MetricsHistory() {
    stop();
}

void MetricsHistory::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void MetricsHistory::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void MetricsHistory::run() {
    sample();
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [&] { return stopping_; })) {
        lock.unlock();
        sample();
        lock.lock();
    }
}

void MetricsHistory::sample() {
    auto s = states_.snapshot();
    auto latency = latency_.snapshot();
    auto now = std::chrono::steady_clock::now();
    auto count = [&](FrameState state) { return s.current[static_cast<int>(state)]; };
    std::uint64_t failed = count(FrameState::Failed);
    std::uint64_t done = count(FrameState::Completed) + failed + count(FrameState::Filtered);
    std::lock_guard lock(mutex_);
    if (primed_) {
        double seconds = std::chrono::duration<double>(now - last_at_).count();
        Histogram::Snapshot between;  // the frames finished since the sample before
        for (std::size_t i = 0; i < between.buckets.size(); ++i)
            between.buckets[i] = latency.buckets[i] - last_latency_.buckets[i];
        between.count = latency.count - last_latency_.count;
        between.sum_seconds = latency.sum_seconds - last_latency_.sum_seconds;
        auto wall =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        history_.push_back({wall,
                            seconds > 0 ? static_cast<double>(done - last_done_) / seconds : 0,
                            seconds > 0 ? static_cast<double>(failed - last_failed_) / seconds : 0,
                            between.quantile(0.99) * 1000});
        while (history_.size() > points_) history_.pop_front();
    }
    primed_ = true;
    last_at_ = now;
    last_done_ = done;
    last_failed_ = failed;
    last_latency_ = latency;
}

nlohmann::json MetricsHistory::report() const {
    std::lock_guard lock(mutex_);
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : history_)
        points.push_back({{"at_s", p.at_s},
                          {"frames_per_s", p.frames_per_s},
                          {"failed_per_s", p.failed_per_s},
                          {"latency_p99_ms", p.latency_p99_ms}});
    return {{"interval_s", std::chrono::duration<double>(interval_).count()},
            {"points", std::move(points)}};
}

}  // namespace framehost::core
