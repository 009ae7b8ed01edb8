#pragma once
// The recorder's folder kept within its bounds: recordings (*.mp4) older than retention_days go,
// then the oldest until the folder is under its quota. The files are listed once, when the
// recorder starts, and then kept in order as they are written, so the quota is checked every
// tick without walking the folder.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <vector>

namespace framehost::recorder {

// Removes every unfinished (.part) file under `root`; returns how many.
std::size_t remove_unfinished(const std::filesystem::path& root);

class Recordings {
  public:
    // Lists the recordings already under `root`, oldest first.
    explicit Recordings(const std::filesystem::path& root);

    struct File {
        std::filesystem::file_time_type written;
        std::uintmax_t bytes;
        std::filesystem::path path;
    };

    // A file just finished (the newest).
    void add(const std::filesystem::path& file, std::uintmax_t bytes);
    // Removes recordings older than `retention_days` (0: none by age), then the oldest until the
    // rest take at most `max_bytes` (0: no bound). Returns the files that went.
    std::vector<std::filesystem::path> remove_old(double retention_days, std::uintmax_t max_bytes);
    std::uintmax_t bytes() const { return bytes_; }
    const std::deque<File>& files() const { return files_; }  // oldest first

  private:
    std::deque<File> files_;
    std::uintmax_t bytes_ = 0;
};

}  // namespace framehost::recorder
