// The workers: batches from the queue through the chain, each frame settled with the source its
// ticket names; and the synchronous path of /process.
#include "core/log/log.hpp"
#include "core/pipeline/pipeline.hpp"

namespace framehost::core {

namespace {
using Clock = std::chrono::steady_clock;

thread_local std::vector<double> t_latencies;
thread_local std::vector<framehost::Outcome> t_outcomes;
}  // namespace

void Pipeline::settle(FrameBatch& batch, const std::vector<framehost::Outcome>& outcomes) {
    // One guarded call per run of frames from the same source (a whole batch, usually); a
    // throw costs only that frame: the rest go on in a fresh call. Whatever a processor wrote
    // in a frame, its host state says who settles it and with which delivery token.
    auto same_source = [](SourceTicket a, SourceTicket b) {
        return a.slot == b.slot && a.generation == b.generation;
    };
    std::size_t i = 0;
    while (i < batch.size()) {
        SourceTicket ticket = batch.host[i].source;
        SourceRunner* runner = sources_.find(ticket);
        if (!runner) {
            ++i;
            continue;
        }
        auto& instance = runner->instance();
        Source& source = *instance.source();
        std::size_t at = i;
        auto error = instance.call("finished", 0, [&] {
            for (; at < batch.size() && same_source(batch.host[at].source, ticket); ++at) {
                Frame& frame = batch.frames[at];
                frame.delivery = batch.host[at].delivery;
                source.finished(frame, outcomes[at]);
            }
        });
        if (error) {
            log(LogLevel::Warn, instance.name(),
                "finished(" + batch.frames[at].id + ") threw: " + *error);
            ++at;
        }
        runner->settled(at - i);
        i = at;
    }
}

void Pipeline::worker_loop() {
    FrameBatch batch;
    batch.reserve(settings_.batch_size);
    auto& latencies = t_latencies;
    auto& outcomes = t_outcomes;
    std::shared_ptr<void> epoch;  // the chain the batch was taken with (replace_chain)
    while (queue_.pop(batch, settings_.batch_size, &epoch)) {
        auto& chain = *static_cast<FrameChain*>(epoch.get());
        auto started = Clock::now();
        double queued = 0;
        for (const auto& h : batch.host)
            queued += std::chrono::duration<double>(started - h.received_at).count();
        states_.processing(batch.size(), queued);

        auto counts = chain.run(batch, outcomes);
        settle(batch, outcomes);
        auto ended = Clock::now();
        double batch_seconds = std::chrono::duration<double>(ended - started).count();
        states_.finished(counts.completed, counts.failed, counts.filtered,
                         batch_seconds * static_cast<double>(batch.size()));
        states_.record_processing_time(batch_seconds / static_cast<double>(batch.size()),
                                       counts.completed);
        latencies.clear();
        for (const auto& h : batch.host)
            latencies.push_back(std::chrono::duration<double>(ended - h.received_at).count());
        end_to_end_.observe_each(latencies);
        queue_.release(batch);
        batch.clear();
        epoch.reset();  // a replaced chain is done with once no batch holds it
    }
    std::lock_guard lock(mutex_);
    --workers_active_;
    changed_.notify_all();
}

void Pipeline::process_now(Frame& frame, std::vector<StageTiming>* timings) {
    FrameBatch one;
    one.frames.push_back(std::move(frame));
    auto& host = one.host.emplace_back();
    host.received_at = Clock::now();
    host.camera_id = one.frames[0].camera_id;
    std::shared_ptr<void> epoch;
    host.camera_sequence = queue_.sequence_for(host.camera_id, &epoch);
    states_.received(1);
    states_.processing(1, 0);
    std::vector<framehost::Outcome> outcomes;
    auto counts = static_cast<FrameChain*>(epoch.get())->run(one, outcomes, timings);
    double seconds = std::chrono::duration<double>(Clock::now() - host.received_at).count();
    states_.finished(counts.completed, counts.failed, counts.filtered, seconds);
    states_.record_processing_time(seconds, counts.completed);
    end_to_end_.observe(seconds);
    frame = std::move(one.frames[0]);
}

}  // namespace framehost::core
