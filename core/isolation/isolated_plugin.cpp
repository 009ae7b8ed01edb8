#include "core/isolation/isolated_plugin.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <sched.h>
#include <signal.h>

#include "core/isolation/frame_pool.hpp"
#include "core/isolation/frame_transfer.hpp"
#include "core/isolation/shared_arena.hpp"
#include "core/isolation/worker_answer.hpp"
#include "core/isolation/worker_link.hpp"
#include "core/isolation/worker_process.hpp"
#include "framehost/backoff.hpp"
#include "framehost/circuit_breaker.hpp"

namespace framehost::core::isolation {

namespace {
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// A plugin whose calls take less than this, on average, has its worker kept on its caller's CPU
// (WorkerPool::place); the average weighs each new call by kCallAverageWeight.
constexpr double kShortCallSeconds = 0.001;
constexpr double kCallAverageWeight = 0.2;

// A worker whose socket closed is dying; one that closed it and lives on (a plugin that closed
// every descriptor) is killed after this.
constexpr milliseconds kCrashGrace{2000};

// Why a call did not come back, as the frames it held are failed with.
struct Lost {
    std::string reason;
    bool killed = false;  // by the kill bound, not a crash
};

// One worker process and what the host knows of it. Used by one call at a time (leased).
struct Worker {
    Worker(const IsolationSettings& s)
        : backoff(s.restart_backoff, s.restart_backoff_max),
          breaker(s.crashes_to_open, s.open_for) {}
    std::unique_ptr<WorkerProcess> process;  // null: not running
    MessageReceiver receiver;                // of process's socket
    // The call in flight, for the watchdog: its deadline (0: none) and the process it may kill.
    std::atomic<std::int64_t> deadline_ns{0};
    std::atomic<pid_t> calling{0};
    std::atomic<bool> killed{false};  // by the watchdog, for running past the deadline
    SharedArena arena;
    std::vector<ArenaBlock> held;  // blocks its plugin keeps
    // Frames of the host's frame pool that its plugin keeps: the host keeps their images alive.
    std::map<std::uint64_t, Image> lent;
    // The calls' message and the answer's view (into receiver): kept, so a call allocates
    // nothing once its messages have reached their size.
    MessageWriter call{MessageType::Process};
    std::string_view answer;
    // Where its process is kept (-1: anywhere), and the plugin's time a call, averaged over the
    // last calls; until calls have been timed, taken as long.
    std::atomic<int> cpu{-1};  // read by status()
    double call_seconds = 1.0;
    Backoff backoff;
    CircuitBreaker breaker;
    Clock::time_point restart_at{};
    std::chrono::milliseconds last_restart_delay{0};
    bool busy = false;
    // Read by status() under the pool's mutex.
    pid_t pid = 0;
    std::uint64_t restarts = 0;  // starts after the first
    std::uint64_t starts = 0;
    std::string last_crash;
    std::string state = "starting";
};

class WorkerPool {
  public:
    WorkerPool(const WorkerSpec& spec, const PluginDescriptor& descriptor, PluginContext& context)
        : spec_(spec),
          descriptor_(descriptor),
          context_(context),
          crashes_(context.counter("isolation_crashes",
                                   "Worker processes of the instance that "
                                   "crashed, exited or were killed",
                                   {})),
          pipe_(context.histogram("isolation_pipe",
                                  "Time a call spent crossing to the worker "
                                  "and back, beside the plugin's own",
                                  {})) {
        for (std::size_t i = 0; i < spec_.settings.processes; ++i)
            workers_.push_back(std::make_unique<Worker>(spec_.settings));
    }

    ~WorkerPool() {
        stop_watchdog();
        for (auto& w : workers_) w->process.reset();
    }

    void start() {
        started_ = true;
        if (!watchdog_.joinable()) watchdog_ = std::thread([this] { watch(); });
        for (auto& w : workers_) {
            Lease lease(*this, *w);
            if (auto lost = launch(*w)) throw std::runtime_error(lost->reason);
        }
    }

