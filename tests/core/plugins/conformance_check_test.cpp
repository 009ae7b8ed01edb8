#include "core/plugins/conformance_check.hpp"

#include <doctest/doctest.h>

using framehost::core::is_lower_snake_case;

TEST_CASE("plugin names must be lower_snake_case starting with a letter") {
    CHECK(is_lower_snake_case("motion_detector"));
    CHECK(is_lower_snake_case("x2"));
    CHECK_FALSE(is_lower_snake_case(""));
    CHECK_FALSE(is_lower_snake_case("2x"));
    CHECK_FALSE(is_lower_snake_case("_x"));
    CHECK_FALSE(is_lower_snake_case("Motion"));
    CHECK_FALSE(is_lower_snake_case("motion-detector"));
    CHECK_FALSE(is_lower_snake_case("a b"));
}
