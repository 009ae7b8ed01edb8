#include "core/isolation/worker_main.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "core/config/param_values.hpp"
#include "core/isolation/frame_transfer.hpp"
#include "core/isolation/shared_arena.hpp"
#include "core/isolation/worker_answer.hpp"
#include "core/isolation/worker_link.hpp"
#include "core/isolation/worker_process.hpp"
#include "core/log/log.hpp"
#include "core/plugins/plugin_library.hpp"
#include "framehost/stop_request.hpp"

namespace framehost::core::isolation {

namespace {
using Clock = std::chrono::steady_clock;

// What the worker lends its plugin: logs go to stderr in the host's format (the host's stderr),
// metrics are gathered and sent with the next answer. No host services.
class WorkerContext final : public PluginContext, public StopRequest {
  public:
    explicit WorkerContext(std::string name) : name_(std::move(name)) {}

    const std::string& instance_name() const override { return name_; }
    void log(LogLevel level, std::string_view message) override {
        core::log(level, name_, message);
    }
    void add_to_counter(std::string_view name, double delta) override {
        counter(name, "Reported by the plugin", {}).add(delta);
    }
    void set_gauge(std::string_view name, double value) override {
        gauge(name, "Reported by the plugin", {}).set(value);
    }
    CounterMetric& counter(std::string_view name, std::string_view help,
                           std::span<const MetricLabel> labels) override {
        return handle(MetricUpdate::CounterAdd, name, help, labels);
    }
    GaugeMetric& gauge(std::string_view name, std::string_view help,
                       std::span<const MetricLabel> labels) override {
        return handle(MetricUpdate::GaugeSet, name, help, labels);
    }
    HistogramMetric& histogram(std::string_view name, std::string_view help,
                               std::span<const MetricLabel> labels) override {
        return handle(MetricUpdate::HistogramObserve, name, help, labels);
    }
    void* extension(std::string_view id, std::uint32_t version) const override {
        if (id == StopRequest::kExtensionId && version == StopRequest::kExtensionVersion)
            return static_cast<StopRequest*>(const_cast<WorkerContext*>(this));
        return nullptr;
    }
    bool requested() const override { return stopping_.load(std::memory_order_acquire); }
    void request_stop() { stopping_.store(true, std::memory_order_release); }

    // What changed since the last call: counters' sums, gauges' last values, observations.
    std::vector<MetricUpdate> take_updates() {
        std::lock_guard lock(mutex_);
        std::vector<MetricUpdate> out;
        for (auto& [key, m] : metrics_) {
            if (!m.changed) continue;
            if (m.update.kind == MetricUpdate::HistogramObserve) {
                for (double v : m.observations) {
                    auto u = m.update;
                    u.value = v;
                    out.push_back(std::move(u));
                }
                m.observations.clear();
            } else {
                out.push_back(m.update);
                if (m.update.kind == MetricUpdate::CounterAdd) m.update.value = 0;
            }
            m.changed = false;
        }
        return out;
    }

  private:
    struct Metric final : CounterMetric, GaugeMetric, HistogramMetric {
        Metric(WorkerContext& c) : context(c) {}
        void add(double delta) override {
            std::lock_guard lock(context.mutex_);
            update.value += delta;
            changed = true;
        }
        void set(double value) override {
            std::lock_guard lock(context.mutex_);
            update.value = value;
            changed = true;
        }
        void observe(double seconds) override {
            std::lock_guard lock(context.mutex_);
            if (observations.size() < 10000) observations.push_back(seconds);
            changed = true;
        }
        WorkerContext& context;
        MetricUpdate update;
        std::vector<double> observations;
        bool changed = false;
    };

    Metric& handle(MetricUpdate::Kind kind, std::string_view name, std::string_view help,
                   std::span<const MetricLabel> labels) {
        std::string key = std::to_string(kind) + "|" + std::string(name);
        for (const auto& l : labels) key += "|" + std::string(l.name) + "=" + std::string(l.value);
        std::lock_guard lock(mutex_);
        auto it = metrics_.find(key);
        if (it == metrics_.end()) {
            it = metrics_.try_emplace(key, *this).first;
            auto& u = it->second.update;
            u.kind = kind;
            u.name = name;
            u.help = help;
            for (const auto& l : labels) u.labels.emplace_back(l.name, l.value);
        }
        return it->second;
    }

