#pragma once
// Whether the host has asked a plugin instance to stop: at shutdown, or when a source added at
// runtime is removed. A source whose read() waits on something slow (an HTTP answer, a socket)
// checks it while it waits and gives up early, so shutdown never waits for a read timeout.
// Processors and sinks are never asked: they finish the frames the host drains to them.
//
// A host service (framehost/extension.hpp), one per instance: a plugin asking in a process
// without a host (the test harness, check-plugin's child) is told false.
#include <cstdint>
#include <string_view>

#include "framehost/extension.hpp"

namespace framehost {

class StopRequest {
  public:
    static constexpr std::string_view kExtensionId = "framehost.stop_request";
    static constexpr std::uint32_t kExtensionVersion = 1;

    // [any thread] One atomic load.
    virtual bool requested() const = 0;

  protected:
    ~StopRequest() = default;
};

// [any thread] cheap: call it as often as a wait loop turns (or keep find_extension's pointer).
inline bool stop_requested(const PluginContext& context) {
    const auto* stop = find_extension<StopRequest>(context);
    return stop && stop->requested();
}

}  // namespace framehost
