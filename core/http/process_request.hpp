#pragma once
// The body of POST /process and /process-with-tracking, as the replaced service reads it
// ({"frame_data": base64, "metadata": {...}}), turned into a frame, or the 422 that names what is
// wrong in FastAPI's shape (docs/http-api.md lists them).
#include <functional>
#include <string>
#include <variant>

#include "core/http/http_message.hpp"
#include "framehost/frame.hpp"

namespace framehost::core {

// `fallback_id()` names a frame whose metadata gives no frame_id. The frame's metadata is the
// body's; its timestamp now.
std::variant<Frame, HttpResponse> decode_process_request(
    const std::string& body, const std::function<std::string()>& fallback_id);

}  // namespace framehost::core
