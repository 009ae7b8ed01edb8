#include "core/config/yaml_document.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

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
// placeholders are replaced by their values in the parsed scalars, in one pass, so that a value
// is never read as another expression's placeholder.
struct Expression {
    std::string placeholder;
    std::string variable;
    std::optional<std::string> fallback;  // raw text: may hold ${...} and $$ itself
    YAML::Mark mark;
    bool valid = true;  // an invalid one was reported already; it evaluates to ""
};

constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::size_t kMaxExpressions = 62 * 62;
// ${A:-${B:-${C:-...}}}: deeper than this is a mistake, not a config.
constexpr int kMaxDefaultDepth = 16;

bool is_name_char(char c, bool first) {
    return c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
           (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Where the '}' closing the expression that starts at text[start] ("${") is, counting the
// expressions nested in its default; npos when the line or the text ends first.
std::size_t closing_brace(std::string_view text, std::size_t start) {
    int depth = 0;
    for (std::size_t i = start; i < text.size(); ++i) {
        if (text[i] == '\n') return std::string_view::npos;
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
            ++i;
        } else if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
            ++depth;
            ++i;
        } else if (text[i] == '}' && --depth == 0) {
            return i;
        }
    }
    return std::string_view::npos;
}

// "NAME" or "NAME:-default" (the inside of ${...}).
std::pair<std::string, std::optional<std::string>> split_expression(std::string_view body) {
    if (auto sep = body.find(":-"); sep != std::string_view::npos)
        return {std::string(body.substr(0, sep)), std::string(body.substr(sep + 2))};
    return {std::string(body), std::nullopt};
}

bool valid_name(const std::string& name) {
    bool valid = !name.empty();
    for (std::size_t k = 0; k < name.size() && valid; ++k) valid = is_name_char(name[k], k == 0);
    return valid;
}

// Two letters that occur nowhere in `text`, to begin placeholders with; empty when every pair
// does (a file made to defeat this, not a config).
std::string unused_pair(const std::string& text) {
    static constexpr char kLetters[] = "ZQXJKVWYzqxjkvwyABCDEFGHILMNOPRSTUabcdefghilmnoprstu";
    std::vector<bool> seen(256 * 256, false);
    for (std::size_t i = 0; i + 1 < text.size(); ++i)
        seen[static_cast<unsigned char>(text[i]) * 256 + static_cast<unsigned char>(text[i + 1])] =
            true;
    for (char a : std::string_view(kLetters))
        for (char b : std::string_view(kLetters))
            if (!seen[static_cast<unsigned char>(a) * 256 + static_cast<unsigned char>(b)])
                return {a, b};
    return {};
}

class Interpolator {
  public:
    Interpolator(const std::string& text, Diagnostics& diagnostics)
        : diagnostics_(diagnostics), prefix_(unused_pair(text)) {}

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
            // One pass, left to right: what a placeholder becomes is never looked at again.
            std::string value;
            std::size_t at = 0;
            while (at < scalar.size()) {
                auto found = scalar.find(prefix_, at);
                auto* expression =
                    found == std::string::npos ? nullptr : placeholder_at(scalar, found);
                if (!expression) {
                    auto upto = found == std::string::npos ? scalar.size() : found + 1;
                    value.append(scalar, at, upto - at);
                    at = upto;
                    continue;
                }
                value.append(scalar, at, found - at);
                value += evaluate(*expression, environment);
                at = found + expression->placeholder.size();
            }
            node = value;
        }
    }

  private:
    const Expression* placeholder_at(const std::string& scalar, std::size_t at) const {
        if (at + 4 > scalar.size()) return nullptr;
        auto digit = [](char c) -> std::size_t {
            const char* p = std::strchr(kDigits, c);
            return p && c ? static_cast<std::size_t>(p - kDigits) : kMaxExpressions;
        };
        std::size_t high = digit(scalar[at + 2]), low = digit(scalar[at + 3]);
        if (high >= 62 || low >= 62) return nullptr;
        std::size_t index = high * 62 + low;
        if (index >= expressions_.size()) return nullptr;
        const auto& expression = expressions_[index];
        return scalar.compare(at, expression.placeholder.size(), expression.placeholder) == 0
                   ? &expression
                   : nullptr;
    }

    // Returns how many characters of `text` from `start` the expression took, 0 if none.
    std::size_t expression_at(const std::string& text, std::size_t start, int line, int column,
                              std::string& out) {
        YAML::Mark mark;
        mark.line = line;
        mark.column = column;
        mark.pos = static_cast<int>(start);
        auto close = closing_brace(text, start);
        if (close == std::string::npos) {
            diagnostics_.error(mark, "unterminated '${' (expected ${NAME} or ${NAME:-default})");
            return 0;
        }
        std::string body = text.substr(start + 2, close - start - 2);
        auto [variable, fallback] = split_expression(body);
        bool valid = valid_name(variable);
        if (!valid) {
            diagnostics_.error(mark, "invalid variable name in '${" + body +
                                         "}' (letters, digits and _, not starting with a digit)");
        }
        std::size_t length = close - start + 1;
        std::size_t index = expressions_.size();
        if (prefix_.empty() || index >= kMaxExpressions) {
            diagnostics_.error(mark, "too many ${...} expressions in one file (at most " +
                                         std::to_string(kMaxExpressions) + ")");
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
        return evaluate(expression.variable, expression.fallback, expression.mark, environment, 0);
    }

    // A set variable's value is data, taken as it is; a default is text, interpolated in turn.
    std::string evaluate(const std::string& variable, const std::optional<std::string>& fallback,
                         const YAML::Mark& mark, const EnvironmentLookup& environment, int depth) {
        if (auto value = environment(variable)) return *value;
        if (fallback) return interpolate_default(*fallback, mark, environment, depth + 1);
        diagnostics_.error(mark, "environment variable " + variable + " is not set and ${" +
                                     variable + "} has no default (write ${" + variable +
                                     ":-value})");
        return {};
    }

    std::string interpolate_default(const std::string& text, const YAML::Mark& mark,
                                    const EnvironmentLookup& environment, int depth) {
        if (depth > kMaxDefaultDepth) {
            diagnostics_.error(mark, "defaults nested deeper than " +
                                         std::to_string(kMaxDefaultDepth) + " levels");
            return {};
        }
        std::string out;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
                out += '$';
                ++i;
            } else if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
                auto close = closing_brace(text, i);  // found: the outer expression balanced
                auto body = std::string_view(text).substr(i + 2, close - i - 2);
                auto [variable, fallback] = split_expression(body);
                if (!valid_name(variable)) {
                    diagnostics_.error(mark, "invalid variable name in '${" + std::string(body) +
                                                 "}' (letters, digits and _, not starting with "
                                                 "a digit)");
                    return {};
                }
                out += evaluate(variable, fallback, mark, environment, depth);
                i = close;
            } else {
                out += text[i];
            }
        }
        return out;
    }

    Diagnostics& diagnostics_;
    std::string prefix_;
    std::vector<Expression> expressions_;
};

