#include "core/config/param_values.hpp"

#include "framehost/param_rules.hpp"

#include <doctest/doctest.h>

using namespace framehost;
using namespace framehost::core;

namespace {
Params validate(const std::string& yaml, const std::vector<ParamSpec>& spec, Diagnostics& d) {
    YAML::Node root = YAML::Load(yaml);
    return validate_params(root, root, spec, "plugin 'p'", d);
}
}  // namespace

TEST_CASE("values of every type are converted, and omitted ones take their defaults") {
    std::vector<ParamSpec> spec = {
        param::Bool("b", false, ""),
        param::Int("i", 1, ""),
        param::Double("d", 0.5, ""),
        param::String("s", "x", ""),
        param::Duration("t", std::chrono::milliseconds(100), ""),
        param::List("l", {"a"}, ""),
        param::Int("unset", 42, ""),
    };
    Diagnostics d("f");
    auto p = validate("{b: yes, i: -3, d: 2.5, s: hello, t: 1.5s, l: 'x, y'}", spec, d);
    CHECK(d.empty());
    CHECK(p.boolean("b"));
    CHECK(p.integer("i") == -3);
    CHECK(p.number("d") == 2.5);
    CHECK(p.string("s") == "hello");
    CHECK(p.duration("t") == std::chrono::milliseconds(1500));
    CHECK(p.list("l") == std::vector<std::string>{"x", "y"});
    CHECK(p.integer("unset") == 42);
}

TEST_CASE("a mapping keeps every value as YAML typed it, nested, and refuses a scalar") {
    std::vector<ParamSpec> spec = {param::Mapping("args", "")};
    Diagnostics d("f");
    auto p = validate(
        "{args: {n: 3, x: 0.5, on: true, none: ~, word: hello, quoted: '42', "
        "list: [1, two], nested: {k: v}}}",
        spec, d);
    CHECK(d.empty());
    const auto& args = p.mapping("args");
    CHECK(args["n"] == 3);
    CHECK(args["x"] == 0.5);
    CHECK(args["on"] == true);
    CHECK(args["none"].is_null());
    CHECK(args["word"] == "hello");
    CHECK(args["quoted"] == "42");
    CHECK(args["list"] == nlohmann::json::array({1, "two"}));
    CHECK(args["nested"]["k"] == "v");
    CHECK(validate("{}", spec, d).mapping("args") == nlohmann::json::object());

    Diagnostics refused("f");
    validate("{args: [1, 2]}", spec, refused);
    REQUIRE(refused.count() == 1);
    try {
        refused.throw_if_any();
    } catch (const ConfigErrors& e) {
        CHECK(e.errors()[0].message.find("'args' of plugin 'p': expected a mapping") !=
              std::string::npos);
    }
}

TEST_CASE("durations take units and bare milliseconds") {
    std::int64_t ms = 0;
    CHECK((parse_duration_ms("250ms", ms) && ms == 250));
    CHECK((parse_duration_ms("2s", ms) && ms == 2000));
    CHECK((parse_duration_ms("1m", ms) && ms == 60000));
    CHECK((parse_duration_ms("40", ms) && ms == 40));
    CHECK_FALSE(parse_duration_ms("2 parsecs", ms));
    CHECK_FALSE(parse_duration_ms("-1s", ms));
}

TEST_CASE("a string outside its allowed values suggests the nearest one") {
    std::vector<ParamSpec> spec = {param::String("format", "RGB", "").one_of({"RGB", "BGR"})};
    Diagnostics d("f");
    validate("{format: RBG}", spec, d);
    REQUIRE_THROWS_AS(d.throw_if_any(), ConfigErrors);
    try {
        d.throw_if_any();
    } catch (const ConfigErrors& e) {
        CHECK(e.errors()[0].message.find("did you mean 'RGB'?") != std::string::npos);
    }
}

TEST_CASE("the spec checker finds duplicates, bad defaults and contradictions") {
    std::vector<ParamSpec> spec = {
        param::Int("a", 50, "").range(0, 10),
        param::Int("a", 1, ""),
        param::String("f", "x", "").one_of({"y"}),
        ParamSpec{"both", ParamType::Int, 3, true, {}, {}, {}, "", {}, {}},
        // Unset (no default, not required) is sound: absent unless the config gives it.
        param::Int("unset", 0, "").unset(),
    };
    auto problems = check_param_spec(spec);
    REQUIRE(problems.size() == 4);
    CHECK(problems[0].find("outside its range") != std::string::npos);
    CHECK(problems[1].find("declared twice") != std::string::npos);
    CHECK(problems[2].find("not among its values") != std::string::npos);
    CHECK(problems[3].find("is required and also has a default") != std::string::npos);
}

