#include "core/config/diagnostics.hpp"

#include <algorithm>
#include <numeric>

namespace framehost::core {

std::string ConfigError::to_string() const {
    if (line <= 0) return origin + ": " + message;
    return origin + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace {
std::string join_errors(const std::vector<ConfigError>& errors) {
    std::string text;
    for (const auto& e : errors) text += e.to_string() + "\n";
    if (!text.empty()) text.pop_back();
    return text;
}
}  // namespace

ConfigErrors::ConfigErrors(std::vector<ConfigError> errors)
    : std::runtime_error(join_errors(errors)), errors_(std::move(errors)) {}

void Diagnostics::mark_override(const YAML::Node& node, std::string description) {
    overrides_.emplace_back(node, std::move(description));
}

void Diagnostics::error(const YAML::Node& node, std::string message) {
    for (const auto& [override_node, description] : overrides_) {
        if (override_node.is(node)) {
            errors_.push_back({description, 0, 0, std::move(message)});
            return;
        }
    }
    error(node.Mark(), std::move(message));
}

void Diagnostics::error(const YAML::Mark& mark, std::string message) {
    if (mark.is_null()) {
        error_without_position(std::move(message));
        return;
    }
    errors_.push_back({file_, mark.line + 1, mark.column + 1, std::move(message)});
}

void Diagnostics::error_without_position(std::string message) {
    errors_.push_back({file_, 0, 0, std::move(message)});
}

void Diagnostics::throw_if_any() const {
    if (errors_.empty()) return;
    auto sorted = errors_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    throw ConfigErrors(std::move(sorted));
}

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), 0);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}
}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& candidate : candidates) {
        std::size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    auto best = closest_match(word, candidates);
    return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

}  // namespace framehost::core
