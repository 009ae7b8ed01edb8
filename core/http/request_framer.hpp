#pragma once
// Splits a connection's byte stream into whole HTTP/1.1 requests before Pistache parses them.
// Pistache 0.0.5 on its own answers an oversized body with one 413 per chunk and then parses
// the rest of the body as new requests, and answers only the first of pipelined requests;
// handing it exactly one request at a time removes both problems, and lets an oversized body
// be refused from its Content-Length before it is read.
#include <cstddef>
#include <string>
#include <string_view>

namespace framehost::core {

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
        BadRequest,      // an unreadable or contradictory Content-Length: 400 and close
    };

    void append(const char* data, std::size_t size) { buffer_.append(data, size); }
    // Drops blank lines before a request (RFC 9112 2.2), then judges what is buffered.
    Verdict next(std::size_t& request_bytes);
    void consume(std::size_t bytes) { buffer_.erase(0, bytes); }
    std::string_view buffered() const { return buffer_; }
    bool empty() const { return buffer_.empty(); }
    std::size_t declared_body_bytes() const { return declared_; }

private:
    std::size_t max_header_bytes_;
    std::size_t max_body_bytes_;
    std::string buffer_;
    std::size_t declared_ = 0;
};

}  // namespace framehost::core
