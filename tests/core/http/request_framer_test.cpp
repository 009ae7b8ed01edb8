#include "core/http/request_framer.hpp"

#include <doctest/doctest.h>

#include <string>

using framehost::core::RequestFramer;
using Verdict = RequestFramer::Verdict;
using framehost::core::RequestHead;

TEST_CASE("the framer finds whole requests, one at a time, and waits for the rest") {
    RequestFramer framer(1024, 100);
    std::string a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    std::string b = "POST /b HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello";
    std::string both = a + b;
    framer.append(both.data(), both.size() - 2);
    std::size_t size = 0;
    RequestHead head;
    REQUIRE(framer.next(size, head) == Verdict::Complete);
    CHECK(size == a.size());
    framer.consume(size);
    CHECK(framer.next(size, head) == Verdict::NeedMore);
    framer.append(both.data() + both.size() - 2, 2);
    REQUIRE(framer.next(size, head) == Verdict::Complete);
    CHECK(size == b.size());
    framer.consume(size);
    CHECK(framer.empty());
}

TEST_CASE("the framer refuses an oversized body from its declared length, before it arrives") {
    RequestFramer framer(1024, 100);
    std::string text = "POST /p HTTP/1.1\r\nContent-Length: 101\r\n\r\n";
    framer.append(text.data(), text.size());
    std::size_t size = 0;
    RequestHead head;
    CHECK(framer.next(size, head) == Verdict::BodyTooLarge);
    CHECK(framer.declared_body_bytes() == 101);
}

TEST_CASE("the framer refuses chunked bodies, bad lengths and endless headers") {
    std::size_t size = 0;
    RequestHead head;
    RequestFramer chunked(1024, 100);
    std::string c = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    chunked.append(c.data(), c.size());
    CHECK(chunked.next(size, head) == Verdict::LengthRequired);

    RequestFramer bad(1024, 100);
    std::string b = "POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n";
    bad.append(b.data(), b.size());
    CHECK(bad.next(size, head) == Verdict::BadRequest);

    RequestFramer conflicting(1024, 100);
    std::string d = "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
    conflicting.append(d.data(), d.size());
    CHECK(conflicting.next(size, head) == Verdict::BadRequest);

    RequestFramer endless(16, 100);
    std::string e = "GET / HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaa";
    endless.append(e.data(), e.size());
    CHECK(endless.next(size, head) == Verdict::HeaderTooLarge);
}

TEST_CASE("blank lines before a request are skipped") {
    RequestFramer framer(1024, 100);
    std::string r = "\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    framer.append(r.data(), r.size());
    std::size_t size = 0;
    RequestHead head;
    REQUIRE(framer.next(size, head) == Verdict::Complete);
    CHECK(framer.buffered().substr(0, size) == "GET / HTTP/1.1\r\n\r\n");
}

TEST_CASE("the request line, query and headers are parsed, names lowercased") {
    RequestFramer framer(1024, 100);
    std::string r = "POST /frames/dequeue?count=5&x HTTP/1.0\r\nX-Thing:  a b \r\nContent-Length: 2\r\n\r\nhi";
    framer.append(r.data(), r.size());
    std::size_t size = 0;
    RequestHead head;
    REQUIRE(framer.next(size, head) == Verdict::Complete);
    CHECK(head.method == "POST");
    CHECK(head.path == "/frames/dequeue");
    CHECK(head.query["count"] == "5");
    CHECK(head.query.count("x") == 1);
    CHECK(head.headers["x-thing"] == "a b");
    CHECK_FALSE(head.http11);
    CHECK(framer.buffered().substr(head.body_offset, head.body_size) == "hi");
}

TEST_CASE("a malformed request line or header is a bad request") {
    for (std::string r : {"GARBAGE\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET / HTTP/1.1\r\nno colon here\r\n\r\n"}) {
        CAPTURE(r);
        RequestFramer framer(1024, 100);
        framer.append(r.data(), r.size());
        std::size_t size = 0;
        RequestHead head;
        CHECK(framer.next(size, head) == Verdict::BadRequest);
    }
}
