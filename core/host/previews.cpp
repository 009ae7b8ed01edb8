#include "core/host/previews.hpp"

#include <algorithm>

namespace framehost::core {

void PreviewBoard::publish(const PluginContext& from, const std::string& camera,
                           const std::string& frame_id,
                           std::shared_ptr<const std::vector<std::uint8_t>> jpeg, int width,
                           int height) {
    if (!jpeg) return;
    try {
        Preview p;
        p.jpeg = std::move(jpeg);
        p.width = width;
        p.height = height;
        p.frame_id = frame_id;
        p.instance = from.instance_name();
        publish(camera, std::move(p));
    } catch (...) {
    }
}

void PreviewBoard::publish(const std::string& camera, Preview preview) {
    preview.published = std::chrono::steady_clock::now();
    Preview evicted;  // released after the lock
    std::lock_guard lock(mutex_);
    if (!latest_.count(camera) && latest_.size() >= max_cameras_) {
        // A new camera beyond the cap: the one whose picture is oldest makes room (camera ids
        // come from outside, e.g. every frame given to POST /process names one).
        auto oldest = std::min_element(
            latest_.begin(), latest_.end(),
            [](const auto& a, const auto& b) { return a.second.published < b.second.published; });
        std::swap(evicted, oldest->second);
        latest_.erase(oldest);
    }
    auto& slot = latest_[camera];
    preview.sequence = slot.sequence + 1;
    // The previous picture is released after the lock: its last reference may be this one.
    std::swap(slot, preview);
}

std::optional<Preview> PreviewBoard::latest(const std::string& camera) const {
    std::lock_guard lock(mutex_);
    auto it = latest_.find(camera);
    if (it == latest_.end()) return std::nullopt;
    return it->second;
}

void PreviewBoard::forget(const std::string& camera) {
    Preview gone;
    std::lock_guard lock(mutex_);
    auto it = latest_.find(camera);
    if (it == latest_.end()) return;
    std::swap(gone, it->second);  // released after the lock
    latest_.erase(it);
}

std::map<std::string, Preview> PreviewBoard::all() const {
    std::lock_guard lock(mutex_);
    return latest_;
}

}  // namespace framehost::core
