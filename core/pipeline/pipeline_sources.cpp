// Sources added to and removed from a running pipeline (cameras over HTTP).
#include <algorithm>
#include <thread>

#include "core/log/log.hpp"
#include "core/pipeline/pipeline.hpp"

namespace framehost::core {

void Pipeline::add_source(SourcePart part, bool configured) {
    std::lock_guard adding(sources_mutex_);
    {
        std::lock_guard lock(mutex_);
        if (!started_ || finished_ || stop_requested_.load())
            throw std::runtime_error("the host is not running: no source can be added");
    }
    auto& instance = *part.instance;
    // The slot first: a host at its most sources refuses before the plugin starts anything.
    auto runner = sources_.add([&](SourceTicket ticket) { return make_runner(part, ticket); });
    if (auto error = instance.call("start", 0, [&] { instance.plugin().start(); })) {
        sources_.retire(*runner);
        throw std::runtime_error("'" + instance.name() + "' failed to start: " + *error);
    }
    if (configured) {
        {
            std::lock_guard lock(mutex_);
            configured_.push_back(runner);
        }
        std::lock_guard lock(parts_mutex_);
        parts_.sources.push_back(part);
    }
    runner->start([this] { notify_changed(); });
    // A stop requested meanwhile did not see it.
    if (stop_requested_.load()) runner->request_stop();
}

std::size_t Pipeline::remove_source(const std::string& instance_name) {
    std::lock_guard removing(sources_mutex_);
    auto runner = sources_.present_named(instance_name);
    if (!runner || std::find(configured_.begin(), configured_.end(), runner) != configured_.end())
        throw std::invalid_argument("no source '" + instance_name + "' added at runtime");
    return remove_runner(runner, instance_name);
}

std::size_t Pipeline::remove_configured_source(const std::string& instance_name) {
    std::lock_guard removing(sources_mutex_);
    auto runner = sources_.present_named(instance_name);
    auto it = std::find(configured_.begin(), configured_.end(), runner);
    if (!runner || it == configured_.end())
        throw std::invalid_argument("no configured source '" + instance_name + "'");
    auto waited = remove_runner(runner, instance_name);
    {
        std::lock_guard lock(mutex_);
        configured_.erase(std::find(configured_.begin(), configured_.end(), runner));
    }
    std::lock_guard lock(parts_mutex_);
    std::erase_if(parts_.sources,
                  [&](const SourcePart& p) { return p.instance->name() == instance_name; });
    return waited;
}

std::size_t Pipeline::remove_runner(const std::shared_ptr<SourceRunner>& runner,
                                    const std::string& instance_name) {
    runner->request_stop();
    queue_.notify_producers();
    runner->join();
    // Its frames still in the queue or with a worker finish first: their outcome goes back to
    // the source before it stops.
    auto waited = static_cast<std::size_t>(std::max<std::int64_t>(0, runner->unsettled()));
    auto deadline = std::chrono::steady_clock::now() + settings_.shutdown_timeout;
    while (runner->unsettled() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (runner->unsettled() > 0)
        log(LogLevel::Warn, instance_name,
            std::to_string(runner->unsettled()) +
                " frames not settled within the shutdown timeout; stopping it anyway");
    sources_.retire(*runner);
    auto& instance = runner->instance();
    if (auto error = instance.call("stop", 0, [&] { instance.plugin().stop(); }))
        log(LogLevel::Warn, instance_name, "stop() threw: " + *error);
    notify_changed();
    return waited;
}

}  // namespace framehost::core
