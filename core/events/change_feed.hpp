#pragma once
// The changes a host's event store wrote, as its delivery and live stream see them: the last
// seq (waited on by sinks' changes_after) and the newest changes held in memory (for
// /events/stream without reading the store). Both backends publish into one after each commit.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include <framehost/events.hpp>

namespace framehost::core {

class ChangeFeed {
  public:
    // Where seq stood when the store opened.
    void start_at(std::uint64_t seq);
    // Changes just committed, oldest first; wakes those waiting.
    void publish(const std::vector<EventChange>& changes);
    // True as soon as a change after `after` is published, false when `wait` passes first.
    bool wait_after(std::uint64_t after, std::chrono::milliseconds wait) const;
    std::vector<EventChange> recent_after(std::uint64_t after) const;
    std::uint64_t last_seq() const;

  private:
    static constexpr std::size_t kRecentChanges = 1024;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::uint64_t last_seq_ = 0;
    std::deque<EventChange> recent_;  // the last kRecentChanges changes
};

}  // namespace framehost::core
