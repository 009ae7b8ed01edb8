#include "framehost/base64.hpp"

#include <doctest/doctest.h>

#include <string>

using framehost::decode_base64;

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
