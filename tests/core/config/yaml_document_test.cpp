#include "core/config/yaml_document.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace framehost::core;

namespace {
EnvironmentLookup env(std::map<std::string, std::string> values) {
    return [values](const std::string& name) -> std::optional<std::string> {
        auto it = values.find(name);
        if (it == values.end()) return std::nullopt;
        return it->second;
    };
}

std::vector<ConfigError> errors_of(Diagnostics& d) {
    try {
        d.throw_if_any();
    } catch (const ConfigErrors& e) {
        return e.errors();
    }
    return {};
}
}  // namespace

TEST_CASE("environment variables replace ${VAR} and ${VAR:-default}, set ones winning") {
    Diagnostics d("c.yaml");
    auto root =
        parse_yaml_config("a: ${A}\nb: ${B:-7}\nc: ${C:-7}\n", env({{"A", "x"}, {"C", "9"}}), d);
    CHECK(d.empty());
    CHECK(root["a"].Scalar() == "x");
    CHECK(root["b"].Scalar() == "7");
    CHECK(root["c"].Scalar() == "9");
}

TEST_CASE("interpolation works inside flow mappings and mixed with text") {
    Diagnostics d("c.yaml");
    auto root =
        parse_yaml_config("p: { t: ${T:-0.5}, url: http://${HOST:-fb}:8002/x }\n", env({}), d);
    CHECK(d.empty());
    CHECK(root["p"]["t"].Scalar() == "0.5");
    CHECK(root["p"]["url"].Scalar() == "http://fb:8002/x");
}

TEST_CASE("an unset variable without default is an error at its line and column") {
    Diagnostics d("c.yaml");
    parse_yaml_config("a: 1\nb:  ${MISSING_VAR}\n", env({}), d);
    auto errors = errors_of(d);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 2);
    CHECK(errors[0].column == 5);
    CHECK(errors[0].message.find("MISSING_VAR") != std::string::npos);
}

TEST_CASE("positions after an interpolation on the same line stay those of the file") {
    Diagnostics d("c.yaml");
    std::string text = "a: { x: ${LONG_VARIABLE_NAME:-1}, y: 2 }\n";
    auto root = parse_yaml_config(text, env({}), d);
    CHECK(root["a"]["y"].Mark().column == static_cast<int>(text.find("2 }")));
}

TEST_CASE("comments are not interpolated and $$ is a literal dollar") {
    Diagnostics d("c.yaml");
    auto root = parse_yaml_config("a: cost $$5 # ${NOT_SET}\n", env({}), d);
    CHECK(d.empty());
    CHECK(root["a"].Scalar() == "cost $5");
}

TEST_CASE("malformed YAML reports the parser's position") {
    Diagnostics d("c.yaml");
    parse_yaml_config("a: [1, 2\nb: 3\n", env({}), d);
    auto errors = errors_of(d);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line >= 1);
    CHECK(errors[0].message.find("invalid YAML") != std::string::npos);
}

TEST_CASE("a duplicate key is an error at the second occurrence") {
    Diagnostics d("c.yaml");
    parse_yaml_config("a: 1\nb: 2\na: 3\n", env({}), d);
    auto errors = errors_of(d);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 3);
    CHECK(errors[0].column == 1);
    CHECK(errors[0].message.find("first defined at line 1") != std::string::npos);
}

TEST_CASE("an unterminated or invalid expression is reported") {
    Diagnostics d("c.yaml");
    parse_yaml_config("a: ${OPEN\nb: ${1BAD}\n", env({}), d);
    auto errors = errors_of(d);
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].message.find("unterminated") != std::string::npos);
    CHECK(errors[1].line == 2);
    CHECK(errors[1].message.find("invalid variable name") != std::string::npos);
}

TEST_CASE("a default may hold expressions of its own, nested") {
    Diagnostics d("c.yaml");
    auto text = "a: ${FOO:-${BAR:-z}}\nb: ${FOO:-x${BAR:-y}z}\nc: ${FOO:-$${BAR}}\nd: ${FOO:-}\n";
    auto unset = parse_yaml_config(text, env({}), d);
    CHECK(d.empty());
    CHECK(unset["a"].Scalar() == "z");
    CHECK(unset["b"].Scalar() == "xyz");
    CHECK(unset["c"].Scalar() == "${BAR}");
    CHECK(unset["d"].Scalar().empty());
    auto bar = parse_yaml_config(text, env({{"BAR", "set"}}), d);
    CHECK(bar["a"].Scalar() == "set");
    CHECK(bar["b"].Scalar() == "xsetz");
    auto foo = parse_yaml_config(text, env({{"FOO", "f"}, {"BAR", "set"}}), d);
    CHECK(foo["a"].Scalar() == "f");
    CHECK(d.empty());
}

TEST_CASE("a value is data: it is never read as an expression or another one's placeholder") {
    Diagnostics d("c.yaml");
    // Were values substituted again, A's value (B's placeholder text, or ${B}) would become "bee".
    auto root = parse_yaml_config("a: ${A}${B}\n", env({{"A", "${B}"}, {"B", "bee"}}), d);
    CHECK(d.empty());
    CHECK(root["a"].Scalar() == "${B}bee");
    // "ZZ01" is the placeholder ${B} stands for in this text (the first unused letter pair, then
    // its index): a value spelling it stays itself.
    auto spelled = parse_yaml_config("a: ${A}${B}\n", env({{"A", "ZZ01"}, {"B", "bee"}}), d);
    CHECK(spelled["a"].Scalar() == "ZZ01bee");
}

TEST_CASE("a config holding the letters placeholders begin with still interpolates") {
    Diagnostics d("c.yaml");
    auto root = parse_yaml_config("note: Zq Qz Xj Jx ZQ Kv\nv: ${V:-ok}\n", env({}), d);
    CHECK(d.empty());
    CHECK(root["note"].Scalar() == "Zq Qz Xj Jx ZQ Kv");
    CHECK(root["v"].Scalar() == "ok");
}

TEST_CASE("a bad name inside a default is reported at its expression") {
    Diagnostics d("c.yaml");
    parse_yaml_config("a: 1\nb: ${A:-${9X}}\n", env({}), d);
    auto errors = errors_of(d);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 2);
    CHECK(errors[0].message.find("invalid variable name in '${9X}'") != std::string::npos);
}

// Found by tests/fuzz/config_fuzz: yaml-cpp makes `&x [1, *x]` a cycle, and walking it
// overflowed the stack.
TEST_CASE("an alias inside its own anchor is refused, not walked forever") {
    Diagnostics d("c.yaml");
    parse_yaml_config("a: 1\nd: &x [1, *x]\n", env({}), d);
    auto errors = errors_of(d);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message.find("an alias inside its own anchor") != std::string::npos);
}

// Found by tests/fuzz/config_fuzz: yaml-cpp 0.7's LoadAll loops forever, allocating, on ",".
TEST_CASE("a document that is a bare comma is refused at once, and several documents still are") {
    Diagnostics d("c.yaml");
    parse_yaml_config(",\n", env({}), d);
    CHECK(errors_of(d).size() == 1);
    Diagnostics several("c.yaml");
    parse_yaml_config("a: 1\n---\nb: 2\n", env({}), several);
    auto errors = errors_of(several);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message.find("several YAML documents") != std::string::npos);
}
