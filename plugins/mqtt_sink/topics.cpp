#include "topics.hpp"

#include <nlohmann/json.hpp>

#include "broker_url.hpp"

namespace framehost::mqtt {

std::string Topics::occupancy(const std::string& camera, const std::string& zone,
                              const std::string& label) const {
    return prefix_ + "/" + topic_level(camera) + "/zones/" + topic_level(zone) + "/" +
           topic_level(label);
}

std::string Topics::crossings(const std::string& camera, const std::string& line,
                              const std::string& direction) const {
    return prefix_ + "/" + topic_level(camera) + "/lines/" + topic_level(line) + "/" +
           topic_level(direction);
}

std::string Topics::detected(const std::string& camera, const std::string& label) const {
    return prefix_ + "/" + topic_level(camera) + "/" + topic_level(label) + "/detected";
}

Message Topics::discovery(const std::string& component, const std::string& object,
                          const std::string& name, const std::string& state_topic,
                          const std::string& extra_json) const {
    auto node = topic_level(node_id_);
    auto object_id = topic_level(object);
    nlohmann::json config = nlohmann::json::parse(extra_json);
    config["name"] = name;
    config["unique_id"] = node + "_" + object_id;
    config["object_id"] = node + "_" + object_id;
    config["state_topic"] = state_topic;
    config["availability_topic"] = availability();
    config["device"] = {{"identifiers", {node}},
                        {"name", node_id_},
                        {"manufacturer", "framehost"},
                        {"model", "framehost"}};
    return {discovery_prefix_ + "/" + component + "/" + node + "/" + object_id + "/config",
            config.dump(), true};
}

Message Topics::occupancy_discovery(const std::string& camera, const std::string& zone,
                                    const std::string& label) const {
    return discovery("sensor", camera + "_" + zone + "_" + label, camera + " " + zone + " " + label,
                     occupancy(camera, zone, label),
                     R"({"state_class": "measurement", "icon": "mdi:account-group"})");
}

Message Topics::crossings_discovery(const std::string& camera, const std::string& line,
                                    const std::string& direction) const {
    return discovery("sensor", camera + "_" + line + "_" + direction,
                     camera + " " + line + " " + direction, crossings(camera, line, direction),
                     R"({"state_class": "total_increasing", "icon": "mdi:counter"})");
}

Message Topics::detected_discovery(const std::string& camera, const std::string& label) const {
    return discovery("binary_sensor", camera + "_" + label + "_detected",
                     camera + " " + label + " detected", detected(camera, label),
                     R"({"payload_on": "ON", "payload_off": "OFF", "device_class": "occupancy"})");
}

}  // namespace framehost::mqtt
