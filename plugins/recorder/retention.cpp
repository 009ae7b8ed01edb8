#include "retention.hpp"

#include <algorithm>
#include <chrono>
#include <system_error>
#include <vector>

namespace framehost::recorder {

namespace fs = std::filesystem;

std::size_t remove_unfinished(const fs::path& root) {
    std::vector<fs::path> unfinished;
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(root, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error))
        if (it->is_regular_file() && it->path().extension() == ".part")
            unfinished.push_back(it->path());
    std::size_t removed = 0;
    for (const auto& file : unfinished) {
        std::error_code ignored;
        if (fs::remove(file, ignored)) ++removed;
    }
    return removed;
}

Recordings::Recordings(const fs::path& root) {
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(root, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (!it->is_regular_file() || it->path().extension() != ".mp4") continue;
        std::error_code ignored;
        auto bytes = it->file_size(ignored);
        if (ignored) continue;
        files_.push_back({it->last_write_time(ignored), bytes, it->path()});
        bytes_ += bytes;
    }
    std::sort(files_.begin(), files_.end(),
              [](const File& a, const File& b) { return a.written < b.written; });
}

void Recordings::add(const fs::path& file, std::uintmax_t bytes) {
    files_.push_back({fs::file_time_type::clock::now(), bytes, file});
    bytes_ += bytes;
}

std::vector<fs::path> Recordings::remove_old(double retention_days, std::uintmax_t max_bytes) {
    auto too_old = fs::file_time_type::clock::now() -
                   std::chrono::duration_cast<fs::file_time_type::duration>(
                       std::chrono::duration<double, std::ratio<86'400>>(retention_days));
    std::vector<fs::path> removed;
    while (!files_.empty()) {
        const auto& oldest = files_.front();
        bool old = retention_days > 0 && oldest.written < too_old;
        bool over = max_bytes > 0 && bytes_ > max_bytes;
        if (!old && !over) break;
        std::error_code ignored;  // a file someone else removed is gone all the same
        fs::remove(oldest.path, ignored);
        removed.push_back(oldest.path);
        bytes_ -= oldest.bytes;
        files_.pop_front();
    }
    return removed;
}

}  // namespace framehost::recorder
