#pragma once
// The rules a parameter value must meet to be given to a plugin: its declared type, range and
// allowed values. One function, used by the host when it validates a config (after reading the
// value from YAML, with file:line:column) and by the test harness (framehost/testing.hpp), so a
// value the harness accepts is one the host accepts.
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "framehost/params.hpp"

namespace framehost {

// "between 0 and 1", "at least 1", "at most 10", or "" when unbounded.
inline std::string describe_range(const ParamSpec& spec) {
    auto num = [](double v) {
        std::string s = nlohmann::json(v).dump();
        if (s.size() > 2 && s.ends_with(".0")) s.resize(s.size() - 2);
        return s;
    };
    if (spec.min && spec.max) return "between " + num(*spec.min) + " and " + num(*spec.max);
    if (spec.min) return "at least " + num(*spec.min);
    if (spec.max) return "at most " + num(*spec.max);
    return {};
}

struct ParamProblem {
    std::string text;         // what is wrong; empty when the value is fine
    std::string not_allowed;  // the value (or list item) outside `allowed`, for "did you mean"
    explicit operator bool() const { return !text.empty(); }
};

inline ParamProblem check_param_value(const ParamSpec& spec, const nlohmann::json& value,
                                      std::string shown = "");

// The type, range and allowed values of a value, not the spec's own check.
inline ParamProblem check_param_form(const ParamSpec& spec, const nlohmann::json& value,
                                     std::string shown) {
    auto outside = [&](double v) {
        return (spec.min && v < *spec.min) || (spec.max && v > *spec.max);
    };
    auto allowed = [&](const std::string& v) {
        for (const auto& a : spec.allowed)
            if (a == v) return true;
        return spec.allowed.empty();
    };
    auto list_of_allowed = [&] {
        std::string text;
        for (const auto& a : spec.allowed) text += (text.empty() ? "" : ", ") + a;
        return text;
    };
    switch (spec.type) {
        case ParamType::Bool:
            if (!value.is_boolean()) return {"expected true or false, got " + shown, ""};
            return {};
        case ParamType::Int:
        case ParamType::Duration:
            if (!value.is_number_integer())
                return {spec.type == ParamType::Int
                            ? "expected an integer, got " + shown
                            : "expected a duration in milliseconds, got " + shown,
                        ""};
            if (outside(value.get<double>()))
                return {"must be " + describe_range(spec) +
                            (spec.type == ParamType::Duration ? " milliseconds" : "") + ", got " +
                            shown,
                        ""};
            return {};
        case ParamType::Double:
            if (!value.is_number() || !std::isfinite(value.get<double>()))
                return {"expected a number, got " + shown, ""};
            if (outside(value.get<double>()))
                return {"must be " + describe_range(spec) + ", got " + shown, ""};
            return {};
        case ParamType::String:
            if (!value.is_string()) return {"expected a string, got " + shown, ""};
            if (!allowed(value.get<std::string>()))
                return {"'" + value.get<std::string>() + "' is not one of " + list_of_allowed(),
                        value.get<std::string>()};
            return {};
        case ParamType::List: {
            if (!value.is_array()) return {"expected a list of strings, got " + shown, ""};
            for (const auto& item : value)
                if (!item.is_string()) return {"expected a list of strings, got " + shown, ""};
            if (outside(static_cast<double>(value.size())))
                return {"expected a list with a number of items " + describe_range(spec) +
                            ", got " + std::to_string(value.size()),
                        ""};
            for (const auto& item : value)
                if (!allowed(item.get<std::string>()))
                    return {"'" + item.get<std::string>() + "' is not one of " + list_of_allowed(),
                            item.get<std::string>()};
            return {};
        }
        case ParamType::Points: {
            const std::string expected = "expected a list of [x, y] points, got " + shown;
            if (!value.is_array()) return {expected, ""};
            if (value.size() == 2 && value[0].is_number() && value[1].is_number())
                return check_param_form(spec, nlohmann::json::array({value}), shown);  // one
            for (const auto& point : value)
                if (!point.is_array() || point.size() != 2 || !point[0].is_number() ||
                    !point[1].is_number() || !std::isfinite(point[0].get<double>()) ||
                    !std::isfinite(point[1].get<double>()))
                    return {expected, ""};
            if (outside(static_cast<double>(value.size())))
                return {"expected a number of points " + describe_range(spec) + ", got " +
                            std::to_string(value.size()),
                        ""};
            return {};
        }
        case ParamType::Mapping:
            if (!value.is_object()) return {"expected a mapping, got " + shown, ""};
            if (outside(static_cast<double>(value.size())))
                return {"expected a mapping with a number of keys " + describe_range(spec) +
                            ", got " + std::to_string(value.size()),
                        ""};
            return {};
        case ParamType::Records: {
            if (!value.is_array()) return {"expected a list of mappings, got " + shown, ""};
            if (outside(static_cast<double>(value.size())))
                return {"expected a list with a number of items " + describe_range(spec) +
                            ", got " + std::to_string(value.size()),
                        ""};
            for (std::size_t i = 0; i < value.size(); ++i) {
                const auto& record = value[i];
                std::string where = "item " + std::to_string(i + 1) + ": ";
                if (!record.is_object()) return {where + "expected a mapping", ""};
                for (auto it = record.begin(); it != record.end(); ++it) {
                    bool known = false;
                    for (const auto& f : spec.fields) known = known || f.name == it.key();
                    if (!known) return {where + "unknown key '" + it.key() + "'", ""};
                }
                for (const auto& field : spec.fields) {
                    auto it = record.find(field.name);
                    if (it == record.end() || it->is_null()) {
                        if (field.required)
                            return {where + "missing required key '" + field.name + "'", ""};
                        continue;
                    }
                    nlohmann::json v = *it;
                    if (field.type == ParamType::Double && v.is_number()) v = v.get<double>();
                    if (auto problem = check_param_value(field, v))
                        return {where + "'" + field.name + "' " + problem.text,
                                problem.not_allowed};
                }
            }
            return {};
        }
    }
    return {"unsupported type", ""};
}

// Checks a value in its plain JSON form (bool, integer, number, string, integer milliseconds
// for a duration, array of strings for a list, array of objects of plain values for records,
// array of [x, y] for points): its type, range and allowed values, then the spec's own check.
// `shown` is how to quote the value in the message (the text as written); its JSON when empty.
inline ParamProblem check_param_value(const ParamSpec& spec, const nlohmann::json& value,
                                      std::string shown) {
    if (shown.empty()) shown = value.dump();
    if (auto problem = check_param_form(spec, value, shown)) return problem;
    if (spec.check) {
        std::string problem;
        try {
            problem = spec.check(value);
        } catch (const std::exception& e) {
            problem = e.what();
        }
        if (!problem.empty()) return {problem, ""};
    }
    return {};
}

// What is wrong with plain JSON values for a spec (an HTTP body, the harness's values): a name
// the spec does not have, a required one missing, a value of the wrong type or out of range.
// `field` names the parameter; both empty when the values are fine.
struct ParamsProblem {
    std::string field;
    std::string text;
    explicit operator bool() const { return !text.empty(); }
};
inline ParamsProblem check_json_params(const std::vector<ParamSpec>& specs,
                                       const nlohmann::json& values) {
    if (!values.is_object()) return {"", "expected an object of parameters"};
    for (auto it = values.begin(); it != values.end(); ++it) {
        bool known = false;
        for (const auto& p : specs) known = known || p.name == it.key();
        if (!known) return {it.key(), "no parameter '" + it.key() + "'"};
    }
    for (const auto& p : specs) {
        auto it = values.find(p.name);
        if (it == values.end() || it->is_null()) {
            if (p.required) return {p.name, "'" + p.name + "' is required"};
            continue;
        }
        nlohmann::json value = *it;
        if (p.type == ParamType::Double && value.is_number()) value = value.get<double>();
        if (auto problem = check_param_value(p, value))
            return {p.name, "'" + p.name + "' " + problem.text};
    }
    return {};
}

// The typed form Params reads ({"name": {"type": "int", "value": 3}, ...}) of plain values
// already checked by check_param_value, with the defaults filled in; records recursively.
inline nlohmann::json typed_param_value(const ParamSpec& spec, nlohmann::json value);

inline nlohmann::json typed_params(const std::vector<ParamSpec>& specs,
                                   const nlohmann::json& values) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& p : specs) {
        auto it = values.find(p.name);
        nlohmann::json value = it != values.end() ? *it : p.default_value;
        out[p.name] = {{"type", to_string(p.type)}, {"value", typed_param_value(p, value)}};
    }
    return out;
}

inline nlohmann::json typed_param_value(const ParamSpec& spec, nlohmann::json value) {
    if (spec.type == ParamType::Double && value.is_number()) return value.get<double>();
    if (spec.type == ParamType::Points && value.is_array()) {
        if (value.size() == 2 && value[0].is_number()) value = nlohmann::json::array({value});
        nlohmann::json points = nlohmann::json::array();
        for (const auto& p : value) points.push_back({p[0].get<double>(), p[1].get<double>()});
        return points;
    }
    if (spec.type != ParamType::Records || !value.is_array()) return value;
    nlohmann::json records = nlohmann::json::array();
    for (const auto& record : value) records.push_back(typed_params(spec.fields, record));
    return records;
}

}  // namespace framehost
