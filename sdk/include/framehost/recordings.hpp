#pragma once
// The video files a recorder has finished (event clips and continuous segments), listed by the
// host's GET /recordings and served by GET /recordings/{id}.mp4. A host service
// (framehost/extension.hpp): the recorder adds each file it finishes (and those it finds when it
// starts) and removes those its retention deletes.
#include <cstdint>
#include <string>
#include <string_view>

#include "framehost/extension.hpp"

namespace framehost {

struct RecordingFile {
    std::string camera;
    std::int64_t start_ms = 0, end_ms = 0;  // wall clock of its first and last packet
    std::string file;                       // absolute path of the finished file
    std::uint64_t bytes = 0;
    std::string event_id;  // the event it is the clip of; empty for a continuous segment
};

class RecordingCatalog {
  public:
    static constexpr std::string_view kExtensionId = "framehost.recordings";
    static constexpr std::uint32_t kExtensionVersion = 1;

    // A finished file (a file already listed is listed anew). [any thread]
    virtual void add(const RecordingFile& recording) = 0;
    // The file is gone. [any thread]
    virtual void remove(const std::string& file) = 0;

  protected:
    ~RecordingCatalog() = default;
};

}  // namespace framehost
