#pragma once
// The original capture's Redis stream entry (`frames:metadata`: every field a string) as the
// original Frame Buffer serves it from /frames/dequeue: width and height integers (from
// `width`/`height`, else from `resolution` "[1920, 1080]"), size_bytes an integer, format
// defaulting to bgr24, every other field passed through as the string it was (fields whose
// name starts with '_' are dropped, as there). Frame readers downstream (frame_buffer_consumer)
// take it from there.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace framehost::frame_buffer {

using EntryFields = std::vector<std::pair<std::string, std::string>>;

// Never throws. A value that is not what the original expects (a width that is not a number)
// is passed through as its string, so the frame reaches a reader that fails it with the
// reason, rather than vanishing here.
nlohmann::json capture_entry_to_frame(const EntryFields& fields);

}  // namespace framehost::frame_buffer
