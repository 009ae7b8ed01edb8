#include "core/http/request_framer.hpp"

#include <doctest/doctest.h>

#include <string>

using framehost::core::RequestFramer;
using Verdict = RequestFramer::Verdict;

TEST_CASE("the framer finds whole requests, one at a time, and waits for the rest") {
    RequestFramer framer(1024, 100);
    std::string a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    std::string b = "POST /b HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello";
    std::string both = a + b;
    framer.append(both.data(), both.size() - 2);
    std::size_t size = 0;
    REQUIRE(framer.next(size) == Verdict::Complete);
    CHECK(size == a.size());
    framer.consume(size);
    CHECK(framer.next(size) == Verdict::NeedMore);
    framer.append(both.data() + both.size() - 2, 2);
    REQUIRE(framer.next(size) == Verdict::Complete);
    CHECK(size == b.size());
    framer.consume(size);
    CHECK(framer.empty());
}

TEST_CASE("the framer refuses an oversized body from its declared length, before it arrives") {
    RequestFramer framer(1024, 100);
    std::string head = "POST /p HTTP/1.1\r\nContent-Length: 101\r\n\r\n";
    framer.append(head.data(), head.size());
    std::size_t size = 0;
    CHECK(framer.next(size) == Verdict::BodyTooLarge);
    CHECK(framer.declared_body_bytes() == 101);
}

TEST_CASE("the framer refuses chunked bodies, bad lengths and endless headers") {
    std::size_t size = 0;
    RequestFramer chunked(1024, 100);
    std::string c = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    chunked.append(c.data(), c.size());
    CHECK(chunked.next(size) == Verdict::LengthRequired);

    RequestFramer bad(1024, 100);
    std::string b = "POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n";
    bad.append(b.data(), b.size());
    CHECK(bad.next(size) == Verdict::BadRequest);

    RequestFramer conflicting(1024, 100);
    std::string d = "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
    conflicting.append(d.data(), d.size());
    CHECK(conflicting.next(size) == Verdict::BadRequest);

    RequestFramer endless(16, 100);
    std::string e = "GET / HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaa";
    endless.append(e.data(), e.size());
    CHECK(endless.next(size) == Verdict::HeaderTooLarge);
}

TEST_CASE("blank lines before a request are skipped") {
    RequestFramer framer(1024, 100);
    std::string r = "\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    framer.append(r.data(), r.size());
    std::size_t size = 0;
    REQUIRE(framer.next(size) == Verdict::Complete);
    CHECK(framer.buffered().substr(0, size) == "GET / HTTP/1.1\r\n\r\n");
}
