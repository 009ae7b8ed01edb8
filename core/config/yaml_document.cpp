#include "core/config/yaml_document.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace framehost::core {

EnvironmentLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        if (const char* value = std::getenv(name.c_str())) return std::string(value);
        return std::nullopt;
    };
}

namespace {

// ${...} expressions are swapped for same-length placeholders before parsing, so that they are
// legal anywhere YAML allows a word (flow mappings included) and every column stays true; the
// placeholders are replaced by their values in the parsed scalars.
struct Expression {
    std::string placeholder;
    std::string variable;
    std::optional<std::string> fallback;
    YAML::Mark mark;
    bool valid = true;  // an invalid one was reported already; it evaluates to ""
};

constexpr const char* kPlaceholderPrefixes[] = {"Zq", "Qz", "Xj", "Jx"};
constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

bool is_name_char(char c, bool first) {
    return c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
           (!first && std::isdigit(static_cast<unsigned char>(c)));
}

class Interpolator {
  public:
    Interpolator(const std::string& text, Diagnostics& diagnostics) : diagnostics_(diagnostics) {
        for (const char* candidate : kPlaceholderPrefixes) {
            if (text.find(candidate) == std::string::npos) {
                prefix_ = candidate;
                break;
            }
        }
    }

    std::string replace_expressions(const std::string& text) {
        std::string out;
        out.reserve(text.size());
        int line = 0, column = 0;
        bool in_comment = false;
        char quote = 0;
        for (std::size_t i = 0; i < text.size(); ++i) {
            char c = text[i];
            if (c == '\n') {
                out += c;
                ++line;
                column = 0;
                in_comment = false;
                quote = 0;
                continue;
            }
            if (!in_comment) {
                if (quote == 0 && c == '#' &&
                    (i == 0 || std::isspace(static_cast<unsigned char>(text[i - 1])))) {
                    in_comment = true;
                } else if (quote == 0 && (c == '"' || c == '\'')) {
                    quote = c;
                } else if (quote != 0 && c == quote) {
                    quote = 0;
                } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '$') {
                    out += '$';  // "$$" is a literal dollar
                    ++i;
                    column += 2;
                    continue;
                } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
                    std::size_t consumed = expression_at(text, i, line, column, out);
                    if (consumed > 0) {
                        i += consumed - 1;
                        column += static_cast<int>(consumed);
                        continue;
                    }
                }
            }
            out += c;
            ++column;
        }
        return out;
    }

    void resolve(YAML::Node node, const EnvironmentLookup& environment) {
        if (expressions_.empty()) return;
        if (node.IsMap()) {
            for (auto it = node.begin(); it != node.end(); ++it) resolve(it->second, environment);
        } else if (node.IsSequence()) {
            for (auto child : node) resolve(child, environment);
        } else if (node.IsScalar()) {
            const std::string& scalar = node.Scalar();
            if (scalar.find(prefix_) == std::string::npos) return;
            std::string value = scalar;
            for (const auto& expression : expressions_) {
                auto at = value.find(expression.placeholder);
                while (at != std::string::npos) {
                    auto replacement = evaluate(expression, environment);
                    value.replace(at, expression.placeholder.size(), replacement);
                    at = value.find(expression.placeholder, at + replacement.size());
                }
            }
            node = value;
        }
    }

  private:
    // Returns how many characters of `text` from `start` the expression took, 0 if none.
    std::size_t expression_at(const std::string& text, std::size_t start, int line, int column,
                              std::string& out) {
        YAML::Mark mark;
        mark.line = line;
        mark.column = column;
        mark.pos = static_cast<int>(start);
        auto close = text.find('}', start);
        auto newline = text.find('\n', start);
        if (close == std::string::npos || (newline != std::string::npos && newline < close)) {
            diagnostics_.error(mark, "unterminated '${' (expected ${NAME} or ${NAME:-default})");
            return 0;
        }
        std::string body = text.substr(start + 2, close - start - 2);
        std::string variable = body;
        std::optional<std::string> fallback;
        if (auto sep = body.find(":-"); sep != std::string::npos) {
            variable = body.substr(0, sep);
            fallback = body.substr(sep + 2);
        }
        bool valid = !variable.empty();
        for (std::size_t k = 0; k < variable.size() && valid; ++k)
            valid = is_name_char(variable[k], k == 0);
        if (!valid) {
            diagnostics_.error(mark, "invalid variable name in '${" + body +
                                         "}' (letters, digits and _, not starting with a digit)");
        }
        std::size_t length = close - start + 1;
        std::size_t index = expressions_.size();
        if (prefix_.empty() || index >= 62 * 62) {
            diagnostics_.error(mark, "too many ${...} expressions in one file");
            return 0;
        }
        std::string placeholder = prefix_;
        placeholder += kDigits[index / 62];
        placeholder += kDigits[index % 62];
        placeholder.resize(length, '_');
        out += placeholder;
        expressions_.push_back({placeholder, variable, fallback, mark, valid});
        return length;
    }

    std::string evaluate(const Expression& expression, const EnvironmentLookup& environment) {
        if (!expression.valid) return {};
        if (auto value = environment(expression.variable)) return *value;
        if (expression.fallback) return *expression.fallback;
        diagnostics_.error(expression.mark, "environment variable " + expression.variable +
                                                " is not set and ${" + expression.variable +
                                                "} has no default (write ${" + expression.variable +
                                                ":-value})");
        return {};
    }

    Diagnostics& diagnostics_;
    std::string prefix_;
    std::vector<Expression> expressions_;
};

