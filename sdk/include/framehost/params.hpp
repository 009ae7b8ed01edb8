#pragma once
// A plugin's parameters: one typed spec per parameter, declared once in the plugin's descriptor.
// The host reads that spec to validate a config (with file:line:column), to fill defaults, to
// print `framehost inspect`, and to generate docs/plugins.md. A plugin never parses its own config.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace framehost {

enum class ParamType { Bool, Int, Double, String, Duration, List, Records, Points, Mapping };

inline const char* to_string(ParamType type) {
    switch (type) {
        case ParamType::Bool:
            return "bool";
        case ParamType::Int:
            return "int";
        case ParamType::Double:
            return "double";
        case ParamType::String:
            return "string";
        case ParamType::Duration:
            return "duration";
        case ParamType::List:
            return "list";
        case ParamType::Records:
            return "records";
        case ParamType::Points:
            return "points";
        case ParamType::Mapping:
            return "mapping";
    }
    return "?";
}

// One parameter. Values in `default_value` use the JSON form of their type: bool, integer,
// number, string, integer milliseconds for a duration, array of strings for a list, array of
// objects for records, array of [x, y] number pairs for points, an object of any values (numbers,
// strings, booleans, null, lists and mappings of them, as YAML typed them) for a mapping.
// `min`/`max` bound numbers and durations (milliseconds) and, for lists, records, points and
// mappings, the number of items. `allowed` restricts a string, or each item of a list, to those
// values. Records are a list of small mappings
// ({id: door, url: rtsp://...}) whose keys are `fields`, each checked by its own spec. A parameter
// or field may be left `unset()` (no default, not required: absent unless the config gives it,
// Params::has(); e.g. a field inheriting the plugin-wide value, or a part of a preset the config
// may replace). A std::optional member bound by ParamTable is unset. `check`, when set, says what
// else is wrong with a value that has the right type and range (a polygon that crosses itself, a
// name given twice): the host reports it at the value's file:line:column.
struct ParamSpec {
    std::string name;
    ParamType type = ParamType::String;
    nlohmann::json default_value;  // null: no default
    bool required = false;
    std::optional<double> min;
    std::optional<double> max;
    std::vector<std::string> allowed;
    std::string description;
    std::vector<ParamSpec> fields;  // records only
    // [main thread, while a config is validated] Gets the value in its plain JSON form (records:
    // an array of objects of plain values); answers "" when it is fine, else what is wrong.
    std::function<std::string(const nlohmann::json& value)> check;
    // A password or key: the host shows its value as "***" (GET /plugins) and never logs it.
    bool secret = false;

    ParamSpec&& range(double lo, double hi) && {
        min = lo;
        max = hi;
        return std::move(*this);
    }
    ParamSpec&& at_least(double lo) && {
        min = lo;
        return std::move(*this);
    }
    ParamSpec&& one_of(std::vector<std::string> values) && {
        allowed = std::move(values);
        return std::move(*this);
    }
    ParamSpec&& mandatory() && {
        required = true;
        default_value = nullptr;
        return std::move(*this);
    }
    ParamSpec&& as_secret() && {
        secret = true;
        return std::move(*this);
    }
    // No default: absent unless the config gives it (Params::has()).
    ParamSpec&& unset() && {
        required = false;
        default_value = nullptr;
        return std::move(*this);
    }
};

