#include "core/pipeline/camera_order.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace framehost::core {

void group_by_camera(const FrameBatch& batch, std::span<const std::uint32_t> live,
                     std::vector<CameraRun>& runs, std::vector<std::uint32_t>& unordered) {
    runs.clear();
    unordered.clear();
    auto run_of = [&](const FrameHostState& h) -> CameraRun& {
        for (auto& r : runs)
            if (*r.camera == h.camera_id) return r;
        runs.push_back({&h.camera_id, h.camera_sequence, h.camera_sequence, {}, false});
        return runs.back();
    };
    // Every frame counts for the order, live or not: a camera's failed frames must pass too.
    for (const auto& h : batch.host) {
        if (h.camera_sequence == 0) continue;
        auto& r = run_of(h);
        r.first = std::min(r.first, h.camera_sequence);
        r.last = std::max(r.last, h.camera_sequence);
    }
    for (std::uint32_t i : live) {
        const auto& h = batch.host[i];
        if (h.camera_sequence == 0)
            unordered.push_back(i);
        else
            run_of(h).frames.push_back(i);
    }
}

std::size_t CameraOrder::wait_for_turn(std::span<CameraRun> runs) {
    std::unique_lock lock(mutex_);
    while (true) {
        for (std::size_t i = 0; i < runs.size(); ++i) {
            if (runs[i].taken) continue;
            auto it = next_.find(*runs[i].camera);
            std::uint64_t next = it == next_.end() ? 1 : it->second;
            if (runs[i].first <= next) {
                runs[i].taken = true;
                return i;
            }
        }
        // The run it waits for is usually a few microseconds from done on the other worker:
        // spin on the count of runs passed for a moment before sleeping, as a wake-up through
        // the condition variable costs more than that here.
        auto seen = passed_.load(std::memory_order_acquire);
        lock.unlock();
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
        while (passed_.load(std::memory_order_acquire) == seen &&
               std::chrono::steady_clock::now() < until)
            std::this_thread::yield();
        lock.lock();
        if (passed_.load(std::memory_order_acquire) == seen)
            turn_.wait(lock, [&] { return passed_.load() != seen; });
    }
}

void CameraOrder::done(const CameraRun& run) {
    {
        std::lock_guard lock(mutex_);
        auto& next = next_[*run.camera];
        next = std::max(next, run.last + 1);
        passed_.fetch_add(1, std::memory_order_release);
    }
    turn_.notify_all();
}

}  // namespace framehost::core
