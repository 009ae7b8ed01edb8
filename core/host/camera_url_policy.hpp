#pragma once
// What a camera added over HTTP may open (POST /cameras). FFmpeg opens far more than cameras:
// files, `concat:` lists of files, `pipe:`, `data:`, and text demuxers that draw any file as a
// picture; and a camera URL is a request the host makes, to anything it can reach. So: only the
// configured schemes (network protocols by default; files only when the operator lists `file`),
// never a host that is this machine (loopback, or an address of one of its interfaces) unless
// allowed, and FFmpeg told the same with its protocol and format whitelists.
#include <string>
#include <vector>

#include "core/config/host_settings.hpp"

namespace framehost::core {

class CameraUrlPolicy {
  public:
    explicit CameraUrlPolicy(CameraApiSettings settings) : settings_(std::move(settings)) {}

    // "" when `url` may be opened, else why not (for a 422 on the `url` field).
    std::string problem(const std::string& url) const;
    // FFmpeg's protocol_whitelist and format_whitelist for the configured schemes.
    std::string ffmpeg_protocols() const;
    std::string ffmpeg_formats() const;

  private:
    CameraApiSettings settings_;
};

}  // namespace framehost::core
