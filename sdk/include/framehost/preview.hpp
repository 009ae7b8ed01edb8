#pragma once
// A plugin's latest picture of a camera, for the host's live page and /cameras/{id}/snapshot.jpg
// (annotated_snapshot publishes what it draws). A host service (framehost/extension.hpp): a
// plugin in a process without a host (the test harness, check-plugin's child) publishes nowhere
// and is told so.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "framehost/extension.hpp"

namespace framehost {

class PreviewPublisher {
  public:
    static constexpr std::string_view kExtensionId = "framehost.preview";
    static constexpr std::uint32_t kExtensionVersion = 1;

    // Keeps `jpeg` (a reference, not a copy) as the latest picture of `camera` from the instance
    // whose context `from` is, `width` x `height` pixels, of frame `frame_id`. [any thread]
    // cheap: swaps a reference under a lock; never throws.
    virtual void publish(const PluginContext& from, const std::string& camera,
                         const std::string& frame_id,
                         std::shared_ptr<const std::vector<std::uint8_t>> jpeg, int width,
                         int height) = 0;

  protected:
    ~PreviewPublisher() = default;
};

// Returns false when no host takes previews. [any thread]
inline bool publish_preview(const PluginContext& context, const std::string& camera,
                            const std::string& frame_id,
                            std::shared_ptr<const std::vector<std::uint8_t>> jpeg, int width,
                            int height) {
    auto* publisher = find_extension<PreviewPublisher>(context);
    if (!publisher) return false;
    publisher->publish(context, camera, frame_id, std::move(jpeg), width, height);
    return true;
}

}  // namespace framehost
