// What crosses to a plugin worker: frames out through a real memfd arena and back, kept blocks
// honoured, a frame too large refused, and the link's messages over a real socket pair.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "core/isolation/frame_pool.hpp"
#include "core/isolation/frame_transfer.hpp"
#include "core/isolation/shared_arena.hpp"
#include "core/isolation/worker_link.hpp"

using namespace framehost;
using namespace framehost::core::isolation;

namespace {
// A 50x30 RGB image (150-byte rows, 192 apart) whose bytes say where they are.
Image patterned(int seed) {
    auto image = make_image(PixelFormat::RGB24, 50, 30);
    for (int y = 0; y < image.rows(0); ++y)
        for (std::size_t x = 0; x < image.row_bytes(0); ++x)
            image.planes[0].data[static_cast<std::size_t>(y) * image.stride(0) + x] =
                static_cast<std::uint8_t>(seed + y * 7 + static_cast<int>(x));
    return image;
}

Frame frame_with(const std::string& id, Image image) {
    Frame f;
    f.id = id;
    f.camera_id = "door";
    f.timestamp_ms = 1234;
    f.metadata = {{"k", "v"}};
    f.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    f.detections.push_back({"person", 0.75, {1, 2, 3, 4}, 9});
    f.detections.back().keypoints = {{1.5f, 2.5f}};
    f.detections.back().zones = {"porch"};
    if (!image.empty()) f.set_image(std::move(image));
    return f;
}

bool same_pixels(const Image& a, const Image& b) {
    if (a.width != b.width || a.height != b.height || a.format != b.format) return false;
    for (int y = 0; y < a.rows(0); ++y)
        if (std::memcmp(a.row(0, y), b.row(0, y), a.row_bytes(0)) != 0) return false;
    return true;
}
}  // namespace

TEST_CASE("the arena planner places blocks aligned, around blocks in use, and says when full") {
    ArenaPlanner planner(4096, {{128, 100}, {1000, 24}});
    CHECK(planner.place(100) == 0);
    CHECK(planner.place(50) == 256);    // 128..228 is in use: the next aligned start after it
    CHECK(planner.place(700) == 1024);  // 320..1020 would cover 1000..1024, in use
    CHECK(planner.place(10) == 1728);
    CHECK(planner.place(4000) == std::nullopt);
    CHECK(planner.place(2000) == 1792);
    CHECK(planner.place(400) == std::nullopt);
}

TEST_CASE("frames cross the arena with every field, their pixels wrapped where they were written") {
    auto arena = SharedArena::create("test", 1 << 20);
    std::vector<Frame> frames;
    frames.push_back(frame_with("a", patterned(1)));
    frames.push_back(frame_with("b", Image{}));  // metadata only
    frames.push_back(frame_with("c", patterned(2)));
    frames[2].fail("earlier");
    std::vector<const Frame*> view;
    for (const auto& f : frames) view.push_back(&f);

    ArenaPlanner planner(arena.size(), {});
    MessageWriter message(MessageType::Process);
    std::string too_large;
    REQUIRE(send_frames(view, {&arena, nullptr}, planner, message, too_large) == 3);

    auto held = std::make_shared<HeldBlocks>();
    MessageReader reader(message.bytes());
    CHECK(reader.type() == MessageType::Process);
    auto got = receive_frames(reader, {&arena, nullptr}, held);
    REQUIRE(got.size() == 3);
    CHECK(reader.done());
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(got[i].id == frames[i].id);
        CHECK(got[i].camera_id == "door");
        CHECK(got[i].timestamp_ms == 1234);
        CHECK(got[i].metadata == frames[i].metadata);
        CHECK(got[i].traceparent == frames[i].traceparent);
        REQUIRE(got[i].detections.size() == 1);
        CHECK(got[i].detections[0].track_id == 9);
        CHECK(got[i].detections[0].zones == std::vector<std::string>{"porch"});
        CHECK(got[i].detections[0].keypoints[0][1] == 2.5f);
    }
    CHECK(got[1].image.empty());
    CHECK(got[2].error() == "earlier");
    // The worker's image is the arena's memory, not a copy, with the sender's stride.
    CHECK(arena.holds(got[0].image.planes[0].data, got[0].image.planes[0].size));
    CHECK(got[0].image.stride(0) == 192);
    CHECK(same_pixels(got[0].image, frames[0].image));
    CHECK(same_pixels(got[2].image, frames[2].image));
    CHECK(held->list().size() == 2);
    got.clear();
    CHECK(held->list().empty());
}

