#include "core/http/request_framer.hpp"

#include <doctest/doctest.h>

#include <string>

using framehost::core::HttpRequest;
using framehost::core::RequestFramer;
using Verdict = RequestFramer::Verdict;

namespace {

// Feeds `text` to a fresh framer and judges it once.
Verdict judge(const std::string& text, HttpRequest* out = nullptr, std::string* why = nullptr,
              std::size_t max_header = 1024, std::size_t max_body = 100) {
    RequestFramer framer(max_header, max_body);
    framer.append(text.data(), text.size());
    HttpRequest request;
    bool keep_alive = false;
    auto verdict = framer.next(request, keep_alive);
    if (out) *out = request;
    if (why) *why = framer.refusal();
    return verdict;
}

}  // namespace

TEST_CASE("the framer finds whole requests, one at a time, and waits for the rest") {
    RequestFramer framer(1024, 100);
    std::string a = "GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    std::string b = "POST /b HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello";
    std::string both = a + b;
    framer.append(both.data(), both.size() - 2);
    HttpRequest request;
    bool keep_alive = false;
    REQUIRE(framer.next(request, keep_alive) == Verdict::Complete);
    CHECK(request.path == "/a");
    CHECK(keep_alive);
    CHECK(framer.next(request, keep_alive) == Verdict::NeedMore);
    CHECK_FALSE(framer.empty());
    framer.append(both.data() + both.size() - 2, 2);
    REQUIRE(framer.next(request, keep_alive) == Verdict::Complete);
    CHECK(request.path == "/b");
    CHECK(request.body == "hello");
    CHECK(framer.empty());
    CHECK(framer.next(request, keep_alive) == Verdict::NeedMore);
}

TEST_CASE("the framer refuses an oversized body from its declared length, before it arrives") {
    std::string why;
    CHECK(judge("POST /p HTTP/1.1\r\nContent-Length: 101\r\n\r\n", nullptr, &why) ==
          Verdict::BodyTooLarge);
    CHECK(why == "request body of 101 bytes is over the limit of 100 bytes");
}

TEST_CASE("chunked bodies are decoded, and refused once past the limit") {
    HttpRequest request;
    CHECK(judge("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\n, "
                "x\r\n0\r\n\r\n",
                &request) == Verdict::Complete);
    CHECK(request.body == "hello, x");
    std::string big = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 30; ++i) big += "5\r\nhello\r\n";
    CHECK(judge(big) == Verdict::BodyTooLarge);
}

TEST_CASE("what could smuggle a second request is a bad request, with the reason") {
    const char* cases[] = {
        // RFC 9112 5.1: no whitespace between a field name and its colon.
        "POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\nGET /",
        "POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.1\r\nno colon here\r\n\r\n",
    };
    for (std::string text : cases) {
        CAPTURE(text);
        std::string why;
        CHECK(judge(text, nullptr, &why) == Verdict::BadRequest);
        CHECK(why.rfind("malformed request: ", 0) == 0);
        CHECK(why.size() > std::string("malformed request: ").size());
    }
}

TEST_CASE("endless headers are refused at the header limit") {
    CHECK(judge("GET / HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaa", nullptr, nullptr, 16) ==
          Verdict::HeaderTooLarge);
}

TEST_CASE("blank lines before a request are skipped") {
    HttpRequest request;
    CHECK(judge("\r\n\r\nGET /x HTTP/1.1\r\n\r\n", &request) == Verdict::Complete);
    CHECK(request.path == "/x");
}

TEST_CASE("the request line, query and headers are parsed, names lowercased") {
    RequestFramer framer(1024, 100);
    std::string r =
        "POST /frames/dequeue?count=5&x HTTP/1.0\r\nX-Thing:  a b \r\nContent-Length: "
        "2\r\n\r\nhi";
    framer.append(r.data(), r.size());
    HttpRequest request;
    bool keep_alive = true;
    REQUIRE(framer.next(request, keep_alive) == Verdict::Complete);
    CHECK(request.method == "POST");
    CHECK(request.path == "/frames/dequeue");
    CHECK(request.query["count"] == "5");
    CHECK(request.query.count("x") == 1);
    CHECK(request.headers["x-thing"] == "a b");
    CHECK(request.body == "hi");
    CHECK_FALSE(keep_alive);  // HTTP/1.0 without "Connection: keep-alive"
}

TEST_CASE("keep-alive follows the version and the Connection header") {
    auto keeps = [](const std::string& text) {
        RequestFramer framer(1024, 100);
        framer.append(text.data(), text.size());
        HttpRequest request;
        bool keep_alive = false;
        REQUIRE(framer.next(request, keep_alive) == Verdict::Complete);
        return keep_alive;
    };
    CHECK(keeps("GET / HTTP/1.1\r\n\r\n"));
    CHECK_FALSE(keeps("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
    CHECK_FALSE(keeps("GET / HTTP/1.0\r\n\r\n"));
    CHECK(keeps("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST_CASE("a client asking for 100 Continue is told once, after its headers") {
    RequestFramer framer(1024, 100);
    std::string head = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    framer.append(head.data(), head.size());
    HttpRequest request;
    bool keep_alive = false;
    CHECK(framer.next(request, keep_alive) == Verdict::NeedMore);
    CHECK(framer.take_continue_request());
    CHECK_FALSE(framer.take_continue_request());
    framer.append("ok", 2);
    REQUIRE(framer.next(request, keep_alive) == Verdict::Complete);
    CHECK(request.body == "ok");
}