void reject_duplicate_keys(const YAML::Node& node, Diagnostics& diagnostics) {
    if (node.IsMap()) {
        std::vector<YAML::Node> seen;
        for (auto it = node.begin(); it != node.end(); ++it) {
            YAML::Node key = it->first;  // a copy: the iterator hands out a temporary
            if (key.IsScalar()) {
                for (const auto& earlier : seen) {
                    if (earlier.Scalar() == key.Scalar()) {
                        diagnostics.error(key, "duplicate key '" + key.Scalar() +
                                                   "' (first defined at line " +
                                                   std::to_string(earlier.Mark().line + 1) + ")");
                        break;
                    }
                }
                seen.push_back(key);
            }
            reject_duplicate_keys(it->second, diagnostics);
        }
    } else if (node.IsSequence()) {
        for (const auto& child : node) reject_duplicate_keys(child, diagnostics);
    }
}

}  // namespace

YAML::Node parse_yaml_config(const std::string& text, const EnvironmentLookup& environment,
                             Diagnostics& diagnostics) {
    Interpolator interpolator(text, diagnostics);
    std::string expanded = interpolator.replace_expressions(text);
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(expanded);
    } catch (const YAML::ParserException& e) {
        diagnostics.error(e.mark, "invalid YAML: " + e.msg);
        return {};
    }
    if (documents.empty() || documents.front().IsNull()) {
        diagnostics.error_without_position("the file is empty");
        return {};
    }
    if (documents.size() > 1) {
        diagnostics.error(documents[1].Mark(),
                          "the file holds several YAML documents; a config is one document");
    }
    YAML::Node root = documents.front();
    reject_duplicate_keys(root, diagnostics);
    interpolator.resolve(root, environment);
    return root;
}

namespace {
// Far beyond any real config; keeps a mistaken --config from filling memory.
constexpr std::uintmax_t kMaxConfigBytes = 4u << 20;
}  // namespace

YAML::Node load_yaml_config(const std::filesystem::path& file, const EnvironmentLookup& environment,
                            Diagnostics& diagnostics) {
    // A config is a regular file of reasonable size: /dev/zero, a FIFO or a directory would read
    // forever, block, or fail with a misleading message.
    std::error_code ec;
    auto status = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::exists(status)) {
        diagnostics.error_without_position("cannot read the config file: no such file");
        return {};
    }
    if (std::filesystem::is_directory(status)) {
        diagnostics.error_without_position("the config file is a directory, not a file");
        return {};
    }
    if (!std::filesystem::is_regular_file(status)) {
        diagnostics.error_without_position(
            "the config file is not a regular file (a device, FIFO or socket)");
        return {};
    }
    if (auto size = std::filesystem::file_size(file, ec); !ec && size > kMaxConfigBytes) {
        diagnostics.error_without_position("the config file has " + std::to_string(size) +
                                           " bytes, more than the " +
                                           std::to_string(kMaxConfigBytes) + " a config may have");
        return {};
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        diagnostics.error_without_position("cannot read the config file: " +
                                           std::string(std::strerror(errno)));
        return {};
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_yaml_config(text.str(), environment, diagnostics);
}

}  // namespace framehost::core
