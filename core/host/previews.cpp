#include "core/http/previews.hpp"

#include "framehost/preview.hpp"

namespace framehost::core {

PreviewBoard& PreviewBoard::process_board() {
    static PreviewBoard board;
    return board;
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

// Exported by the framehost executable (apps/framehost/CMakeLists.txt) for plugins to find with
// dlsym; never throws into a plugin.
extern "C" __attribute__((visibility("default"))) void framehost_publish_preview(
    const char* instance, const char* camera, const char* frame_id,
    const std::shared_ptr<const std::vector<std::uint8_t>>* jpeg, int width, int height) {
    if (!instance || !camera || !frame_id || !jpeg || !*jpeg) return;
    try {
        framehost::core::Preview p;
        p.jpeg = *jpeg;
        p.width = width;
        p.height = height;
        p.frame_id = frame_id;
        p.instance = instance;
        framehost::core::PreviewBoard::process_board().publish(camera, std::move(p));
    } catch (...) {
    }
}
