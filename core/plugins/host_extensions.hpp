#pragma once
// The services one host offers its plugins (framehost/extension.hpp), by id and version. Each
// host has its own: two hosts in one process share nothing through it. Filled before the first
// instance is created, read-only after. Per-instance services (the stop request) are the
// instance's context's own and not listed here.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace framehost::core {

class HostExtensions {
  public:
    // Offers `service` (a pointer to the service class, e.g. PreviewPublisher*) under its id and
    // version; the service outlives every instance of the host.
    template <class Service>
    void offer(Service* service) {
        offers_.push_back({std::string(Service::kExtensionId), Service::kExtensionVersion,
                           static_cast<void*>(service)});
    }
    // [any thread] The service, or null when not offered at that version.
    void* find(std::string_view id, std::uint32_t version) const {
        for (const auto& o : offers_)
            if (o.id == id && o.version == version) return o.service;
        return nullptr;
    }

  private:
    struct Offer {
        std::string id;
        std::uint32_t version;
        void* service;
    };
    std::vector<Offer> offers_;
};

}  // namespace framehost::core
