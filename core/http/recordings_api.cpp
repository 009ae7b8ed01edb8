#include "core/http/recordings_api.hpp"

#include <cmath>

#include "core/http/file_ranges.hpp"
#include "core/http/query_params.hpp"

namespace framehost::core {

namespace {
constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 10'000;

std::string url_of(const std::string& id) {
    std::string url(kRecordingRoute);
    return url.replace(url.find("{id}"), 4, id);
}
}  // namespace

HttpResponse list_recordings(const RecordingList& list, const HttpRequest& request) {
    std::optional<double> from, to, limit;
    if (!read_number(request, "from", from))
        return bad_query("from", "value is not a number (seconds since the Unix epoch)");
    if (!read_number(request, "to", to))
        return bad_query("to", "value is not a number (seconds since the Unix epoch)");
    if (!read_number(request, "limit", limit) ||
        (limit && (*limit < 1 || *limit > kMaxLimit || *limit != std::floor(*limit))))
        return bad_query("limit",
                         "value is not a whole number from 1 to " + std::to_string(kMaxLimit));
    auto to_ms = [](std::optional<double> seconds) -> std::optional<std::int64_t> {
        if (!seconds) return std::nullopt;
        return static_cast<std::int64_t>(std::llround(*seconds * 1000));
    };
    auto found = list.find(query_value(request, "camera"), to_ms(from), to_ms(to),
                           limit ? static_cast<std::size_t>(*limit) : kDefaultLimit);
    nlohmann::json recordings = nlohmann::json::array();
    for (const auto& [id, r] : found)
        recordings.push_back(
            {{"id", id},
             {"camera_id", r.camera},
             {"start_time", static_cast<double>(r.start_ms) / 1000.0},
             {"end_time", static_cast<double>(r.end_ms) / 1000.0},
             {"bytes", r.bytes},
             {"event_id", r.event_id.empty() ? nlohmann::json() : nlohmann::json(r.event_id)},
             {"url", url_of(id)}});
    return json_response(200, {{"recordings", recordings}});
}

HttpResponse recording_file(const RecordingList& list, const std::string& id,
                            const HttpRequest& request) {
    auto recording = list.get(id);
    if (!recording) return error_response(404, "no recording '" + id + "'");
    return file_response(recording->file, "video/mp4", request.header("range"),
                         "recording '" + id + "'");
}

}  // namespace framehost::core
