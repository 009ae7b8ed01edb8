#include "dequeue_answer.hpp"

#include <cctype>
#include <regex>
#include <stdexcept>
#include <string_view>

#include <framehost/json_limits.hpp>

namespace framehost::frame_buffer_consumer {

namespace {

std::size_t skip_space(std::string_view text, std::size_t at) {
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
    return at;
}

// The end (one past) of the JSON value starting at `at`, found by brackets and quotes alone,
// so a value the parser refuses still has its extent. npos when the text ends first.
std::size_t value_end(std::string_view text, std::size_t at) {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = at; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"') {
                in_string = false;
                if (depth == 0) return i + 1;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            ++depth;
        } else if (c == ']' || c == '}') {
            if (depth == 0) return i;  // the end of the container around a bare value
            if (--depth == 0) return i + 1;
        } else if (c == ',' && depth == 0) {
            return i;
        }
    }
    return depth == 0 && !in_string ? text.size() : std::string_view::npos;
}

AnswerFrame read_frame(std::string_view text) {
    AnswerFrame frame;
    if (auto problem = json_nesting_problem(text); !problem.empty()) {
        frame.problem = problem;
    } else {
        try {
            frame.json = nlohmann::json::parse(text);
            return frame;
        } catch (const nlohmann::json::exception& e) {
            frame.problem = std::string("not JSON: ") + e.what();
        }
    }
    static const std::regex id(R"re("frame_id"\s*:\s*"([^"\\]{1,200})")re");
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(text.begin(), text.end(), m, id)) frame.frame_id = m[1].str();
    return frame;
}

[[noreturn]] void not_an_answer(const std::string& what) {
    throw std::invalid_argument(what);
}

}  // namespace

DequeueAnswer read_dequeue_answer(const std::string& body) {
    DequeueAnswer answer;
    // The common case: the whole answer parses (the answer and its list are two levels more).
    if (json_nesting(body, kMaxJsonNesting + 2) <= kMaxJsonNesting + 2) {
        auto whole = nlohmann::json::parse(body, nullptr, false);
        if (!whole.is_discarded()) {
            if (!whole.is_object() || !whole.contains("frames") || !whole["frames"].is_array())
                not_an_answer("JSON without a frames list");
            auto remaining = whole.find("remaining");
            if (remaining != whole.end() && remaining->is_number_integer())
                answer.remaining = remaining->get<long long>();
            for (auto& f : whole["frames"]) answer.frames.push_back({std::move(f), {}, {}});
            return answer;
        }
    }
    // Some part is refused: the answer is walked member by member, each frame read alone.
    std::string_view text(body);
    std::size_t at = skip_space(text, 0);
    if (at >= text.size() || text[at] != '{') not_an_answer("something that is not JSON");
    bool had_frames = false;
    at = skip_space(text, at + 1);
    while (at < text.size() && text[at] != '}') {
        auto key_end = value_end(text, at);
        if (text[at] != '"' || key_end == std::string_view::npos)
            not_an_answer("something that is not JSON");
        auto key = text.substr(at + 1, key_end - at - 2);
        at = skip_space(text, key_end);
        if (at >= text.size() || text[at] != ':') not_an_answer("something that is not JSON");
        at = skip_space(text, at + 1);
        if (key == "frames" && at < text.size() && text[at] == '[') {
            had_frames = true;
            at = skip_space(text, at + 1);
            while (at < text.size() && text[at] != ']') {
                auto end = value_end(text, at);
                if (end == std::string_view::npos) not_an_answer("a frames list cut short");
                answer.frames.push_back(read_frame(text.substr(at, end - at)));
                at = skip_space(text, end);
                if (at < text.size() && text[at] == ',') at = skip_space(text, at + 1);
            }
            at = skip_space(text, at + 1);
        } else {
            auto end = value_end(text, at);
            if (end == std::string_view::npos) not_an_answer("something that is not JSON");
            if (key == "remaining") {
                auto value = nlohmann::json::parse(text.substr(at, end - at), nullptr, false);
                if (value.is_number_integer()) answer.remaining = value.get<long long>();
            }
            at = skip_space(text, end);
        }
        if (at < text.size() && text[at] == ',') at = skip_space(text, at + 1);
    }
    if (!had_frames) not_an_answer("JSON without a frames list");
    return answer;
}

}  // namespace framehost::frame_buffer_consumer
