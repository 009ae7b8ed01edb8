#pragma once
// What a zones plugin knows of a camera, for the host's GET /zones and the live page: its zones
// and lines (their points in frame pixels), occupancy per zone and label, and crossings per line
// and direction. A host service (framehost/extension.hpp).
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "framehost/extension.hpp"

namespace framehost {

class ZonePublisher {
  public:
    static constexpr std::string_view kExtensionId = "framehost.zones";
    static constexpr std::uint32_t kExtensionVersion = 1;

    // Replaces what is known of `camera`: {"zones": {NAME: {"occupancy": {LABEL: n},
    // "points": [[x, y], ...]}}, "lines": {NAME: {"in": n, "out": m, "points": [[x, y], [x,
    // y]]}}}. [any thread] cheap; never throws.
    virtual void publish(const std::string& camera, nlohmann::json summary) = 0;

  protected:
    ~ZonePublisher() = default;
};

}  // namespace framehost
