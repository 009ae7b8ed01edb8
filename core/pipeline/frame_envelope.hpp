#pragma once
// A frame as the pipeline carries it: the plugins' Frame, and beside it what only the host may
// read or write. Plugins are handed the Frame alone (a pointer to `frame`), so a processor that
// rewrites every field it can reach cannot change which source settles the frame, how many
// bytes are refunded for it, its place in its camera's order, or the delivery token its source
// gets back.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

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

struct FrameEnvelope {
    FrameEnvelope() = default;
    explicit FrameEnvelope(Frame f) : frame(std::move(f)) {}

    Frame frame;
    std::chrono::steady_clock::time_point received_at{};  // for end-to-end latency
    std::size_t charged_bytes = 0;  // charged to the memory budget on entry, refunded on exit
    // The frame's place among its camera's frames, from 1 (0: not ordered), and that camera as
    // the source named it: an ordered plugin's turn never depends on what a processor wrote.
    std::uint64_t camera_sequence = 0;
    std::string camera_id;
    SourceTicket source;
    std::uint64_t delivery = 0;  // the source's token, handed back to it as it gave it
};

}  // namespace framehost::core
