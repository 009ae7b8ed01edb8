#pragma once
// A host built from YAML as `framehost --config` builds it, run to its end: what it completed,
// how fast, and its end-to-end latency. Its workers (isolated ones included) start before the
// clock does.
#include <chrono>
#include <filesystem>
#include <string>

#include "core/host/host.hpp"
#include "core/plugins/plugin_binding.hpp"

namespace framehost::bench {

struct HostRun {
    std::uint64_t completed = 0;
    double frames_per_second = 0;
    double p50_ms = 0;
    double p99_ms = 0;
};

// `executable`: this program, beside which the framehost binary and its plugins are.
inline HostRun run_host(const std::filesystem::path& executable, const std::string& yaml) {
    core::PluginCatalog catalog(core::bundled_plugin_directories(executable));
    auto config = core::parse_host_config(yaml, "bench.yaml", {}, catalog);
    core::Host host(std::move(config));
    host.start();
    auto started = std::chrono::steady_clock::now();
    host.wait();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto done = host.states().snapshot().current[static_cast<int>(core::FrameState::Completed)];
    auto latency = host.pipeline().end_to_end_latency().snapshot();
    return {static_cast<std::uint64_t>(done), static_cast<double>(done) / seconds,
            latency.quantile(0.5) * 1000, latency.quantile(0.99) * 1000};
}

}  // namespace framehost::bench
