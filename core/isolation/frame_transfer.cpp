#include "core/isolation/frame_transfer.hpp"

#include <algorithm>
#include <cstring>

namespace framehost::core::isolation {

namespace {

void write_detections(const std::vector<Detection>& detections, MessageWriter& m) {
    m.u32(static_cast<std::uint32_t>(detections.size()));
    for (const auto& d : detections) {
        m.text(d.class_name);
        m.f64(d.confidence);
        for (int v : d.bbox) m.i64(v);
        m.u64(d.track_id);
        m.u32(static_cast<std::uint32_t>(d.keypoints.size()));
        for (const auto& k : d.keypoints) {
            m.f32(k[0]);
            m.f32(k[1]);
        }
        m.u32(static_cast<std::uint32_t>(d.zones.size()));
        for (const auto& z : d.zones) m.text(z);
    }
}

std::vector<Detection> read_detections(MessageReader& m) {
    std::vector<Detection> detections(m.u32());
    for (auto& d : detections) {
        d.class_name = m.text();
        d.confidence = m.f64();
        for (int& v : d.bbox) v = static_cast<int>(m.i64());
        d.track_id = m.u64();
        d.keypoints.resize(m.u32());
        for (auto& k : d.keypoints) {
            k[0] = m.f32();
            k[1] = m.f32();
        }
        d.zones.resize(m.u32());
        for (auto& z : d.zones) z = m.text();
    }
    return detections;
}

void write_json(const nlohmann::json& value, MessageWriter& m) {
    m.text(value.is_null() ? std::string() : value.dump());
}
nlohmann::json read_json(MessageReader& m) {
    auto text = m.view();
    return text.empty() ? nlohmann::json() : nlohmann::json::parse(text);
}

int planes_of(const Image& image) {
    int n = 0;
    while (n < 4 && image.planes[static_cast<std::size_t>(n)].data) ++n;
    return n;
}

// The offsets of an image's planes in `pool` when every one is inside it.
std::optional<std::array<std::size_t, 4>> pool_offsets(const Image& image,
                                                       const SharedArena* pool) {
    if (!pool) return std::nullopt;
    std::array<std::size_t, 4> offsets{};
    for (int p = 0; p < planes_of(image); ++p) {
        const auto& plane = image.planes[static_cast<std::size_t>(p)];
        if (!pool->holds(plane.data, plane.size)) return std::nullopt;
        offsets[static_cast<std::size_t>(p)] = static_cast<std::size_t>(plane.data - pool->data());
    }
    return offsets;
}

// Writes where `image`'s planes are: in the pool already (their offsets, no copy), or copied
// into the arena where `planner` finds room. False when they do not fit (nothing is written to
// `m` then).
bool write_image(const Image& image, const SharedMemory& memory, ArenaPlanner& planner,
                 MessageWriter& m) {
    int n = planes_of(image);
    auto offsets_in_pool = pool_offsets(image, memory.pool);
    std::array<std::size_t, 4> offsets{};
    if (offsets_in_pool) {
        offsets = *offsets_in_pool;
    } else {
        for (int p = 0; p < n; ++p) {
            auto at = planner.place(image.planes[static_cast<std::size_t>(p)].size);
            if (!at) return false;
            offsets[static_cast<std::size_t>(p)] = *at;
        }
    }
    m.u8(offsets_in_pool ? ArenaBlock::Pool : ArenaBlock::Arena);
    m.u8(static_cast<std::uint8_t>(image.format));
    m.i64(image.width);
    m.i64(image.height);
    m.u8(static_cast<std::uint8_t>(n));
    for (int p = 0; p < n; ++p) {
        const auto& plane = image.planes[static_cast<std::size_t>(p)];
        if (!offsets_in_pool)
            std::memcpy(memory.arena->data() + offsets[static_cast<std::size_t>(p)], plane.data,
                        plane.size);
        m.u64(offsets[static_cast<std::size_t>(p)]);
        m.u64(plane.stride);
        m.u64(plane.size);
    }
    return true;
}

// An image's description as write_image wrote it; its planes point into the arena or the pool.
// The block they span is returned for the caller to hold or copy. Throws when a plane lies
// outside.
Image read_image(MessageReader& m, const SharedMemory& memory, ArenaBlock& spanned) {
    auto space = static_cast<ArenaBlock::Space>(m.u8());
    const SharedArena* where = space == ArenaBlock::Pool ? memory.pool : memory.arena;
    if (!where || space > ArenaBlock::Pool)
        throw std::runtime_error("a worker message names memory this side does not map");
    const SharedArena& arena = *where;
    Image image;
    image.format = static_cast<PixelFormat>(m.u8());
    image.width = static_cast<int>(m.i64());
    image.height = static_cast<int>(m.i64());
    int n = m.u8();
    if (n > 4) throw std::runtime_error("a worker message names more than 4 planes");
    std::uint64_t first = UINT64_MAX, last = 0;
    for (int p = 0; p < n; ++p) {
        auto& plane = image.planes[static_cast<std::size_t>(p)];
        auto offset = m.u64();
        plane.stride = m.u64();
        plane.size = m.u64();
        if (offset > arena.size() || plane.size > arena.size() - offset)
            throw std::runtime_error("a worker message places a plane outside the arena");
        plane.data = arena.data() + offset;
        first = std::min(first, offset);
        last = std::max(last, offset + plane.size);
    }
    spanned = n > 0 ? ArenaBlock{first, last - first, space} : ArenaBlock{};
    return image;
}

// A copy of an image the arena holds, in memory of its own.
Image copy_out(const Image& inside) {
    if (inside.format == PixelFormat::Encoded || inside.format == PixelFormat::Unknown ||
        inside.plane_count() == 0) {
        auto bytes = std::make_shared<std::vector<std::uint8_t>>(
            inside.planes[0].data, inside.planes[0].data + inside.planes[0].size);
        std::array<ImagePlane, 4> planes{};
        planes[0] = {bytes->data(), inside.planes[0].stride, bytes->size()};
        return wrap_image(inside.format, inside.width, inside.height, planes, bytes);
    }
    auto copy = make_image(inside.format, inside.width, inside.height);
    for (int p = 0; p < inside.plane_count(); ++p)
        for (int y = 0; y < inside.rows(p); ++y)
            std::memcpy(copy.planes[static_cast<std::size_t>(p)].data +
                            static_cast<std::size_t>(y) * copy.stride(p),
                        inside.row(p, y), inside.row_bytes(p));
    return copy;
}

bool same_image(const Image& a, const Image& b) {
    for (std::size_t p = 0; p < 4; ++p)
        if (a.planes[p].data != b.planes[p].data || a.planes[p].stride != b.planes[p].stride)
            return false;
    return a.format == b.format && a.width == b.width && a.height == b.height;
}

enum ImageChange : std::uint8_t { kKept = 0, kReplaced = 1, kRemoved = 2, kNoRoom = 3 };

}  // namespace

ArenaPlanner::ArenaPlanner(std::size_t arena_bytes, std::vector<ArenaBlock> in_use,
                           std::size_t from)
    : size_(arena_bytes), in_use_(std::move(in_use)), cursor_(from) {
    std::sort(in_use_.begin(), in_use_.end(),
              [](const ArenaBlock& a, const ArenaBlock& b) { return a.offset < b.offset; });
}

std::optional<std::size_t> ArenaPlanner::place(std::size_t bytes) {
    std::size_t at = arena_align(cursor_);
    for (bool moved = true; moved;) {
        moved = false;
        for (const auto& block : in_use_) {
            if (block.bytes == 0 || block.space != ArenaBlock::Arena) continue;
            if (block.offset < at + bytes && at < block.offset + block.bytes) {
                at = arena_align(block.offset + block.bytes);
                moved = true;
            }
        }
    }
    if (at > size_ || bytes > size_ - at) return std::nullopt;
    cursor_ = at + bytes;
    return at;
}

std::optional<std::uint64_t> pool_block_of(const Image& image, const SharedArena* pool) {
    auto offsets = pool_offsets(image, pool);
    if (!offsets || image.empty()) return std::nullopt;
    return *std::min_element(offsets->begin(), offsets->begin() + planes_of(image));
}

std::size_t send_frames(std::span<const Frame* const> frames, const SharedMemory& memory,
                        ArenaPlanner& planner, MessageWriter& message, std::string& too_large) {
    std::size_t sent = 0;
    auto count_at = message.mark();
    message.u32(0);  // how many follow, written when known
    for (const Frame* f : frames) {
        auto mark = message.mark();
        message.text(f->id);
        message.text(f->camera_id);
        message.i64(f->timestamp_ms);
        message.i64(f->width);
        message.i64(f->height);
        message.u8(static_cast<std::uint8_t>(f->format));
        message.text(f->traceparent);
        write_json(f->metadata, message);
        write_detections(f->detections, message);
        write_json(f->results, message);
        message.text(f->error());
        message.text(f->failed_in());
        message.u8(f->image.empty() ? 0 : 1);
        if (!f->image.empty() && !write_image(f->image, memory, planner, message)) {
            message.truncate(mark);
            if (sent == 0)
                too_large = "a frame of " + std::to_string(f->image.byte_size() >> 20) +
                            " MB does not fit the worker's arena of " +
                            std::to_string(memory.arena->size() >> 20) + " MB";
            break;
        }
        ++sent;
    }
    message.patch_u32(count_at, static_cast<std::uint32_t>(sent));
    return sent;
}

std::vector<Frame> receive_frames(MessageReader& m, const SharedMemory& memory,
                                  const std::shared_ptr<HeldBlocks>& held) {
    auto count = m.u32();
    // Each frame takes more than 4 bytes: a count beyond that is a malformed message.
    if (count > kMaxMessageBytes / 4) throw std::runtime_error("a worker message ended early");
    std::vector<Frame> frames;
    frames.reserve(count);
    for (std::uint32_t k = 0; k < count; ++k) {
        Frame& f = frames.emplace_back();
        f.id = m.text();
        f.camera_id = m.text();
        f.timestamp_ms = m.i64();
        f.width = static_cast<int>(m.i64());
        f.height = static_cast<int>(m.i64());
        f.format = static_cast<PixelFormat>(m.u8());
        f.traceparent = m.text();
        f.metadata = read_json(m);
        f.detections = read_detections(m);
        f.results = read_json(m);
        auto error = m.view();
        auto failed_in = m.view();
        if (!error.empty()) {
            f.fail(std::string(error));
            f.set_failed_in(std::string(failed_in));
        }
        if (m.u8() == 1) {
            ArenaBlock block;
            f.image = read_image(m, memory, block);
            f.image.owner = held->hold(block);
        }
    }
    return frames;
}

void send_processed(std::span<const Frame> frames, std::span<const Image> before,
                    const SharedArena& arena, std::size_t input_end, const HeldBlocks& held,
                    MessageWriter& m) {
    std::optional<ArenaPlanner> planner;   // made for the first new image only
    SharedMemory memory{&arena, nullptr};  // a new image goes into the arena
    m.u32(static_cast<std::uint32_t>(frames.size()));
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const Frame& f = frames[i];
        write_detections(f.detections, m);
        write_json(f.results, m);
        m.text(f.error());
        m.text(f.filter_reason());
        if (same_image(f.image, before[i])) {
            m.u8(kKept);
        } else if (f.image.empty()) {
            m.u8(kRemoved);
        } else {
            auto mark = m.mark();
            m.u8(kReplaced);
            if (!planner) planner.emplace(arena.size(), held.list(), input_end);
            if (!write_image(f.image, memory, *planner, m)) {
                m.truncate(mark);
                m.u8(kNoRoom);
            }
        }
    }
}

