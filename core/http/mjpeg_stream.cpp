#include "core/http/mjpeg_stream.hpp"

namespace framehost::core {

std::shared_ptr<const std::string> MjpegParts::newer_than(const std::string& camera,
                                                          std::uint64_t& after) {
    auto picture = board_.latest(camera);
    if (!picture || picture->sequence <= after) return nullptr;
    after = picture->sequence;
    std::lock_guard lock(mutex_);
    auto& built = built_[camera];
    if (built.sequence != picture->sequence) {
        std::string part = std::string("--") + kMjpegBoundary +
                           "\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                           std::to_string(picture->jpeg->size()) + "\r\n\r\n";
        part.append(picture->jpeg->begin(), picture->jpeg->end());
        part += "\r\n";
        built = {picture->sequence, std::make_shared<const std::string>(std::move(part))};
    }
    return built.part;
}

namespace {

class MjpegStream final : public ResponseStream {
  public:
    MjpegStream(std::shared_ptr<MjpegParts> parts, std::string camera, double fps)
        : parts_(std::move(parts)),
          camera_(std::move(camera)),
          interval_(static_cast<std::int64_t>(1000.0 / fps)) {}
    std::shared_ptr<const std::string> next_part() override {
        return parts_->newer_than(camera_, sequence_);
    }
    std::chrono::milliseconds interval() const override { return interval_; }

  private:
    std::shared_ptr<MjpegParts> parts_;
    std::string camera_;
    std::chrono::milliseconds interval_;
    std::uint64_t sequence_ = 0;
};

}  // namespace

std::shared_ptr<ResponseStream> mjpeg_stream(std::shared_ptr<MjpegParts> parts, std::string camera,
                                             double fps) {
    return std::make_shared<MjpegStream>(std::move(parts), std::move(camera), fps);
}

}  // namespace framehost::core
