#pragma once
// Collects every config problem of a run so they are reported at once, each as
// `file:line:column: message`, sorted by position.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace framehost::core {

struct ConfigError {
    std::string origin;  // the file, or "--set key=value" for a command-line override
    int line = 0;        // 1-based; 0 when the position is unknown
    int column = 0;
    std::string message;

    std::string to_string() const;
};

class ConfigErrors : public std::runtime_error {
  public:
    explicit ConfigErrors(std::vector<ConfigError> errors);
    const std::vector<ConfigError>& errors() const { return errors_; }

  private:
    std::vector<ConfigError> errors_;
};

class Diagnostics {
  public:
    explicit Diagnostics(std::string file) : file_(std::move(file)) {}

    // A node that came from `--set` is reported by its override, not by a file position.
    void mark_override(const YAML::Node& node, std::string description);

    void error(const YAML::Node& node, std::string message);
    void error(const YAML::Mark& mark, std::string message);
    void error_without_position(std::string message);

    bool empty() const { return errors_.empty(); }
    std::size_t count() const { return errors_.size(); }
    const std::string& file() const { return file_; }
    // Throws ConfigErrors with everything collected, sorted; does nothing when empty.
    void throw_if_any() const;

  private:
    std::string file_;
    std::vector<ConfigError> errors_;
    std::vector<std::pair<YAML::Node, std::string>> overrides_;
};

// The closest candidate within a small edit distance, or empty: for "did you mean" hints.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// " (did you mean 'x'?)" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace framehost::core
