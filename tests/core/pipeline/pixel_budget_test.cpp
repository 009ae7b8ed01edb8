#include "core/pipeline/pixel_budget.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <framehost/image.hpp>

using namespace framehost;
using namespace framehost::core;
using namespace std::chrono_literals;

TEST_CASE("reservations share memory_limit_mb with the frames in flight in the queue") {
    constexpr std::size_t kLimit = 1000;
    FrameQueue queue(16, kLimit);
    PixelBudget budget(kLimit);
    budget.share_with(queue);

    MemoryReservation held(&budget);
    CHECK(held.grow(600));
    CHECK_FALSE(held.grow(401));  // 1001 of 1000
    CHECK(held.bytes() == 600);
    CHECK(budget.reserved() == 600);

    // 100 held, and a 30x10 BGR frame (900 bytes) in flight: no room left.
    held.shrink(500);
    FrameBatch batch;
    batch.frames.resize(1);
    batch.host.resize(1);
    batch.frames[0].set_image(make_image(PixelFormat::BGR24, 30, 10, 1));
    auto in_flight = batch.frames[0].image.byte_size();
    REQUIRE(in_flight == 900);
    queue.push(batch);
    CHECK_FALSE(held.grow(1));
    FrameBatch out;
    REQUIRE(queue.pop(out, 1));
    queue.release(out);  // the frame leaves the pipeline
    CHECK(held.grow(kLimit - 100));
    held.clear();
    CHECK(budget.reserved() == 0);
}

TEST_CASE("a reservation that waits is served before those that only try") {
    PixelBudget budget(1000);
    std::atomic<bool> stop{false};
    MemoryReservation greedy(&budget);
    REQUIRE(greedy.grow(900));

    std::atomic<bool> served{false};
    std::thread waiter([&] {
        MemoryReservation patient(&budget);
        served = patient.grow_waiting(500, stop, 10s);
        CHECK(patient.bytes() == (served ? 500u : 0u));
    });
    // While it waits, the 100 free bytes are kept for it, and what the greedy one gives back
    // is not taken again by trying.
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(greedy.grow(50));
    greedy.shrink(450);  // 550 free
    CHECK_FALSE(greedy.grow(100));
    waiter.join();
    CHECK(served);
    CHECK(greedy.grow(100));  // the waiter has gone, its 500 with it: 450 + 100 fit
}

TEST_CASE("a wait ends without taking anything when stopped, timed out or larger than the limit") {
    PixelBudget budget(1000);
    std::atomic<bool> stop{false};
    MemoryReservation full(&budget);
    REQUIRE(full.grow(1000));
    MemoryReservation other(&budget);
    auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(other.grow_waiting(10, stop, 100ms));
    CHECK(std::chrono::steady_clock::now() - started >= 100ms);
    CHECK_FALSE(other.grow_waiting(1001, stop, 10s));  // can never fit: at once
    std::thread stopper([&] {
        std::this_thread::sleep_for(50ms);
        stop = true;
    });
    CHECK_FALSE(other.grow_waiting(10, stop, 10s));
    stopper.join();
    CHECK(other.bytes() == 0);
    CHECK(budget.reserved() == 1000);
    full.clear();
    CHECK(other.grow(1000));
}

TEST_CASE("without a host there is no budget: a reservation always holds") {
    MemoryReservation unbudgeted;
    CHECK(unbudgeted.grow(std::size_t{1} << 40));
    std::atomic<bool> stop{false};
    CHECK(unbudgeted.grow_waiting(1, stop, 0ms));
    CHECK(unbudgeted.limit() == 0);
}
