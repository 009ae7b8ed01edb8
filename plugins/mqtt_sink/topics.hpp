#pragma once
// Every topic mqtt_sink writes, and the Home Assistant discovery message of each state topic
// (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery): a sensor per zone and label
// (occupancy), a sensor per line and direction (crossings since start), a binary sensor per
// camera and label ("person detected"), all with the availability topic and one device.
#include <string>

namespace framehost::mqtt {

struct Message {
    std::string topic;
    std::string payload;
    bool retain = false;
};

class Topics {
  public:
    Topics(std::string prefix, std::string discovery_prefix, std::string node_id)
        : prefix_(std::move(prefix)),
          discovery_prefix_(std::move(discovery_prefix)),
          node_id_(std::move(node_id)) {}

    // "online" while connected, "offline" (the will, or a clean stop); retained.
    std::string availability() const { return prefix_ + "/available"; }
    // Every event change, as the event JSON with "change": new | update | end; QoS 1.
    std::string events() const { return prefix_ + "/events"; }
    // Retained states.
    std::string occupancy(const std::string& camera, const std::string& zone,
                          const std::string& label) const;
    std::string crossings(const std::string& camera, const std::string& line,
                          const std::string& direction) const;
    std::string detected(const std::string& camera, const std::string& label) const;

    // Retained discovery messages for those states.
    Message occupancy_discovery(const std::string& camera, const std::string& zone,
                                const std::string& label) const;
    Message crossings_discovery(const std::string& camera, const std::string& line,
                                const std::string& direction) const;
    Message detected_discovery(const std::string& camera, const std::string& label) const;

  private:
    Message discovery(const std::string& component, const std::string& object,
                      const std::string& name, const std::string& state_topic,
                      const std::string& extra_json) const;

    std::string prefix_, discovery_prefix_, node_id_;
};

}  // namespace framehost::mqtt