// Where each document begins, and nothing else.
struct DocumentStarts final : YAML::EventHandler {
    std::vector<YAML::Mark> marks;
    void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

// YAML aliases share nodes, so 500 bytes (ten references a level, nine levels) stand for a
// billion, and every walk of the document visits them all; an alias inside its own anchor
// (`a: &x [1, *x]`) makes a cycle that no walk ends. Both far beyond any real config.
constexpr std::size_t kMaxConfigNodes = 200'000;
constexpr int kMaxConfigDepth = 1'000;

enum class Size { Fits, TooMany, TooDeep };

// Measures what a walk of `node` visits, stopping once `budget` is spent or `depth` is reached.
Size measure(const YAML::Node& node, std::size_t& budget, int depth) {
    if (budget == 0) return Size::TooMany;
    if (depth > kMaxConfigDepth) return Size::TooDeep;
    --budget;
    auto within = [&](const YAML::Node& child) {
        auto size = measure(child, budget, depth + 1);
        return size == Size::Fits ? std::optional<Size>() : size;
    };
    if (node.IsMap()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (auto over = within(it->first)) return *over;
            if (auto over = within(it->second)) return *over;
        }
    } else if (node.IsSequence()) {
        for (const auto& child : node)
            if (auto over = within(child)) return *over;
    }
    return Size::Fits;
}

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
    // Not YAML::LoadAll: yaml-cpp 0.7's loops forever, allocating, on a document that is a bare
    // "," (yaml-cpp issue 1040, fixed upstream after 0.8). Load reads one document; a parser
    // asked for a second one says whether there is more, and is asked no further.
    YAML::Node root;
    std::optional<YAML::Mark> second_document;
    try {
        root = YAML::Load(expanded);
        std::istringstream input(expanded);
        YAML::Parser parser(input);
        DocumentStarts starts;
        if (parser.HandleNextDocument(starts) && parser.HandleNextDocument(starts) &&
            starts.marks.size() > 1)
            second_document = starts.marks[1];
    } catch (const YAML::ParserException& e) {
        diagnostics.error(e.mark, "invalid YAML: " + e.msg);
        return {};
    }
    if (root.IsNull()) {
        diagnostics.error_without_position("the file is empty");
        return {};
    }
    if (second_document) {
        diagnostics.error(*second_document,
                          "the file holds several YAML documents; a config is one document");
    }
    std::size_t budget = kMaxConfigNodes;
    switch (measure(root, budget, 0)) {
        case Size::Fits:
            break;
        case Size::TooMany:
            diagnostics.error_without_position(
                "the config stands for more than " + std::to_string(kMaxConfigNodes) +
                " values once its aliases (*name) are expanded; a config is far smaller");
            return {};
        case Size::TooDeep:
            diagnostics.error_without_position(
                "the config nests deeper than " + std::to_string(kMaxConfigDepth) +
                " levels once its aliases are expanded (an alias inside its own anchor, like "
                "'&x [1, *x]', never ends)");
            return {};
    }
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
