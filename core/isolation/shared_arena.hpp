#pragma once
// The memory a host and one plugin worker both map (a memfd): the host writes each frame's
// planes into it once, the worker wraps them as the frame's image without a copy, and a worker
// that gives a frame a new image writes it after the input. Untouched pages cost nothing, so
// the arena is sized for the largest batch, not for the frames of one.
#include <cstddef>
#include <cstdint>
#include <string>

namespace framehost::core::isolation {

class SharedArena {
  public:
    // A new arena of `bytes` (the host's side). Throws std::runtime_error naming the failure.
    static SharedArena create(const std::string& name, std::size_t bytes);
    // Maps an arena received as `fd` (the worker's side); takes the descriptor. Read-only unless
    // `writable`: the host's frame pool is, to its workers.
    static SharedArena adopt(int fd, std::size_t bytes, bool writable = true);

    SharedArena() = default;
    SharedArena(SharedArena&& other) noexcept { *this = std::move(other); }
    SharedArena& operator=(SharedArena&& other) noexcept;
    SharedArena(const SharedArena&) = delete;
    SharedArena& operator=(const SharedArena&) = delete;
    ~SharedArena();

    int fd() const { return fd_; }
    std::uint8_t* data() const { return data_; }
    std::size_t size() const { return size_; }
    // Whether [p, p + n) lies inside the arena.
    bool holds(const std::uint8_t* p, std::size_t n) const {
        return p >= data_ && n <= size_ && p - data_ <= static_cast<std::ptrdiff_t>(size_ - n);
    }

  private:
    int fd_ = -1;
    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

// Where the next block of `bytes` starts at or after `offset`: 64-byte aligned, as make_image
// aligns rows.
inline std::size_t arena_align(std::size_t offset) {
    return (offset + 63) & ~std::size_t(63);
}

}  // namespace framehost::core::isolation
