#include "core/pipeline/frame_chain.hpp"

#include <chrono>

namespace framehost::core {

namespace {
using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

void record_call(PluginInstance& instance, double seconds, std::size_t frames) {
    if (frames == 0) return;
    auto n = static_cast<double>(frames);
    double per_frame = seconds / n;
    instance.frames.add(n);
    instance.latency.observe(per_frame, frames);
    double budget = instance.frame_budget_seconds();
    if (budget > 0 && per_frame > budget) instance.over_budget.add(n);
}

// A frame a sink could not write: its place in the whole batch, the sink and why.
struct SinkFailure {
    std::size_t index;
    const std::string* sink;
    std::string reason;
};

// What a sink reports, kept against the batch it was given. Nothing is allocated unless a
// sink reports a failure.
class BatchReport final : public SinkReport {
  public:
    BatchReport(std::span<const Frame* const> frames, const std::vector<Frame>& all,
                const std::string& sink, std::vector<SinkFailure>& failures)
        : frames_(frames), all_(all), sink_(sink), failures_(failures) {}
    void failed(std::size_t index, std::string_view reason) override {
        if (index >= frames_.size()) return;  // a sink's mistake: nothing to attribute
        // Back to the frame's place in the whole batch.
        auto at = static_cast<std::size_t>(frames_[index] - all_.data());
        failures_.push_back(
            {at, &sink_, reason.empty() ? std::string("not written") : std::string(reason)});
        if (count_++ == 0) first_reason_ = failures_.back().reason;
    }
    std::size_t count() const { return count_; }
    const std::string& first_reason() const { return first_reason_; }

