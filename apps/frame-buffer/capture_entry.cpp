#include "apps/frame-buffer/capture_entry.hpp"

#include <charconv>
#include <optional>

namespace framehost::frame_buffer {

namespace {

std::optional<long long> integer(const std::string& text) {
    long long v = 0;
    auto begin = text.data(), end = text.data() + text.size();
    while (begin < end && *begin == ' ') ++begin;
    auto [at, ec] = std::from_chars(begin, end, v);
    if (ec != std::errc() || at != end) return std::nullopt;
    return v;
}

}  // namespace

nlohmann::json capture_entry_to_frame(const EntryFields& fields) {
    nlohmann::json raw = nlohmann::json::object();
    for (const auto& [key, value] : fields) raw[key] = value;
    auto text = [&](const char* key) -> const std::string* {
        auto it = raw.find(key);
        return it == raw.end() ? nullptr : &it->get_ref<const std::string&>();
    };
    nlohmann::json width = 0, height = 0;
    if (const auto* resolution = text("resolution")) {
        auto list = nlohmann::json::parse(*resolution, nullptr, false);
        if (list.is_array() && list.size() == 2 && list[0].is_number_integer() &&
            list[1].is_number_integer()) {
            width = list[0];
            height = list[1];
        }
    }
    for (auto [key, out] : {std::pair{"width", &width}, std::pair{"height", &height}}) {
        if (const auto* v = text(key)) {
            auto n = integer(*v);
            *out = n ? nlohmann::json(*n) : nlohmann::json(*v);
        }
    }
    nlohmann::json frame = {
        {"frame_id", text("frame_id") ? nlohmann::json(*text("frame_id")) : nlohmann::json()},
        {"camera_id", text("camera_id") ? nlohmann::json(*text("camera_id")) : nlohmann::json()},
        {"timestamp", text("timestamp") ? nlohmann::json(*text("timestamp")) : nlohmann::json()},
        {"width", width},
        {"height", height},
        {"format", text("format") ? *text("format") : std::string("bgr24")},
        {"size_bytes", 0},
    };
    if (const auto* size = text("size_bytes")) {
        auto n = integer(*size);
        frame["size_bytes"] = n ? nlohmann::json(*n) : nlohmann::json(*size);
    }
    for (auto it = raw.begin(); it != raw.end(); ++it)
        if (!frame.contains(it.key()) && it.key().rfind('_', 0) != 0) frame[it.key()] = it.value();
    return frame;
}

}  // namespace framehost::frame_buffer