    void stop() {
        for (auto& w : workers_) {
            Lease lease(*this, *w);
            if (!w->process) continue;
            std::string answer;
            MessageWriter m(MessageType::Stop);
            if (send_message(w->process->socket(), m.bytes()))
                w->receiver.receive(answer, spec_.settings.start_timeout);
            w->process->end_within(milliseconds(2000));
            w->process.reset();
            set_state(*w, "stopped");
        }
        started_ = false;
        stop_watchdog();
    }

    void process(std::span<Frame* const> frames) {
        std::size_t at = 0;
        while (at < frames.size()) {
            auto rest = frames.subspan(at);
            std::size_t sent = 0;
            std::optional<Lost> lost;
            {
                Lease lease(*this, acquire());
                Worker& w = lease.worker;
                if (auto down = ensure_running(w)) {
                    for (Frame* f : rest) f->fail(down->reason);
                    return;
                }
                ArenaPlanner planner(w.arena.size(), w.held);
                w.call.restart(MessageType::Process);
                std::string too_large;
                std::span<const Frame* const> view(rest.data(), rest.size());
                sent = send_frames(view, memory(w), planner, w.call, too_large);
                if (sent == 0) {
                    rest.front()->fail(too_large);
                    ++at;
                    continue;
                }
                lost = exchange(w, sent);
                if (!lost) settle_processed(w, rest.first(sent));
            }
            if (lost) {
                // A crash or a hang names no frame: each is tried again alone, on a new worker,
                // so only the frames that crash or hang it fail. A plugin that fails every frame
                // opens its circuit after crashes_to_open of them, and the rest fail at once.
                if (sent > 1) {
                    for (Frame* f : rest.first(sent)) process(std::span<Frame* const>(&f, 1));
                } else {
                    for (Frame* f : rest.first(sent)) f->fail(lost->reason);
                }
            }
            at += sent;
        }
    }

    void write(std::span<const Frame* const> frames, SinkReport& report) {
        std::size_t at = 0;
        while (at < frames.size()) {
            auto rest = frames.subspan(at);
            Lease lease(*this, acquire());
            Worker& w = lease.worker;
            if (auto down = ensure_running(w)) {
                for (std::size_t i = at; i < frames.size(); ++i) report.failed(i, down->reason);
                return;
            }
            ArenaPlanner planner(w.arena.size(), w.held);
            w.call.restart(MessageType::Write);
            std::string too_large;
            auto sent = send_frames(rest, memory(w), planner, w.call, too_large);
            if (sent == 0) {
                report.failed(at, too_large);
                ++at;
                continue;
            }
            // What a crashed sink wrote is unknown: its frames are reported not written, and an
            // at-least-once source delivers them again.
            if (auto lost = exchange(w, sent)) {
                for (std::size_t i = 0; i < sent; ++i) report.failed(at + i, lost->reason);
            } else {
                settle_written(w, rest.first(sent), at, report);
            }
            at += sent;
        }
    }

