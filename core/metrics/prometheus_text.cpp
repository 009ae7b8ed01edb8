#include "core/metrics/prometheus_text.hpp"

#include <cmath>
#include <cstdio>

namespace framehost::core {

namespace {

std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char text[32];
    if (v == std::floor(v) && std::fabs(v) < 1e15)
        std::snprintf(text, sizeof text, "%.0f", v);
    else
        std::snprintf(text, sizeof text, "%.9g", v);
    return text;
}

std::string escape_label(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string labels_text(const Labels& labels, const std::string& extra = "") {
    std::string text;
    for (const auto& [k, v] : labels)
        text += (text.empty() ? "" : ",") + k + "=\"" + escape_label(v) + "\"";
    if (!extra.empty()) text += (text.empty() ? "" : ",") + extra;
    return text.empty() ? "" : "{" + text + "}";
}

}  // namespace

void PrometheusText::family(const std::string& name, const char* type, const std::string& help) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

void PrometheusText::sample(const std::string& name, const Labels& labels, double value) {
    out_ << name << labels_text(labels) << " " << number(value) << "\n";
}

void PrometheusText::histogram(const std::string& name, const Labels& labels,
                               const Histogram::Snapshot& h) {
    for (const auto& [le, count] : h.exposition_buckets()) {
        char bound[32];
        std::snprintf(bound, sizeof bound, "%g", le);
        out_ << name << "_bucket" << labels_text(labels, std::string("le=\"") + bound + "\"") << " "
             << count << "\n";
    }
    out_ << name << "_bucket" << labels_text(labels, "le=\"+Inf\"") << " " << h.count << "\n";
    out_ << name << "_sum" << labels_text(labels) << " " << number(h.sum_seconds) << "\n";
    out_ << name << "_count" << labels_text(labels) << " " << h.count << "\n";
}

void PrometheusText::registry(const MetricsRegistry& metrics) {
    for (const auto& f : metrics.families()) {
        const char* type = f.type == MetricType::Counter ? "counter"
                           : f.type == MetricType::Gauge ? "gauge"
                                                         : "histogram";
        family(f.name, type, f.help);
        for (const auto& s : f.series) {
            if (s.counter) sample(f.name, s.labels, s.counter->value());
            if (s.gauge) sample(f.name, s.labels, s.gauge->value());
            if (s.histogram) histogram(f.name, s.labels, s.histogram->snapshot());
        }
    }
}

}  // namespace framehost::core
