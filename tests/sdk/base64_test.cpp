#include "framehost/base64.hpp"

#include <doctest/doctest.h>

#include <string>

using framehost::decode_base64;
using framehost::encode_base64;

namespace {
std::string text(const std::optional<std::vector<std::uint8_t>>& bytes) {
    return bytes ? std::string(bytes->begin(), bytes->end()) : "<invalid>";
}
}  // namespace

TEST_CASE("base64 decodes the RFC 4648 test vectors, with or without padding") {
    CHECK(text(decode_base64("")) == "");
    CHECK(text(decode_base64("Zg==")) == "f");
    CHECK(text(decode_base64("Zm8=")) == "fo");
    CHECK(text(decode_base64("Zm9v")) == "foo");
    CHECK(text(decode_base64("Zm9vYg==")) == "foob");
    CHECK(text(decode_base64("Zm9vYmE=")) == "fooba");
    CHECK(text(decode_base64("Zm9vYmFy")) == "foobar");
    CHECK(text(decode_base64("Zm9vYg")) == "foob");
    CHECK(text(decode_base64("Zm9v\nYmFy")) == "foobar");
}

TEST_CASE("base64 refuses what no encoder writes") {
    for (auto bad : {"Zm9v!", "Zg=a", "Z", "Zm9vY", "Zg===", "Zh==", "-_-_"}) {
        CAPTURE(bad);
        CHECK_FALSE(decode_base64(bad));
    }
}

TEST_CASE("base64 encodes the RFC 4648 test vectors, and decoding gives the bytes back") {
    auto enc = [](std::string s) {
        return encode_base64({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
    };
    CHECK(enc("") == "");
    CHECK(enc("f") == "Zg==");
    CHECK(enc("fo") == "Zm8=");
    CHECK(enc("foo") == "Zm9v");
    CHECK(enc("foobar") == "Zm9vYmFy");
    std::vector<std::uint8_t> all(256);
    for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
    CHECK(decode_base64(encode_base64(all)) == all);
}
