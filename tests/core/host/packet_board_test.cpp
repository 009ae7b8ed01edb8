#include "core/host/packet_board.hpp"

#include <doctest/doctest.h>

using namespace framehost;
using namespace framehost::core;
using namespace std::chrono_literals;

namespace {
// A packet of `bytes` at `wall_ms`, a keyframe or not.
EncodedPacket packet(std::int64_t wall_ms, bool key, std::size_t bytes = 100) {
    EncodedPacket p;
    p.wall_ms = wall_ms;
    p.keyframe = key;
    p.data = std::make_shared<const std::vector<std::uint8_t>>(bytes, std::uint8_t{1});
    return p;
}

// A camera at 10 packets a second, a keyframe every second, for `seconds`.
void publish_seconds(PacketBoard& board, const std::string& camera, int seconds,
                     std::chrono::milliseconds keep) {
    for (int i = 0; i < seconds * 10; ++i)
        board.publish(camera, packet(i * 100, i % 10 == 0), keep);
}
}  // namespace

TEST_CASE("a camera's ring keeps `keep` before its newest keyframe, from a keyframe on") {
    PacketBoard board;
    publish_seconds(board, "door", 10, 3000ms);
    auto held = board.since("door", 0);  // from the oldest keyframe held
    REQUIRE(!held.empty());
    CHECK(held.front().keyframe);
    // The newest keyframe is at 9000 ms: what is older than 6000 ms went, from 6000 on.
    CHECK(held.front().wall_ms == 6000);
    CHECK(held.back().wall_ms == 9900);
    CHECK(held.back().seq == 100);  // numbered as published, from 1
}

TEST_CASE("since() starts at the keyframe at or before the time asked, after() follows on") {
    PacketBoard board;
    publish_seconds(board, "door", 5, 10000ms);
    auto from = board.since("door", 2350);
    REQUIRE(!from.empty());
    CHECK(from.front().wall_ms == 2000);
    CHECK(from.front().keyframe);
    auto next = board.after("door", from.front().seq, 3);
    REQUIRE(next.size() == 3);
    CHECK(next[0].seq == from.front().seq + 1);
    CHECK(next[2].wall_ms == 2300);
    CHECK(board.after("door", 50, 10).empty());  // nothing newer than the newest
    CHECK(board.since("nobody", 0).empty());
}

TEST_CASE("a reader that fell behind the ring sees the sequence jump, and the bytes are bounded") {
    PacketBoard board;
    publish_seconds(board, "door", 10, 1000ms);
    auto behind = board.after("door", 3, 1);
    REQUIRE(behind.size() == 1);
    CHECK(behind[0].seq > 4);  // 4 to its seq were trimmed away
    CHECK(behind[0].keyframe);

    // 2 MB packets: the ring keeps at most its byte bound, still from a keyframe.
    for (int i = 0; i < 60; ++i)
        board.publish("big", packet(i * 100, i % 10 == 0, 2u << 20), 600'000ms);
    CHECK(board.bytes() <= PacketBoard::kMaxBytesPerCamera + (1u << 20));
    auto held = board.since("big", 0);
    REQUIRE(!held.empty());
    CHECK(held.front().keyframe);
    auto cameras = board.cameras();
    CHECK(cameras.size() == 2);
}
