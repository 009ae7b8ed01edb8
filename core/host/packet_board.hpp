#pragma once
// Each camera's last seconds of encoded packets (framehost/packets.hpp), kept for recorders:
// one ring per camera, trimmed from its oldest keyframe on, bounded in time by what the
// publishing source asks for and in bytes by kMaxBytesPerCamera. One board per host, offered to
// its plugins as the framehost.packets extension. A camera's packets are reference-counted:
// a reader holds them without a copy while the ring moves on.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <framehost/packets.hpp>

namespace framehost::core {

class PacketBoard final : public PacketRings {
  public:
    // A camera's ring never holds more than this, whatever its `keep` (a 4K camera at 20 Mbit/s
    // holds 25 s), nor more cameras than kMaxCameras (the one published to longest ago goes).
    static constexpr std::size_t kMaxBytesPerCamera = 64u << 20;
    static constexpr std::size_t kMaxCameras = 256;

    void publish(const std::string& camera, EncodedPacket packet,
                 std::chrono::milliseconds keep) override;
    std::vector<EncodedPacket> since(const std::string& camera, std::int64_t wall_ms) override;
    std::vector<EncodedPacket> after(const std::string& camera, std::uint64_t seq,
                                     std::size_t max) override;
    std::vector<std::pair<std::string, std::uint64_t>> cameras() override;

    // Bytes held in all rings. [any thread]
    std::size_t bytes() const;

  private:
    struct Ring {
        std::mutex mutex;
        std::deque<EncodedPacket> packets;
        std::size_t bytes = 0;
        std::uint64_t last_seq = 0;
        std::uint64_t last_publish = 0;  // the board's count when it was published to last
    };
    std::shared_ptr<Ring> ring(const std::string& camera, bool create);
    static void trim(Ring& ring, std::chrono::milliseconds keep);

    mutable std::mutex mutex_;  // guards the map
    std::map<std::string, std::shared_ptr<Ring>> rings_;
    std::uint64_t publishes_ = 0;
};

}  // namespace framehost::core
