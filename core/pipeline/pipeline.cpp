#include "core/pipeline/pipeline.hpp"

#include <algorithm>
#include <optional>
#include <thread>

#include "core/log/log.hpp"

namespace framehost::core {

namespace {
using Clock = std::chrono::steady_clock;

// After the drain deadline, frames still queued are dropped; the workers then get this long to
// finish the batch they hold before the host gives up on them.
constexpr std::chrono::seconds kStuckWorkerGrace{2};

thread_local std::vector<double> t_latencies;
thread_local std::vector<framehost::Outcome> t_outcomes;
}  // namespace

Pipeline::Pipeline(const PipelineSettings& settings, PipelineParts parts, MetricsRegistry& metrics,
                   FrameStates& states)
    : settings_(settings),
      parts_(std::move(parts)),
      states_(states),
      chain_(parts_.processors, parts_.sinks, states),
      queue_(settings.queue_capacity, settings.memory_limit_bytes, chain_.orders_cameras()),
      end_to_end_(metrics.histogram("framehost_frame_latency_seconds",
                                    "From a frame entering the host to its last sink")) {
    if (parts_.sources.size() > kMaxSources)
        throw std::runtime_error("at most " + std::to_string(kMaxSources) + " sources");
    runners_.reserve(kMaxSources);
    removed_.reserve(kMaxSources);
    for (std::size_t i = 0; i < parts_.sources.size(); ++i) {
        runners_.push_back(std::make_unique<SourceRunner>(
            parts_.sources[i].instance, static_cast<std::uint32_t>(i), parts_.sources[i].retry,
            queue_, states_, settings_.batch_size));
        removed_.push_back(std::make_unique<std::atomic<bool>>(false));
    }
    configured_sources_ = runners_.size();
    runner_count_.store(runners_.size());
}

std::vector<SourceRunner*> Pipeline::live_runners() const {
    std::vector<SourceRunner*> out;
    std::size_t n = runner_count_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i)
        if (!removed_[i]->load()) out.push_back(runners_[i].get());
    return out;
}

void Pipeline::add_source(SourcePart part) {
    std::lock_guard adding(sources_mutex_);
    {
        std::lock_guard lock(mutex_);
        if (!started_ || finished_ || stop_requested_.load())
            throw std::runtime_error("the host is not running: no source can be added");
    }
    std::size_t index = runner_count_.load();
    if (index >= kMaxSources)
        throw std::runtime_error("the host has its most sources (" + std::to_string(kMaxSources) +
                                 "), removed ones included");
    auto& instance = *part.instance;
    if (auto error = instance.call("start", 0, [&] { instance.plugin().start(); }))
        throw std::runtime_error("'" + instance.name() + "' failed to start: " + *error);
    runners_.push_back(std::make_unique<SourceRunner>(part.instance,
                                                      static_cast<std::uint32_t>(index), part.retry,
                                                      queue_, states_, settings_.batch_size));
    removed_.push_back(std::make_unique<std::atomic<bool>>(false));
    {
        std::lock_guard lock(mutex_);
        runner_count_.store(index + 1, std::memory_order_release);
    }
    runners_[index]->start([this] {
        std::lock_guard lock(mutex_);
        changed_.notify_all();
    });
    // A stop requested meanwhile did not see it.
    if (stop_requested_.load()) runners_[index]->request_stop();
}

