#include "core/pipeline/pipeline.hpp"

#include <algorithm>
#include <optional>

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
    for (std::size_t i = 0; i < parts_.sources.size(); ++i)
        runners_.push_back(std::make_unique<SourceRunner>(
            parts_.sources[i].instance, static_cast<std::uint32_t>(i), parts_.sources[i].retry,
            queue_, states_, settings_.batch_size));
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
    for (const auto& s : parts_.sources) all.push_back(s.instance);
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
    for (auto& runner : runners_)
        runner->start([this] {
            std::lock_guard lock(mutex_);
            changed_.notify_all();
        });
}

void Pipeline::request_stop() {
    stop_requested_.store(true);
    for (auto& runner : runners_) runner->request_stop();
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
        if (index >= runners_.size()) {
            ++i;
            continue;
        }
        auto& instance = runners_[index]->instance();
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
    frame.host.source_index = static_cast<std::uint32_t>(runners_.size());  // no source settles it
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
        for (const auto& r : runners_)
            if (!r->finished()) return false;
        return true;
    };
    changed_.wait(lock,
                  [&] { return stop_requested_.load() || (!runners_.empty() && sources_done()); });
    bool exhausted = !stop_requested_.load();
    // A source in a call gets the shutdown timeout and the workers' grace to come back (reads
    // return within about 100 ms by contract); then it is left behind.
    bool sources_back =
        changed_.wait_for(lock, settings_.shutdown_timeout + kStuckWorkerGrace, sources_done);
    lock.unlock();
    if (sources_back) {
        for (auto& r : runners_) r->join();
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
    for (const auto& r : runners_) s.sources.push_back(r->status());
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
