// Host services reach plugins through their context, per host and per instance: two hosts in one
// process share nothing, and a plugin outside a host is told a service is not offered.
#include <doctest/doctest.h>

#include "core/host/previews.hpp"
#include "core/plugins/plugin_instance.hpp"
#include "framehost/preview.hpp"
#include "framehost/stop_request.hpp"
#include "tests/core/pipeline/in_process_plugins.hpp"

using namespace framehost;
using namespace framehost::core;

namespace {
struct Probe final : Processor {
    explicit Probe(PluginContext& c) : context(c) {}
    void process(Frame&) override {}
    PluginContext& context;
};

struct OneHost {
    MetricsRegistry metrics;
    PreviewBoard previews;
    HostExtensions extensions;
    std::shared_ptr<Probe> probe;
    std::shared_ptr<PluginInstance> instance;
    explicit OneHost(const std::string& name) {
        extensions.offer<PreviewPublisher>(&previews);
        instance = PluginInstance::create(
            test::descriptor_of(PluginKind::Processor), name, Params(), metrics,
            [this](PluginContext& c) { return probe = std::make_shared<Probe>(c); }, &extensions);
    }
};

// A service of a version nobody offers.
struct FutureService {
    static constexpr std::string_view kExtensionId = "framehost.preview";
    static constexpr std::uint32_t kExtensionVersion = 99;
};
}  // namespace

TEST_CASE("two hosts in one process keep their plugins' previews and stop requests apart") {
    OneHost a("a"), b("b");
    auto jpeg = std::make_shared<const std::vector<std::uint8_t>>(3, 0xFF);
    CHECK(publish_preview(a.probe->context, "door", "f1", jpeg, 4, 2));
    REQUIRE(a.previews.latest("door"));
    CHECK(a.previews.latest("door")->instance == "a");
    CHECK_FALSE(b.previews.latest("door"));

    a.instance->request_stop();
    CHECK(stop_requested(a.probe->context));
    CHECK_FALSE(stop_requested(b.probe->context));
}

TEST_CASE("a service is found by id and version, or not offered, with a message naming it") {
    OneHost host("h");
    CHECK(find_extension<PreviewPublisher>(host.probe->context) == &host.previews);
    CHECK(find_extension<FutureService>(host.probe->context) == nullptr);
    CHECK_THROWS_WITH(require_extension<FutureService>(host.probe->context),
                      "this host does not offer framehost.preview version 99");

    // An instance made without host services (a benchmark's, a test's) is told so.
    MetricsRegistry metrics;
    std::shared_ptr<Probe> bare;
    auto instance = PluginInstance::create(
        test::descriptor_of(PluginKind::Processor), "bare", Params(), metrics,
        [&](PluginContext& c) { return bare = std::make_shared<Probe>(c); });
    CHECK_FALSE(publish_preview(bare->context, "door", "f1",
                                std::make_shared<const std::vector<std::uint8_t>>(1), 1, 1));
    CHECK_FALSE(stop_requested(bare->context));
}
