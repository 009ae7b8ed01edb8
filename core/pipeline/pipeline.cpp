#include "core/pipeline/pipeline.hpp"

#include "core/log/log.hpp"
#include "core/pipeline/backoff.hpp"
#include "core/pipeline/circuit_breaker.hpp"

namespace framehost::core {

namespace {
using Clock = std::chrono::steady_clock;

// After the drain deadline, frames still queued are dropped; the workers then get this long to
// finish the batch they hold before the host gives up on them.
constexpr std::chrono::seconds kStuckWorkerGrace{2};

thread_local std::vector<double> t_latencies;
}  // namespace

Pipeline::Pipeline(const PipelineSettings& settings, PipelineParts parts, MetricsRegistry& metrics,
                   FrameStates& states, SourceRetry retry)
    : settings_(settings),
      parts_(std::move(parts)),
      retry_(retry),
      states_(states),
      chain_(parts_.processors, parts_.sinks, states),
      queue_(settings.queue_capacity, settings.memory_limit_bytes),
      end_to_end_(metrics.histogram("framehost_frame_latency_seconds",
                                    "From a frame entering the host to its last sink")) {}

Pipeline::~Pipeline() {
    if (started_ && !finished_) {
        request_stop();
        wait();
    }
    if (source_thread_.joinable()) source_thread_.detach();
    for (auto& w : workers_) {
        if (w.joinable()) w.detach();
    }
}

void Pipeline::start() {
    std::vector<PluginInstance*> order;
    for (auto& s : parts_.sinks) order.push_back(s.get());
    for (auto& p : parts_.processors) order.push_back(p.get());
    if (parts_.source) order.push_back(parts_.source.get());
    for (std::size_t i = 0; i < order.size(); ++i) {
        try {
            order[i]->plugin().start();
        } catch (const std::exception& e) {
            for (std::size_t j = i; j-- > 0;) {
                try {
                    order[j]->plugin().stop();
                } catch (...) {
                }
            }
            throw std::runtime_error("plugin instance '" + order[i]->name() +
                                     "' failed to start: " + e.what());
        }
    }
    {
        std::lock_guard lock(mutex_);
        started_ = true;
        workers_active_ = settings_.workers;
    }
    for (std::size_t i = 0; i < settings_.workers; ++i)
        workers_.emplace_back([this] { worker_loop(); });
    if (parts_.source) source_thread_ = std::thread([this] { source_loop(); });
}

void Pipeline::request_stop() {
    stop_requested_.store(true);
    queue_.notify_producers();
    std::lock_guard lock(mutex_);
    changed_.notify_all();
}

bool Pipeline::sleep_unless_stopped(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return !changed_.wait_for(lock, duration, [&] { return stop_requested_.load(); });
}

void Pipeline::note_source_error(const std::string& what) {
    int failures = ++source_failures_;
    bool repeated;
    {
        std::lock_guard lock(mutex_);
        repeated = source_last_error_ == what;
        source_last_error_ = what;
    }
    // Logged once per distinct error, not once per retry.
    if (!repeated || failures == 1)
        log(LogLevel::Warn, parts_.source->name(), what + " (retrying with backoff)");
}

void Pipeline::source_failed(const std::string& what, Backoff& backoff, CircuitBreaker& breaker) {
    note_source_error(what);
    auto before = breaker.state();
    breaker.record_failure();
    source_circuit_ = static_cast<int>(breaker.state());
    if (breaker.state() == CircuitBreaker::State::Open && before != CircuitBreaker::State::Open) {
        ++source_circuit_opened_;
        log(LogLevel::Warn, parts_.source->name(),
            "circuit open after " + std::to_string(source_failures_.load()) +
                " consecutive failures: no attempt for " +
                std::to_string(retry_.circuit_open.count()) + " ms");
    }
    auto delay = backoff.next();
    source_backoff_ms_ = delay.count();
    sleep_unless_stopped(delay);
}

void Pipeline::source_loop() {
    Source& source = *parts_.source->source();
    Backoff backoff(retry_.initial_backoff, retry_.max_backoff);
    CircuitBreaker breaker(retry_.circuit_failure_threshold, retry_.circuit_open);
    std::vector<Frame> buffer;
    buffer.reserve(settings_.batch_size);
    bool connected = false;
    while (!stop_requested_.load()) {
        if (!breaker.allow()) {
            sleep_unless_stopped(std::min<std::chrono::milliseconds>(
                std::chrono::duration_cast<std::chrono::milliseconds>(breaker.open_remaining()) +
                    std::chrono::milliseconds(1),
                std::chrono::milliseconds(100)));
            continue;
        }
        source_circuit_ = static_cast<int>(breaker.state());
        if (!connected) {
            try {
                source.connect();
                connected = true;
                source_connected_ = true;
            } catch (const std::exception& e) {
                source_failed(std::string("connect failed: ") + e.what(), backoff, breaker);
                continue;
            }
        }
        if (!queue_.wait_for_room(settings_.batch_size, stop_requested_)) break;
        ReadStatus status;
        try {
            status = source.read(buffer, settings_.batch_size);
        } catch (const std::exception& e) {
            buffer.clear();
            connected = false;
            source_connected_ = false;
            source_failed(std::string("read failed: ") + e.what(), backoff, breaker);
            continue;
        }
        if (!buffer.empty()) {
            auto now = Clock::now();
            for (auto& frame : buffer) {
                frame.received_at = now;
                // A frame the source could not read (malformed on the wire) failed there.
                if (frame.failed() && frame.failed_in().empty())
                    frame.set_failed_in(parts_.source->name());
            }
            states_.received(buffer.size());
            parts_.source->frames.add(static_cast<double>(buffer.size()));
            queue_.push(buffer);
        }
        if (status == ReadStatus::NotConnected) {
            connected = false;
            source_connected_ = false;
            source_failed("the source lost its upstream", backoff, breaker);
            continue;
        }
        // A read that answered is a success: the failure streak, backoff and circuit reset.
        if (source_failures_.load() > 0) {
            source_failures_ = 0;
            log(LogLevel::Info, parts_.source->name(), "reading again");
        }
        backoff.reset();
        breaker.record_success();
        source_circuit_ = static_cast<int>(breaker.state());
        source_backoff_ms_ = 0;
        source_connected_ = true;
        if (status == ReadStatus::EndOfInput) break;
        if (status == ReadStatus::Idle) {
            // The contract asks sources to wait for data themselves; this only keeps a source
            // that answers Idle at once from spinning a core.
            sleep_unless_stopped(std::chrono::milliseconds(1));
        }
    }
    std::lock_guard lock(mutex_);
    source_done_ = true;
    changed_.notify_all();
}

void Pipeline::worker_loop() {
    Source* source = parts_.source ? parts_.source->source() : nullptr;
    std::vector<Frame> batch;
    batch.reserve(settings_.batch_size);
    auto& latencies = t_latencies;
    while (queue_.pop(batch, settings_.batch_size)) {
        auto started = Clock::now();
        double queued = 0;
        for (const auto& f : batch)
            queued += std::chrono::duration<double>(started - f.received_at).count();
        states_.processing(batch.size(), queued);

        std::size_t failed = chain_.run(batch);
        if (source) {
            for (const auto& f : batch) {
                try {
                    source->finished(f);
                } catch (const std::exception& e) {
                    log(LogLevel::Warn, parts_.source->name(),
                        "finished(" + f.id + ") threw: " + e.what());
                }
            }
        }
        auto ended = Clock::now();
        double batch_seconds = std::chrono::duration<double>(ended - started).count();
        states_.finished(batch.size() - failed, failed,
                         batch_seconds * static_cast<double>(batch.size()));
        states_.record_processing_time(batch_seconds / static_cast<double>(batch.size()),
                                       batch.size() - failed);
        latencies.clear();
        std::size_t bytes = 0;
        for (const auto& f : batch) {
            latencies.push_back(std::chrono::duration<double>(ended - f.received_at).count());
            bytes += f.pixels ? f.pixels->size() : 0;
        }
        end_to_end_.observe_each(latencies);
        batch.clear();
        queue_.release_bytes(bytes);
    }
    std::lock_guard lock(mutex_);
    --workers_active_;
    changed_.notify_all();
}

void Pipeline::process_now(Frame& frame, std::vector<StageTiming>* timings) {
    frame.received_at = Clock::now();
    states_.received(1);
    states_.processing(1, 0);
    std::size_t failed = chain_.run(std::span<Frame>(&frame, 1), timings);
    double seconds = std::chrono::duration<double>(Clock::now() - frame.received_at).count();
    states_.finished(1 - failed, failed, seconds);
    states_.record_processing_time(seconds, 1 - failed);
    end_to_end_.observe(seconds);
}

Pipeline::Outcome Pipeline::wait() {
    std::unique_lock lock(mutex_);
    if (!started_ || finished_) return Outcome::Stopped;
    changed_.wait(lock, [&] { return stop_requested_.load() || (parts_.source && source_done_); });
    bool exhausted = !stop_requested_.load();
    lock.unlock();
    if (source_thread_.joinable()) source_thread_.join();
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
    if (outcome == Outcome::WorkersStuck) {
        log(LogLevel::Error, "pipeline",
            "a plugin call has not returned after the shutdown timeout; plugins were not stopped");
        return outcome;
    }
    for (auto& w : workers_) w.join();
    workers_.clear();
    stop_plugins();
    return outcome;
}

void Pipeline::stop_plugins() {
    std::vector<PluginInstance*> order;
    if (parts_.source) order.push_back(parts_.source.get());
    for (auto& p : parts_.processors) order.push_back(p.get());
    for (auto& s : parts_.sinks) order.push_back(s.get());
    for (auto* instance : order) {
        try {
            instance->plugin().stop();
        } catch (const std::exception& e) {
            log(LogLevel::Warn, instance->name(), std::string("stop() threw: ") + e.what());
        }
    }
}

Pipeline::Status Pipeline::status() const {
    Status s;
    {
        std::lock_guard lock(mutex_);
        s.started = started_;
        s.source_finished = source_done_;
        s.source_last_error = source_last_error_;
    }
    s.stopping = stop_requested_.load();
    s.source_connected = source_connected_.load();
    s.source_consecutive_failures = source_failures_.load();
    s.source_backoff = std::chrono::milliseconds(source_backoff_ms_.load());
    s.source_circuit = to_string(static_cast<CircuitBreaker::State>(source_circuit_.load()));
    s.source_circuit_opened = source_circuit_opened_.load();
    s.queue_depth = queue_.depth();
    s.queue_capacity = queue_.capacity();
    s.bytes_in_flight = queue_.bytes_in_flight();
    s.memory_limit_bytes = settings_.memory_limit_bytes;
    return s;
}

}  // namespace framehost::core