    nlohmann::json status() const {
        std::lock_guard lock(mutex_);
        auto workers = nlohmann::json::array();
        std::uint64_t restarts = 0;
        std::string last_crash;
        for (const auto& w : workers_) {
            nlohmann::json one = {{"pid", w->pid},
                                  {"state", w->state},
                                  {"restarts", w->restarts},
                                  {"last_crash", w->last_crash}};
            if (w->state == "restarting")
                one["restart_in_ms"] = std::max<long long>(
                    0,
                    std::chrono::duration_cast<milliseconds>(w->restart_at - Clock::now()).count());
            one["last_restart_delay_ms"] = w->last_restart_delay.count();
            auto cpu = w->cpu.load(std::memory_order_relaxed);
            one["kept_on_cpu"] = cpu >= 0 ? nlohmann::json(cpu) : nlohmann::json();
            one["crashes_in_a_row"] = w->backoff.failures();
            one["circuit"] = to_string(w->breaker.state());
            restarts += w->restarts;
            if (!w->last_crash.empty()) last_crash = w->last_crash;
            workers.push_back(std::move(one));
        }
        auto calls = calls_.load(std::memory_order_relaxed);
        nlohmann::json isolation = {
            {"mode", "process"},
            {"workers", std::move(workers)},
            {"restarts", restarts},
            {"last_crash", last_crash},
            {"calls", calls},
            {"pipe_ms_mean",
             calls ? pipe_ns_.load(std::memory_order_relaxed) / 1e6 / static_cast<double>(calls)
                   : 0.0}};
        nlohmann::json status = plugin_status_.empty() ? nlohmann::json::object()
                                                       : nlohmann::json::parse(plugin_status_);
        if (!status.is_object()) status = {{"status", status}};
        status["isolation"] = std::move(isolation);
        return status;
    }

  private:
    // Kills a worker whose call runs past its deadline: the calling thread waits in a plain
    // recv(), which the worker's death ends.
    void watch() {
        std::unique_lock lock(watchdog_mutex_);
        while (!watchdog_wake_.wait_for(lock, milliseconds(10), [&] { return watchdog_done_; })) {
            auto now = Clock::now().time_since_epoch().count();
            for (auto& w : workers_) {
                auto deadline = w->deadline_ns.load();
                if (deadline == 0 || now < deadline || w->killed.load()) continue;
                w->killed.store(true);
                if (auto pid = w->calling.load(); pid > 0) ::kill(pid, SIGKILL);
            }
        }
    }
    void stop_watchdog() {
        {
            std::lock_guard lock(watchdog_mutex_);
            watchdog_done_ = true;
        }
        watchdog_wake_.notify_all();
        if (watchdog_.joinable()) watchdog_.join();
        std::lock_guard lock(watchdog_mutex_);
        watchdog_done_ = false;
    }

    struct Lease {
        Lease(WorkerPool& p, Worker& w) : pool(p), worker(w) {}
        ~Lease() { pool.release(worker); }
        WorkerPool& pool;
        Worker& worker;
    };

    Worker& acquire() {
        std::unique_lock lock(mutex_);
        for (;;) {
            for (auto& w : workers_)
                if (!w->busy) {
                    w->busy = true;
                    return *w;
                }
            free_.wait(lock);
        }
    }
    void release(Worker& w) {
        {
            std::lock_guard lock(mutex_);
            w.busy = false;
        }
        free_.notify_one();
    }
    void set_state(Worker& w, const char* state) {
        std::lock_guard lock(mutex_);
        w.state = state;
        w.pid = w.process ? w.process->pid() : 0;
    }

    std::string name() const { return "plugin " + spec_.instance_name; }

    // Records a worker lost: its process ended, the reason kept, its restart scheduled.
    Lost lose(Worker& w, const std::string& reason, bool killed = false) {
        if (w.process) w.process.reset();
        crashes_.add(1);
        context_.log(LogLevel::Error, reason);
        std::lock_guard lock(mutex_);
        w.last_crash = reason;
        w.breaker.record_failure();
        auto delay = w.backoff.next();
        w.last_restart_delay = delay;
        w.restart_at = Clock::now() + delay;
        w.state = w.breaker.state() == CircuitBreaker::State::Open ? "down" : "restarting";
        w.pid = 0;
        return {reason, killed};
    }

