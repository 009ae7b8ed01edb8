#include "core/tracing/trace_context.hpp"

#include <random>

namespace framehost::core {

namespace {
bool is_lower_hex(std::string_view s) {
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}
bool all_zero(std::string_view s) {
    return s.find_first_not_of('0') == std::string_view::npos;
}

std::string random_hex(std::size_t digits) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    do {
        out.clear();
        while (out.size() < digits) {
            auto bits = random();
            for (int i = 0; i < 16 && out.size() < digits; ++i, bits >>= 4) out += kHex[bits & 0xf];
        }
    } while (all_zero(out));
    return out;
}

std::int64_t unix_nanos(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

std::optional<TraceParent> parse_traceparent(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    // version "-" trace-id "-" parent-id "-" flags
    if (text.size() < 55) return std::nullopt;
    auto version = text.substr(0, 2);
    if (!is_lower_hex(version) || version == "ff") return std::nullopt;
    if (version == "00" && text.size() != 55) return std::nullopt;
    if (text.size() > 55 && text[55] != '-') return std::nullopt;
    if (text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
    TraceParent parent{std::string(text.substr(3, 32)), std::string(text.substr(36, 16)),
                       std::string(text.substr(53, 2))};
    if (!is_lower_hex(parent.trace_id) || all_zero(parent.trace_id)) return std::nullopt;
    if (!is_lower_hex(parent.parent_id) || all_zero(parent.parent_id)) return std::nullopt;
    if (!is_lower_hex(parent.flags)) return std::nullopt;
    return parent;
}

std::string new_trace_id() {
    return random_hex(32);
}
std::string new_span_id() {
    return random_hex(16);
}

nlohmann::json Span::to_json() const {
    nlohmann::json j = {
        {"name", name},
        {"trace_id", trace_id},
        {"span_id", span_id},
        {"start_unix_nano", unix_nanos(start)},
        {"duration_ms", std::chrono::duration<double, std::milli>(end - start).count()},
        {"status", ok ? "ok" : "error"},
        {"attributes", attributes}};
    if (!parent_span_id.empty()) j["parent_span_id"] = parent_span_id;
    if (!status_message.empty()) j["status_message"] = status_message;
    return j;
}

}  // namespace framehost::core
