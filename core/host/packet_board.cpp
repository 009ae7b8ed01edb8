#include "core/host/packet_board.hpp"

#include <algorithm>

namespace framehost::core {

std::shared_ptr<PacketBoard::Ring> PacketBoard::ring(const std::string& camera, bool create) {
    std::lock_guard lock(mutex_);
    auto found = rings_.find(camera);
    if (found != rings_.end()) {
        if (create) found->second->last_publish = ++publishes_;
        return found->second;
    }
    if (!create) return nullptr;
    if (rings_.size() >= kMaxCameras) {
        auto oldest = std::min_element(rings_.begin(), rings_.end(), [](auto& a, auto& b) {
            return a.second->last_publish < b.second->last_publish;
        });
        rings_.erase(oldest);
    }
    auto made = std::make_shared<Ring>();
    made->last_publish = ++publishes_;
    rings_.emplace(camera, made);
    return made;
}

void PacketBoard::trim(Ring& ring, std::chrono::milliseconds keep) {
    auto& packets = ring.packets;
    auto drop_front = [&](std::size_t count) {
        for (std::size_t i = 0; i < count && !packets.empty(); ++i) {
            ring.bytes -= packets.front().data ? packets.front().data->size() : 0;
            packets.pop_front();
        }
    };
    if (packets.empty()) return;
    // Everything before the newest keyframe that is `keep` older than the newest keyframe goes:
    // going from a keyframe keeps what is left decodable. Without a keyframe, by age alone.
    auto newest_key = std::find_if(packets.rbegin(), packets.rend(),
                                   [](const EncodedPacket& p) { return p.keyframe; });
    if (newest_key == packets.rend()) {
        auto newest = packets.back().wall_ms;
        while (!packets.empty() && packets.front().wall_ms < newest - keep.count()) drop_front(1);
    } else {
        auto cutoff = newest_key->wall_ms - keep.count();
        std::size_t cut = 0;
        for (std::size_t i = 0; i < packets.size() && packets[i].wall_ms <= cutoff; ++i)
            if (packets[i].keyframe) cut = i;
        drop_front(cut);
    }
    // Over the byte bound: up to the next keyframe, as often as needed.
    while (ring.bytes > kMaxBytesPerCamera && !packets.empty()) {
        std::size_t next = 1;
        while (next < packets.size() && !packets[next].keyframe) ++next;
        drop_front(next);
    }
}

void PacketBoard::publish(const std::string& camera, EncodedPacket packet,
                          std::chrono::milliseconds keep) {
    auto r = ring(camera, true);
    std::lock_guard lock(r->mutex);
    packet.seq = ++r->last_seq;
    r->bytes += packet.data ? packet.data->size() : 0;
    r->packets.push_back(std::move(packet));
    trim(*r, keep);
}

std::vector<EncodedPacket> PacketBoard::since(const std::string& camera, std::int64_t wall_ms) {
    std::vector<EncodedPacket> out;
    auto r = ring(camera, false);
    if (!r) return out;
    std::lock_guard lock(r->mutex);
    const auto& packets = r->packets;
    std::size_t start = packets.size();
    for (std::size_t i = 0; i < packets.size(); ++i) {
        if (!packets[i].keyframe) continue;
        if (start == packets.size() || packets[i].wall_ms <= wall_ms) start = i;
        if (packets[i].wall_ms > wall_ms) break;
    }
    out.assign(packets.begin() + static_cast<std::ptrdiff_t>(start), packets.end());
    return out;
}

std::vector<EncodedPacket> PacketBoard::after(const std::string& camera, std::uint64_t seq,
                                              std::size_t max) {
    std::vector<EncodedPacket> out;
    auto r = ring(camera, false);
    if (!r) return out;
    std::lock_guard lock(r->mutex);
    const auto& packets = r->packets;
    if (packets.empty() || packets.back().seq <= seq) return out;
    // Numbered without gaps: the first one after `seq` is at a known place.
    std::uint64_t first = packets.front().seq;
    std::size_t begin = seq < first ? 0 : static_cast<std::size_t>(seq - first + 1);
    for (std::size_t i = begin; i < packets.size() && out.size() < max; ++i)
        out.push_back(packets[i]);
    return out;
}

std::vector<std::pair<std::string, std::uint64_t>> PacketBoard::cameras() {
    std::vector<std::pair<std::string, std::shared_ptr<Ring>>> rings;
    {
        std::lock_guard lock(mutex_);
        rings.assign(rings_.begin(), rings_.end());
    }
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (auto& [camera, r] : rings) {
        std::lock_guard lock(r->mutex);
        out.emplace_back(camera, r->last_seq);
    }
    return out;
}

std::size_t PacketBoard::bytes() const {
    std::vector<std::shared_ptr<Ring>> rings;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [camera, r] : rings_) rings.push_back(r);
    }
    std::size_t total = 0;
    for (auto& r : rings) {
        std::lock_guard lock(r->mutex);
        total += r->bytes;
    }
    return total;
}

}  // namespace framehost::core