    // Starts a worker process and its plugin (created, then started when the pool is).
    std::optional<Lost> launch(Worker& w) {
        try {
            if (!w.arena.data())
                w.arena =
                    SharedArena::create("framehost-" + spec_.instance_name, spec_.arena_bytes);
            w.process = std::make_unique<WorkerProcess>(spec_.executable, w.arena.fd(),
                                                        spec_.pool ? spec_.pool->fd() : -1);
            w.receiver = MessageReceiver(w.process->socket());
        } catch (const std::exception& e) {
            return lose(w, name() + " could not start: " + e.what());
        }
        w.held.clear();
        w.lent.clear();
        w.cpu = -1;  // a new process runs where the host may
        auto refused = [&](const std::string& answer) -> std::optional<std::string> {
            MessageReader r(answer);
            auto type = r.type();
            if (type == MessageType::Ready) return std::nullopt;
            if (type == MessageType::Refused) return r.text();
            return std::string("answered out of turn");
        };
        MessageWriter hello(MessageType::Hello);
        hello.text(spec_.plugin_file.string());
        hello.text(spec_.instance_name);
        hello.text(spec_.params_yaml);
        hello.u64(w.arena.size());
        std::vector<MessageWriter> steps;
        steps.push_back(std::move(hello));
        if (started_) steps.emplace_back(MessageType::Start);
        for (auto& step : steps) {
            std::string answer;
            if (!send_message(w.process->socket(), step.bytes()))
                return lose(
                    w, name() + " crashed while starting: " + w.process->end_within(kCrashGrace));
            auto got = w.receiver.receive(answer, spec_.settings.start_timeout);
            if (got == Received::TimedOut)
                return lose(w, name() + " did not start within " +
                                   std::to_string(spec_.settings.start_timeout.count()) +
                                   " ms: killed");
            if (got == Received::Closed)
                return lose(
                    w, name() + " crashed while starting: " + w.process->end_within(kCrashGrace));
            if (auto why = refused(answer)) return lose(w, name() + ": " + *why);
        }
        {
            std::lock_guard lock(mutex_);
            if (w.starts++ > 0) ++w.restarts;
        }
        set_state(w, "running");
        return std::nullopt;
    }

    // A running worker, after its backoff; or why the frames cannot have one now.
    std::optional<Lost> ensure_running(Worker& w) {
        if (w.process) return std::nullopt;
        {
            std::lock_guard lock(mutex_);
            if (!w.breaker.allow())
                return Lost{name() + " is down after " + std::to_string(w.backoff.failures()) +
                            " crashes in a row (last: " + w.last_crash + ")"};
        }
        auto wait = w.restart_at - Clock::now();
        if (wait > Clock::duration::zero()) std::this_thread::sleep_for(wait);
        return launch(w);
    }

    // The bound of a call on `frames` frames.
    milliseconds kill_limit(std::size_t frames) const {
        const auto& s = spec_.settings;
        auto budget = std::chrono::duration<double>(descriptor_.frame_budget).count();
        if (budget <= 0) return s.kill_after;
        auto bound = milliseconds(
            static_cast<long long>(budget * s.kill_budgets * static_cast<double>(frames) * 1000.0));
        return std::clamp(bound, std::min(milliseconds(1000), s.kill_after), s.kill_after);
    }

    // Sends w.call and waits for its answer (w.answer); the watchdog kills the worker when it
    // runs past the kill bound, which ends the wait. Nothing when the answer came back.
    std::optional<Lost> exchange(Worker& w, std::size_t frames) {
        auto began = Clock::now();
        auto limit = kill_limit(frames);
        w.killed.store(false);
        w.calling.store(w.process->pid());
        w.deadline_ns.store((began + limit).time_since_epoch().count());
        place(w);
        bool sent = send_message(w.process->socket(), w.call.bytes());
        auto got =
            sent ? w.receiver.receive(w.answer, std::chrono::milliseconds(-1)) : Received::Closed;
        w.deadline_ns.store(0);
        if (got != Received::Message) {
            if (w.killed.load()) {
                w.process->end(true);
                return lose(w,
                            name() + " was killed: a call on " + std::to_string(frames) +
                                " frame(s) ran over " + std::to_string(limit.count()) + " ms",
                            true);
            }
            return lose(w, name() + " crashed: " + w.process->end_within(kCrashGrace));
        }
        call_seconds_ = seconds_since(began);
        {
            std::lock_guard lock(mutex_);
            w.breaker.record_success();
            w.backoff.reset();
        }
        return std::nullopt;
    }

