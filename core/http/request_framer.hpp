#pragma once
// Splits a connection's byte stream into whole HTTP/1.1 requests and parses their request line
// and headers, in place of Pistache 0.0.5's parser: that one answers an oversized body with one
// 413 per chunk and then parses the rest of the body as new requests, answers only the first
// of pipelined requests, and copies a body four times on its way to the handler. Framing here
// also refuses an oversized body from its Content-Length before it is read.
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace framehost::core {

struct RequestHead {
    std::string method;
    std::string path;                            // the target before '?'
    std::map<std::string, std::string> query;    // as sent, not percent-decoded
    std::map<std::string, std::string> headers;  // names lowercased; a repeated name keeps the last
    bool http11 = true;
    std::size_t body_offset = 0;  // where the body starts in buffered()
    std::size_t body_size = 0;
};

class RequestFramer {
  public:
    RequestFramer(std::size_t max_header_bytes, std::size_t max_body_bytes)
        : max_header_bytes_(max_header_bytes), max_body_bytes_(max_body_bytes) {}

    enum class Verdict {
        NeedMore,        // no whole request buffered yet
        Complete,        // the first `request_bytes` bytes are one request
        BodyTooLarge,    // Content-Length over the limit: answer 413 and close
        HeaderTooLarge,  // no end of headers within the limit: 431 and close
        LengthRequired,  // a chunked body: 411 and close (clients of this API send a length)
        BadRequest,  // a malformed request line or header, or a contradictory length: 400 and close
    };

    void append(const char* data, std::size_t size) { buffer_.append(data, size); }
    // Drops blank lines before a request (RFC 9112 2.2), then judges what is buffered. On
    // Complete, `head` describes the first request and `request_bytes` is its whole size.
    Verdict next(std::size_t& request_bytes, RequestHead& head);
    void consume(std::size_t bytes) {
        buffer_.erase(0, bytes);
        expects_continue_ = continue_sent_ = false;
    }
    std::string_view buffered() const { return buffer_; }
    bool empty() const { return buffer_.empty(); }
    std::size_t declared_body_bytes() const { return declared_; }
    // True once per request whose client waits for "100 Continue" before sending its body
    // (curl does for bodies over 1 KB, and would otherwise stall a second).
    bool take_continue_request() {
        bool wanted = expects_continue_ && !continue_sent_;
        continue_sent_ = continue_sent_ || wanted;
        return wanted;
    }

  private:
    std::size_t max_header_bytes_;
    std::size_t max_body_bytes_;
    std::string buffer_;
    std::size_t declared_ = 0;
    bool expects_continue_ = false;
    bool continue_sent_ = false;
};

}  // namespace framehost::core