void receive_processed(MessageReader& m, const SharedArena& arena, std::span<Frame* const> frames,
                       std::vector<Image>* replaced) {
    if (m.u32() != frames.size())
        throw std::runtime_error("the worker answered for another number of frames");
    for (Frame* f : frames) {
        f->detections = read_detections(m);
        f->results = read_json(m);
        auto error = m.view();
        auto filtered = m.view();
        switch (m.u8()) {
            case kKept:
                break;
            case kRemoved:
                if (replaced) replaced->push_back(f->image);
                f->image = Image{};
                break;
            case kReplaced: {
                ArenaBlock block;
                SharedMemory memory{&arena, nullptr};
                auto inside = read_image(m, memory, block);
                if (replaced) replaced->push_back(f->image);
                f->set_image(copy_out(inside));
                break;
            }
            default:
                f->fail("the plugin's new image does not fit the worker's arena");
        }
        if (!error.empty()) f->fail(std::string(error));
        if (!filtered.empty()) f->filter(std::string(filtered));
    }
}

std::shared_ptr<const void> HeldBlocks::hold(ArenaBlock block) {
    {
        std::lock_guard lock(mutex_);
        blocks_.push_back(block);
    }
    // The last copy of the image removes one entry of this block.
    return std::shared_ptr<const void>(nullptr, [self = shared_from_this(), block](const void*) {
        std::lock_guard lock(self->mutex_);
        auto& blocks = self->blocks_;
        auto it = std::find_if(blocks.begin(), blocks.end(), [&](const ArenaBlock& b) {
            return b.offset == block.offset && b.bytes == block.bytes && b.space == block.space;
        });
        // Order does not matter (the planner sorts): the last entry takes its place.
        if (it != blocks.end()) {
            *it = blocks.back();
            blocks.pop_back();
        }
    });
}

std::vector<ArenaBlock> HeldBlocks::list() const {
    std::lock_guard lock(mutex_);
    return blocks_;
}

void write_held(const std::vector<ArenaBlock>& held, MessageWriter& m) {
    m.u32(static_cast<std::uint32_t>(held.size()));
    for (const auto& b : held) {
        m.u64(b.offset);
        m.u64(b.bytes);
        m.u8(b.space);
    }
}

std::vector<ArenaBlock> read_held(MessageReader& m) {
    std::vector<ArenaBlock> held(m.u32());
    for (auto& b : held) {
        b.offset = m.u64();
        b.bytes = m.u64();
        b.space = m.u8() == ArenaBlock::Pool ? ArenaBlock::Pool : ArenaBlock::Arena;
    }
    return held;
}

}  // namespace framehost::core::isolation