    // A call is synchronous: while its worker runs, the caller waits. Waking a process on
    // another CPU costs far more than on the same one (on the 2-vCPU VM of docs/PERFORMANCE.md,
    // 38 us against 9 us a socket round trip), so a worker whose calls are short runs on its
    // caller's CPU: the caller sleeps there while it works. One whose calls are long runs
    // anywhere, where its plugin's own threads may spread; its crossing is lost in its work.
    void place(Worker& w) {
        int cpu = w.call_seconds < kShortCallSeconds ? ::sched_getcpu() : -1;
        if (cpu == w.cpu.load(std::memory_order_relaxed)) return;
        w.process->run_on(cpu);
        w.cpu.store(cpu, std::memory_order_relaxed);
    }

    SharedMemory memory(const Worker& w) const {
        return {&w.arena, spec_.pool ? &spec_.pool->memory() : nullptr};
    }

    // `frames` are the call's frames and `replaced` the images the answer took from them.
    void settle_tail(Worker& w, MessageReader& r, double plugin_seconds,
                     std::span<const Frame* const> frames, std::span<const Image> replaced = {}) {
        auto tail = read_tail(r);
        w.held = std::move(tail.held);
        // The pool's frames its plugin still holds stay alive here until it lets them go: found
        // among this call's images, or kept from an earlier call.
        const SharedArena* pool = spec_.pool ? &spec_.pool->memory() : nullptr;
        auto sent_image = [&](std::uint64_t offset) -> const Image* {
            for (const Frame* f : frames)
                if (pool_block_of(f->image, pool) == offset) return &f->image;
            for (const Image& image : replaced)
                if (pool_block_of(image, pool) == offset) return &image;
            return nullptr;
        };
        std::map<std::uint64_t, Image> kept;
        for (const auto& block : w.held) {
            if (block.space != ArenaBlock::Pool) continue;
            if (auto old = w.lent.find(block.offset); old != w.lent.end())
                kept.insert(*old);
            else if (const Image* image = sent_image(block.offset))
                kept.emplace(block.offset, *image);
        }
        w.lent = std::move(kept);
        w.call_seconds = kCallAverageWeight * plugin_seconds +
                         (1 - kCallAverageWeight) * std::min(w.call_seconds, 1.0);
        double pipe = std::max(0.0, call_seconds_ - plugin_seconds);
        pipe_.observe(pipe);
        calls_.fetch_add(1, std::memory_order_relaxed);
        pipe_ns_.fetch_add(static_cast<std::uint64_t>(pipe * 1e9), std::memory_order_relaxed);
        if (!tail.status.empty()) {
            std::lock_guard lock(mutex_);
            plugin_status_ = std::move(tail.status);
        }
        for (const auto& u : tail.metrics) apply(u);
    }

    void apply(const MetricUpdate& u) {
        std::vector<MetricLabel> labels;
        for (const auto& [k, v] : u.labels) labels.push_back({k, v});
        try {
            switch (u.kind) {
                case MetricUpdate::CounterAdd:
                    context_.counter(u.name, u.help, labels).add(u.value);
                    break;
                case MetricUpdate::GaugeSet:
                    context_.gauge(u.name, u.help, labels).set(u.value);
                    break;
                case MetricUpdate::HistogramObserve:
                    context_.histogram(u.name, u.help, labels).observe(u.value);
                    break;
            }
        } catch (const std::exception& e) {
            context_.log(LogLevel::Warn, std::string("a metric of the worker: ") + e.what());
        }
    }

