#include "core/pipeline/frame_queue.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace framehost;
using namespace framehost::core;

namespace {
FrameBatch frames(int n, int first = 0) {
    FrameBatch out;
    out.frames.resize(static_cast<std::size_t>(n));
    out.host.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        out.frames[static_cast<std::size_t>(i)].id = std::to_string(first + i);
    return out;
}
}  // namespace

TEST_CASE("frames come out in the order they went in, at most max at a time") {
    FrameQueue queue(100, 1 << 20);
    auto in = frames(10);
    queue.push(in);
    CHECK(in.empty());
    FrameBatch out;
    REQUIRE(queue.pop(out, 4));
    REQUIRE(out.size() == 4);
    CHECK(out.frames[0].id == "0");
    CHECK(out.frames[3].id == "3");
    out.clear();
    REQUIRE(queue.pop(out, 100));
    CHECK(out.size() == 6);
    CHECK(out.frames.back().id == "9");
}

TEST_CASE("a pushed batch reaches the popping worker as the same vector, frames unmoved") {
    FrameQueue queue(100, 1 << 20);
    auto in = frames(10);
    const Frame* pushed = in.frames.data();
    queue.push(in);
    FrameBatch out;
    REQUIRE(queue.pop(out, 10));
    CHECK(out.frames.data() == pushed);
    CHECK(out.size() == 10);
    // The worker's emptied vector goes back to the next push's caller, capacity kept.
    out.clear();
    auto next = frames(10, 10);
    queue.push(next);
    FrameBatch other;
    other.reserve(64);
    const Frame* reserved = other.frames.data();
    REQUIRE(queue.pop(other, 10));
    auto again = frames(1, 20);
    queue.push(again);
    CHECK(again.empty());
    CHECK(again.frames.capacity() == 64);
    CHECK(again.frames.data() == reserved);
}

TEST_CASE("a pop gathers small batches up to max, in order, and leaves the rest") {
    FrameQueue queue(100, 1 << 20);
    for (int b = 0; b < 3; ++b) {
        auto in = frames(3, b * 3);
        queue.push(in);
    }
    FrameBatch out;
    REQUIRE(queue.pop(out, 7));
    REQUIRE(out.size() == 7);
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(out.frames[i].id == std::to_string(i));
    CHECK(queue.depth() == 2);
    out.clear();
    REQUIRE(queue.pop(out, 7));
    REQUIRE(out.size() == 2);
    CHECK(out.frames[0].id == "7");
    CHECK(out.frames[1].id == "8");
}

TEST_CASE("the ring grows past its first size without losing order") {
    FrameQueue queue(1000, 1 << 20);
    auto a = frames(50);
    queue.push(a);
    FrameBatch skipped, out;
    queue.pop(skipped, 30);         // splits the first batch
    for (int b = 0; b < 40; ++b) {  // 40 batches more: the ring of batches grows twice
        auto in = frames(5, 50 + b * 5);
        queue.push(in);
        if (b == 5) queue.pop(out, 45);  // moves the head, so growth happens across the wrap
    }
    while (queue.depth() > 0) queue.pop(out, 1000);
    REQUIRE(out.size() == 220);
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(out.frames[i].id == std::to_string(30 + i));
}

TEST_CASE("a closed queue drains, then pop says it is over") {
    FrameQueue queue(10, 1 << 20);
    auto in = frames(3);
    queue.push(in);
    queue.close();
    FrameBatch out;
    CHECK(queue.pop(out, 10));
    CHECK(out.size() == 3);
    CHECK_FALSE(queue.pop(out, 10));
    std::atomic<bool> stop{false};
    CHECK_FALSE(queue.wait_for_room(1, stop));
}

TEST_CASE("abandon takes every queued frame out and gives their bytes back") {
    FrameQueue queue(10, 1 << 20);
    auto in = frames(4);
    in.frames[0].image =
        image_from_bytes(PixelFormat::Unknown, 0, 0, std::vector<std::uint8_t>(100));
    queue.push(in);
    CHECK(queue.bytes_in_flight() == 100);
    auto left = queue.abandon();
    CHECK(left.size() == 4);
    CHECK(queue.depth() == 0);
    CHECK(queue.bytes_in_flight() == 0);
}

TEST_CASE("a source that had to wait for room goes on when the queue is down to seven eighths") {
    // Woken by every pop, a source of a full queue would take a core from a worker per batch.
    FrameQueue queue(16, 1 << 20);
    auto in = frames(16);
    queue.push(in);
    // Each source is stopped before it is joined, so a failed check cannot leave the test hanging.
    auto start_source = [&](std::atomic<bool>& stop, std::atomic<bool>& went_on) {
        return std::thread([&queue, stop = &stop, went_on = &went_on] {
            if (queue.wait_for_room(1, *stop)) *went_on = true;
        });
    };
    auto wait_until = [](const std::atomic<bool>& flag) {
        for (int i = 0; i < 500 && !flag; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return flag.load();
    };
    auto stop_and_join = [&](std::atomic<bool>& stop, std::thread& source) {
        stop = true;
        queue.notify_producers();
        source.join();
    };

    std::atomic<bool> stop_first{false}, first_went_on{false};
    auto first = start_source(stop_first, first_went_on);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    FrameBatch out;
    REQUIRE(queue.pop(out, 1));  // 15 queued: room for one, but above 14
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_FALSE(first_went_on.load());
    REQUIRE(queue.pop(out, 1));  // 14 queued
    CHECK(wait_until(first_went_on));
    stop_and_join(stop_first, first);

    // A source that did not have to wait goes on as soon as its frames fit: 15 + 1 <= 16.
    auto more = frames(1, 16);
    queue.push(more);
    REQUIRE(queue.depth() == 15);
    std::atomic<bool> stop_second{false}, second_went_on{false};
    auto second = start_source(stop_second, second_went_on);
    CHECK(wait_until(second_went_on));
    stop_and_join(stop_second, second);
}
