#pragma once
// The latest zone summary of each camera that a zones plugin published (framehost/zones.hpp),
// for GET /zones, the live page and sinks. One board per host, offered as framehost.zones.
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "framehost/zones.hpp"

namespace framehost::core {

class ZoneBoard final : public ZoneSummaries {
  public:
    void publish(const std::string& camera, nlohmann::json summary) override {
        std::lock_guard lock(mutex_);
        auto& entry = cameras_[camera];
        entry.summary = std::move(summary);
        entry.version = ++version_;
    }

    std::map<std::string, nlohmann::json> changed_since(std::uint64_t& version) const override {
        std::lock_guard lock(mutex_);
        std::map<std::string, nlohmann::json> changed;
        for (const auto& [camera, entry] : cameras_)
            if (entry.version > version) changed.emplace(camera, entry.summary);
        version = version_;
        return changed;
    }

    // {"cameras": {CAMERA: summary}}. [any thread]
    nlohmann::json report() const {
        std::lock_guard lock(mutex_);
        nlohmann::json cameras = nlohmann::json::object();
        for (const auto& [camera, entry] : cameras_) cameras[camera] = entry.summary;
        return {{"cameras", std::move(cameras)}};
    }

  private:
    struct Entry {
        nlohmann::json summary;
        std::uint64_t version = 0;
    };
    mutable std::mutex mutex_;
    std::map<std::string, Entry> cameras_;
    std::uint64_t version_ = 0;
};

}  // namespace framehost::core
