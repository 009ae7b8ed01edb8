#pragma once
// Runs a batch of frames through every processor, then every sink, through the guarded call of
// each plugin instance: keeps each plugin's metrics, honours its declared concurrency, turns
// whatever a plugin throws into failed frames, and settles each frame's outcome (the worst of
// what its processors and sinks did). Shared by the workers and by the synchronous /process
// path, so both count the same way.
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/metrics/frame_states.hpp"
#include "core/pipeline/camera_order.hpp"
#include "core/pipeline/frame_envelope.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "framehost/frame.hpp"
#include "framehost/plugin.hpp"

namespace framehost::core {

// When and how one processor ran on a frame, for tracing.
struct StageTiming {
    std::string instance;
    std::chrono::steady_clock::time_point start;
    std::chrono::steady_clock::time_point end;
    std::string error;  // empty: the stage succeeded
    std::size_t detections_after = 0;
};

struct ChainCounts {
    std::size_t completed = 0;
    std::size_t failed = 0;  // failed by a processor or the host, or not written by a sink
    std::size_t filtered = 0;
};

class FrameChain {
  public:
    FrameChain(std::vector<std::shared_ptr<PluginInstance>> processors,
               std::vector<std::shared_ptr<PluginInstance>> sinks, FrameStates& states);
    // The chain a reload swaps in for `previous`: an ordered instance kept from it keeps its
    // order (the frames of both chains pass it in one sequence); a new one starts each camera
    // at `next` (FrameQueue::replace_epoch).
    FrameChain(std::vector<std::shared_ptr<PluginInstance>> processors,
               std::vector<std::shared_ptr<PluginInstance>> sinks, FrameStates& states,
               const FrameChain& previous,
               const std::unordered_map<std::string, std::uint64_t>& next);

    // [any thread, concurrently] Frames come back with detections/results added, failed() or
    // filtered(); `outcomes[i]` (resized to the batch) is frame i's outcome for its source.
    // With `timings`, one entry per processor that ran (for single-frame tracing).
    // Plugins see only the batch's frames, never its host state.
    ChainCounts run(FrameBatch& batch, std::vector<Outcome>& outcomes,
                    std::vector<StageTiming>* timings = nullptr);

    // True when some plugin is ordered_per_camera: frames then need a camera_sequence.
    bool orders_cameras() const;

    const std::vector<std::shared_ptr<PluginInstance>>& processors() const { return processors_; }
    const std::vector<std::shared_ptr<PluginInstance>>& sinks() const { return sinks_; }

  private:
    struct Stage {
        std::shared_ptr<PluginInstance> instance;
        std::shared_ptr<CameraOrder> order;  // null unless ordered_per_camera
    };
    // Calls `call(indices)` on the stage with the live frames: once for all of them, or per
    // camera in turn.
    template <class Call>
    void through(Stage& stage, const FrameBatch& batch, std::span<const std::uint32_t> live,
                 Call&& call);

    std::vector<std::shared_ptr<PluginInstance>> processors_;
    std::vector<std::shared_ptr<PluginInstance>> sinks_;
    std::vector<Stage> processor_stages_;
    std::vector<Stage> sink_stages_;
    FrameStates& states_;
};

// Fails a frame whose image contradicts its width, height and format, or whose planes cannot
// be read, before any plugin sees it. Returns true when the frame is sound.
bool check_frame_shape(Frame& frame);

}  // namespace framehost::core
