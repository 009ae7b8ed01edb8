#pragma once
// The latest zone summary of each camera that a zones plugin published (framehost/zones.hpp),
// for GET /zones and the live page. One board per host, offered as framehost.zones.
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "framehost/zones.hpp"

namespace framehost::core {

class ZoneBoard final : public ZonePublisher {
  public:
    void publish(const std::string& camera, nlohmann::json summary) override {
        std::lock_guard lock(mutex_);
        cameras_[camera] = std::move(summary);
    }
    // {"cameras": {CAMERA: summary}}. [any thread]
    nlohmann::json report() const {
        std::lock_guard lock(mutex_);
        nlohmann::json cameras = nlohmann::json::object();
        for (const auto& [camera, summary] : cameras_) cameras[camera] = summary;
        return {{"cameras", std::move(cameras)}};
    }

  private:
    mutable std::mutex mutex_;
    std::map<std::string, nlohmann::json> cameras_;
};

}  // namespace framehost::core
