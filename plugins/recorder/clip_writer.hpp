#pragma once
// One MP4 file of a camera's packets as received (codec copied, nothing decoded or encoded).
// Written under `<file>.part` and renamed when finished, with its index moved to the front
// (+faststart) so a browser plays it while it downloads: after a SIGKILL a clip is either whole
// under its name or a .part that no listing shows.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include <framehost/packets.hpp>

struct AVFormatContext;
struct AVStream;

namespace framehost::recorder {

class ClipWriter {
  public:
    // Creates `file`.part for packets of `stream`; throws std::runtime_error naming the file and
    // FFmpeg's reason.
    ClipWriter(std::filesystem::path file, const PacketStream& stream);
    ~ClipWriter();  // an unfinished clip's .part is removed
    ClipWriter(const ClipWriter&) = delete;
    ClipWriter& operator=(const ClipWriter&) = delete;

    // Appends one packet of the stream (timestamps rebased to the clip's start). Throws on a
    // write error (a full disk).
    void write(const EncodedPacket& packet);
    // Writes the index, closes and renames the file to its name. Throws on failure (the .part
    // is removed).
    void finish();

    const std::filesystem::path& file() const { return file_; }
    std::uint64_t generation() const { return generation_; }
    std::int64_t first_wall_ms() const { return first_wall_ms_; }
    std::int64_t last_wall_ms() const { return last_wall_ms_; }
    std::size_t packets() const { return packets_; }
    std::size_t bytes() const { return bytes_; }  // of packets written so far

  private:
    void close();

    std::filesystem::path file_, part_;
    std::uint64_t generation_;
    int time_base_num_, time_base_den_;
    AVFormatContext* output_ = nullptr;
    AVStream* stream_ = nullptr;
    bool finished_ = false;
    std::size_t packets_ = 0;
    std::size_t bytes_ = 0;
    std::int64_t offset_ = 0;  // the first packet's dts: the clip starts at 0
    std::int64_t last_dts_ = 0;
    std::int64_t first_wall_ms_ = 0, last_wall_ms_ = 0;
};

}  // namespace framehost::recorder
