#pragma once
// Parameters bound to members: each parameter is declared once, as a member of a settings struct
// (its type and its default, in the member's initializer) and one line of a ParamTable (its name,
// range and doc). The table gives the descriptor its specs and turns the host's validated values
// into a filled struct, so no code reads a parameter back by a string:
//
//   struct Settings {
//       double min_motion_ratio = 0.002;
//       int history = 200;
//   };
//   static const ParamTable<Settings>& params() {
//       static const ParamTable<Settings> table{
//           param::bind(&Settings::min_motion_ratio, "min_motion_ratio", "Share that moves")
//               .range(0, 1),
//           param::bind(&Settings::history, "history", "Frames remembered").range(1, 100'000),
//       };
//       return table;
//   }
//   descriptor: {..., params().specs(), ...};  constructor: settings_(params().read(p))
//
// A member's C++ type gives the parameter's type: bool; any integer (Int, and a value outside the
// member's range is refused when read); float or double; std::string; std::chrono::milliseconds
// (Duration); std::vector<std::string> (List); std::vector<std::array<double, 2>> (Points,
// written [[x, y], ...]); std::vector<Record> with a table of Record's own (Records,
// param::records). A std::optional<T> member is a parameter with no default: absent
// unless the config gives it (a camera that inherits the source's value, say).
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "framehost/params.hpp"

namespace framehost {

namespace param_detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {
    using value_type = T;
};

template <class T>
constexpr ParamType type_of() {
    if constexpr (std::is_same_v<T, bool>)
        return ParamType::Bool;
    else if constexpr (std::is_integral_v<T>)
        return ParamType::Int;
    else if constexpr (std::is_floating_point_v<T>)
        return ParamType::Double;
    else if constexpr (std::is_same_v<T, std::string>)
        return ParamType::String;
    else if constexpr (std::is_same_v<T, std::chrono::milliseconds>)
        return ParamType::Duration;
    else if constexpr (std::is_same_v<T, std::vector<std::string>>)
        return ParamType::List;
    else if constexpr (std::is_same_v<T, std::vector<std::array<double, 2>>>)
        return ParamType::Points;
    else if constexpr (std::is_same_v<T, nlohmann::json>)
        return ParamType::Mapping;  // initialise the member to nlohmann::json::object()
    else
        static_assert(sizeof(T) == 0, "no parameter type for this member type");
}

// The JSON form of a value in a spec's default_value (params.hpp).
template <class T>
nlohmann::json to_value(const T& value) {
    if constexpr (std::is_same_v<T, std::chrono::milliseconds>)
        return static_cast<std::int64_t>(value.count());
    else
        return value;
}

template <class T>
T from_value(const std::string& name, const nlohmann::json& value) {
    if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
        return std::chrono::milliseconds(value.get<std::int64_t>());
    } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        auto v = value.get<std::int64_t>();
        // Only a negative into an unsigned or an int64 into a narrower type can fail here: the
        // spec's range, checked by the host, should have kept it out.
        if (!std::in_range<T>(v))
            throw std::invalid_argument("parameter '" + name + "': " + std::to_string(v) +
                                        " does not fit its type");
        return static_cast<T>(v);
    } else {
        return value.get<T>();
    }
}
}  // namespace param_detail

// One parameter of `Settings`: its spec, and how its value lands in the member.
template <class Settings>
struct ParamBinding {
    ParamSpec spec;
    std::function<void(Settings&, const nlohmann::json& value)> assign;

    ParamBinding&& range(double lo, double hi) && {
        spec.min = lo;
        spec.max = hi;
        return std::move(*this);
    }
    ParamBinding&& at_least(double lo) && {
        spec.min = lo;
        return std::move(*this);
    }
    ParamBinding&& one_of(std::vector<std::string> values) && {
        spec.allowed = std::move(values);
        return std::move(*this);
    }
    // Another default than the member's initializer: for a table several plugins share, each
    // with a default of its own (how a sink sends pixels, say). The host fills every declared
    // parameter, so the plugin's instance sees this one.
    template <class T>
    ParamBinding&& defaults_to(const T& value) && {
        spec.default_value = param_detail::to_value(value);
        return std::move(*this);
    }
    // What else a value must meet, beyond its type and range: `problem(value)` gets the plain
    // JSON value and answers "" or what is wrong; the host reports it at the value's
    // file:line:column (params.hpp, ParamSpec::check).
    ParamBinding&& check(std::function<std::string(const nlohmann::json&)> problem) && {
        spec.check = std::move(problem);
        return std::move(*this);
    }
    // A password or key: shown as "***" by the host (params.hpp, ParamSpec::secret).
    ParamBinding&& as_secret() && {
        spec.secret = true;
        return std::move(*this);
    }
    // No default: the config must give it. The member's initializer is then never used.
    ParamBinding&& mandatory() && {
        spec.required = true;
        spec.default_value = nullptr;
        return std::move(*this);
    }
};

