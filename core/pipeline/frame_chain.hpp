#pragma once
// Runs a batch of frames through every processor, then every sink, keeping each plugin's
// metrics and turning whatever a plugin throws into failed frames. Shared by the workers and
// by the synchronous /process path, so both count the same way.
#include <memory>
#include <span>
#include <vector>

#include "core/metrics/frame_states.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "framehost/frame.hpp"

namespace framehost::core {

class FrameChain {
public:
    FrameChain(std::vector<std::shared_ptr<PluginInstance>> processors,
               std::vector<std::shared_ptr<PluginInstance>> sinks, FrameStates& states);

    // [any thread, concurrently] Frames come back with detections/results added, or failed().
    // Returns how many failed.
    std::size_t run(std::span<Frame> frames);

    const std::vector<std::shared_ptr<PluginInstance>>& processors() const { return processors_; }
    const std::vector<std::shared_ptr<PluginInstance>>& sinks() const { return sinks_; }

private:
    std::vector<std::shared_ptr<PluginInstance>> processors_;
    std::vector<std::shared_ptr<PluginInstance>> sinks_;
    FrameStates& states_;
};

// Fails a frame whose pixel bytes contradict its width, height and format, before any plugin
// sees it. Returns true when the frame is sound.
bool check_frame_shape(Frame& frame);

}  // namespace framehost::core
