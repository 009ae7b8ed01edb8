#include "broker_url.hpp"

#include <cctype>

namespace framehost::mqtt {

std::optional<BrokerUrl> parse_broker_url(const std::string& url, std::string& problem) {
    BrokerUrl broker;
    std::string rest;
    if (url.rfind("mqtt://", 0) == 0) {
        rest = url.substr(7);
    } else if (url.rfind("mqtts://", 0) == 0) {
        rest = url.substr(8);
        broker.tls = true;
        broker.port = 8883;
    } else {
        problem = "must start with mqtt:// or mqtts://";
        return std::nullopt;
    }
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        if (slash + 1 != rest.size()) {
            problem = "has a path; a broker address is mqtt://host:port";
            return std::nullopt;
        }
        rest.resize(slash);
    }
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        auto user = rest.substr(0, at);
        rest = rest.substr(at + 1);
        auto colon = user.find(':');
        broker.username = user.substr(0, colon);
        if (colon != std::string::npos) broker.password = user.substr(colon + 1);
    }
    auto colon = rest.rfind(':');
    bool bracketed = !rest.empty() && rest.front() == '[';
    if (colon != std::string::npos && (!bracketed || rest.find(']') < colon)) {
        auto port = rest.substr(colon + 1);
        rest.resize(colon);
        if (port.empty() || port.size() > 5 ||
            port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
            std::stoi(port) > 65535) {
            problem = "has a port that is not a number from 1 to 65535";
            return std::nullopt;
        }
        broker.port = std::stoi(port);
    }
    if (bracketed) {
        if (rest.back() != ']') {
            problem = "has an IPv6 address without its closing ']'";
            return std::nullopt;
        }
        rest = rest.substr(1, rest.size() - 2);
    }
    if (rest.empty()) {
        problem = "names no host";
        return std::nullopt;
    }
    broker.host = rest;
    return broker;
}

std::string topic_level(const std::string& name) {
    std::string level;
    for (unsigned char c : name)
        level += std::isalnum(c) || c == '_' || c == '-' ? static_cast<char>(c) : '_';
    return level.empty() ? "_" : level;
}

}  // namespace framehost::mqtt
