#include "core/pipeline/frame_queue.hpp"

#include <doctest/doctest.h>

using namespace framehost;
using namespace framehost::core;

namespace {
std::vector<Frame> frames(int n, int first = 0) {
    std::vector<Frame> out(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)].id = std::to_string(first + i);
    return out;
}
}  // namespace

TEST_CASE("frames come out in the order they went in, at most max at a time") {
    FrameQueue queue(100, 1 << 20);
    auto in = frames(10);
    queue.push(in);
    CHECK(in.empty());
    std::vector<Frame> out;
    REQUIRE(queue.pop(out, 4));
    REQUIRE(out.size() == 4);
    CHECK(out[0].id == "0");
    CHECK(out[3].id == "3");
    out.clear();
    REQUIRE(queue.pop(out, 100));
    CHECK(out.size() == 6);
    CHECK(out.back().id == "9");
}

TEST_CASE("the ring grows past its first size without losing order") {
    FrameQueue queue(1000, 1 << 20);
    std::vector<Frame> out;
    auto a = frames(50);
    queue.push(a);
    queue.pop(out, 30);  // moves the head so growth happens across the wrap
    auto b = frames(200, 50);
    queue.push(b);
    out.clear();
    while (queue.depth() > 0) queue.pop(out, 1000);
    REQUIRE(out.size() == 220);
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i].id == std::to_string(30 + i));
}

TEST_CASE("a closed queue drains, then pop says it is over") {
    FrameQueue queue(10, 1 << 20);
    auto in = frames(3);
    queue.push(in);
    queue.close();
    std::vector<Frame> out;
    CHECK(queue.pop(out, 10));
    CHECK(out.size() == 3);
    CHECK_FALSE(queue.pop(out, 10));
    std::atomic<bool> stop{false};
    CHECK_FALSE(queue.wait_for_room(1, stop));
}

TEST_CASE("abandon takes every queued frame out and gives their bytes back") {
    FrameQueue queue(10, 1 << 20);
    auto in = frames(4);
    in[0].image = image_from_bytes(PixelFormat::Unknown, 0, 0, std::vector<std::uint8_t>(100));
    queue.push(in);
    CHECK(queue.bytes_in_flight() == 100);
    auto left = queue.abandon();
    CHECK(left.size() == 4);
    CHECK(queue.depth() == 0);
    CHECK(queue.bytes_in_flight() == 0);
}
