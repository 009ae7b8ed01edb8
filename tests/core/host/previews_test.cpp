// The host's board of camera pictures: the latest per camera, numbered, and bounded however many
// camera ids come in (hardening round 3, item 6: every id seen by POST /process kept a picture
// for ever).
#include <doctest/doctest.h>

#include <thread>

#include "core/host/previews.hpp"

using namespace framehost::core;

namespace {
Preview picture(std::size_t bytes) {
    Preview p;
    p.jpeg = std::make_shared<const std::vector<std::uint8_t>>(bytes, 0xFF);
    p.width = 4;
    p.height = 4;
    return p;
}
}  // namespace

TEST_CASE("previews: the latest picture per camera, numbered from 1") {
    PreviewBoard board;
    board.publish("door", picture(10));
    board.publish("door", picture(20));
    auto latest = board.latest("door");
    REQUIRE(latest);
    CHECK(latest->sequence == 2);
    CHECK(latest->jpeg->size() == 20);
    board.forget("door");
    CHECK_FALSE(board.latest("door"));
}

TEST_CASE("previews: beyond the cap a new camera evicts the one published longest ago") {
    PreviewBoard board(3);
    for (const char* camera : {"a", "b", "c"}) {
        board.publish(camera, picture(1));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    board.publish("a", picture(1));  // a is the newest now; b the oldest
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    board.publish("d", picture(1));
    auto all = board.all();
    CHECK(all.size() == 3);
    CHECK(all.count("a"));
    CHECK_FALSE(all.count("b"));
    CHECK(all.count("c"));
    CHECK(all.count("d"));
    for (int i = 0; i < 3000; ++i) board.publish("id-" + std::to_string(i), picture(1));
    CHECK(board.all().size() == 3);
}