    std::string name_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::map<std::string, Metric> metrics_;
};

// Collects what a sink reports for the answer.
class CollectedReport final : public SinkReport {
  public:
    void failed(std::size_t index, std::string_view reason) override {
        failures.emplace_back(static_cast<std::uint32_t>(index),
                              reason.empty() ? std::string("not written") : std::string(reason));
    }
    std::vector<std::pair<std::uint32_t, std::string>> failures;
};

std::string caught() {
    try {
        throw;
    } catch (const std::exception& e) {
        return *e.what() ? e.what() : "exception with no message";
    } catch (...) {
        return "threw something that is not a std::exception";
    }
}

class Worker {
  public:
    Worker(int socket, SharedArena arena, SharedArena pool)
        : socket_(socket), arena_(std::move(arena)), pool_(std::move(pool)) {}

    int serve() {
        std::string_view message;  // valid until the next receive
        for (;;) {
            if (receiver_.receive(message, std::chrono::milliseconds(-1)) != Received::Message)
                return 0;  // the host is gone, or closed the link: nothing more to do
            MessageReader r(message);
            switch (r.type()) {
                case MessageType::Hello:
                    if (!hello(r)) return 1;
                    break;
                case MessageType::Start:
                    start();
                    break;
                case MessageType::Stop:
                    stop();
                    return 0;
                case MessageType::Process:
                    process(r);
                    break;
                case MessageType::Write:
                    write(r);
                    break;
                default:
                    core::log(LogLevel::Error, "worker", "a message out of turn from the host");
                    return 1;
            }
        }
    }

  private:
    bool answer(const MessageWriter& m) { return send_message(socket_, m.bytes()); }
    void refuse(const std::string& why) {
        MessageWriter m(MessageType::Refused);
        m.text(why);
        answer(m);
    }

    bool hello(MessageReader& r) {
        auto file = r.text();
        auto instance = r.text();
        auto params_yaml = r.text();
        r.u64();  // the arena's size: mapped already
        try {
            library_ = PluginLibrary::load(file);
            Diagnostics diagnostics("the params of " + instance);
            auto node = YAML::Load(params_yaml);
            auto params =
                validate_params(node, node, library_->descriptor().params,
                                "plugin '" + library_->descriptor().name + "'", diagnostics);
            diagnostics.throw_if_any();
            context_ = std::make_unique<WorkerContext>(instance);
            plugin_ = library_->create(params, *context_);
        } catch (...) {
            refuse(caught());
            return false;
        }
        answer(MessageWriter(MessageType::Ready));
        return true;
    }

    void start() {
        try {
            plugin_->start();
        } catch (...) {
            refuse(caught());
            return;
        }
        answer(MessageWriter(MessageType::Ready));
    }

    void stop() {
        context_->request_stop();
        try {
            plugin_->stop();
        } catch (...) {
            core::log(LogLevel::Error, context_->instance_name(), "stop(): " + caught());
        }
        plugin_.reset();
        answer(MessageWriter(MessageType::Ready));
    }

    void tail(MessageWriter& m) {
        AnswerTail t;
        t.held = held_->list();
        auto now = Clock::now();
        if (now - status_sent_ > std::chrono::seconds(1)) {
            status_sent_ = now;
            try {
                t.status = plugin_->status().dump();
            } catch (...) {
                t.status.clear();
            }
        }
        t.metrics = context_->take_updates();
        write_tail(t, m);
    }