// Every parameter of `Settings`, in the order `inspect` and the docs show them.
template <class Settings>
class ParamTable {
  public:
    ParamTable(std::initializer_list<ParamBinding<Settings>> bindings) : bindings_(bindings) {
        for (const auto& b : bindings_) specs_.push_back(b.spec);
    }
    // Appends another table's parameters (the host's retry parameters, say) whose settings are
    // a member of these.
    template <class Part>
    ParamTable& include(Part Settings::*member, const ParamTable<Part>& part) {
        for (const auto& b : part.bindings()) {
            bindings_.push_back(
                {b.spec, [member, assign = b.assign](Settings& s, const nlohmann::json& value) {
                     assign(s.*member, value);
                 }});
            specs_.push_back(b.spec);
        }
        return *this;
    }

    const std::vector<ParamSpec>& specs() const { return specs_; }
    const std::vector<ParamBinding<Settings>>& bindings() const { return bindings_; }

    // The settings the values say: {"name": {"type": ..., "value": ...}} as Params holds them,
    // or {"name": value} as a record holds them. A parameter the values lack, or hold as null,
    // keeps the member's initializer (an optional stays empty). [any thread]
    Settings read(const Params& params) const { return read(params.json()); }
    Settings read(const nlohmann::json& values) const {
        Settings settings{};
        for (const auto& b : bindings_) {
            auto it = values.find(b.spec.name);
            if (it == values.end()) continue;
            const nlohmann::json& value =
                it->is_object() && it->contains("value") ? (*it)["value"] : *it;
            if (!value.is_null()) b.assign(settings, value);
        }
        return settings;
    }

  private:
    std::vector<ParamBinding<Settings>> bindings_;
    std::vector<ParamSpec> specs_;
};

namespace param {
// `member`'s parameter, with the member's initializer as its default. Call it qualified
// (param::bind): unqualified, argument-dependent lookup finds std::bind first.
template <class Settings, class T>
ParamBinding<Settings> bind(T Settings::*member, std::string name, std::string doc) {
    using namespace param_detail;
    ParamSpec spec;
    spec.name = name;
    spec.description = std::move(doc);
    std::function<void(Settings&, const nlohmann::json&)> assign;
    if constexpr (is_optional<T>::value) {
        using V = typename is_optional<T>::value_type;
        spec.type = type_of<V>();
        spec.default_value = nullptr;
        assign = [member, name](Settings& s, const nlohmann::json& v) {
            s.*member = from_value<V>(name, v);
        };
    } else {
        spec.type = type_of<T>();
        spec.default_value = to_value(Settings{}.*member);
        assign = [member, name](Settings& s, const nlohmann::json& v) {
            s.*member = from_value<T>(name, v);
        };
    }
    return {std::move(spec), std::move(assign)};
}

// A list of records (small mappings, one per camera say), each read by `fields`; empty by default.
template <class Settings, class Record>
ParamBinding<Settings> records(std::vector<Record> Settings::*member, std::string name,
                               const ParamTable<Record>& fields, std::string doc) {
    ParamSpec spec;
    spec.name = std::move(name);
    spec.type = ParamType::Records;
    spec.default_value = nlohmann::json::array();
    spec.description = std::move(doc);
    spec.fields = fields.specs();
    return {std::move(spec), [member, &fields](Settings& s, const nlohmann::json& v) {
                auto& out = s.*member;
                out.clear();
                for (const auto& record : v) out.push_back(fields.read(record));
            }};
}
}  // namespace param

}  // namespace framehost
