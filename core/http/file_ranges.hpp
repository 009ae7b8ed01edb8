#pragma once
// A file answered whole or by one byte range (RFC 9110 §14), so a browser's <video> can seek:
// `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` gets 206 with Content-Range; a range past the
// end 416; a Range it cannot parse, or several ranges, is answered as RFC 9110 allows (the
// whole file, or the first range). A range is cut to kMaxRangeBytes (a client asks for the rest).
#include <cstddef>
#include <string>

#include "core/http/http_message.hpp"

namespace framehost::core {

inline constexpr std::size_t kMaxRangeBytes = 8u << 20;

// `file` as `content_type`, by the request's `range` header (empty: the whole file, or its first
// kMaxRangeBytes as a 206 when it is larger). 404 when it cannot be read, naming `what`.
HttpResponse file_response(const std::string& file, const std::string& content_type,
                           const std::string& range, const std::string& what);

}  // namespace framehost::core
