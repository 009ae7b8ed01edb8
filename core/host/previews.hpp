#pragma once
// The latest picture of each camera that a plugin published (framehost/preview.hpp), for the
// live page, /cameras and /cameras/{id}/snapshot.jpg. One board per host, offered to its plugins
// as the framehost.preview extension.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "framehost/preview.hpp"

namespace framehost::core {

struct Preview {
    std::shared_ptr<const std::vector<std::uint8_t>> jpeg;
    int width = 0;
    int height = 0;
    std::string frame_id;
    std::string instance;        // the plugin instance that published it
    std::uint64_t sequence = 0;  // counts the camera's pictures from 1
    std::chrono::steady_clock::time_point published{};
};

class PreviewBoard final : public PreviewPublisher {
  public:
    // At most `max_cameras` pictures: a new camera beyond it evicts the one published longest
    // ago.
    static constexpr std::size_t kMaxCameras = 256;
    explicit PreviewBoard(std::size_t max_cameras = kMaxCameras) : max_cameras_(max_cameras) {}

    // PreviewPublisher: never throws into a plugin.
    void publish(const PluginContext& from, const std::string& camera, const std::string& frame_id,
                 std::shared_ptr<const std::vector<std::uint8_t>> jpeg, int width,
                 int height) override;

    // [any thread] Cheap: swaps a reference under a lock.
    void publish(const std::string& camera, Preview preview);
    std::optional<Preview> latest(const std::string& camera) const;
    std::map<std::string, Preview> all() const;
    // The camera is gone (removed from the host): its picture goes too.
    void forget(const std::string& camera);

  private:
    const std::size_t max_cameras_;
    mutable std::mutex mutex_;
    std::map<std::string, Preview> latest_;
};

}  // namespace framehost::core
