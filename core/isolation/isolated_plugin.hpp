#pragma once
// A processor or sink that runs in worker processes of its own (`isolation: process`): to the
// host's chain it is a plugin like any other; each call crosses to a worker (frames through the
// shared arena, fields over the socket). A worker that crashes, exits or is killed for running
// past its bound fails the frames of that call with the reason ("plugin X crashed: SIGSEGV") and
// is restarted with backoff; after crashes_to_open crashes in a row it is left down for a while
// (its frames fail at once). The other plugins and cameras go on.
//
// The worker offers the plugin no host services (the event store, previews, the memory budget):
// plugins that need them run in the host.
#include <filesystem>
#include <memory>
#include <string>

#include "core/config/host_settings.hpp"
#include "framehost/plugin.hpp"

namespace framehost::core::isolation {

class FramePool;

struct WorkerSpec {
    std::filesystem::path executable;   // the framehost binary (worker_executable())
    std::filesystem::path plugin_file;  // loaded by the worker with the host's checks
    std::string instance_name;
    std::string params_yaml;  // the entry's params, validated again by the worker
    IsolationSettings settings;
    std::size_t arena_bytes = 0;
    const FramePool* pool = nullptr;  // the host's frame memory: frames in it cross uncopied
};

// The host's side of an isolated instance: a Processor or a Sink as `descriptor` says.
std::shared_ptr<Plugin> make_isolated(const WorkerSpec& spec, const PluginDescriptor& descriptor,
                                      PluginContext& context);

}  // namespace framehost::core::isolation
