#pragma once
// The recordings the host's recorders finished (framehost/recordings.hpp), for GET /recordings
// and GET /recordings/{id}.mp4: in memory, by start time, at most kMaxRecordings (the oldest
// leave the list, not the disk). An id is the file's place under its recorder's folder
// ("door.1796574842686" for door/segments/1796574842686.mp4), so it stays the same across
// restarts.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <framehost/recordings.hpp>

namespace framehost::core {

struct ListedRecording {
    std::string id;
    RecordingFile recording;
};

class RecordingList final : public RecordingCatalog {
  public:
    static constexpr std::size_t kMaxRecordings = 100'000;

    void add(const RecordingFile& recording) override;
    void remove(const std::string& file) override;

    // Those of `camera` (empty: any) overlapping [from_ms, to_ms], oldest first, at most
    // `limit`. [any thread]
    std::vector<ListedRecording> find(const std::string& camera,
                                      std::optional<std::int64_t> from_ms,
                                      std::optional<std::int64_t> to_ms, std::size_t limit) const;
    std::optional<RecordingFile> get(const std::string& id) const;

  private:
    static std::string id_of(const RecordingFile& recording);

    mutable std::mutex mutex_;
    std::map<std::string, RecordingFile> by_id_;
    std::multimap<std::int64_t, std::string> by_start_;  // start_ms -> id
};

}  // namespace framehost::core
