#include "core/pipeline/pipeline.hpp"

#include <optional>
#include <thread>

#include "core/log/log.hpp"

namespace framehost::core {

namespace {
using Clock = std::chrono::steady_clock;

// After the drain deadline, frames still queued are dropped; the workers then get this long to
// finish the batch they hold before the host gives up on them.
constexpr std::chrono::seconds kStuckWorkerGrace{2};
}  // namespace

Pipeline::Pipeline(const PipelineSettings& settings, PipelineParts parts, MetricsRegistry& metrics,
                   FrameStates& states)
    : settings_(settings),
      parts_(std::move(parts)),
      states_(states),
      chain_(std::make_shared<FrameChain>(parts_.processors, parts_.sinks, states)),
      queue_(settings.queue_capacity, settings.memory_limit_bytes, chain_->orders_cameras()),
      end_to_end_(metrics.histogram("framehost_frame_latency_seconds",
                                    "From a frame entering the host to its last sink")) {
    queue_.replace_epoch([this](const FrameQueue::NextSequences&) { return chain_; }, false);
    if (parts_.sources.size() > kMaxSources)
        throw std::runtime_error("at most " + std::to_string(kMaxSources) + " sources");
    for (const auto& part : parts_.sources)
        configured_.push_back(
            sources_.add([&](SourceTicket ticket) { return make_runner(part, ticket); }));
}

std::shared_ptr<SourceRunner> Pipeline::make_runner(const SourcePart& part, SourceTicket ticket) {
    return std::make_shared<SourceRunner>(part.instance, ticket, part.retry, queue_, states_,
                                          settings_.batch_size);
}

void Pipeline::notify_changed() {
    std::lock_guard lock(mutex_);
    changed_.notify_all();
}

Pipeline::~Pipeline() {
    if (started_ && !finished_) {
        request_stop();
        wait();
    }
    for (auto& w : workers_)
        if (w.joinable()) w.detach();
}

void Pipeline::start() {
    // Sinks first, sources last: nothing is read before everything after it can take it.
    auto all = instances();
    std::vector<PluginInstance*> order;
    for (auto it = all.rbegin(); it != all.rend(); ++it) order.push_back(it->get());
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (auto error = order[i]->call("start", 0, [&] { order[i]->plugin().start(); })) {
            for (std::size_t j = i; j-- > 0;)
                order[j]->call("stop", 0, [&] { order[j]->plugin().stop(); });
            throw std::runtime_error("plugin instance '" + order[i]->name() +
                                     "' failed to start: " + *error);
        }
    }
    {
        std::lock_guard lock(mutex_);
        started_ = true;
        workers_active_ = settings_.workers;
    }
    for (std::size_t i = 0; i < settings_.workers; ++i)
        workers_.emplace_back([this] { worker_loop(); });
    for (const auto& runner : sources_.present()) runner->start([this] { notify_changed(); });
}

void Pipeline::request_stop() {
    stop_requested_.store(true);
    for (const auto& runner : sources_.present()) runner->request_stop();
    queue_.notify_producers();
    notify_changed();
}

Pipeline::Outcome Pipeline::wait() {
    std::unique_lock lock(mutex_);
    if (!started_ || finished_) return Outcome::Stopped;
    auto sources_done = [&] {
        for (const auto& r : sources_.present())
            if (!r->finished()) return false;
        return true;
    };
    // A host ends on its own when its configured sources, and those added since, have all
    // ended; a host configured with none serves requests (and cameras added) until stopped.
    changed_.wait(
        lock, [&] { return stop_requested_.load() || (!configured_.empty() && sources_done()); });
    bool exhausted = !stop_requested_.load();
    // A source in a call gets the shutdown timeout and the workers' grace to come back (reads
    // return within about 100 ms by contract); then it is left behind.
    bool sources_back =
        changed_.wait_for(lock, settings_.shutdown_timeout + kStuckWorkerGrace, sources_done);
    lock.unlock();
    if (sources_back) {
        std::lock_guard one_at_a_time(sources_mutex_);  // not while one is being removed
        for (const auto& r : sources_.present()) r->join();
    } else {
        log(LogLevel::Error, "pipeline",
            "a source did not return from its call within the shutdown timeout");
    }
    queue_.close();
    lock.lock();

    Outcome outcome = exhausted ? Outcome::SourceExhausted : Outcome::Stopped;
    std::optional<Clock::time_point> deadline;
    while (workers_active_ > 0) {
        if (!deadline && stop_requested_.load())
            deadline = Clock::now() + settings_.shutdown_timeout;
        if (!deadline) {
            changed_.wait_for(lock, std::chrono::milliseconds(100));
            continue;
        }
        if (changed_.wait_until(lock, *deadline, [&] { return workers_active_ == 0; })) break;
        if (outcome == Outcome::DrainTimedOut) {
            outcome = Outcome::WorkersStuck;
            break;
        }
        outcome = Outcome::DrainTimedOut;
        lock.unlock();
        auto left = queue_.abandon();
        if (!left.empty()) {
            states_.dropped(left.size(), FrameState::Received);
            log(LogLevel::Warn, "pipeline",
                "shutdown timeout: dropped " + std::to_string(left.size()) + " queued frames");
        }
        lock.lock();
        deadline = Clock::now() + kStuckWorkerGrace;
    }
    finished_ = true;
    lock.unlock();
    if (outcome == Outcome::WorkersStuck || !sources_back) {
        log(LogLevel::Error, "pipeline",
            "a plugin call has not returned after the shutdown timeout; plugins were not stopped");
        return Outcome::WorkersStuck;
    }
    for (auto& w : workers_) w.join();
    workers_.clear();
    stop_plugins();
    return outcome;
}

