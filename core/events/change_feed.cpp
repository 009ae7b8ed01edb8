#include "core/events/change_feed.hpp"

namespace framehost::core {

void ChangeFeed::start_at(std::uint64_t seq) {
    std::lock_guard lock(mutex_);
    last_seq_ = seq;
}

void ChangeFeed::publish(const std::vector<EventChange>& changes) {
    if (changes.empty()) return;
    {
        std::lock_guard lock(mutex_);
        for (const auto& change : changes) {
            recent_.push_back(change);
            if (recent_.size() > kRecentChanges) recent_.pop_front();
        }
        last_seq_ = changes.back().seq;
    }
    changed_.notify_all();
}

bool ChangeFeed::wait_after(std::uint64_t after, std::chrono::milliseconds wait) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, wait, [&] { return last_seq_ > after; });
}

std::vector<EventChange> ChangeFeed::recent_after(std::uint64_t after) const {
    std::lock_guard lock(mutex_);
    std::vector<EventChange> changes;
    for (const auto& change : recent_)
        if (change.seq > after) changes.push_back(change);
    return changes;
}

std::uint64_t ChangeFeed::last_seq() const {
    std::lock_guard lock(mutex_);
    return last_seq_;
}

}  // namespace framehost::core
