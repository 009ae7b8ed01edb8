#pragma once
// The one check of a plugin's exports against this SDK, run by the host when it loads a plugin
// and by the test harness (framehost/testing.hpp): version first, before any other symbol is
// touched, then the entry and the layout of the boundary types. A refusal names both versions
// and what to do.
#include <cstdint>
#include <functional>
#include <string>

#include "framehost/plugin.hpp"
#include "framehost/version.hpp"

namespace framehost {

struct AbiCheck {
    const PluginEntry* entry = nullptr;  // set when the plugin fits
    std::string problem;                 // why not, otherwise
};

// `find_symbol(name)` answers the address the library exports under `name`, or null.
inline AbiCheck check_plugin_abi(const std::function<void*(const char*)>& find_symbol) {
    auto* abi_fn = reinterpret_cast<std::uint32_t (*)()>(find_symbol("framehost_abi_version"));
    if (!abi_fn)
        return {nullptr,
                "not a framehost plugin: it exports no framehost_abi_version() (declare it with "
                "FRAMEHOST_PLUGIN from <framehost/export.hpp>)"};
    std::uint32_t abi = abi_fn();
    if (abi != kAbiVersion) {
        // framehost_sdk_version() exists since ABI 2; older plugins cannot say.
        auto* sdk_fn = reinterpret_cast<const char* (*)()>(find_symbol("framehost_sdk_version"));
        std::string plugin_sdk = sdk_fn ? sdk_fn() : abi < 2 ? "0.1" : "unknown";
        return {nullptr, "built with SDK " + plugin_sdk + " (plugin ABI " + std::to_string(abi) +
                             "), this host has SDK " + kSdkVersion + " (plugin ABI " +
                             std::to_string(kAbiVersion) + "): rebuild the plugin against SDK " +
                             kSdkVersion};
    }
    auto* entry_fn =
        reinterpret_cast<const PluginEntry* (*)()>(find_symbol("framehost_plugin_entry"));
    if (!entry_fn)
        return {nullptr, "exports framehost_abi_version() but no framehost_plugin_entry()"};
    const PluginEntry* entry = entry_fn();
    if (!entry) return {nullptr, "framehost_plugin_entry() answered null"};
    if (entry->abi_version != kAbiVersion)
        return {nullptr, "its entry says ABI " + std::to_string(entry->abi_version) +
                             ", this host speaks ABI " + std::to_string(kAbiVersion)};
    if (entry->frame_size != sizeof(Frame) || entry->params_size != sizeof(Params) ||
        entry->cxx11_string_abi != _GLIBCXX_USE_CXX11_ABI)
        return {nullptr,
                "built with a different layout of the SDK types (Frame " +
                    std::to_string(entry->frame_size) + " bytes, host " +
                    std::to_string(sizeof(Frame)) + "; Params " +
                    std::to_string(entry->params_size) + ", host " +
                    std::to_string(sizeof(Params)) + "; libstdc++ string ABI " +
                    std::to_string(entry->cxx11_string_abi) + ", host " +
                    std::to_string(_GLIBCXX_USE_CXX11_ABI) +
                    "): build it with the same compiler and SDK headers as the host (SDK " +
                    kSdkVersion + ", plugin says " + entry->sdk_version + ")"};
    if (!entry->descriptor || !entry->create || !entry->destroy)
        return {nullptr, "its entry has a null function"};
    return {entry, {}};
}

}  // namespace framehost
