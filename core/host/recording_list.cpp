#include "core/host/recording_list.hpp"

#include <filesystem>

namespace framehost::core {

std::string RecordingList::id_of(const RecordingFile& recording) {
    // The camera's folder, then the file's name: <camera>/<event>.mp4 or
    // <camera>/segments/<start>.mp4.
    std::filesystem::path file(recording.file);
    auto folder = file.parent_path();
    if (folder.filename() == "segments") folder = folder.parent_path();
    return folder.filename().string() + "." + file.stem().string();
}

void RecordingList::add(const RecordingFile& recording) {
    auto id = id_of(recording);
    std::lock_guard lock(mutex_);
    if (auto known = by_id_.find(id); known != by_id_.end()) {
        auto range = by_start_.equal_range(known->second.start_ms);
        for (auto it = range.first; it != range.second; ++it)
            if (it->second == id) {
                by_start_.erase(it);
                break;
            }
    }
    by_id_[id] = recording;
    by_start_.emplace(recording.start_ms, id);
    while (by_id_.size() > kMaxRecordings) {
        by_id_.erase(by_start_.begin()->second);
        by_start_.erase(by_start_.begin());
    }
}

void RecordingList::remove(const std::string& file) {
    RecordingFile probe;
    probe.file = file;
    auto id = id_of(probe);
    std::lock_guard lock(mutex_);
    auto known = by_id_.find(id);
    if (known == by_id_.end()) return;
    auto range = by_start_.equal_range(known->second.start_ms);
    for (auto it = range.first; it != range.second; ++it)
        if (it->second == id) {
            by_start_.erase(it);
            break;
        }
    by_id_.erase(known);
}

std::vector<ListedRecording> RecordingList::find(const std::string& camera,
                                                 std::optional<std::int64_t> from_ms,
                                                 std::optional<std::int64_t> to_ms,
                                                 std::size_t limit) const {
    std::vector<ListedRecording> out;
    std::lock_guard lock(mutex_);
    for (const auto& [start, id] : by_start_) {
        if (out.size() >= limit || (to_ms && start > *to_ms)) break;
        const auto& r = by_id_.at(id);
        if (from_ms && r.end_ms < *from_ms) continue;
        if (!camera.empty() && r.camera != camera) continue;
        out.push_back({id, r});
    }
    return out;
}

std::optional<RecordingFile> RecordingList::get(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    return it->second;
}

}  // namespace framehost::core