// Builders that read like the table they make:
//   param::Double("detection_threshold", 0.5, "Minimum confidence kept").range(0, 1)
namespace param {
inline ParamSpec Bool(std::string name, bool def, std::string doc) {
    return {std::move(name), ParamType::Bool, def, false, {}, {}, {}, std::move(doc), {}, {}};
}
inline ParamSpec Int(std::string name, std::int64_t def, std::string doc) {
    return {std::move(name), ParamType::Int, def, false, {}, {}, {}, std::move(doc), {}, {}};
}
inline ParamSpec Double(std::string name, double def, std::string doc) {
    return {std::move(name), ParamType::Double, def, false, {}, {}, {}, std::move(doc), {}, {}};
}
inline ParamSpec String(std::string name, std::string def, std::string doc) {
    return {std::move(name),
            ParamType::String,
            std::move(def),
            false,
            {},
            {},
            {},
            std::move(doc),
            {},
            {}};
}
inline ParamSpec Duration(std::string name, std::chrono::milliseconds def, std::string doc) {
    return {std::move(name),
            ParamType::Duration,
            static_cast<std::int64_t>(def.count()),
            false,
            {},
            {},
            {},
            std::move(doc),
            {},
            {}};
}
inline ParamSpec List(std::string name, std::vector<std::string> def, std::string doc) {
    return {std::move(name), ParamType::List, def, false, {}, {}, {}, std::move(doc), {}, {}};
}
// A list of records, empty by default, each with these fields.
inline ParamSpec Records(std::string name, std::vector<ParamSpec> fields, std::string doc) {
    return {std::move(name),
            ParamType::Records,
            nlohmann::json::array(),
            false,
            {},
            {},
            {},
            std::move(doc),
            std::move(fields),
            {}};
}
// A free-form mapping, empty by default, handed on as it is (a Python class's keyword arguments).
inline ParamSpec Mapping(std::string name, std::string doc) {
    return {std::move(name),
            ParamType::Mapping,
            nlohmann::json::object(),
            false,
            {},
            {},
            {},
            std::move(doc),
            {},
            {}};
}
}  // namespace param

// The validated values handed to a plugin's factory: every declared parameter is present (from
// the config or its default), with the declared type, inside its range. Asking for a name the
// spec does not declare, or with the wrong type, is a programming error and throws logic_error.
class Params {
  public:
    Params() = default;
    explicit Params(nlohmann::json values) : values_(std::move(values)) {}

    bool boolean(const std::string& name) const { return at(name, ParamType::Bool).get<bool>(); }
    std::int64_t integer(const std::string& name) const {
        return at(name, ParamType::Int).get<std::int64_t>();
    }
    double number(const std::string& name) const {
        return at(name, ParamType::Double).get<double>();
    }
    const std::string& string(const std::string& name) const {
        return at(name, ParamType::String).get_ref<const std::string&>();
    }
    std::chrono::milliseconds duration(const std::string& name) const {
        return std::chrono::milliseconds(at(name, ParamType::Duration).get<std::int64_t>());
    }
    std::vector<std::string> list(const std::string& name) const {
        return at(name, ParamType::List).get<std::vector<std::string>>();
    }
    std::vector<std::array<double, 2>> points(const std::string& name) const {
        return at(name, ParamType::Points).get<std::vector<std::array<double, 2>>>();
    }
    // Each record's fields, read like any parameters (an unset field: has() is false).
    std::vector<Params> records(const std::string& name) const {
        std::vector<Params> out;
        for (const auto& record : at(name, ParamType::Records)) out.emplace_back(record);
        return out;
    }
    // A mapping's keys and values as the config gave them.
    const nlohmann::json& mapping(const std::string& name) const {
        return at(name, ParamType::Mapping);
    }
    bool has(const std::string& name) const {
        return values_.contains(name) && !values_[name]["value"].is_null();
    }

    // {"name": {"type": "int", "value": 3}, ...}: the form the host builds and /plugins shows.
    const nlohmann::json& json() const { return values_; }

  private:
    const nlohmann::json& at(const std::string& name, ParamType type) const {
        auto it = values_.find(name);
        if (it == values_.end()) throw std::logic_error("parameter '" + name + "' is not declared");
        if ((*it)["type"].get<std::string>() != to_string(type))
            throw std::logic_error("parameter '" + name + "' is a " +
                                   (*it)["type"].get<std::string>() + ", not a " + to_string(type));
        const auto& value = (*it)["value"];
        if (value.is_null()) throw std::logic_error("parameter '" + name + "' has no value");
        return value;
    }
    nlohmann::json values_ = nlohmann::json::object();
};

}  // namespace framehost
