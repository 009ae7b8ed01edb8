// Points ([[x, y], ...]) and a parameter's own check: values of the right type and range that are
// still wrong (a polygon that crosses itself, a name given twice) are refused at their position.
#include <doctest/doctest.h>

#include <set>

#include "core/config/param_values.hpp"
#include "framehost/param_rules.hpp"
#include "framehost/param_table.hpp"

using namespace framehost;
using namespace framehost::core;

namespace {
using Points = std::vector<std::array<double, 2>>;

struct Area {
    std::string name;
    Points points;
};
struct Settings {
    Points outline;
    std::vector<Area> areas;
};

std::string at_least_three(const nlohmann::json& points) {
    return points.size() < 3 ? "a polygon needs at least 3 points" : "";
}

const ParamTable<Area>& area_fields() {
    static const ParamTable<Area> table{
        param::bind(&Area::name, "name", "").mandatory(),
        param::bind(&Area::points, "points", "").mandatory().check(at_least_three),
    };
    return table;
}

const ParamTable<Settings>& settings_table() {
    static const ParamTable<Settings> table{
        param::bind(&Settings::outline, "outline", "").range(0, 100),
        param::records(&Settings::areas, "areas", area_fields(), "")
            .check([](const nlohmann::json& areas) -> std::string {
                std::set<std::string> names;
                for (const auto& a : areas)
                    if (!names.insert(a["name"].get<std::string>()).second)
                        return "area '" + a["name"].get<std::string>() + "' is given twice";
                return "";
            }),
    };
    return table;
}

std::vector<ConfigError> errors_of(const std::string& yaml, Params* out = nullptr) {
    Diagnostics d("zones.yaml");
    YAML::Node root = YAML::Load(yaml);
    auto params = validate_params(root, root, settings_table().specs(), "plugin 'zones'", d);
    if (out) *out = params;
    try {
        d.throw_if_any();
    } catch (const ConfigErrors& e) {
        return e.errors();
    }
    return {};
}
}  // namespace

TEST_CASE("points are read as [x, y] numbers into the member, integers or not") {
    Params params;
    auto errors = errors_of(
        "outline: [[0, 0], [10, 0.5], [3, 4]]\n"
        "areas: [{name: door, points: [[0, 0], [1, 0], [1, 1]]}]\n",
        &params);
    REQUIRE(errors.empty());
    auto settings = settings_table().read(params);
    CHECK(settings.outline == Points{{0, 0}, {10, 0.5}, {3, 4}});
    REQUIRE(settings.areas.size() == 1);
    CHECK(settings.areas[0].name == "door");
    CHECK(settings.areas[0].points.size() == 3);
    CHECK(check_param_spec(settings_table().specs()).empty());
}

TEST_CASE("a point that is not two numbers is refused at its own line and column") {
    auto errors = errors_of("outline:\n  - [0, 0]\n  - [1, two]\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 3);
    CHECK(errors[0].column == 5);
    CHECK(errors[0].message.find("expected a point [x, y] of two numbers") != std::string::npos);
    CHECK(errors_of("outline: [[0, 0, 0]]")[0].message.find("[x, y]") != std::string::npos);
    CHECK(errors_of("outline: 3")[0].message.find("a list of [x, y] points") != std::string::npos);
}

TEST_CASE("a parameter's own check refuses a value of the right type at its position") {
    auto errors = errors_of(
        "areas:\n"
        "  - {name: door, points: [[0, 0], [1, 1]]}\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 2);
    CHECK(errors[0].message.find("a polygon needs at least 3 points") != std::string::npos);

    auto twice = errors_of(
        "areas:\n"
        "  - {name: door, points: [[0, 0], [1, 0], [1, 1]]}\n"
        "  - {name: door, points: [[0, 0], [2, 0], [2, 2]]}\n");
    REQUIRE(twice.size() == 1);
    CHECK(twice[0].line == 2);
    CHECK(twice[0].message.find("area 'door' is given twice") != std::string::npos);
}

TEST_CASE("the harness's JSON checks run the same check") {
    auto problem = check_json_params(settings_table().specs(),
                                     {{"areas", {{{"name", "a"}, {"points", {{0, 0}, {1, 1}}}}}}});
    CHECK(problem.text.find("a polygon needs at least 3 points") != std::string::npos);
}
