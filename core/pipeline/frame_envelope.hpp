#pragma once
// Frames as the pipeline carries them: in batches, each frame beside what only the host may read
// or write about it. Plugins are handed the frames alone (pointers into `frames`), so a processor
// that rewrites every field it can reach cannot change which source settles a frame, how many
// bytes are refunded for it, its place in its camera's order, or the delivery token its source
// gets back. The two vectors are parallel (structure of arrays): a source's vector of frames
// becomes a batch without moving a frame.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "framehost/frame.hpp"

namespace framehost::core {

// Which source read a frame: a slot of the pipeline's source table and the generation of the
// source in it (slots of removed sources are reused; a frame of an earlier generation never
// reaches the later source).
struct SourceTicket {
    static constexpr std::uint32_t kNoSlot = 0xFFFFFFFF;  // settled by nobody (/process)
    std::uint32_t slot = kNoSlot;
    std::uint32_t generation = 0;
};

struct FrameHostState {
    std::chrono::steady_clock::time_point received_at{};  // for end-to-end latency
    std::size_t charged_bytes = 0;  // charged to the memory budget on entry, refunded on exit
    // The frame's place among its camera's frames, from 1 (0: not ordered), and that camera as
    // the source named it: an ordered plugin's turn never depends on what a processor wrote.
    std::uint64_t camera_sequence = 0;
    std::string camera_id;
    SourceTicket source;
    std::uint64_t delivery = 0;  // the source's token, handed back to it as it gave it
};

struct FrameBatch {
    std::vector<Frame> frames;
    std::vector<FrameHostState> host;  // host[i] is frames[i]'s

    std::size_t size() const { return frames.size(); }
    bool empty() const { return frames.empty(); }
    void clear() {
        frames.clear();
        host.clear();
    }
    void reserve(std::size_t n) {
        frames.reserve(n);
        host.reserve(n);
    }
};

}  // namespace framehost::core
