#include "core/pipeline/frame_chain.hpp"

#include <chrono>

namespace framehost::core {

namespace {
using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

void record_call(PluginInstance& instance, double seconds, std::size_t frames) {
    auto n = static_cast<double>(frames);
    double per_frame = seconds / n;
    instance.frames.add(n);
    instance.latency.observe(per_frame, frames);
    double budget = instance.frame_budget_seconds();
    if (budget > 0 && per_frame > budget) instance.over_budget.add(n);
}

// Reused per thread: the frame path allocates nothing per batch once warm.
thread_local std::vector<Frame*> t_live;
thread_local std::vector<const Frame*> t_all;
}  // namespace

bool check_frame_shape(Frame& frame) {
    if (!frame.pixels) return true;
    auto expected = packed_image_bytes(frame.pixel_format, frame.width, frame.height);
    if (expected == 0 || frame.pixels->size() == expected) return true;
    frame.fail("pixel bytes (" + std::to_string(frame.pixels->size()) + ") do not match " +
               std::to_string(frame.width) + "x" + std::to_string(frame.height) + " " +
               frame.pixel_format + " (" + std::to_string(expected) + ")");
    frame.set_failed_in("host");
    return false;
}

FrameChain::FrameChain(std::vector<std::shared_ptr<PluginInstance>> processors,
                       std::vector<std::shared_ptr<PluginInstance>> sinks, FrameStates& states)
    : processors_(std::move(processors)), sinks_(std::move(sinks)), states_(states) {}

std::size_t FrameChain::run(std::span<Frame> frames, std::vector<StageTiming>* timings) {
    auto& live = t_live;
    live.clear();
    std::size_t failed = 0;
    for (auto& frame : frames) {
        if (check_frame_shape(frame) && !frame.failed()) {
            live.push_back(&frame);
        } else {
            ++failed;
            states_.record_failure({frame.id, frame.failed_in(), frame.error()});
        }
    }
    for (auto& instance : processors_) {
        if (live.empty()) break;
        auto started = Clock::now();
        try {
            instance->processor()->process_batch(live);
        } catch (const std::exception& e) {
            for (Frame* f : live) f->fail(e.what());
        } catch (...) {
            for (Frame* f : live) f->fail("unknown exception");
        }
        auto ended = Clock::now();
        auto elapsed = seconds_between(started, ended);
        if (timings) {
            const Frame* first = live.front();
            timings->push_back({instance->name(), started, ended,
                                first->failed() ? first->error() : "", first->detections.size()});
        }
        record_call(*instance, elapsed, live.size());
        std::size_t kept = 0;
        std::size_t failed_here = 0;
        for (Frame* f : live) {
            if (!f->failed()) {
                live[kept++] = f;
                continue;
            }
            if (f->failed_in().empty()) f->set_failed_in(instance->name());
            states_.record_failure({f->id, f->failed_in(), f->error()});
            ++failed_here;
        }
        live.resize(kept);
        if (failed_here) instance->failures.add(static_cast<double>(failed_here));
        failed += failed_here;
    }
    if (!sinks_.empty()) {
        auto& all = t_all;
        all.clear();
        for (auto& frame : frames) all.push_back(&frame);
        for (auto& instance : sinks_) {
            auto started = Clock::now();
            try {
                instance->sink()->write(all);
            } catch (...) {
                instance->failures.add(static_cast<double>(all.size()));
            }
            record_call(*instance, seconds_between(started, Clock::now()), all.size());
        }
    }
    return failed;
}

}  // namespace framehost::core
