#pragma once
// Host services a plugin asks for by name and version, as CLAP plugins ask for
// "clap.params": PluginContext::extension(id, version) answers the service, or null when this
// host does not offer it (the test harness, check-plugin's child, an older host). A service is
// a class with its id and version as constants:
//
//   class PreviewPublisher {
//     public:
//       static constexpr std::string_view kExtensionId = "framehost.preview";
//       static constexpr std::uint32_t kExtensionVersion = 1;
//       virtual void publish(...) = 0;
//   };
//
// A service's pointer stays valid for the instance's whole life: look it up once and keep it.
// A service changes only by a new version under the same id; a host may offer several.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "framehost/plugin.hpp"

namespace framehost {

// The service, or null when the host does not offer this id at this version. [any thread]
template <class Service>
Service* find_extension(const PluginContext& context) {
    return static_cast<Service*>(
        context.extension(Service::kExtensionId, Service::kExtensionVersion));
}

// The service, or std::runtime_error naming it: for a plugin that cannot work without it
// (thrown from the constructor or start(), the host refuses to run, saying why).
template <class Service>
Service& require_extension(const PluginContext& context) {
    if (auto* service = find_extension<Service>(context)) return *service;
    throw std::runtime_error("this host does not offer " + std::string(Service::kExtensionId) +
                             " version " + std::to_string(Service::kExtensionVersion));
}

// The services one host (or the test harness, framehost/testing.hpp) offers its plugins, by id
// and version. Filled before the first instance is created, read-only after.
class ExtensionTable {
  public:
    // Offers `service` (a pointer to the service class, e.g. PreviewPublisher*) under its id and
    // version; the service outlives every instance it is offered to.
    template <class Service>
    ExtensionTable& offer(Service* service) {
        offers_.push_back({std::string(Service::kExtensionId), Service::kExtensionVersion,
                           static_cast<void*>(service)});
        return *this;
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

}  // namespace framehost
