#pragma once
// A plugin's latest picture of a camera, for the host's live page and /cameras/{id}/snapshot.jpg
// (annotated_snapshot publishes what it draws). Publishing goes through a C function the host
// executable exports, looked up when first used: a plugin calling it in a process without a host
// (the test harness, check-plugin's child) publishes nowhere and is told so. This adds to SDK
// 1.x without touching any type that crosses the boundary, so the plugin ABI stays 3.
#include <dlfcn.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "framehost/plugin.hpp"

// The host's side: keeps `jpeg` (a reference, not a copy) as the latest picture of `camera`
// from `instance`, `width` x `height` pixels, of frame `frame_id`.
extern "C" typedef void (*framehost_publish_preview_fn)(
    const char* instance, const char* camera, const char* frame_id,
    const std::shared_ptr<const std::vector<std::uint8_t>>* jpeg, int width, int height);

namespace framehost {

inline constexpr const char* kPublishPreviewSymbol = "framehost_publish_preview";

// Returns false when no host in this process takes previews. [any thread]
inline bool publish_preview(const PluginContext& context, const std::string& camera,
                            const std::string& frame_id,
                            std::shared_ptr<const std::vector<std::uint8_t>> jpeg, int width,
                            int height) {
    static const auto publish =
        reinterpret_cast<framehost_publish_preview_fn>(dlsym(RTLD_DEFAULT, kPublishPreviewSymbol));
    if (!publish) return false;
    publish(context.instance_name().c_str(), camera.c_str(), frame_id.c_str(), &jpeg, width,
            height);
    return true;
}

}  // namespace framehost
