#include "core/pipeline/camera_order.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace framehost::core {

void group_by_camera(std::span<FrameEnvelope* const> frames, std::span<FrameEnvelope* const> live,
                     std::vector<CameraRun>& runs, std::vector<FrameEnvelope*>& unordered) {
    runs.clear();
    unordered.clear();
    auto run_of = [&](const FrameEnvelope& f) -> CameraRun& {
        for (auto& r : runs)
            if (*r.camera == f.camera_id) return r;
        runs.push_back({&f.camera_id, f.camera_sequence, f.camera_sequence, {}, false});
        return runs.back();
    };
    // Every frame counts for the order, live or not: a camera's failed frames must pass too.
    for (FrameEnvelope* f : frames) {
        if (f->camera_sequence == 0) continue;
        auto& r = run_of(*f);
        r.first = std::min(r.first, f->camera_sequence);
        r.last = std::max(r.last, f->camera_sequence);
    }
    for (FrameEnvelope* f : live) {
        if (f->camera_sequence == 0)
            unordered.push_back(f);
        else
            run_of(*f).frames.push_back(f);
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
