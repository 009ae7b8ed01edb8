#include "core/isolation/frame_pool.hpp"

#include <array>

namespace framehost::core::isolation {

namespace {
constexpr std::size_t kPage = 4096;
}

// Blocks of whole pages: a free list per size (frames of a stream are all one size), a bump
// pointer for new sizes, and the smallest larger free block when both are out.
struct FramePool::Blocks {
    explicit Blocks(std::size_t capacity) : capacity(capacity) {}
    std::optional<std::size_t> take(std::size_t bytes) {
        std::lock_guard lock(mutex);
        auto size = (bytes + kPage - 1) / kPage * kPage;
        std::optional<std::size_t> at;
        if (auto it = free.find(size); it != free.end() && !it->second.empty()) {
            at = it->second.back();
            it->second.pop_back();
        } else if (capacity - bump >= size) {
            at = bump;
            bump += size;
        } else if (auto larger = free.upper_bound(size); larger != free.end()) {
            for (; larger != free.end(); ++larger)
                if (!larger->second.empty()) {
                    at = larger->second.back();
                    larger->second.pop_back();
                    size = larger->first;
                    break;
                }
        }
        if (!at) {
            ++from_heap;
            return std::nullopt;
        }
        sizes[*at] = size;
        in_use += size;
        return at;
    }
    void give_back(std::size_t at) {
        std::lock_guard lock(mutex);
        auto it = sizes.find(at);
        if (it == sizes.end()) return;
        free[it->second].push_back(at);
        in_use -= it->second;
        sizes.erase(it);
    }

    std::mutex mutex;
    std::size_t capacity;
    std::size_t bump = 0;
    std::map<std::size_t, std::vector<std::size_t>> free;  // by size
    std::map<std::size_t, std::size_t> sizes;              // handed out: offset -> size
    std::size_t in_use = 0;
    std::uint64_t from_heap = 0;
};

FramePool::FramePool(std::size_t bytes)
    : arena_(SharedArena::create("framehost-frames", bytes)),
      blocks_(std::make_shared<Blocks>(bytes)) {}

FramePool::~FramePool() = default;

Image FramePool::make_image(PixelFormat format, int width, int height) {
    // make_image()'s layout: each plane's rows 64-byte aligned, planes one after the other.
    constexpr std::size_t kAlign = 64;
    std::array<std::size_t, 4> offsets{}, strides{}, sizes{};
    std::size_t total = 0;
    for (int p = 0; p < plane_count(format); ++p) {
        auto i = static_cast<std::size_t>(p);
        strides[i] = (plane_row_bytes(format, p, width) + kAlign - 1) / kAlign * kAlign;
        sizes[i] = strides[i] * static_cast<std::size_t>(plane_rows(format, p, height));
        offsets[i] = total;
        total += sizes[i];
    }
    if (total == 0) return framehost::make_image(format, width, height);
    auto at = blocks_->take(total);
    if (!at) return framehost::make_image(format, width, height);
    std::array<ImagePlane, 4> planes{};
    for (int p = 0; p < plane_count(format); ++p) {
        auto i = static_cast<std::size_t>(p);
        planes[i] = {arena_.data() + *at + offsets[i], strides[i], sizes[i]};
    }
    // The owner gives the block back; it holds the allocator, which outlives the pool's map
    // only as bookkeeping (the host destroys its plugins' images before the pool).
    auto owner = std::shared_ptr<const void>(
        nullptr, [blocks = blocks_, block = *at](const void*) { blocks->give_back(block); });
    return wrap_image(format, width, height, planes, std::move(owner));
}

FramePool::Figures FramePool::figures() const {
    std::lock_guard lock(blocks_->mutex);
    return {blocks_->in_use, blocks_->from_heap};
}

}  // namespace framehost::core::isolation
