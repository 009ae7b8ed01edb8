#include "core/host/previews.hpp"

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
    std::lock_guard lock(mutex_);
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