void Pipeline::replace_chain(std::vector<std::shared_ptr<PluginInstance>> processors,
                             std::vector<std::shared_ptr<PluginInstance>> sinks) {
    std::lock_guard one_at_a_time(chain_mutex_);
    auto old = chain_;
    auto used_by = [](const FrameChain& chain, const PluginInstance* instance) {
        for (const auto* list : {&chain.processors(), &chain.sinks()})
            for (const auto& i : *list)
                if (i.get() == instance) return true;
        return false;
    };
    // Start what is new, downstream first, as at start-up.
    std::vector<std::shared_ptr<PluginInstance>> fresh;
    for (auto it = sinks.rbegin(); it != sinks.rend(); ++it)
        if (!used_by(*old, it->get())) fresh.push_back(*it);
    for (auto it = processors.rbegin(); it != processors.rend(); ++it)
        if (!used_by(*old, it->get())) fresh.push_back(*it);
    for (std::size_t i = 0; i < fresh.size(); ++i) {
        if (auto error = fresh[i]->call("start", 0, [&] { fresh[i]->plugin().start(); })) {
            for (std::size_t j = i; j-- > 0;)
                fresh[j]->call("stop", 0, [&] { fresh[j]->plugin().stop(); });
            throw std::runtime_error("plugin instance '" + fresh[i]->name() +
                                     "' failed to start: " + *error);
        }
    }
    std::shared_ptr<FrameChain> next;
    bool ordered = false;
    for (const auto* list : {&processors, &sinks})
        for (const auto& i : *list)
            ordered = ordered || i->descriptor().concurrency == Concurrency::OrderedPerCamera;
    queue_.replace_epoch(
        [&](const FrameQueue::NextSequences& sequences) {
            next = std::make_shared<FrameChain>(processors, sinks, states_, *old, sequences);
            return next;
        },
        ordered);
    chain_ = next;
    {
        std::lock_guard lock(parts_mutex_);
        parts_.processors = processors;
        parts_.sinks = sinks;
    }
    // The batches taken before the swap finish on the old chain; then what it alone used stops.
    std::vector<std::shared_ptr<PluginInstance>> retiring;
    for (const auto* list : {&old->processors(), &old->sinks()})
        for (const auto& i : *list)
            if (!used_by(*next, i.get())) retiring.push_back(i);
    std::weak_ptr<FrameChain> draining = old;
    old.reset();
    auto deadline = Clock::now() + settings_.shutdown_timeout;
    while (!draining.expired() && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    auto retired = draining.lock();
    if (retired) {
        log(LogLevel::Error, "pipeline",
            "batches on the replaced chain did not finish within the shutdown timeout; its "
            "plugins are left running");
        return;
    }
    for (const auto& instance : retiring)
        if (auto error = instance->call("stop", 0, [&] { instance->plugin().stop(); }))
            log(LogLevel::Warn, instance->name(), "stop() threw: " + *error);
}

PipelineParts Pipeline::parts() const {
    std::lock_guard lock(parts_mutex_);
    return parts_;
}

void Pipeline::stop_plugins() {
    for (const auto& instance : instances())
        if (auto error = instance->call("stop", 0, [&] { instance->plugin().stop(); }))
            log(LogLevel::Warn, instance->name(), "stop() threw: " + *error);
}

}  // namespace framehost::core