    void settle_processed(Worker& w, std::span<Frame* const> frames) {
        MessageReader r(w.answer);
        auto type = r.type();
        double plugin_seconds = r.f64();
        std::span<const Frame* const> sent(frames.data(), frames.size());
        // The frames of earlier calls of the batch are settled: only this call's fail.
        if (type == MessageType::CallFailed) {
            auto error = r.text();
            settle_tail(w, r, plugin_seconds, sent);
            for (Frame* f : frames) f->fail(error);
            return;
        }
        if (type != MessageType::Processed) {
            for (Frame* f : frames) f->fail(name() + "'s worker answered out of turn");
            return;
        }
        std::vector<Image> replaced;
        receive_processed(r, w.arena, frames, &replaced);
        settle_tail(w, r, plugin_seconds, sent, replaced);
    }

    void settle_written(Worker& w, std::span<const Frame* const> frames, std::size_t at,
                        SinkReport& report) {
        MessageReader r(w.answer);
        auto type = r.type();
        double plugin_seconds = r.f64();
        auto sent = frames.size();
        if (type == MessageType::CallFailed) {
            auto error = r.text();
            settle_tail(w, r, plugin_seconds, frames);
            for (std::size_t i = 0; i < sent; ++i) report.failed(at + i, error);
            return;
        }
        if (type != MessageType::Written) {
            for (std::size_t i = 0; i < sent; ++i)
                report.failed(at + i, name() + "'s worker answered out of turn");
            return;
        }
        auto failures = r.u32();
        for (std::uint32_t k = 0; k < failures; ++k) {
            auto index = r.u32();
            auto reason = r.text();
            if (index < sent) report.failed(at + index, reason);
        }
        settle_tail(w, r, plugin_seconds, frames);
    }

    WorkerSpec spec_;
    const PluginDescriptor& descriptor_;
    PluginContext& context_;
    CounterMetric& crashes_;
    HistogramMetric& pipe_;
    std::vector<std::unique_ptr<Worker>> workers_;
    mutable std::mutex mutex_;
    std::condition_variable free_;
    std::atomic<bool> started_{false};
    std::atomic<std::uint64_t> calls_{0};
    std::atomic<std::uint64_t> pipe_ns_{0};
    std::string plugin_status_;
    std::thread watchdog_;
    std::mutex watchdog_mutex_;
    std::condition_variable watchdog_wake_;
    bool watchdog_done_ = false;
    // The calling thread's last exchange, from sending the call to its answer.
    static thread_local double call_seconds_;
};

thread_local double WorkerPool::call_seconds_ = 0;

class IsolatedProcessor final : public Processor {
  public:
    IsolatedProcessor(const WorkerSpec& spec, const PluginDescriptor& d, PluginContext& c)
        : pool_(spec, d, c) {}
    void start() override { pool_.start(); }
    void stop() override { pool_.stop(); }
    nlohmann::json status() const override { return pool_.status(); }
    void process(Frame& frame) override {
        Frame* one = &frame;
        pool_.process(std::span<Frame* const>(&one, 1));
    }
    void process_batch(std::span<Frame* const> frames) override { pool_.process(frames); }

  private:
    WorkerPool pool_;
};

class IsolatedSink final : public Sink {
  public:
    IsolatedSink(const WorkerSpec& spec, const PluginDescriptor& d, PluginContext& c)
        : pool_(spec, d, c) {}
    void start() override { pool_.start(); }
    void stop() override { pool_.stop(); }
    nlohmann::json status() const override { return pool_.status(); }
    void write(std::span<const Frame* const> frames, SinkReport& report) override {
        pool_.write(frames, report);
    }

  private:
    WorkerPool pool_;
};

}  // namespace

std::shared_ptr<Plugin> make_isolated(const WorkerSpec& spec, const PluginDescriptor& descriptor,
                                      PluginContext& context) {
    if (descriptor.kind == PluginKind::Processor)
        return std::make_shared<IsolatedProcessor>(spec, descriptor, context);
    if (descriptor.kind == PluginKind::Sink)
        return std::make_shared<IsolatedSink>(spec, descriptor, context);
    throw std::runtime_error("only processors and sinks run isolated");
}

}  // namespace framehost::core::isolation
