// Passes frames on untouched: the zero point for measuring what the host itself costs
// (GStreamer's `identity`).
#include <framehost/export.hpp>

namespace {

class Identity final : public framehost::Processor {
  public:
    static const framehost::PluginDescriptor& descriptor() {
        static const framehost::PluginDescriptor d{
            "identity",
            "1.0.0",
            framehost::PluginKind::Processor,
            "Does nothing to frames: measures the host's own overhead",
            {},
            std::chrono::microseconds(10)};
        return d;
    }
    Identity(const framehost::Params&, framehost::PluginContext&) {}
    void process(framehost::Frame&) override {}
    void process_batch(std::span<framehost::Frame* const>) override {}
};

}  // namespace

FRAMEHOST_PLUGIN(Identity)