    void process(MessageReader& r) {
        auto frames = receive_frames(r, memory(), held_);
        std::vector<Image> before;
        std::vector<Frame*> handed;
        before.reserve(frames.size());
        handed.reserve(frames.size());
        std::size_t input_end = 0;
        for (auto& f : frames) {
            before.push_back(f.image);
            handed.push_back(&f);
            for (const auto& plane : f.image.planes)
                if (plane.data)
                    input_end = std::max<std::size_t>(
                        input_end,
                        static_cast<std::size_t>(plane.data - arena_.data()) + plane.size);
        }
        auto began = Clock::now();
        std::string error;
        try {
            plugin_->as_processor()->process_batch(handed);
        } catch (...) {
            error = caught();
        }
        double seconds = std::chrono::duration<double>(Clock::now() - began).count();
        auto& m = answer_;
        if (!error.empty()) {
            m.restart(MessageType::CallFailed);
            m.f64(seconds);
            m.text(error);
            frames.clear();
            before.clear();
            tail(m);
            answer(m);
            return;
        }
        m.restart(MessageType::Processed);
        m.f64(seconds);
        send_processed(frames, before, arena_, input_end, *held_, m);
        // Only what the plugin kept is held from here.
        frames.clear();
        before.clear();
        tail(m);
        answer(m);
    }

    void write(MessageReader& r) {
        auto frames = receive_frames(r, memory(), held_);
        std::vector<const Frame*> handed;
        handed.reserve(frames.size());
        for (const auto& f : frames) handed.push_back(&f);
        CollectedReport report;
        auto began = Clock::now();
        std::string error;
        try {
            plugin_->as_sink()->write(handed, report);
        } catch (...) {
            error = caught();
        }
        double seconds = std::chrono::duration<double>(Clock::now() - began).count();
        frames.clear();
        auto& m = answer_;
        m.restart(error.empty() ? MessageType::Written : MessageType::CallFailed);
        m.f64(seconds);
        if (!error.empty()) {
            m.text(error);
        } else {
            m.u32(static_cast<std::uint32_t>(report.failures.size()));
            for (const auto& [index, reason] : report.failures) {
                m.u32(index);
                m.text(reason);
            }
        }
        tail(m);
        answer(m);
    }

    SharedMemory memory() const { return {&arena_, pool_.data() ? &pool_ : nullptr}; }

    int socket_;
    MessageReceiver receiver_{socket_};
    MessageWriter answer_{MessageType::Processed};  // kept: answers reuse its buffer
    SharedArena arena_;
    SharedArena pool_;  // the host's frame pool, read-only; none when not given
    std::shared_ptr<HeldBlocks> held_ = std::make_shared<HeldBlocks>();
    std::shared_ptr<PluginLibrary> library_;  // declared before the instance: unloaded last
    std::unique_ptr<WorkerContext> context_;
    std::shared_ptr<Plugin> plugin_;
    Clock::time_point status_sent_{};
};
}  // namespace

int run_plugin_worker(pid_t parent) {
    // Dies with the host, even a host killed with SIGKILL and a plugin stuck in a call. Not
    // PR_SET_PDEATHSIG: it fires when the host *thread* that started the worker ends, and a
    // worker restarted from a pipeline thread would die with that thread.
    if (::getppid() != parent) return 1;
    std::thread([parent] {
        while (::getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::_Exit(0);
    }).detach();
    // A plugin's threads that write to a closed pipe get an error, not a signal.
    std::signal(SIGPIPE, SIG_IGN);
    // The arena's size is the file's: the host made it.
    off_t size = ::lseek(WorkerProcess::kArenaFd, 0, SEEK_END);
    if (size <= 0) {
        core::log(LogLevel::Error, "worker", "no arena on fd 4: started by hand?");
        return 2;
    }
    try {
        SharedArena pool;
        off_t pool_size = ::lseek(WorkerProcess::kPoolFd, 0, SEEK_END);
        if (pool_size > 0)
            pool = SharedArena::adopt(WorkerProcess::kPoolFd, static_cast<std::size_t>(pool_size),
                                      false);
        Worker worker(WorkerProcess::kSocketFd,
                      SharedArena::adopt(WorkerProcess::kArenaFd, static_cast<std::size_t>(size)),
                      std::move(pool));
        return worker.serve();
    } catch (const std::exception& e) {
        core::log(LogLevel::Error, "worker", e.what());
        return 1;
    }
}

}  // namespace framehost::core::isolation
