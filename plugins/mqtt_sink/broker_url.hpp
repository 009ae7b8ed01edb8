#pragma once
// A broker's address as the config gives it: mqtt://[user[:password]@]host[:port], mqtts:// for
// TLS (ports 1883 and 8883 unless given).
#include <optional>
#include <string>

namespace framehost::mqtt {

struct BrokerUrl {
    bool tls = false;
    std::string host;
    int port = 1883;
    std::string username, password;  // empty: none
};

// The address, or nullopt with `problem` saying what is wrong.
std::optional<BrokerUrl> parse_broker_url(const std::string& url, std::string& problem);

// A topic level made of a name: MQTT's wildcards and separators ('+', '#', '/') and Home
// Assistant's object-id limits leave only letters, digits, '_' and '-'.
std::string topic_level(const std::string& name);

}  // namespace framehost::mqtt
