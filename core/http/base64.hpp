#pragma once
// Strict standard base64 (RFC 4648, with padding optional): /process must tell a client that
// frame_data is not base64 rather than decode garbage.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace framehost::core {

// nullopt when `text` holds anything but the base64 alphabet, misplaced padding, or a length
// no encoding produces. ASCII whitespace (line breaks of MIME encoders) is skipped.
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text);

}  // namespace framehost::core
