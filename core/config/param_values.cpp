#include "core/config/param_values.hpp"
#include "core/text/ascii.hpp"

#include "framehost/param_rules.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

namespace framehost::core {

namespace {

std::string trim(const std::string& text) {
    auto begin = text.find_first_not_of(" \t");
    if (begin == std::string::npos) return {};
    auto end = text.find_last_not_of(" \t");
    return text.substr(begin, end - begin + 1);
}

bool parse_bool(const std::string& text, bool& out) {
    auto word = ascii_lowercase(trim(text));
    if (word == "true" || word == "yes" || word == "on" || word == "1") return out = true, true;
    if (word == "false" || word == "no" || word == "off" || word == "0") return out = false, true;
    return false;
}

bool parse_int(const std::string& text, std::int64_t& out) {
    auto word = trim(text);
    const char* begin = word.data();
    if (!word.empty() && word[0] == '+') ++begin;
    auto [end, ec] = std::from_chars(begin, word.data() + word.size(), out);
    return ec == std::errc() && end == word.data() + word.size() && begin != end;
}

bool parse_double(const std::string& text, double& out) {
    auto word = trim(text);
    if (word.empty()) return false;
    char* end = nullptr;
    out = std::strtod(word.c_str(), &end);
    return end == word.c_str() + word.size() && std::isfinite(out);
}

std::string join(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
    return text;
}

// A YAML value as the JSON YAML's own rules make of it: a quoted scalar stays a string; a plain
// one is null, a boolean, an integer or a number when it reads as one.
nlohmann::json plain_value(const YAML::Node& node) {
    if (node.IsMap()) {
        nlohmann::json out = nlohmann::json::object();
        for (auto it = node.begin(); it != node.end(); ++it)
            out[it->first.Scalar()] = plain_value(it->second);
        return out;
    }
    if (node.IsSequence()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : node) out.push_back(plain_value(item));
        return out;
    }
    if (!node.IsScalar()) return nullptr;
    const std::string& text = node.Scalar();
    if (node.Tag() == "!") return text;  // quoted
    if (text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    std::int64_t integer = 0;
    if (parse_int(text, integer)) return integer;
    double number = 0;
    if (parse_double(text, number)) return number;
    return text;
}

// Converts one node; returns null json and reports when it does not fit the spec.
nlohmann::json convert(const YAML::Node& node, const ParamSpec& spec, const std::string& where,
                       Diagnostics& diagnostics) {
    auto fail = [&](const std::string& why) {
        diagnostics.error(node, where + ": " + why);
        return nlohmann::json();
    };
    if (spec.type == ParamType::Records) {
        if (!node.IsSequence()) return fail("expected a list of mappings");
        nlohmann::json records = nlohmann::json::array();
        std::size_t index = 0;
        std::size_t errors_before = diagnostics.count();
        for (const auto& item : node) {
            ++index;
            std::string subject = "item " + std::to_string(index) + " of " + where;
            if (!item.IsMap()) {
                diagnostics.error(item, subject + ": expected a mapping");
                continue;
            }
            records.push_back(
                validate_params(item, item, spec.fields, subject, diagnostics).json());
        }
        if ((spec.min && static_cast<double>(index) < *spec.min) ||
            (spec.max && static_cast<double>(index) > *spec.max))
            return fail("expected a list with a number of items " + describe_range(spec) +
                        ", got " + std::to_string(index));
        // The spec's own check sees the records as plain values, once every field is sound.
        if (spec.check && diagnostics.count() == errors_before) {
            nlohmann::json plain = nlohmann::json::array();
            for (const auto& record : records) {
                nlohmann::json values = nlohmann::json::object();
                for (auto it = record.begin(); it != record.end(); ++it)
                    if (!(*it)["value"].is_null()) values[it.key()] = (*it)["value"];
                plain.push_back(std::move(values));
            }
            if (auto problem = check_param_value(spec, plain)) return fail(problem.text);
        }
        return records;
    }
    if (spec.type == ParamType::Mapping) {
        if (!node.IsMap()) return fail("expected a mapping");
        auto value = plain_value(node);
        if (auto problem = check_param_value(spec, value)) return fail(problem.text);
        return value;
    }
    if (spec.type == ParamType::Points) {
        // [[x, y], ...]: each point a list of two numbers; a lone [x, y] is one point.
        if (!node.IsSequence()) return fail("expected a list of [x, y] points");
        nlohmann::json points = nlohmann::json::array();
        std::vector<YAML::Node> list;
        if (node.size() == 2 && node[0].IsScalar() && node[1].IsScalar())
            list.push_back(node);
        else
            for (const auto& point : node) list.push_back(point);
        for (const auto& point : list) {
            double x = 0, y = 0;
            if (!point.IsSequence() || point.size() != 2 || !point[0].IsScalar() ||
                !point[1].IsScalar() || !parse_double(point[0].Scalar(), x) ||
                !parse_double(point[1].Scalar(), y)) {
                diagnostics.error(point, where + ": expected a point [x, y] of two numbers");
                return nlohmann::json();
            }
            points.push_back({x, y});
        }
        if (auto problem = check_param_value(spec, points)) return fail(problem.text);
        return points;
    }
    if (spec.type == ParamType::List) {
        std::vector<std::string> items;
        if (node.IsSequence()) {
            for (const auto& item : node) {
                if (!item.IsScalar()) return fail("expected a list of strings");
                items.push_back(item.Scalar());
            }
        } else if (node.IsScalar()) {
            // A comma-separated string, so a list can come from one environment variable.
            std::string text = node.Scalar();
            std::size_t start = 0;
            while (start <= text.size()) {
                auto comma = text.find(',', start);
                auto item = trim(text.substr(
                    start, comma == std::string::npos ? std::string::npos : comma - start));
                if (!item.empty()) items.push_back(item);
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
        } else {
            return fail("expected a list of strings");
        }
        nlohmann::json list = items;
        if (auto problem = check_param_value(spec, list))
            return fail(problem.text + did_you_mean(problem.not_allowed, spec.allowed));
        return items;
    }
    if (!node.IsScalar()) return fail(std::string("expected a ") + to_string(spec.type));
    const std::string& text = node.Scalar();
    nlohmann::json value;
    switch (spec.type) {
        case ParamType::Bool: {
            bool b = false;
            if (!parse_bool(text, b)) return fail("expected true or false, got '" + text + "'");
            value = b;
            break;
        }
        case ParamType::Int: {
            std::int64_t n = 0;
            if (!parse_int(text, n)) return fail("expected an integer, got '" + text + "'");
            value = n;
            break;
        }
        case ParamType::Double: {
            double d = 0;
            if (!parse_double(text, d)) return fail("expected a number, got '" + text + "'");
            value = d;
            break;
        }
        case ParamType::Duration: {
            std::int64_t ms = 0;
            if (!parse_duration_ms(text, ms))
                return fail(
                    "expected a duration such as 250ms, 2s, 1m (a bare number is "
                    "milliseconds), got '" +
                    text + "'");
            value = ms;
            break;
        }
        case ParamType::String:
            value = text;
            break;
        case ParamType::List:
        case ParamType::Records:
        case ParamType::Points:
        case ParamType::Mapping:
            return fail("unsupported type");
    }
    // The range and allowed values are the SDK's rules, the harness's too.
    if (auto problem = check_param_value(spec, value, text))
        return fail(problem.text + did_you_mean(problem.not_allowed, spec.allowed));
    return value;
}

nlohmann::json typed_entry(const ParamSpec& spec, nlohmann::json value) {
    return {{"type", to_string(spec.type)}, {"value", std::move(value)}};
}

}  // namespace

bool parse_duration_ms(const std::string& raw, std::int64_t& milliseconds) {
    auto text = trim(raw);
    std::size_t unit_at = text.find_first_not_of("0123456789.+");
    std::string number = text.substr(0, unit_at);
    std::string unit = unit_at == std::string::npos ? "" : trim(text.substr(unit_at));
    double value = 0;
    if (!parse_double(number, value) || value < 0) return false;
    double scale = 0;
    if (unit.empty() || unit == "ms")
        scale = 1;
    else if (unit == "us")
        scale = 0.001;
    else if (unit == "s")
        scale = 1000;
    else if (unit == "m" || unit == "min")
        scale = 60'000;
    else if (unit == "h")
        scale = 3'600'000;
    else if (unit == "d")
        scale = 86'400'000;
    else
        return false;
    milliseconds = static_cast<std::int64_t>(std::llround(value * scale));
    return true;
}

Params validate_params(const YAML::Node& values, const YAML::Node& owner,
                       const std::vector<ParamSpec>& spec, const std::string& subject,
                       Diagnostics& diagnostics) {
    nlohmann::json result = nlohmann::json::object();
    std::vector<std::string> names;
    for (const auto& p : spec) names.push_back(p.name);

    std::set<std::string> given;
    bool is_map = values.IsDefined() && values.IsMap();
    if (values.IsDefined() && !values.IsNull() && !is_map) {
        diagnostics.error(values, subject + ": expected a mapping of parameter names to values");
    }
    if (is_map) {
        for (auto it = values.begin(); it != values.end(); ++it) {
            const std::string key = it->first.Scalar();
            auto found = std::find_if(spec.begin(), spec.end(),
                                      [&](const ParamSpec& p) { return p.name == key; });
            if (found == spec.end()) {
                std::string known = names.empty() ? "it takes none" : "known: " + join(names);
                diagnostics.error(it->first, "unknown key '" + key + "' for " + subject +
                                                 did_you_mean(key, names) + "; " + known);
                continue;
            }
            if (!given.insert(key).second) continue;  // duplicate: reported by the loader
            auto value = convert(it->second, *found, "'" + key + "' of " + subject, diagnostics);
            if (!value.is_null()) result[key] = typed_entry(*found, std::move(value));
        }
    }
    for (const auto& p : spec) {
        if (given.count(p.name)) continue;
        if (p.required) {
            diagnostics.error(
                owner, subject + ": missing required key '" + p.name + "' (" + p.description + ")");
        }
        result[p.name] = typed_entry(p, p.default_value);
    }
    return Params(std::move(result));
}

Params default_params(const std::vector<ParamSpec>& spec) {
    nlohmann::json result = nlohmann::json::object();
    for (const auto& p : spec) result[p.name] = typed_entry(p, p.default_value);
    return Params(std::move(result));
}

std::vector<std::string> check_param_spec(const std::vector<ParamSpec>& spec) {
    std::vector<std::string> problems;
    std::set<std::string> names;
    for (const auto& p : spec) {
        std::string who = "parameter '" + p.name + "'";
        if (p.name.empty()) problems.push_back("a parameter has an empty name");
        if (!names.insert(p.name).second) problems.push_back(who + " is declared twice");
        if (p.min && p.max && *p.min > *p.max)
            problems.push_back(who + " has min greater than max");
        if (p.required && !p.default_value.is_null())
            problems.push_back(who + " is required and also has a default");
        const auto& d = p.default_value;
        if (p.type == ParamType::Records) {
            if (p.fields.empty()) problems.push_back(who + " is records without fields");
            for (const auto& problem : check_param_spec(p.fields))
                problems.push_back(who + ", field " + problem);
        } else if (!p.fields.empty()) {
            problems.push_back(who + " has fields but is not records");
        }
        // No default and not required: unset(), absent unless the config gives it (a record's
        // field inheriting the plugin-wide value, a part of a preset the config may replace).
        if (d.is_null()) continue;
        bool type_ok = false;
        switch (p.type) {
            case ParamType::Bool:
                type_ok = d.is_boolean();
                break;
            case ParamType::Int:
            case ParamType::Duration:
                type_ok = d.is_number_integer();
                break;
            case ParamType::Double:
                type_ok = d.is_number();
                break;
            case ParamType::String:
                type_ok = d.is_string();
                break;
            case ParamType::List:
                type_ok = d.is_array() && std::all_of(d.begin(), d.end(),
                                                      [](const auto& i) { return i.is_string(); });
                break;
            case ParamType::Records:
            case ParamType::Points:
                type_ok = d.is_array();
                break;
            case ParamType::Mapping:
                type_ok = d.is_object();
                break;
        }
        if (!type_ok) {
            problems.push_back(who + " has a default that is not a " + to_string(p.type));
            continue;
        }
        // The same rules as every value given in a config.
        if (auto problem = check_param_form(p, d, d.dump()))
            problems.push_back(
                problem.not_allowed.empty()
                    ? who + " has a default outside its range (" + describe_range(p) + ")"
                    : who + " has a default '" + problem.not_allowed + "' not among its values");
        else if (auto checked = check_param_value(p, d))
            problems.push_back(who + " has a default its own check refuses: " + checked.text);
    }
    return problems;
}

std::string format_param_value(const ParamSpec& spec, const nlohmann::json& value) {
    if (value.is_null()) return "";
    if (spec.type == ParamType::Duration) return std::to_string(value.get<std::int64_t>()) + "ms";
    if (spec.type == ParamType::String) return value.get<std::string>();
    if (spec.type == ParamType::List)
        return "[" + join(value.get<std::vector<std::string>>()) + "]";
    if (spec.type == ParamType::Records) return value.empty() ? "[]" : value.dump();
    return value.dump();
}

}  // namespace framehost::core
