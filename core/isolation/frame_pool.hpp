#pragma once
// The host's frame memory (framehost.frame_memory): one memfd the host maps and every isolated
// plugin's worker maps read-only, from which sources take their images. A frame whose planes
// are here crosses to a worker as offsets, with no copy; its image's owner returns the block.
// Untouched pages cost nothing; when the pool is used up, images come from the heap (and are
// copied once into the worker's arena if they must cross).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/isolation/shared_arena.hpp"
#include "framehost/frame_memory.hpp"

namespace framehost::core::isolation {

class FramePool final : public FrameMemory {
  public:
    // Throws std::runtime_error when the memfd cannot be made.
    explicit FramePool(std::size_t bytes);
    ~FramePool();

    Image make_image(PixelFormat format, int width, int height) override;

    // Where [p, p + n) starts in the pool, or nothing when it is not inside.
    std::optional<std::size_t> offset_of(const std::uint8_t* p, std::size_t n) const {
        if (!arena_.holds(p, n)) return std::nullopt;
        return static_cast<std::size_t>(p - arena_.data());
    }
    int fd() const { return arena_.fd(); }
    std::size_t size() const { return arena_.size(); }
    const SharedArena& memory() const { return arena_; }

    struct Figures {
        std::size_t in_use = 0;       // bytes of blocks handed out and not returned
        std::uint64_t from_heap = 0;  // images made from the heap for want of room
    };
    Figures figures() const;

  private:
    struct Blocks;  // the allocator, shared with every image's owner
    SharedArena arena_;
    std::shared_ptr<Blocks> blocks_;
};

}  // namespace framehost::core::isolation
