// What /health, /metrics and /plugins read of a running pipeline. [any thread]
#include <algorithm>

#include "core/pipeline/pipeline.hpp"

namespace framehost::core {

std::vector<std::shared_ptr<PluginInstance>> Pipeline::instances() const {
    std::vector<std::shared_ptr<PluginInstance>> all;
    for (const auto& r : sources_.present()) all.push_back(r->instance_ptr());
    std::lock_guard lock(parts_mutex_);
    all.insert(all.end(), parts_.processors.begin(), parts_.processors.end());
    all.insert(all.end(), parts_.sinks.begin(), parts_.sinks.end());
    return all;
}

Pipeline::Status Pipeline::status() const {
    Status s;
    {
        std::lock_guard lock(mutex_);
        s.started = started_;
    }
    s.stopping = stop_requested_.load();
    for (const auto& r : sources_.present()) s.sources.push_back(r->status());
    s.queue_depth = queue_.depth();
    s.queue_capacity = queue_.capacity();
    s.bytes_in_flight = queue_.bytes_in_flight();
    s.memory_limit_bytes = settings_.memory_limit_bytes;
    return s;
}

std::vector<StuckInstance> Pipeline::stuck() const {
    std::vector<StuckInstance> out;
    for (const auto& instance : instances())
        if (auto call = instance->stuck_call(settings_.stuck_call_timeout))
            out.push_back({instance->name(), *call});
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.call.seconds > b.call.seconds; });
    return out;
}

}  // namespace framehost::core
