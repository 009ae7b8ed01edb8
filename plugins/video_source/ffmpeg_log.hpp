#pragma once
// FFmpeg's own messages (a decoder's complaints about a damaged stream, a demuxer's) go to the
// host's log through the context of a live video_source instance: one line each, in the host's
// format and under its line cap, rather than straight to stderr. FFmpeg's log callback is one
// per process: while any FfmpegLog lives it is ours; when the last goes, FFmpeg's own again
// (this library may be unloaded after).
#include <framehost/plugin.hpp>

namespace framehost::video {

class FfmpegLog {
  public:
    explicit FfmpegLog(PluginContext& context);
    ~FfmpegLog();
    FfmpegLog(const FfmpegLog&) = delete;
    FfmpegLog& operator=(const FfmpegLog&) = delete;

  private:
    PluginContext& context_;
};

}  // namespace framehost::video
