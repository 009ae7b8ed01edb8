#include "core/pipeline/frame_chain.hpp"

#include <doctest/doctest.h>

#include "tests/core/pipeline/in_process_plugins.hpp"

using namespace framehost;
using namespace framehost::core;
using namespace std::chrono_literals;

namespace {

struct BudgetRig {
    MetricsRegistry metrics;
    FrameStates states;
    PluginDescriptor descriptor{"timed_processor", "0", PluginKind::Processor, "", {}};
    std::shared_ptr<test::RecordingProcessor> processor =
        std::make_shared<test::RecordingProcessor>();
    std::shared_ptr<PluginInstance> instance;

    BudgetRig(std::chrono::microseconds budget, std::chrono::microseconds cost) {
        descriptor.frame_budget = budget;
        processor->sleep_per_frame = cost;
        instance = PluginInstance::create(descriptor, "timed", Params(), metrics,
                                          [this](PluginContext&) { return processor; });
    }

    void run(std::size_t batches, std::size_t batch_size) {
        FrameChain chain({instance}, {}, states);
        for (std::size_t b = 0; b < batches; ++b) {
            FrameBatch frames;
            frames.frames.resize(batch_size);
            frames.host.resize(batch_size);
            std::vector<Outcome> outcomes;
            chain.run(frames, outcomes);
        }
    }
};

}  // namespace

TEST_CASE("frames of calls slower than the declared budget are counted against the instance") {
    BudgetRig rig(1ms, 3ms);  // sleeping 3 ms cannot finish inside 1 ms
    rig.run(3, 2);
    CHECK(rig.instance->frames.value() == 6);
    CHECK(rig.instance->over_budget.value() == 6);
}

TEST_CASE("calls inside their budget, or with no budget declared, count nothing over budget") {
    BudgetRig fast(1s, 0us);
    fast.run(10, 4);
    CHECK(fast.instance->frames.value() == 40);
    CHECK(fast.instance->over_budget.value() == 0);

    BudgetRig undeclared(0us, 2ms);
    undeclared.run(2, 1);
    CHECK(undeclared.instance->frames.value() == 2);
    CHECK(undeclared.instance->over_budget.value() == 0);
}

TEST_CASE("a batch is held to its budget per frame, not as a whole") {
    BudgetRig rig(5ms, 2ms);  // 4 frames take 8 ms together but 2 ms each
    rig.run(1, 4);
    CHECK(rig.instance->over_budget.value() == 0);
}
