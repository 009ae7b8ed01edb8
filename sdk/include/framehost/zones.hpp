#pragma once
// What the zones plugins know of each camera, kept by the host: for GET /zones, the live page
// and sinks that publish occupancy (mqtt_sink). Per camera: its zones and lines (their points in
// frame pixels), occupancy per zone and label, crossings per line and direction. A host service
// (framehost/extension.hpp).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "framehost/extension.hpp"

namespace framehost {

class ZoneSummaries {
  public:
    static constexpr std::string_view kExtensionId = "framehost.zones";
    static constexpr std::uint32_t kExtensionVersion = 1;

    // Replaces what is known of `camera`: {"zones": {NAME: {"occupancy": {LABEL: n},
    // "points": [[x, y], ...]}}, "lines": {NAME: {"in": n, "out": m, "points": [[x, y], [x,
    // y]]}}, "frame_size": [width, height]}. [any thread] cheap; never throws.
    virtual void publish(const std::string& camera, nlohmann::json summary) = 0;

    // The summaries of the cameras published since `version` (0: all), and `version` moved to
    // now. [any thread]
    virtual std::map<std::string, nlohmann::json> changed_since(std::uint64_t& version) const = 0;

  protected:
    ~ZoneSummaries() = default;
};

}  // namespace framehost
