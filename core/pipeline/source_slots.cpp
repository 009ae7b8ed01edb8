#include "core/pipeline/source_slots.hpp"

#include <algorithm>
#include <stdexcept>

namespace framehost::core {

std::shared_ptr<SourceRunner> SourceSlots::add(
    const std::function<std::shared_ptr<SourceRunner>(SourceTicket)>& make) {
    std::size_t index = kCapacity;
    {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < used_ && index == kCapacity; ++i)
            if (slots_[i].retired && slots_[i].owner->unsettled() <= 0) index = i;
        if (index == kCapacity && used_ < kCapacity) index = used_;
    }
    if (index == kCapacity)
        throw std::runtime_error("the host has its most sources at once (" +
                                 std::to_string(kCapacity) +
                                 "), or removed ones with frames still in flight");
    Slot& slot = slots_[index];
    SourceTicket ticket{static_cast<std::uint32_t>(index),
                        slot.generation.load(std::memory_order_relaxed) + 1};
    auto runner = make(ticket);
    std::shared_ptr<SourceRunner> previous;
    {
        std::lock_guard lock(mutex_);
        previous = std::move(slot.owner);  // destroyed after the lock: it may join nothing
        slot.owner = runner;
        slot.retired = false;
        slot.added = ++additions_;
        if (index == used_) ++used_;
        // The runner first, then the generation that lets tickets find it.
        slot.runner.store(runner.get(), std::memory_order_release);
        slot.generation.store(ticket.generation, std::memory_order_release);
    }
    return runner;
}

void SourceSlots::retire(const SourceRunner& runner) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < used_; ++i)
        if (slots_[i].owner.get() == &runner) slots_[i].retired = true;
}

std::vector<std::shared_ptr<SourceRunner>> SourceSlots::present() const {
    std::vector<std::pair<std::uint64_t, std::shared_ptr<SourceRunner>>> found;
    {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < used_; ++i)
            if (slots_[i].owner && !slots_[i].retired)
                found.emplace_back(slots_[i].added, slots_[i].owner);
    }
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::shared_ptr<SourceRunner>> out;
    out.reserve(found.size());
    for (auto& [order, runner] : found) out.push_back(std::move(runner));
    return out;
}

std::shared_ptr<SourceRunner> SourceSlots::present_named(const std::string& instance_name) const {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < used_; ++i)
        if (slots_[i].owner && !slots_[i].retired &&
            slots_[i].owner->instance().name() == instance_name)
            return slots_[i].owner;
    return nullptr;
}

}  // namespace framehost::core