TEST_CASE("what a processor did comes back: detections, results, failure, filter and a new image") {
    auto arena = SharedArena::create("test", 1 << 20);
    std::vector<Frame> frames;
    for (int i = 0; i < 3; ++i) frames.push_back(frame_with(std::to_string(i), patterned(i)));
    std::vector<const Frame*> view;
    for (const auto& f : frames) view.push_back(&f);
    ArenaPlanner planner(arena.size(), {});
    MessageWriter message(MessageType::Process);
    std::string too_large;
    REQUIRE(send_frames(view, {&arena, nullptr}, planner, message, too_large) == 3);

    auto held = std::make_shared<HeldBlocks>();
    MessageReader reader(message.bytes());
    reader.type();
    auto worked = receive_frames(reader, {&arena, nullptr}, held);
    std::vector<Image> before;
    for (const auto& f : worked) before.push_back(f.image);
    worked[0].detections.push_back({"car", 0.5, {5, 6, 7, 8}});
    worked[0].results["mine"] = {{"n", 1}};
    worked[1].fail("no good");
    worked[2].filter("quiet");
    auto kept = worked[0].image;  // what a plugin keeping a picture does
    worked[0].set_image(patterned(99));
    MessageWriter answer(MessageType::Processed);
    send_processed(worked, before, arena, planner.end(), *held, answer);
    worked.clear();
    before.clear();
    CHECK(held->list().size() == 1);  // `kept` still holds frame 0's block

    std::vector<Frame*> targets;
    for (auto& f : frames) targets.push_back(&f);
    MessageReader back(answer.bytes());
    back.type();
    receive_processed(back, arena, targets);
    CHECK(frames[0].detections.size() == 2);
    CHECK(frames[0].results["mine"]["n"] == 1);
    CHECK(same_pixels(frames[0].image, patterned(99)));
    CHECK_FALSE(arena.holds(frames[0].image.planes[0].data, 1));  // copied out of the arena
    CHECK(frames[1].error() == "no good");
    CHECK(frames[2].filter_reason() == "quiet");

    // The next call is placed around the kept block.
    auto blocks = held->list();
    ArenaPlanner next(arena.size(), blocks);
    auto at = next.place(kept.byte_size());
    REQUIRE(at);
    CHECK(
        (*at >= blocks[0].offset + blocks[0].bytes || *at + kept.byte_size() <= blocks[0].offset));
}

TEST_CASE("a frame larger than the arena is refused by name, and a batch is split where it fills") {
    auto arena = SharedArena::create("test", 8192);
    std::vector<Frame> frames;
    frames.push_back(frame_with("big", make_image(PixelFormat::RGB24, 100, 100)));
    std::vector<const Frame*> view{&frames[0]};
    ArenaPlanner planner(arena.size(), {});
    MessageWriter message(MessageType::Process);
    std::string too_large;
    CHECK(send_frames(view, {&arena, nullptr}, planner, message, too_large) == 0);
    CHECK(too_large == "a frame of 0 MB does not fit the worker's arena of 0 MB");

    std::vector<Frame> small;
    for (int i = 0; i < 3; ++i) small.push_back(frame_with(std::to_string(i), patterned(i)));
    std::vector<const Frame*> three;
    for (const auto& f : small) three.push_back(&f);
    ArenaPlanner fresh(arena.size(), {});
    MessageWriter split(MessageType::Process);
    CHECK(send_frames(three, {&arena, nullptr}, fresh, split, too_large) == 1);  // 5,760 bytes each
}

TEST_CASE("frames whose planes are in the host's frame pool cross as offsets, with no copy") {
    auto arena = SharedArena::create("test", 1 << 20);
    FramePool pool(8 << 20);
    auto image = pool.make_image(PixelFormat::RGB24, 50, 30);
    REQUIRE(pool.offset_of(image.planes[0].data, image.planes[0].size));
    CHECK(image.stride(0) == 192);  // make_image's layout
    std::memcpy(image.planes[0].data, patterned(5).planes[0].data, image.planes[0].size);
    std::vector<Frame> frames;
    frames.push_back(frame_with("pooled", image));
    frames.push_back(frame_with("heap", patterned(6)));
    std::vector<const Frame*> view{&frames[0], &frames[1]};
    ArenaPlanner planner(arena.size(), {});
    MessageWriter message(MessageType::Process);
    std::string too_large;
    REQUIRE(send_frames(view, {&arena, &pool.memory()}, planner, message, too_large) == 2);
    CHECK(planner.end() < 2 * 192 * 30);  // only the heap frame was copied into the arena
    auto pooled_block = pool_block_of(frames[0].image, &pool.memory());
    REQUIRE(pooled_block);
    CHECK(pool_block_of(frames[1].image, &pool.memory()) == std::nullopt);

    auto held = std::make_shared<HeldBlocks>();
    MessageReader reader(message.bytes());
    reader.type();
    auto got = receive_frames(reader, {&arena, &pool.memory()}, held);
    REQUIRE(got.size() == 2);
    // Here both sides map the same pool at one address: the worker's plane is the frame's own.
    CHECK(got[0].image.planes[0].data == image.planes[0].data);
    CHECK(arena.holds(got[1].image.planes[0].data, 1));
    CHECK(same_pixels(got[0].image, patterned(5)));
    auto blocks = held->list();
    REQUIRE(blocks.size() == 2);
    CHECK(std::count_if(blocks.begin(), blocks.end(), [&](const ArenaBlock& b) {
              return b.space == ArenaBlock::Pool && b.offset == *pooled_block;
          }) == 1);

    // The pool hands a returned block out again, and falls back to the heap when full.
    auto before = pool.figures().in_use;
    got.clear();
    frames.clear();
    image = Image{};
    CHECK(pool.figures().in_use < before);
    std::vector<Image> many;
    for (int i = 0; i < 40; ++i) many.push_back(pool.make_image(PixelFormat::RGB24, 640, 480));
    CHECK(pool.figures().from_heap > 0);
    CHECK(!many.back().empty());
}

TEST_CASE("messages cross a socket pair whole, however large, and a closed peer is seen") {
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    MessageWriter big(MessageType::Process);
    big.text(std::string(3 << 20, 'x'));
    std::thread sender([&] { CHECK(send_message(pair[0], big.bytes())); });
    std::string got;
    CHECK(receive_message(pair[1], got, std::chrono::seconds(10)) == Received::Message);
    sender.join();
    CHECK(got == big.bytes());
    CHECK(receive_message(pair[1], got, std::chrono::milliseconds(50)) == Received::TimedOut);
    ::close(pair[0]);
    CHECK(receive_message(pair[1], got, std::chrono::seconds(1)) == Received::Closed);
    ::close(pair[1]);
}
