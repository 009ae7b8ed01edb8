#include "core/plugins/descriptor_report.hpp"

#include <sstream>

#include "core/config/param_values.hpp"

namespace framehost::core {

namespace {
std::string number(double v) {
    std::string s = nlohmann::json(v).dump();
    if (s.size() > 2 && s.ends_with(".0")) s.resize(s.size() - 2);
    return s;
}

std::string constraint(const ParamSpec& p) {
    std::string unit = p.type == ParamType::Duration ? "ms" : "";
    std::string what = p.type == ParamType::List || p.type == ParamType::Records ? " items"
                       : p.type == ParamType::Points                             ? " points"
                       : p.type == ParamType::Mapping                            ? " keys"
                                                                                 : "";
    std::string text;
    if (p.min && p.max)
        text = number(*p.min) + unit + ".." + number(*p.max) + unit + what;
    else if (p.min)
        text = ">= " + number(*p.min) + unit + what;
    else if (p.max)
        text = "<= " + number(*p.max) + unit + what;
    if (!p.allowed.empty()) {
        std::string values;
        for (const auto& a : p.allowed) values += (values.empty() ? "" : ", ") + a;
        text += (text.empty() ? "" : ", ") + std::string("one of ") + values;
    }
    return text;
}

// "1.5 ms", "800 µs", "" when the plugin declares no budget.
std::string budget_text(const PluginDescriptor& d) {
    auto us = d.frame_budget.count();
    if (us <= 0) return "";
    if (us >= 1000) return number(static_cast<double>(us) / 1000.0) + " ms";
    return std::to_string(us) + " µs";
}
nlohmann::json params_json(const std::vector<ParamSpec>& specs) {
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : specs) {
        nlohmann::json entry = {{"name", p.name},
                                {"type", to_string(p.type)},
                                {"required", p.required},
                                {"default", p.default_value},
                                {"description", p.description}};
        if (p.min) entry["min"] = *p.min;
        if (p.max) entry["max"] = *p.max;
        if (!p.allowed.empty()) entry["allowed"] = p.allowed;
        if (p.type == ParamType::Records) entry["fields"] = params_json(p.fields);
        params.push_back(std::move(entry));
    }
    return params;
}

// "default 3", "required", or "unset" for a record field without a default.
std::string default_text(const ParamSpec& p) {
    if (p.required) return "required";
    if (p.default_value.is_null()) return "unset";
    if (p.default_value.is_string() && p.default_value.get_ref<const std::string&>().empty())
        return "default \"\"";
    return "default " + format_param_value(p, p.default_value);
}

void params_text(std::ostringstream& out, const std::vector<ParamSpec>& specs,
                 const std::string& indent) {
    for (const auto& p : specs) {
        out << indent << p.name << "  " << to_string(p.type) << "  " << default_text(p);
        if (auto c = constraint(p); !c.empty()) out << "  (" << c << ")";
        out << "\n" << indent << "    " << p.description << "\n";
        if (p.type == ParamType::Records) {
            out << indent << "    each item:\n";
            params_text(out, p.fields, indent + "      ");
        }
    }
}

void params_markdown(std::ostringstream& out, const std::vector<ParamSpec>& specs,
                     const std::string& prefix) {
    for (const auto& p : specs) {
        std::string def = p.required ? "*required*"
                          : p.default_value.is_null()
                              ? "*unset*"
                              : "`" + format_param_value(p, p.default_value) + "`";
        out << "| `" << prefix << p.name << "` | " << to_string(p.type) << " | " << def << " | "
            << constraint(p) << " | " << p.description
            << (p.secret ? " (secret: /plugins shows ***)" : "") << " |\n";
        if (p.type == ParamType::Records) params_markdown(out, p.fields, prefix + p.name + "[].");
    }
}
}  // namespace

nlohmann::json descriptor_json(const PluginDescriptor& d) {
    nlohmann::json params = params_json(d.params);
    return {{"name", d.name},
            {"version", d.version},
            {"kind", to_string(d.kind)},
            {"description", d.description},
            {"frame_budget_us", d.frame_budget.count()},
            {"concurrency", to_string(d.concurrency)},
            {"params", std::move(params)}};
}

std::string descriptor_text(const PluginDescriptor& d) {
    std::ostringstream out;
    out << d.name << " " << d.version << " (" << to_string(d.kind) << ")\n  " << d.description
        << "\n";
    if (auto budget = budget_text(d); !budget.empty()) out << "  Frame budget: " << budget << "\n";
    if (d.kind != PluginKind::Source) out << "  Concurrency: " << to_string(d.concurrency) << "\n";
    if (d.params.empty()) {
        out << "\nNo parameters.\n";
        return out.str();
    }
    out << "\nParameters:\n";
    params_text(out, d.params, "  ");
    return out.str();
}

std::string descriptor_markdown(const PluginDescriptor& d) {
    std::ostringstream out;
    out << "## " << d.name << "\n\n"
        << "*" << to_string(d.kind) << ", version " << d.version << "*. " << d.description
        << "\n\n";
    if (auto budget = budget_text(d); !budget.empty()) out << "Frame budget: " << budget << ".\n\n";
    if (d.kind != PluginKind::Source) out << "Concurrency: " << to_string(d.concurrency) << ".\n\n";
    if (d.params.empty()) {
        out << "No parameters.\n";
        return out.str();
    }
    out << params_markdown_table(d.params, "");
    return out.str();
}

std::string params_markdown_table(const std::vector<ParamSpec>& specs, const std::string& prefix) {
    std::ostringstream out;
    out << "| parameter | type | default | allowed | description |\n"
        << "|---|---|---|---|---|\n";
    params_markdown(out, specs, prefix);
    return out.str();
}

}  // namespace framehost::core