TEST_CASE("asking Params for an undeclared name or the wrong type is a logic error") {
    Diagnostics d("f");
    auto p = validate("{}", {param::Int("i", 1, "")}, d);
    CHECK_THROWS_AS(p.integer("other"), std::logic_error);
    CHECK_THROWS_AS(p.string("i"), std::logic_error);
}

namespace {
const std::vector<ParamSpec> kCameraSpec = {param::Records(
    "cameras",
    {param::String("id", "", "").mandatory(), param::String("url", "", "").mandatory(),
     param::Int("max_fps", 0, "").range(0, 240), param::Bool("loop", false, "").unset()},
    "")};
}  // namespace

TEST_CASE("records: each item's fields are checked by their own spec, unset fields stay absent") {
    Diagnostics d("f");
    auto p = validate(
        "cameras:\n  - {id: door, url: 'rtsp://a/1', loop: true}\n  - {id: yard, url: x}\n",
        kCameraSpec, d);
    CHECK(d.empty());
    auto cameras = p.records("cameras");
    REQUIRE(cameras.size() == 2);
    CHECK(cameras[0].string("id") == "door");
    CHECK(cameras[0].boolean("loop"));
    CHECK(cameras[0].integer("max_fps") == 0);  // the field's default
    CHECK(cameras[1].string("url") == "x");
    CHECK_FALSE(cameras[1].has("loop"));
    CHECK(check_param_spec(kCameraSpec).empty());
}

TEST_CASE("records: a bad field is reported at its own line and column, naming the item") {
    Diagnostics d("f");
    validate(
        "cameras:\n  - {id: door, url: x}\n  - {id: yard, url: y, max_fps: 999, colour: red}\n  - "
        "nope\n",
        kCameraSpec, d);
    REQUIRE_THROWS_AS(d.throw_if_any(), ConfigErrors);
    try {
        d.throw_if_any();
    } catch (const ConfigErrors& e) {
        REQUIRE(e.errors().size() == 3);
        CHECK(e.errors()[0].line == 3);
        CHECK(e.errors()[0].message.find("item 2 of 'cameras'") != std::string::npos);
        CHECK(e.errors()[0].message.find("'max_fps'") != std::string::npos);
        CHECK(e.errors()[1].message.find("unknown key 'colour'") != std::string::npos);
        CHECK(e.errors()[2].line == 4);
        CHECK(e.errors()[2].message.find("item 3 of 'cameras'") != std::string::npos);
    }
    Diagnostics missing("f");
    validate("cameras: [ {id: a} ]", kCameraSpec, missing);
    REQUIRE_THROWS_AS(missing.throw_if_any(), ConfigErrors);
    auto at_least_one = kCameraSpec;
    at_least_one[0].min = 1;
    Diagnostics empty("f");
    validate("cameras: []", at_least_one, empty);
    REQUIRE_THROWS_AS(empty.throw_if_any(), ConfigErrors);
}

TEST_CASE("records: the harness's rules are the host's") {
    CHECK_FALSE(
        check_param_value(kCameraSpec[0], nlohmann::json::parse(R"([{"id":"a","url":"b"}])")));
    auto problem = check_param_value(
        kCameraSpec[0], nlohmann::json::parse(R"([{"id":"a","url":"b","max_fps":999}])"));
    CHECK(problem.text.find("item 1: 'max_fps' must be between 0 and 240") != std::string::npos);
    CHECK(check_param_value(kCameraSpec[0], nlohmann::json::parse(R"([{"id":"a"}])"))
              .text.find("missing required key 'url'") != std::string::npos);
    auto typed =
        typed_param_value(kCameraSpec[0], nlohmann::json::parse(R"([{"id":"a","url":"b"}])"));
    Params p(nlohmann::json{{"cameras", {{"type", "records"}, {"value", typed}}}});
    CHECK(p.records("cameras")[0].integer("max_fps") == 0);
    CHECK_FALSE(p.records("cameras")[0].has("loop"));
}
