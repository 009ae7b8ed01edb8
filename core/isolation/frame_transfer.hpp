#pragma once
// How frames cross to a plugin worker and what comes back: each plane is written once into the
// shared arena and the frame's fields into the message; the worker wraps the planes without a
// copy. Back come what a processor may change (detections, results, failure, filter, a new
// image) or which frames a sink could not write.
//
// A plugin may keep an image after its call (motion_gate keeps the last picture of each camera).
// The worker tracks every block of the arena its frames' images still hold and sends the list
// with each answer; the host places the next frames around them, so a kept picture is never
// overwritten.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/isolation/shared_arena.hpp"
#include "core/isolation/worker_link.hpp"
#include "framehost/frame.hpp"

namespace framehost::core::isolation {

// A range of the worker's arena, or of the host's frame pool: [offset, offset + bytes).
struct ArenaBlock {
    enum Space : std::uint8_t { Arena = 0, Pool = 1 };
    std::uint64_t offset = 0;
    std::uint64_t bytes = 0;
    Space space = Arena;
};

// Where the frames' planes may already be: the host's frame pool (framehost.frame_memory), as
// the host maps it and as the worker does (read-only). Null when there is none.
struct SharedMemory {
    const SharedArena* arena = nullptr;  // the worker's own
    const SharedArena* pool = nullptr;   // the host's frame pool
};

// Places blocks in the arena from its start, around the blocks in use.
class ArenaPlanner {
  public:
    ArenaPlanner(std::size_t arena_bytes, std::vector<ArenaBlock> in_use, std::size_t from = 0);
    // Where `bytes` go, or nothing when the arena has no room left.
    std::optional<std::size_t> place(std::size_t bytes);
    std::size_t end() const { return cursor_; }

  private:
    std::size_t size_;
    std::vector<ArenaBlock> in_use_;  // sorted by offset
    std::size_t cursor_;
};

// --- host side ---

// Writes as many of `frames` as fit (in order) into the arena and `message`; returns how many.
// Zero when the first frame alone does not fit: `too_large` then says why. A frame whose planes
// are all in the frame pool is sent as their offsets, no copy; while the worker holds such an
// image (its block listed with offset pool_block_of(image)), the host must keep it alive.
std::size_t send_frames(std::span<const Frame* const> frames, const SharedMemory& memory,
                        ArenaPlanner& planner, MessageWriter& message, std::string& too_large);

// Where the worker's held list names `image` when all its planes are in `pool`: the offset of
// its first plane. Nothing when it is not in the pool.
std::optional<std::uint64_t> pool_block_of(const Image& image, const SharedArena* pool);

// Applies a Processed answer to the frames sent (their number must match). A new image is
// copied out of the arena: the arena is reused by the next call. The images it replaced go
// into `replaced`, for the caller to keep those the worker still holds.
void receive_processed(MessageReader& answer, const SharedArena& arena,
                       std::span<Frame* const> frames, std::vector<Image>* replaced = nullptr);

// --- worker side ---

// Reads the frames of a Process or Write message; their images wrap the arena, and each plane
// block stays listed in `held` for as long as any copy of the image lives.
class HeldBlocks;
std::vector<Frame> receive_frames(MessageReader& message, const SharedMemory& memory,
                                  const std::shared_ptr<HeldBlocks>& held);

// The Processed answer for `frames` after the plugin ran; `before` are the images they came
// with (a different one is written into the arena after the input, around `held`).
void send_processed(std::span<const Frame> frames, std::span<const Image> before,
                    const SharedArena& arena, std::size_t input_end, const HeldBlocks& held,
                    MessageWriter& answer);

// Blocks of the arena held by images the plugin still keeps. [any thread of the worker]
class HeldBlocks : public std::enable_shared_from_this<HeldBlocks> {
  public:
    // An owner for a plane block: while any copy of it lives, the block is listed.
    std::shared_ptr<const void> hold(ArenaBlock block);
    std::vector<ArenaBlock> list() const;

  private:
    mutable std::mutex mutex_;
    std::vector<ArenaBlock> blocks_;
};

void write_held(const std::vector<ArenaBlock>& held, MessageWriter& message);
std::vector<ArenaBlock> read_held(MessageReader& message);

}  // namespace framehost::core::isolation
