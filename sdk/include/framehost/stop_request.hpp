#pragma once
// Whether the host has asked a plugin instance to stop: at shutdown, or when a source added at
// runtime is removed. A source whose read() waits on something slow (an HTTP answer, a socket)
// checks it while it waits and gives up early, so shutdown never waits for a read timeout.
// Processors and sinks are never asked: they finish the frames the host drains to them.
//
// The answer comes from a C function the host executable exports, looked up when first used, as
// with publish_preview(): a plugin asking in a process without a host (the test harness,
// check-plugin's child) is told false. This adds to SDK 1.x without touching any type that
// crosses the boundary, so the plugin ABI stays 3.
#include <dlfcn.h>

#include "framehost/plugin.hpp"

// The host's side: nonzero once the instance whose context this is was asked to stop.
extern "C" typedef int (*framehost_stop_requested_fn)(const framehost::PluginContext* context);

namespace framehost {

inline constexpr const char* kStopRequestedSymbol = "framehost_stop_requested";

// [any thread] cheap: one lookup in a small table; call it as often as a wait loop turns.
inline bool stop_requested(const PluginContext& context) {
    static const auto requested =
        reinterpret_cast<framehost_stop_requested_fn>(dlsym(RTLD_DEFAULT, kStopRequestedSymbol));
    return requested && requested(&context) != 0;
}

}  // namespace framehost
