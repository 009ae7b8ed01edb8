#pragma once
// Splits a connection's byte stream into whole HTTP/1.x requests, with Boost.Beast's request
// parser, in place of Pistache 0.0.5's: that one answers an oversized body with one 413 per
// chunk and then parses the rest of the body as new requests, answers only the first of
// pipelined requests, and copies a body four times on its way to the handler. A hand-written
// framer that replaced it accepted "Content-Length : 5" (a space before the colon, which RFC 9112
// 5.1 makes a 400) and ran the body as a second request; Beast's parser is strict where framing
// is at stake (field names, lengths, chunked coding, their combinations) and is kept by Boost.
// The body limit is judged from Content-Length before any of the body is read.
#include <cstddef>
#include <memory>
#include <string>

#include "core/http/http_message.hpp"

namespace framehost::core {

class RequestFramer {
  public:
    RequestFramer(std::size_t max_header_bytes, std::size_t max_body_bytes);
    ~RequestFramer();
    RequestFramer(const RequestFramer&) = delete;
    RequestFramer& operator=(const RequestFramer&) = delete;

    enum class Verdict {
        NeedMore,        // no whole request buffered yet
        Complete,        // `request` is the next request
        BodyTooLarge,    // the body is over the limit: answer 413 and close
        HeaderTooLarge,  // no end of headers within the limit: 431 and close
        BadRequest,      // not HTTP/1.0 or 1.1 framed as RFC 9112 says: 400 and close
    };

    void append(const char* data, std::size_t size);
    // Judges what is buffered. On Complete, `request` is the first whole request (its body
    // de-chunked), `keep_alive` what its version and Connection header ask for, and the bytes
    // it took are gone from the buffer. Blank lines before a request are skipped (RFC 9112 2.2).
    Verdict next(HttpRequest& request, bool& keep_alive);
    // Why the last verdict was not Complete or NeedMore, for the answer's detail.
    const std::string& refusal() const { return refusal_; }
    // True when no byte of a next request is held.
    bool empty() const;
    // The bytes received and not yet taken by a Complete request.
    std::size_t held_bytes() const;
    // True once per request whose client waits for "100 Continue" before sending its body
    // (curl does for bodies over 1 KB, and would otherwise stall a second).
    bool take_continue_request();

  private:
    struct Parser;
    std::size_t max_header_bytes_;
    std::size_t max_body_bytes_;
    std::string input_;               // received, not yet given to the parser
    std::size_t input_used_ = 0;      // the prefix of input_ the parser has taken
    std::unique_ptr<Parser> parser_;  // the request being read, when one has begun
    bool continue_sent_ = false;
    std::string refusal_;
};

}  // namespace framehost::core
