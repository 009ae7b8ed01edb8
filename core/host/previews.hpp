#pragma once
// The latest picture of each camera that a plugin published (framehost/preview.hpp), for the
// live page, /cameras and /cameras/{id}/snapshot.jpg. One board per process: plugins reach it
// through the C function the host exports, which has no host to name.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

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

class PreviewBoard {
  public:
    static PreviewBoard& process_board();

    // [any thread] Cheap: swaps a reference under a lock.
    void publish(const std::string& camera, Preview preview);
    std::optional<Preview> latest(const std::string& camera) const;
    std::map<std::string, Preview> all() const;
    // The camera is gone (removed from the host): its picture goes too.
    void forget(const std::string& camera);

  private:
    mutable std::mutex mutex_;
    std::map<std::string, Preview> latest_;
};

}  // namespace framehost::core
