#pragma once
// Runs a batch of frames through every processor, then every sink, keeping each plugin's
// metrics and turning whatever a plugin throws into failed frames. Shared by the workers and
// by the synchronous /process path, so both count the same way.
#include <chrono>
#include <memory>
#include <string>
#include <span>
#include <vector>

#include "core/metrics/frame_states.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "framehost/frame.hpp"

namespace framehost::core {

// When and how one processor ran on a frame, for tracing.
struct StageTiming {
    std::string instance;
    std::chrono::steady_clock::time_point start;
    std::chrono::steady_clock::time_point end;
    std::string error;  // empty: the stage succeeded
    std::size_t detections_after = 0;
};

class FrameChain {
public:
    FrameChain(std::vector<std::shared_ptr<PluginInstance>> processors,
               std::vector<std::shared_ptr<PluginInstance>> sinks, FrameStates& states);

    // [any thread, concurrently] Frames come back with detections/results added, or failed().
    // Returns how many failed.
    // With `timings`, one entry per processor that ran (for single-frame tracing).
    std::size_t run(std::span<Frame> frames, std::vector<StageTiming>* timings = nullptr);

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
