#include "core/http/events_api.hpp"

#include "core/http/file_ranges.hpp"
#include "core/http/query_params.hpp"

#include <cmath>

namespace framehost::core {

namespace {

constexpr std::size_t kDefaultLimit = 50;
constexpr std::size_t kMaxLimit = 1000;
constexpr auto kStreamInterval = std::chrono::milliseconds(100);
constexpr auto kKeepAlive = std::chrono::seconds(15);

HttpResponse no_store() {
    return error_response(404,
                          "this host keeps no events: give the config an `events:` section with "
                          "a `path` (a SQLite file) or a `url` (a PostgreSQL database)");
}

class EventStream final : public ResponseStream {
  public:
    EventStream(HostEventStore& store, std::uint64_t after) : store_(store), after_(after) {}

    std::shared_ptr<const std::string> next_part() override {
        auto changes = store_.recent_changes_after(after_);
        auto now = std::chrono::steady_clock::now();
        if (changes.empty()) {
            if (now - last_sent_ < kKeepAlive) return nullptr;
            last_sent_ = now;
            return std::make_shared<const std::string>(": keep-alive\n\n");
        }
        std::string part;
        for (const auto& change : changes) {
            part += "id: " + std::to_string(change.seq) + "\nevent: " + change.kind + "\ndata: " +
                    nlohmann::json(change.event)
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                    "\n\n";
            after_ = change.seq;
        }
        last_sent_ = now;
        return std::make_shared<const std::string>(std::move(part));
    }
    std::chrono::milliseconds interval() const override { return kStreamInterval; }

  private:
    HostEventStore& store_;
    std::uint64_t after_;
    std::chrono::steady_clock::time_point last_sent_ = std::chrono::steady_clock::now();
};

}  // namespace

HttpResponse list_events(HostEventStore* store, const HttpRequest& request) {
    if (!store) return no_store();
    EventQuery query;
    query.camera_id = query_value(request, "camera");
    query.label = query_value(request, "label");
    query.zone = query_value(request, "zone");
    query.type = query_value(request, "type");
    query.cursor = query_value(request, "cursor");
    std::optional<double> after, before, limit;
    if (!read_number(request, "after", after))
        return bad_query("after", "value is not a number (seconds since the Unix epoch)");
    if (!read_number(request, "before", before))
        return bad_query("before", "value is not a number (seconds since the Unix epoch)");
    if (!read_number(request, "limit", limit) ||
        (limit && (*limit < 1 || *limit > kMaxLimit || *limit != std::floor(*limit))))
        return bad_query("limit",
                         "value is not a whole number from 1 to " + std::to_string(kMaxLimit));
    auto to_ms = [](double seconds) {
        return static_cast<std::int64_t>(std::llround(seconds * 1000));
    };
    if (after) query.after_ms = to_ms(*after);
    if (before) query.before_ms = to_ms(*before);
    query.limit = limit ? static_cast<std::size_t>(*limit) : kDefaultLimit;
    EventPage page;
    try {
        page = store->find(query);
    } catch (const std::invalid_argument& e) {
        return validation_error({"query", "cursor"}, e.what());
    }
    return json_response(
        200, {{"events", page.events},
              {"next_cursor",
               page.next_cursor.empty() ? nlohmann::json() : nlohmann::json(page.next_cursor)}});
}

HttpResponse one_event(HostEventStore* store, const std::string& id) {
    if (!store) return no_store();
    auto event = store->get(id);
    if (!event) return error_response(404, "no event '" + id + "'");
    return json_response(200, *event);
}

HttpResponse event_snapshot(HostEventStore* store, const std::string& id) {
    if (!store) return no_store();
    auto jpeg = store->snapshot(id);
    if (!jpeg) {
        if (!store->get(id)) return error_response(404, "no event '" + id + "'");
        return error_response(404, "event '" + id + "' has no snapshot");
    }
    auto response = body_response(200, "image/jpeg", std::string(jpeg->begin(), jpeg->end()));
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

HttpResponse event_clip(HostEventStore* store, const std::string& id, const HttpRequest& request) {
    if (!store) return no_store();
    auto file = store->clip_file(id);
    if (!file) {
        if (!store->get(id)) return error_response(404, "no event '" + id + "'");
        return error_response(
            404, "event '" + id + "' has no clip (a recorder among the sinks " + "keeps them)");
    }
    return file_response(*file, "video/mp4", request.header("range"),
                         "the clip of event '" + id + "'");
}

HttpResponse event_stream(HostEventStore* store, const HttpRequest& request) {
    if (!store) return no_store();
    std::uint64_t after = store->last_seq();
    // A reconnecting EventSource resumes after the last change it saw.
    auto last_seen = request.header("last-event-id");
    if (!last_seen.empty()) {
        try {
            std::size_t used = 0;
            auto seq = std::stoull(last_seen, &used);
            if (used == last_seen.size() && seq <= after) after = seq;
        } catch (const std::exception&) {
        }
    }
    auto response = body_response(200, "text/event-stream", "");
    response.headers.emplace_back("Cache-Control", "no-cache");
    response.stream = std::make_shared<EventStream>(*store, after);
    return response;
}

}  // namespace framehost::core
