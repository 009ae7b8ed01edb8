#include "core/http/request_framer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace framehost::core {

RequestFramer::Verdict RequestFramer::next(std::size_t& request_bytes, RequestHead& head) {
    std::size_t blank = 0;
    while (buffer_.size() >= blank + 2 && buffer_[blank] == '\r' && buffer_[blank + 1] == '\n')
        blank += 2;
    if (blank) buffer_.erase(0, blank);
    std::string_view data = buffer_;
    auto header_end = data.find("\r\n\r\n");
    if (header_end == std::string_view::npos)
        return data.size() > max_header_bytes_ ? Verdict::HeaderTooLarge : Verdict::NeedMore;
    if (header_end > max_header_bytes_) return Verdict::HeaderTooLarge;

    // Request line: METHOD SP target SP HTTP/1.x
    auto line_end = data.find("\r\n");
    std::string_view line = data.substr(0, line_end);
    auto sp1 = line.find(' ');
    auto sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1 || sp1 == 0) return Verdict::BadRequest;
    auto version = line.substr(sp2 + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return Verdict::BadRequest;
    RequestHead h;
    h.method = std::string(line.substr(0, sp1));
    h.http11 = version == "HTTP/1.1";
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (target.empty() || target.find(' ') != std::string_view::npos) return Verdict::BadRequest;
    auto question = target.find('?');
    h.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) {
        std::string_view query = target.substr(question + 1);
        while (!query.empty()) {
            auto amp = query.find('&');
            auto pair = query.substr(0, amp);
            auto eq = pair.find('=');
            if (!pair.empty())
                h.query[std::string(pair.substr(0, eq))] =
                    eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
            if (amp == std::string_view::npos) break;
            query.remove_prefix(amp + 1);
        }
    }

    std::size_t content_length = 0;
    bool have_length = false;
    std::size_t at = line_end + 2;
    while (at < header_end + 2) {
        auto end = data.find("\r\n", at);
        std::string_view header = data.substr(at, end - at);
        at = end + 2;
        auto colon = header.find(':');
        if (colon == std::string_view::npos || colon == 0) return Verdict::BadRequest;
        std::string name(header.substr(0, colon));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string_view value = header.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
            value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
            value.remove_suffix(1);
        if (name == "transfer-encoding") return Verdict::LengthRequired;
        if (name == "expect") expects_continue_ = true;
        if (name == "content-length") {
            std::size_t parsed = 0;
            auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
            if (ec != std::errc() || ptr != value.data() + value.size() || value.empty())
                return Verdict::BadRequest;
            if (have_length && parsed != content_length) return Verdict::BadRequest;
            content_length = parsed;
            have_length = true;
        }
        h.headers[std::move(name)] = std::string(value);
    }
    declared_ = content_length;
    if (content_length > max_body_bytes_) return Verdict::BodyTooLarge;
    std::size_t total = header_end + 4 + content_length;
    if (data.size() < total) {
        buffer_.reserve(total);  // one allocation for the body to come, not a doubling series
        return Verdict::NeedMore;
    }
    h.body_offset = header_end + 4;
    h.body_size = content_length;
    head = std::move(h);
    request_bytes = total;
    return Verdict::Complete;
}

}  // namespace framehost::core
