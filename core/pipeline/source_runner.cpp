#include "core/pipeline/source_runner.hpp"

#include "core/log/log.hpp"

namespace framehost::core {

namespace {
using Clock = std::chrono::steady_clock;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}
}  // namespace

SourceRunner::SourceRunner(std::shared_ptr<PluginInstance> instance, SourceTicket ticket,
                           SourceRetry retry, FrameQueue& queue, FrameStates& states,
                           std::size_t batch_size)
    : instance_(std::move(instance)),
      ticket_(ticket),
      retry_(retry),
      queue_(queue),
      states_(states),
      batch_size_(batch_size) {}

SourceRunner::~SourceRunner() {
    request_stop();
    // A thread stuck in a plugin call is left behind rather than waited for forever.
    if (thread_.joinable()) thread_.detach();
}

void SourceRunner::start(std::function<void()> on_done) {
    on_done_ = std::move(on_done);
    thread_ = std::thread([this] { loop(); });
}

void SourceRunner::request_stop() {
    stop_.store(true);
    instance_->request_stop();  // a read waiting on something slow gives up (stop_request.hpp)
    std::lock_guard lock(mutex_);
    wake_.notify_all();
}

void SourceRunner::join() {
    if (thread_.joinable()) thread_.join();
}

bool SourceRunner::sleep_unless_stopped(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, duration, [&] { return stop_.load(); });
}

void SourceRunner::failed(const std::string& what, Retry& retry) {
    int failures = ++failures_;
    bool repeated;
    {
        std::lock_guard lock(mutex_);
        repeated = last_error_ == what;
        last_error_ = what;
    }
    // Logged once per distinct error, not once per retry.
    if (!repeated || failures == 1)
        log(LogLevel::Warn, instance_->name(), what + " (retrying with backoff)");
    auto failure = retry.failed();
    circuit_ = static_cast<int>(retry.circuit());
    if (failure.circuit_opened) {
        ++circuit_opened_;
        log(LogLevel::Warn, instance_->name(),
            "circuit open after " + std::to_string(failures) +
                " consecutive failures: no attempt for " +
                std::to_string(retry_.circuit_open_ms.count()) + " ms");
    }
    backoff_ms_ = failure.delay.count();
    sleep_unless_stopped(failure.delay);
}

void SourceRunner::loop() {
    Source& source = *instance_->source();
    Retry retry(retry_);
    // The source reads into the batch's frames; the host state goes beside them, so a batch
    // reaches the queue without a frame being moved.
    FrameBatch batch;
    batch.reserve(batch_size_);
    bool connected = false;
    while (!stop_.load()) {
        if (auto wait = retry.wait_before_attempt(); wait.count() > 0) {
            sleep_unless_stopped(std::min(wait, std::chrono::milliseconds(100)));
            continue;
        }
        circuit_ = static_cast<int>(retry.circuit());
        if (!connected) {
            if (auto error = instance_->call("connect", 0, [&] { source.connect(); })) {
                failed("connect failed: " + *error, retry);
                continue;
            }
            connected = true;
            connected_ = true;
        }
        waiting_since_ns_ = now_ns();
        bool room = queue_.wait_for_room(batch_size_, stop_);
        waiting_since_ns_ = 0;
        if (!room) break;
        ReadStatus status = ReadStatus::Idle;
        if (auto error = instance_->call(
                "read", 0, [&] { status = source.read(batch.frames, batch_size_); })) {
            batch.clear();
            connected = false;
            connected_ = false;
            failed("read failed: " + *error, retry);
            continue;
        }
        if (!batch.empty()) {
            auto now = Clock::now();
            batch.host.resize(batch.frames.size());
            for (std::size_t i = 0; i < batch.size(); ++i) {
                Frame& frame = batch.frames[i];
                // A frame the source could not read (malformed on the wire) failed there.
                if (frame.failed() && frame.failed_in().empty())
                    frame.set_failed_in(instance_->name());
                auto& host = batch.host[i];
                host.received_at = now;
                host.source = ticket_;
                host.delivery = frame.delivery;
            }
            auto n = batch.size();
            states_.received(n);
            instance_->frames.add(static_cast<double>(n));
            frames_ += n;
            unsettled_ += static_cast<std::int64_t>(n);
            queue_.push(batch);
        }
        if (status == ReadStatus::NotConnected) {
            connected = false;
            connected_ = false;
            failed("the source lost its upstream", retry);
            continue;
        }
        // A read that answered is a success: the failure streak, backoff and circuit reset.
        if (failures_.load() > 0) {
            failures_ = 0;
            log(LogLevel::Info, instance_->name(), "reading again");
        }
        retry.succeeded();
        circuit_ = static_cast<int>(retry.circuit());
        backoff_ms_ = 0;
        connected_ = true;
        if (status == ReadStatus::EndOfInput) break;
        // The contract asks sources to wait for data themselves; this only keeps a source that
        // answers Idle at once from spinning a core.
        if (status == ReadStatus::Idle) sleep_unless_stopped(std::chrono::milliseconds(1));
    }
    finished_ = true;
    if (on_done_) on_done_();
}

SourceStatus SourceRunner::status() const {
    SourceStatus s;
    s.name = instance_->name();
    s.connected = connected_.load();
    s.finished = finished_.load();
    s.consecutive_failures = failures_.load();
    s.backoff = std::chrono::milliseconds(backoff_ms_.load());
    s.circuit = to_string(static_cast<CircuitBreaker::State>(circuit_.load()));
    s.circuit_opened = circuit_opened_.load();
    s.frames = frames_.load();
    auto since = waiting_since_ns_.load();
    if (since != 0 && queue_.over_byte_budget())
        s.blocked_on_memory_s = static_cast<double>(now_ns() - since) / 1e9;
    std::lock_guard lock(mutex_);
    s.last_error = last_error_;
    return s;
}

}  // namespace framehost::core
