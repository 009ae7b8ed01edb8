#pragma once
// Lifts one large top-level string member (a /process body's frame_data: megabytes of base64)
// out of a JSON object text, so the JSON parser only walks the small rest. Parsing the whole
// body with nlohmann/json cost 7 ms per 640x480 frame, most of a /process request.
#include <optional>
#include <string>
#include <string_view>

namespace framehost::core {

struct LiftedMember {
    std::string_view value;  // the raw string content, without quotes (a view into the text)
    std::string rest;        // the text with that member's value replaced by ""
};

// nullopt when the member is absent, not a string, holds escapes, or the text is not shaped
// like a JSON object: callers then parse the whole text the ordinary way, so a wrong guess
// costs time, never correctness.
std::optional<LiftedMember> lift_string_member(std::string_view text, std::string_view key);

}  // namespace framehost::core
