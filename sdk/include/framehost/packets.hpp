#pragma once
// A camera's encoded packets as it received them, before any decoding: what a recorder writes
// to a clip without re-encoding. A host service (framehost/extension.hpp): a source publishes
// each packet of its cameras; the host keeps the last seconds of each camera in a ring; other
// plugins read them from a point in time, starting at a keyframe, and then every one after.
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "framehost/extension.hpp"

namespace framehost {

// What a muxer needs to take a camera's packets: the same for every packet until the camera
// reconnects (`generation` counts its connections).
struct PacketStream {
    std::string codec;                    // FFmpeg's codec name: "h264", "hevc", "mpeg4"...
    std::vector<std::uint8_t> extradata;  // the codec's parameter sets, as the demuxer gave them
    int width = 0, height = 0;
    int time_base_num = 1, time_base_den = 90000;  // of pts, dts and duration
    std::uint64_t generation = 0;
};

struct EncodedPacket {
    static constexpr std::int64_t kNoTimestamp = std::numeric_limits<std::int64_t>::min();

    std::uint64_t seq = 0;  // per camera, from 1, numbered by the host as they are published
    std::shared_ptr<const PacketStream> stream;
    std::shared_ptr<const std::vector<std::uint8_t>> data;  // the bytes as received
    std::int64_t pts = kNoTimestamp, dts = kNoTimestamp, duration = 0;
    bool keyframe = false;
    std::int64_t wall_ms = 0;  // on the clock of the camera's frames (Frame::timestamp_ms)
};

class PacketRings {
  public:
    static constexpr std::string_view kExtensionId = "framehost.packets";
    static constexpr std::uint32_t kExtensionVersion = 1;

    // [the camera's thread] Keeps `packet` (its seq is set here) as the newest of `camera`;
    // what is older than `keep` before the newest keyframe goes, from a keyframe on.
    virtual void publish(const std::string& camera, EncodedPacket packet,
                         std::chrono::milliseconds keep) = 0;
    // [any thread] The packets of `camera` from the last keyframe at or before `wall_ms` (the
    // oldest held keyframe when none is that old), oldest first.
    virtual std::vector<EncodedPacket> since(const std::string& camera, std::int64_t wall_ms) = 0;
    // [any thread] Up to `max` packets of `camera` after `seq`, oldest first. A reader that fell
    // behind the ring sees the seq jump.
    virtual std::vector<EncodedPacket> after(const std::string& camera, std::uint64_t seq,
                                             std::size_t max) = 0;
    // [any thread] The cameras that published packets, and the newest one's seq of each.
    virtual std::vector<std::pair<std::string, std::uint64_t>> cameras() = 0;

  protected:
    ~PacketRings() = default;
};

}  // namespace framehost
