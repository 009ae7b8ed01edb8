#include <doctest/doctest.h>

#include <thread>

#include "core/metrics/frame_states.hpp"
#include "core/metrics/histogram.hpp"
#include "core/metrics/metrics_registry.hpp"

using namespace framehost::core;

TEST_CASE("histogram quantiles land within a bucket of the true value") {
    Histogram h;
    for (int i = 1; i <= 1000; ++i) h.observe(i * 1e-3);  // 1 ms .. 1 s, uniform
    auto s = h.snapshot();
    CHECK(s.count == 1000);
    CHECK(s.mean() == doctest::Approx(0.5005).epsilon(0.001));
    CHECK(s.quantile(0.5) == doctest::Approx(0.5).epsilon(0.25));
    CHECK(s.quantile(0.99) == doctest::Approx(0.99).epsilon(0.25));
    CHECK(s.quantile(0.5) < s.quantile(0.99));
}

TEST_CASE("exposition buckets are cumulative and end at the total") {
    Histogram h;
    h.observe(2e-6, 3);
    h.observe(0.3);
    h.observe(1e6);  // beyond the last bound: only in +Inf
    auto buckets = h.snapshot().exposition_buckets();
    for (std::size_t i = 1; i < buckets.size(); ++i) {
        CHECK(buckets[i - 1].first < buckets[i].first);
        CHECK(buckets[i - 1].second <= buckets[i].second);
    }
    CHECK(buckets.back().second == 4);
    CHECK(h.snapshot().count == 5);
}

TEST_CASE("observe_each records one observation per value") {
    Histogram h;
    std::vector<double> values = {1e-3, 2e-3, 3e-3};
    h.observe_each(values);
    CHECK(h.snapshot().count == 3);
    CHECK(h.snapshot().sum_seconds == doctest::Approx(6e-3));
}

TEST_CASE("the registry returns the same metric for the same name and labels") {
    MetricsRegistry r;
    auto& a = r.counter("x_total", "help", {{"k", "1"}});
    auto& b = r.counter("x_total", "help", {{"k", "1"}});
    auto& c = r.counter("x_total", "help", {{"k", "2"}});
    CHECK(&a == &b);
    CHECK(&a != &c);
    a.add(2);
    CHECK(b.value() == 2);
    CHECK_THROWS_AS(r.gauge("x_total", "help"), std::logic_error);
    auto families = r.families();
    REQUIRE(families.size() == 1);
    CHECK(families[0].series.size() == 2);
}

TEST_CASE("counters stay exact under concurrent adds") {
    MetricsRegistry r;
    auto& c = r.counter("n_total", "");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) c.add();
        });
    for (auto& t : threads) t.join();
    CHECK(c.value() == 40000);
}

TEST_CASE("frame states count each state, its transitions and the time spent") {
    FrameStates states;
    states.received(10);
    states.processing(6, 0.6);
    states.finished(4, 1, 0, 0.5);
    states.dropped(2, FrameState::Received);
    auto s = states.snapshot();
    CHECK(s.total_frames == 10);
    CHECK(s.current[0] == 2);  // received, still queued: 10 - 6 processing - 2 dropped
    CHECK(s.current[1] == 1);  // processing: 6 - 5 finished
    CHECK(s.current[2] == 4);
    CHECK(s.current[3] == 1);
    CHECK(s.current[4] == 2);
    CHECK(s.transitions[0][1] == 6);
    CHECK(s.seconds_spent[0] == doctest::Approx(0.6));
}

TEST_CASE("recent failures are a bounded ring") {
    FrameStates states;
    for (int i = 0; i < 100; ++i) states.record_failure({"f" + std::to_string(i), "p", "e"});
    auto s = states.snapshot();
    CHECK(s.recent_failures.size() == FrameStates::kRecentFailures);
    CHECK(s.recent_failures.back().frame_id == "f99");
}