  private:
    std::span<const Frame* const> frames_;
    const std::vector<Frame>& all_;
    const std::string& sink_;
    std::vector<SinkFailure>& failures_;
    std::size_t count_ = 0;
    std::string first_reason_;
};

// Reused per thread: the frame path allocates nothing per batch once warm.
thread_local std::vector<std::uint32_t> t_live;  // indices in the batch
thread_local std::vector<Frame*> t_handed;       // what a processor is handed
thread_local std::vector<const Frame*> t_written;
thread_local std::vector<SinkFailure> t_sink_failures;
thread_local std::vector<CameraRun> t_runs;
thread_local std::vector<std::uint32_t> t_unordered;
}  // namespace

bool check_frame_shape(Frame& frame) {
    const Image& image = frame.image;
    if (image.empty()) return true;
    std::string problem;
    if (image.format != PixelFormat::Unknown && image.format != PixelFormat::Encoded &&
        (image.format != frame.format || image.width != frame.width ||
         image.height != frame.height)) {
        problem = std::string("its image is ") + std::to_string(image.width) + "x" +
                  std::to_string(image.height) + " " + to_string(image.format) +
                  ", the frame says " + std::to_string(frame.width) + "x" +
                  std::to_string(frame.height) + " " + to_string(frame.format);
    } else {
        problem = image_problem(image);
    }
    if (problem.empty()) return true;
    frame.fail(problem);
    frame.set_failed_in("host");
    return false;
}

FrameChain::FrameChain(std::vector<std::shared_ptr<PluginInstance>> processors,
                       std::vector<std::shared_ptr<PluginInstance>> sinks, FrameStates& states)
    : processors_(std::move(processors)), sinks_(std::move(sinks)), states_(states) {
    auto stage = [](const std::shared_ptr<PluginInstance>& instance) {
        bool ordered = instance->descriptor().concurrency == Concurrency::OrderedPerCamera;
        return Stage{instance, ordered ? std::make_shared<CameraOrder>() : nullptr};
    };
    for (const auto& p : processors_) processor_stages_.push_back(stage(p));
    for (const auto& s : sinks_) sink_stages_.push_back(stage(s));
}

FrameChain::FrameChain(std::vector<std::shared_ptr<PluginInstance>> processors,
                       std::vector<std::shared_ptr<PluginInstance>> sinks, FrameStates& states,
                       const FrameChain& previous,
                       const std::unordered_map<std::string, std::uint64_t>& next)
    : processors_(std::move(processors)), sinks_(std::move(sinks)), states_(states) {
    auto kept_order = [&](const std::shared_ptr<PluginInstance>& instance) {
        for (const auto* stages : {&previous.processor_stages_, &previous.sink_stages_})
            for (const auto& s : *stages)
                if (s.instance == instance) return s.order;
        return std::shared_ptr<CameraOrder>();
    };
    auto stage = [&](const std::shared_ptr<PluginInstance>& instance) {
        if (instance->descriptor().concurrency != Concurrency::OrderedPerCamera)
            return Stage{instance, nullptr};
        auto order = kept_order(instance);
        return Stage{instance, order ? order : std::make_shared<CameraOrder>(next)};
    };
    for (const auto& p : processors_) processor_stages_.push_back(stage(p));
    for (const auto& s : sinks_) sink_stages_.push_back(stage(s));
}

bool FrameChain::orders_cameras() const {
    for (const auto& s : processor_stages_)
        if (s.order) return true;
    for (const auto& s : sink_stages_)
        if (s.order) return true;
    return false;
}

template <class Call>
void FrameChain::through(Stage& stage, const FrameBatch& batch, std::span<const std::uint32_t> live,
                         Call&& call) {
    if (!stage.order) {
        if (!live.empty()) call(live);
        return;
    }
    auto& runs = t_runs;
    auto& unordered = t_unordered;
    group_by_camera(batch, live, runs, unordered);
    if (!unordered.empty()) call(std::span<const std::uint32_t>(unordered));
    for (std::size_t left = runs.size(); left > 0; --left) {
        auto& run = runs[stage.order->wait_for_turn(runs)];
        if (!run.frames.empty()) call(std::span<const std::uint32_t>(run.frames));
        stage.order->done(run);
    }
}

ChainCounts FrameChain::run(FrameBatch& batch, std::vector<Outcome>& outcomes,
                            std::vector<StageTiming>* timings) {
    ChainCounts counts;
    auto& frames = batch.frames;
    auto& live = t_live;
    live.clear();
    for (std::uint32_t i = 0; i < frames.size(); ++i) {
        Frame& frame = frames[i];
        if ((frame.image.empty() || check_frame_shape(frame)) && !frame.failed()) {
            live.push_back(i);
        } else {
            states_.record_failure({frame.id, frame.failed_in(), frame.error()});
        }
    }
    auto& handed = t_handed;
    for (auto& stage : processor_stages_) {
        auto& instance = *stage.instance;
        through(stage, batch, live, [&](std::span<const std::uint32_t> indices) {
            handed.clear();
            for (std::uint32_t i : indices) handed.push_back(&frames[i]);
            auto started = Clock::now();
            auto error = instance.call("process", handed.size(),
                                       [&] { instance.processor()->process_batch(handed); });
            if (error)
                for (Frame* f : handed) f->fail(*error);
            auto ended = Clock::now();
            if (timings) {
                const Frame* first = handed.front();
                timings->push_back({instance.name(), started, ended,
                                    first->failed() ? first->error() : "",
                                    first->detections.size()});
            }
            record_call(instance, seconds_between(started, ended), handed.size());
        });
        std::size_t kept = 0, failed_here = 0;
        for (std::uint32_t i : live) {
            Frame* f = &frames[i];
            if (f->failed()) {
                if (f->failed_in().empty()) f->set_failed_in(instance.name());
                states_.record_failure({f->id, f->failed_in(), f->error()});
                ++failed_here;
            } else if (!f->filtered()) {
                live[kept++] = i;
            }
        }
        live.resize(kept);
        if (failed_here) instance.failures.add(static_cast<double>(failed_here));
    }

    // Sinks see every frame but the filtered ones, completed or failed, and say which they
    // could not write.
    auto& written = t_written;
    auto& sink_failures = t_sink_failures;
    sink_failures.clear();
    if (!sink_stages_.empty()) {
        live.clear();
        for (std::uint32_t i = 0; i < frames.size(); ++i)
            if (!frames[i].filtered()) live.push_back(i);
    }
    for (auto& stage : sink_stages_) {
        auto& instance = *stage.instance;
        through(stage, batch, live, [&](std::span<const std::uint32_t> indices) {
            written.clear();
            for (std::uint32_t i : indices) written.push_back(&frames[i]);
            BatchReport report(written, frames, instance.name(), sink_failures);
            auto started = Clock::now();
            auto error = instance.call("write", written.size(),
                                       [&] { instance.sink()->write(written, report); });
            std::size_t not_written = report.count();
            if (error) {
                for (std::size_t i = 0; i < written.size(); ++i) report.failed(i, *error);
                not_written = written.size();
            }
            if (not_written) instance.failures.add(static_cast<double>(not_written));
            instance.note_write(written.size(), not_written,
                                error ? *error : report.first_reason());
            record_call(instance, seconds_between(started, Clock::now()), written.size());
        });
    }

    outcomes.resize(frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const Frame& f = frames[i];
        outcomes[i] = f.failed()     ? Outcome::Failed
                      : f.filtered() ? Outcome::Filtered
                                     : Outcome::Completed;
        ++(f.failed() ? counts.failed : f.filtered() ? counts.filtered : counts.completed);
    }
    // A frame every processor finished but a sink could not write: the first such sink names it.
    for (const auto& failure : sink_failures) {
        if (outcomes[failure.index] != Outcome::Completed) continue;
        Frame& f = frames[failure.index];
        f.fail(failure.reason);
        f.set_failed_in(*failure.sink);
        states_.record_failure({f.id, f.failed_in(), f.error()});
        outcomes[failure.index] = Outcome::Undelivered;
        --counts.completed;
        ++counts.failed;
    }
    return counts;
}

}  // namespace framehost::core
