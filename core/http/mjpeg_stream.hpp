#pragma once
// GET /cameras/{id}/stream.mjpg: a camera's published pictures (core/host/previews.hpp) as
// multipart/x-mixed-replace, the form browsers show in an <img> and players read. A part is
// built once per picture and shared by every reader of the camera.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/host/previews.hpp"
#include "core/http/http_message.hpp"

namespace framehost::core {

inline constexpr const char* kMjpegBoundary = "framehost-frame";

class MjpegParts {
  public:
    explicit MjpegParts(const PreviewBoard& board) : board_(board) {}
    // The camera's latest picture as a part, when newer than `after` (a sequence); sets `after`.
    // With `again`, the latest even when it is not newer.
    std::shared_ptr<const std::string> newer_than(const std::string& camera, std::uint64_t& after,
                                                  bool again = false);
    // Whether the camera has a picture (it is forgotten when the camera is removed).
    bool has_picture(const std::string& camera) const;

  private:
    struct Built {
        std::uint64_t sequence = 0;
        std::shared_ptr<const std::string> part;
    };
    const PreviewBoard& board_;
    std::mutex mutex_;
    std::map<std::string, Built> built_;
};

// One reader's stream of one camera, at most `fps` parts a second. A camera that publishes
// nothing new for a while has its latest picture sent again every few seconds (so the viewer and
// the server both see the connection is alive); the stream ends when the camera's picture is
// gone (the camera was removed).
std::shared_ptr<ResponseStream> mjpeg_stream(std::shared_ptr<MjpegParts> parts, std::string camera,
                                             double fps);

}  // namespace framehost::core