std::size_t Pipeline::remove_source(const std::string& instance_name) {
    std::lock_guard removing(sources_mutex_);
    std::size_t n = runner_count_.load();
    std::size_t index = n;
    for (std::size_t i = configured_sources_; i < n; ++i)
        if (!removed_[i]->load() && runners_[i]->instance().name() == instance_name) index = i;
    if (index == n)
        throw std::invalid_argument("no source '" + instance_name + "' added at runtime");
    auto& runner = *runners_[index];
    runner.request_stop();
    queue_.notify_producers();
    runner.join();
    // Its frames still in the queue or with a worker finish first: their outcome goes back to
    // the source before it stops.
    auto waited = static_cast<std::size_t>(std::max<std::int64_t>(0, runner.unsettled()));
    auto deadline = Clock::now() + settings_.shutdown_timeout;
    while (runner.unsettled() > 0 && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (runner.unsettled() > 0)
        log(LogLevel::Warn, instance_name,
            std::to_string(runner.unsettled()) +
                " frames not settled within the shutdown timeout; stopping it anyway");
    removed_[index]->store(true);
    auto& instance = runner.instance();
    if (auto error = instance.call("stop", 0, [&] { instance.plugin().stop(); }))
        log(LogLevel::Warn, instance_name, "stop() threw: " + *error);
    {
        std::lock_guard lock(mutex_);
        changed_.notify_all();
    }
    return waited;
}

Pipeline::~Pipeline() {
    if (started_ && !finished_) {
        request_stop();
        wait();
    }
    for (auto& w : workers_)
        if (w.joinable()) w.detach();
}

std::vector<std::shared_ptr<PluginInstance>> Pipeline::instances() const {
    std::vector<std::shared_ptr<PluginInstance>> all;
    for (auto* r : live_runners()) all.push_back(r->instance_ptr());
    all.insert(all.end(), parts_.processors.begin(), parts_.processors.end());
    all.insert(all.end(), parts_.sinks.begin(), parts_.sinks.end());
    return all;
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
    for (auto* runner : live_runners())
        runner->start([this] {
            std::lock_guard lock(mutex_);
            changed_.notify_all();
        });
}

void Pipeline::request_stop() {
    stop_requested_.store(true);
    for (auto* runner : live_runners()) runner->request_stop();
    queue_.notify_producers();
    std::lock_guard lock(mutex_);
    changed_.notify_all();
}

void Pipeline::settle(std::span<Frame> batch, const std::vector<framehost::Outcome>& outcomes) {
    // One guarded call per run of frames from the same source (a whole batch, usually); a
    // throw costs only that frame: the rest go on in a fresh call.
    std::size_t i = 0;
    while (i < batch.size()) {
        auto index = batch[i].host.source_index;
        if (index >= runner_count_.load(std::memory_order_acquire)) {
            ++i;
            continue;
        }
        auto& runner = *runners_[index];
        auto& instance = runner.instance();
        Source& source = *instance.source();
        std::size_t at = i;
        auto error = instance.call("finished", 0, [&] {
            for (; at < batch.size() && batch[at].host.source_index == index; ++at)
                source.finished(batch[at], outcomes[at]);
        });
        if (error) {
            log(LogLevel::Warn, instance.name(), "finished(" + batch[at].id + ") threw: " + *error);
            ++at;
        }
        runner.settled(at - i);
        i = at;
    }
}

void Pipeline::worker_loop() {
    std::vector<Frame> batch;
    batch.reserve(settings_.batch_size);
    auto& latencies = t_latencies;
    auto& outcomes = t_outcomes;
    while (queue_.pop(batch, settings_.batch_size)) {
        auto started = Clock::now();
        double queued = 0;
        for (const auto& f : batch)
            queued += std::chrono::duration<double>(started - f.host.received_at).count();
        states_.processing(batch.size(), queued);

        auto counts = chain_.run(batch, outcomes);
        settle(batch, outcomes);
        auto ended = Clock::now();
        double batch_seconds = std::chrono::duration<double>(ended - started).count();
        states_.finished(counts.completed, counts.failed, counts.filtered,
                         batch_seconds * static_cast<double>(batch.size()));
        states_.record_processing_time(batch_seconds / static_cast<double>(batch.size()),
                                       counts.completed);
        latencies.clear();
        for (const auto& f : batch)
            latencies.push_back(std::chrono::duration<double>(ended - f.host.received_at).count());
        end_to_end_.observe_each(latencies);
        queue_.release(batch);
        batch.clear();
    }
    std::lock_guard lock(mutex_);
    --workers_active_;
    changed_.notify_all();
}

void Pipeline::process_now(Frame& frame, std::vector<StageTiming>* timings) {
    frame.host = {};
    frame.host.received_at = Clock::now();
    frame.host.camera_sequence = queue_.sequence_for(frame.camera_id);
    frame.host.source_index = kNoSource;
    states_.received(1);
    states_.processing(1, 0);
    std::vector<framehost::Outcome> outcomes;
    auto counts = chain_.run(std::span<Frame>(&frame, 1), outcomes, timings);
    double seconds = std::chrono::duration<double>(Clock::now() - frame.host.received_at).count();
    states_.finished(counts.completed, counts.failed, counts.filtered, seconds);
    states_.record_processing_time(seconds, counts.completed);
    end_to_end_.observe(seconds);
}

Pipeline::Outcome Pipeline::wait() {
    std::unique_lock lock(mutex_);
    if (!started_ || finished_) return Outcome::Stopped;
    auto sources_done = [&] {
        for (auto* r : live_runners())
            if (!r->finished()) return false;
        return true;
    };
    // A host ends on its own when its configured sources, and those added since, have all
    // ended; a host configured with none serves requests (and cameras added) until stopped.
    changed_.wait(lock, [&] {
        return stop_requested_.load() || (configured_sources_ > 0 && sources_done());
    });
    bool exhausted = !stop_requested_.load();
    // A source in a call gets the shutdown timeout and the workers' grace to come back (reads
    // return within about 100 ms by contract); then it is left behind.
    bool sources_back =
        changed_.wait_for(lock, settings_.shutdown_timeout + kStuckWorkerGrace, sources_done);
    lock.unlock();
    if (sources_back) {
        std::lock_guard one_at_a_time(sources_mutex_);  // not while one is being removed
        for (auto* r : live_runners()) r->join();
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

void Pipeline::stop_plugins() {
    for (const auto& instance : instances())
        if (auto error = instance->call("stop", 0, [&] { instance->plugin().stop(); }))
            log(LogLevel::Warn, instance->name(), "stop() threw: " + *error);
}

Pipeline::Status Pipeline::status() const {
    Status s;
    {
        std::lock_guard lock(mutex_);
        s.started = started_;
    }
    s.stopping = stop_requested_.load();
    for (auto* r : live_runners()) s.sources.push_back(r->status());
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
