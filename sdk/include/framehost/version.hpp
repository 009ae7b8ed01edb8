#pragma once
// The two numbers a plugin is judged by when the host loads it.
//
// kAbiVersion changes whenever a type that crosses the plugin boundary changes layout or
// meaning (Frame, ParamSpec, Params, the Plugin classes and their virtual tables, PluginEntry).
// The host refuses a plugin whose ABI differs from its own, before touching anything else.
//
// The SDK's semantic version says what a plugin author may expect of the headers: a minor
// release adds (new helpers, new optional virtuals at the end of a class never count: those change
// the vtable and bump the ABI), a major release may remove. See docs/sdk-versioning.md.
#include <cstdint>

#define FRAMEHOST_SDK_VERSION_MAJOR 2
#define FRAMEHOST_SDK_VERSION_MINOR 1
#define FRAMEHOST_SDK_VERSION_PATCH 0
#define FRAMEHOST_SDK_VERSION_STRING "2.1.0"

namespace framehost {

// 1: SDK 0.1. 2: SDK 0.2, PluginDescriptor::frame_budget and framehost_sdk_version().
// 3: SDK 1.0, Frame carries an Image (strided planes, foreign memory), delivery and filtering;
//    PluginDescriptor::concurrency; Source::finished(frame, outcome); Sink::write(frames, report).
// 4: SDK 2.0, host services through PluginContext::extension(id, version) instead of symbols
//    found with dlsym; the host's state left the public Frame (a private envelope).
inline constexpr std::uint32_t kAbiVersion = 4;
inline constexpr const char* kSdkVersion = FRAMEHOST_SDK_VERSION_STRING;

}  // namespace framehost
