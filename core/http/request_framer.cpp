#include "core/http/request_framer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace framehost::core {

namespace {
bool name_is(std::string_view line, std::string_view name) {
    if (line.size() <= name.size() || line[name.size()] != ':') return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
    }
    return true;
}
std::string_view value_of(std::string_view line, std::size_t name_size) {
    auto v = line.substr(name_size + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
}
}  // namespace

RequestFramer::Verdict RequestFramer::next(std::size_t& request_bytes) {
    std::size_t blank = 0;
    while (buffer_.size() >= blank + 2 && buffer_[blank] == '\r' && buffer_[blank + 1] == '\n') blank += 2;
    if (blank) buffer_.erase(0, blank);
    std::string_view data = buffer_;
    const std::size_t start = 0;
    auto header_end = data.find("\r\n\r\n", start);
    if (header_end == std::string_view::npos) {
        return data.size() - start > max_header_bytes_ ? Verdict::HeaderTooLarge : Verdict::NeedMore;
    }
    if (header_end - start > max_header_bytes_) return Verdict::HeaderTooLarge;
    std::string_view headers = data.substr(start, header_end - start);
    std::size_t content_length = 0;
    bool have_length = false;
    std::size_t line_start = headers.find("\r\n");
    while (line_start != std::string_view::npos) {
        line_start += 2;
        auto line_end = headers.find("\r\n", line_start);
        auto line = headers.substr(line_start, line_end == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : line_end - line_start);
        if (name_is(line, "transfer-encoding")) return Verdict::LengthRequired;
        if (name_is(line, "content-length")) {
            auto value = value_of(line, 14);
            std::size_t parsed = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
            if (ec != std::errc() || end != value.data() + value.size()) return Verdict::BadRequest;
            if (have_length && parsed != content_length) return Verdict::BadRequest;
            content_length = parsed;
            have_length = true;
        }
        line_start = line_end;
    }
    declared_ = content_length;
    if (content_length > max_body_bytes_) return Verdict::BodyTooLarge;
    std::size_t total = header_end + 4 + content_length;
    if (data.size() < total) return Verdict::NeedMore;
    request_bytes = total;
    return Verdict::Complete;
}

}  // namespace framehost::core
