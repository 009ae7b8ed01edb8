#pragma once
// Video for the tests, none of it downloaded: clips made with the ffmpeg CLI, Debian's
// pedestrian clip (opencv-doc), and a live RTSP camera on loopback (GStreamer's RTSP server,
// scripts/rtsp-camera).
#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/process.hpp"

namespace framehost::test {

// 795 frames, 768x576, 10 fps, msmpeg4v3, people walking.
inline const std::filesystem::path kPedestrianClip =
    "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

// Pictures with faces whose boxes the tests set by hand: scikit-image's astronaut (512x512 PNG,
// python3-skimage) and opencv-doc's football player (548x342 JPEG).
inline const std::filesystem::path kAstronaut =
    "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
inline const std::filesystem::path kFootballer =
    "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

// Writes an H.264 mp4 of testsrc2 at `path`: `seconds` x `fps` frames of width x height,
// a key frame every `fps` frames, its index first (the RTSP camera reads it as a stream and
// finds no index past 10 MB). Throws when ffmpeg fails.
void make_clip(const std::filesystem::path& path, int width, int height, int fps, int seconds);

class RtspCamera {
  public:
    // Serves `clip` (an H.264 mp4) in a loop at its own rate on `address` (loopback unless a
    // test's containers must reach it); throws when it does not start.
    explicit RtspCamera(std::filesystem::path clip, int port = 0,
                        std::string address = "127.0.0.1");
    std::string url() const { return "rtsp://" + address_ + ":" + std::to_string(port_) + "/cam"; }
    int port() const { return port_; }
    void kill();     // SIGKILL: the camera vanishes mid-stream
    void restart();  // the same port again

  private:
    void launch();
    std::filesystem::path clip_;
    int port_;
    std::string address_;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace framehost::test
