#include "core/http/mjpeg_stream.hpp"

namespace framehost::core {

std::shared_ptr<const std::string> MjpegParts::newer_than(const std::string& camera,
                                                          std::uint64_t& after, bool again) {
    auto picture = board_.latest(camera);
    if (!picture || (picture->sequence <= after && !again)) return nullptr;
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

bool MjpegParts::has_picture(const std::string& camera) const {
    return board_.latest(camera).has_value();
}

namespace {

// A camera with nothing new: its latest picture again after this long.
constexpr auto kRepeatAfter = std::chrono::seconds(5);

class MjpegStream final : public ResponseStream {
  public:
    MjpegStream(std::shared_ptr<MjpegParts> parts, std::string camera, double fps)
        : parts_(std::move(parts)),
          camera_(std::move(camera)),
          interval_(static_cast<std::int64_t>(1000.0 / fps)) {}
    std::shared_ptr<const std::string> next_part() override {
        auto now = std::chrono::steady_clock::now();
        bool again = sequence_ > 0 && now - last_sent_ >= kRepeatAfter;
        auto part = parts_->newer_than(camera_, sequence_, again);
        if (part) last_sent_ = now;
        return part;
    }
    std::chrono::milliseconds interval() const override { return interval_; }
    // Had a picture, and it is gone: the camera was removed.
    bool ended() override { return sequence_ > 0 && !parts_->has_picture(camera_); }

  private:
    std::shared_ptr<MjpegParts> parts_;
    std::string camera_;
    std::chrono::milliseconds interval_;
    std::uint64_t sequence_ = 0;
    std::chrono::steady_clock::time_point last_sent_{};
};

}  // namespace

std::shared_ptr<ResponseStream> mjpeg_stream(std::shared_ptr<MjpegParts> parts, std::string camera,
                                             double fps) {
    return std::make_shared<MjpegStream>(std::move(parts), std::move(camera), fps);
}

}  // namespace framehost::core
