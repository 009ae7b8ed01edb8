#pragma once
// The sources of a running pipeline, each in a slot of a fixed table. A frame's ticket names the
// slot and the generation of the source that read it; the workers find that source through the
// ticket without a lock, to settle the frame with it. A removed source's slot is reused once
// every frame it read is settled, so a host that adds and removes cameras for weeks never runs
// out of slots, and the generation keeps a frame from ever reaching a later source of its slot.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/pipeline/frame_envelope.hpp"
#include "core/pipeline/source_runner.hpp"

namespace framehost::core {

class SourceSlots {
  public:
    static constexpr std::size_t kCapacity = 256;  // sources at once

    // [one add or retire at a time] Puts the runner `make(ticket)` builds in a free slot (one
    // never used, or one whose removed source has no frame left unsettled). Throws
    // std::runtime_error when every slot is taken.
    std::shared_ptr<SourceRunner> add(
        const std::function<std::shared_ptr<SourceRunner>(SourceTicket)>& make);
    // [one add or retire at a time] The source is removed: it leaves the list of present
    // sources; its frames still in flight settle with it; its slot is reused once they have.
    void retire(const SourceRunner& runner);

    // [any thread, no lock] The source a frame's ticket names, or null when it is gone (the
    // ticket names no slot, or an older generation than the slot's).
    SourceRunner* find(SourceTicket ticket) const {
        if (ticket.slot >= kCapacity) return nullptr;
        const Slot& slot = slots_[ticket.slot];
        if (slot.generation.load(std::memory_order_acquire) != ticket.generation) return nullptr;
        return slot.runner.load(std::memory_order_acquire);
    }

    // [any thread] The sources present (not removed), in the order they were added.
    std::vector<std::shared_ptr<SourceRunner>> present() const;
    // [any thread] The source present under this instance name, or null.
    std::shared_ptr<SourceRunner> present_named(const std::string& instance_name) const;

  private:
    struct Slot {
        std::atomic<SourceRunner*> runner{nullptr};
        std::atomic<std::uint32_t> generation{0};
        std::shared_ptr<SourceRunner> owner;  // guarded by mutex_; kept until the slot is reused
        bool retired = false;                 // guarded by mutex_
        std::uint64_t added = 0;              // guarded by mutex_: the add order
    };
    mutable std::mutex mutex_;
    std::array<Slot, kCapacity> slots_;
    std::size_t used_ = 0;         // slots ever taken, from the front
    std::uint64_t additions_ = 0;  // sources ever added
};

}  // namespace framehost::core
