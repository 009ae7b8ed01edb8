#pragma once
// FRAMEHOST_PLUGIN(Class) turns a class into a loadable plugin. The class needs:
//   static const framehost::PluginDescriptor& descriptor();
//   Class(const framehost::Params&, framehost::PluginContext&);
// and derives from Source, Processor or Sink as its descriptor's kind says.
//
// Build the library with hidden visibility and -Wl,--no-undefined (framehost_add_plugin does);
// only the three functions below are exported. framehost_abi_version() and
// framehost_sdk_version() keep their signatures in every ABI, so a host can always say what a
// plugin it refuses was built with.
#include <cstdint>

#include "framehost/plugin.hpp"
#include "framehost/version.hpp"

#define FRAMEHOST_EXPORT extern "C" __attribute__((visibility("default")))

#define FRAMEHOST_PLUGIN(PluginClass)                                                  \
    FRAMEHOST_EXPORT std::uint32_t framehost_abi_version() {                           \
        return ::framehost::kAbiVersion;                                               \
    }                                                                                  \
    FRAMEHOST_EXPORT const char* framehost_sdk_version() {                             \
        return ::framehost::kSdkVersion;                                               \
    }                                                                                  \
    FRAMEHOST_EXPORT const ::framehost::PluginEntry* framehost_plugin_entry() {        \
        static const ::framehost::PluginEntry entry{                                   \
            ::framehost::kAbiVersion,                                                  \
            ::framehost::kSdkVersion,                                                  \
            static_cast<std::uint32_t>(sizeof(::framehost::Frame)),                    \
            static_cast<std::uint32_t>(sizeof(::framehost::Params)),                   \
            static_cast<std::uint32_t>(_GLIBCXX_USE_CXX11_ABI),                        \
            &PluginClass::descriptor,                                                  \
            [](const ::framehost::Params& params, ::framehost::PluginContext& context) \
                -> ::framehost::Plugin* { return new PluginClass(params, context); },  \
            [](::framehost::Plugin* instance) { delete instance; },                    \
        };                                                                             \
        return &entry;                                                                 \
    }
