#include "core/config/host_settings.hpp"

#include <set>

namespace framehost::core {

namespace {
// A key the config gives as an integer in another unit than the member holds (megabytes for
// bytes, seconds for a std::chrono::seconds): `to_config` turns the member's default into the
// key's, `from_config` the key's value into the member's.
template <class Settings, class Member, class ToConfig, class FromConfig>
ParamBinding<Settings> converted(Member Settings::*member, std::string name, std::string doc,
                                 ToConfig to_config, FromConfig from_config) {
    ParamSpec spec;
    spec.name = std::move(name);
    spec.type = ParamType::Int;
    spec.default_value = static_cast<std::int64_t>(to_config(Settings{}.*member));
    spec.description = std::move(doc);
    return {std::move(spec), [member, from_config](Settings& s, const nlohmann::json& v) {
                s.*member = from_config(v.get<std::int64_t>());
            }};
}
template <class Settings>
ParamBinding<Settings> megabytes(std::size_t Settings::*member, std::string name, std::string doc) {
    return converted(
        member, std::move(name), std::move(doc), [](std::size_t bytes) { return bytes >> 20; },
        [](std::int64_t mb) { return static_cast<std::size_t>(mb) << 20; });
}
template <class Settings>
ParamBinding<Settings> seconds(std::chrono::seconds Settings::*member, std::string name,
                               std::string doc) {
    return converted(
        member, std::move(name), std::move(doc), [](std::chrono::seconds s) { return s.count(); },
        [](std::int64_t n) { return std::chrono::seconds(n); });
}
}  // namespace

const ParamTable<ServiceSettings>& service_section() {
    static const ParamTable<ServiceSettings> table{
        param::bind(&ServiceSettings::name, "name", "Service name reported by /health"),
        param::bind(&ServiceSettings::version, "version", "Service version reported by /health"),
    };
    return table;
}

const ParamTable<PipelineSettings>& pipeline_section() {
    using S = PipelineSettings;
    static const ParamTable<S> table{
        param::bind(&S::workers, "workers", "Worker threads running the processor chain")
            .range(1, 256),
        param::bind(&S::batch_size, "batch_size",
                    "Most frames a worker takes from the queue at once")
            .range(1, 10000),
        param::bind(&S::queue_capacity, "queue_capacity",
                    "Frames the queue holds before the source is paused (backpressure)")
            .range(1, 10'000'000),
        megabytes(&S::memory_limit_bytes, "memory_limit_mb",
                  "Pixel bytes in flight (queued or processing) before the source is paused")
            .range(1, 1'048'576),
        seconds(&S::shutdown_timeout, "shutdown_timeout_s",
                "On SIGTERM/SIGINT, how long in-flight frames may take to drain")
            .range(0, 3600),
        seconds(&S::progress_interval, "progress_interval_s",
                "Seconds between progress lines on stderr; 0 turns them off")
            .range(0, 86400),
        param::bind(&S::stuck_call_timeout, "stuck_call_ms",
                    "A plugin call running longer (or 50 of its frame budgets, when it declares "
                    "one) shows the instance stuck in /health and makes /ready 503")
            .range(100, 3'600'000),
    };
    return table;
}

const ParamTable<HttpSettings>& http_section() {
    using S = HttpSettings;
    static const ParamTable<S> table{
        param::bind(&S::enabled, "enabled", "Serve the HTTP API (health, metrics, /process)"),
        param::bind(&S::bind, "bind", "Address to listen on; 0.0.0.0 for every interface"),
        param::bind(&S::port, "port", "Port to listen on; 0 picks a free one (logged)")
            .range(0, 65535),
        param::bind(&S::threads, "threads", "Threads serving requests").range(1, 64),
        megabytes(&S::max_body_bytes, "max_body_mb",
                  "Largest request body accepted; larger ones get 413")
            .range(1, 1024),
        param::bind(
            &S::auth_token, "auth_token",
            "Bearer token required on POST endpoints and the event endpoints (/events, /zones); "
            "empty leaves them open"),
        param::bind(&S::read_timeout, "read_timeout",
                    "A request not fully received in this time, or answers the client does not "
                    "take in it, close the connection")
            .range(100, 3'600'000),
        param::bind(&S::idle_timeout, "idle_timeout",
                    "A kept-alive connection with no request in this time is closed")
            .range(100, 3'600'000),
        param::bind(&S::stream_idle_timeout, "stream_idle_timeout",
                    "A picture stream (stream.mjpg) that had no picture to send for this long "
                    "is ended, so viewers of a camera with none do not hold the stream slots")
            .range(100, 3'600'000),
        param::bind(&S::max_connections, "max_connections",
                    "Connections served at once; more get 503 and are closed (capped below the "
                    "descriptor limit, ulimit -n)")
            .range(1, 1'000'000),
        param::bind(&S::allow_open_bind, "allow_open_bind",
                    "Serve the POST endpoints beyond loopback without an auth_token; otherwise "
                    "such a host refuses to start"),
        param::bind(&S::allowed_hosts, "allowed_hosts",
                    "Names (Host header) the server answers to besides IP literals: bound to "
                    "loopback, localhost and these; bound beyond it, any name unless some are "
                    "listed (a page whose name is re-pointed at this machine reads nothing)"),
        param::bind(&S::allowed_origins, "allowed_origins",
                    "Origins (scheme://host:port) of other web pages that may POST or DELETE "
                    "here; the server's own always may"),
    };
    return table;
}

const ParamTable<TracingSettings>& tracing_section() {
    using S = TracingSettings;
    static const ParamTable<S> table{
        param::bind(&S::otlp_endpoint, "otlp_endpoint",
                    "OTLP/HTTP JSON endpoint for spans, e.g. http://collector:4318/v1/traces; "
                    "empty: spans go to the log only"),
        param::bind(&S::log_spans, "log_spans", "Write every finished span to the log"),
        param::bind(&S::export_timeout, "export_timeout",
                    "Longest an export request to the collector may take")
            .range(10, 60000),
    };
    return table;
}

const ParamTable<EventsSettings>& events_section() {
    using S = EventsSettings;
    static const ParamTable<S> table{
        param::bind(&S::path, "path",
                    "The SQLite file events are kept in (created with its tables; its folder "
                    "must exist), relative to the working directory; empty: no event store"),
        param::bind(&S::url, "url",
                    "A PostgreSQL database to keep events in instead of a file, shared by a "
                    "fleet of hosts: postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?...]; "
                    "when given, `path` is not used")
            .check([](const nlohmann::json& v) -> std::string {
                auto url = v.get<std::string>();
                if (url.empty() || url.rfind("postgresql://", 0) == 0 ||
                    url.rfind("postgres://", 0) == 0)
                    return "";
                return "must start with postgresql:// (a PostgreSQL connection URL)";
            }),
        param::bind(&S::writer, "writer",
                    "This host's name in a shared store: each host delivers (MQTT, webhooks) "
                    "the events it wrote, under its name; empty: HOSTNAME:PORT (the HTTP port)"),
        seconds(&S::connect_wait, "connect_wait_s",
                "How long a starting host waits for the PostgreSQL server to accept it (a "
                "database started beside it); then it stops, saying why")
            .range(0, 3600),
        param::bind(&S::retention_days, "retention_days",
                    "Events that started longer ago are removed; 0 keeps them for ever")
            .range(0, 36500),
        param::bind(&S::max_events, "max_events",
                    "The oldest events beyond this many are removed; 0: no limit")
            .range(0, 1'000'000'000),
    };
    return table;
}

const ParamTable<CameraApiSettings>& camera_api_section() {
    using S = CameraApiSettings;
    static const ParamTable<S> table{
        param::bind(&S::protocols, "protocols",
                    "The schemes a camera added over HTTP may use (of rtsp, rtsps, http, https, "
                    "rtmp, rtmps, udp, rtp, srt, file); add file to let it open files")
            .check([](const nlohmann::json& list) -> std::string {
                static const std::set<std::string> known = {
                    "rtsp", "rtsps", "http", "https", "rtmp", "rtmps", "udp", "rtp", "srt", "file"};
                for (const auto& p : list)
                    if (!known.count(p.get<std::string>()))
                        return "'" + p.get<std::string>() +
                               "' is not one of rtsp, rtsps, http, "
                               "https, rtmp, rtmps, udp, rtp, srt, file";
                return "";
            }),
        param::bind(&S::allow_loopback, "allow_loopback",
                    "Let a camera added over HTTP reach this machine itself (loopback or one of "
                    "its addresses), where the host's own services listen"),
    };
    return table;
}

const ParamTable<IsolationSettings>& worker_section() {
    using S = IsolationSettings;
    static const ParamTable<S> table{
        param::bind(&S::processes, "processes",
                    "Worker processes of the instance; more than 1 only for a reentrant plugin")
            .range(1, 64),
        param::bind(&S::kill_budgets, "kill_budgets",
                    "A call running longer than this many of the plugin's frame budgets per frame "
                    "(at least 1 s, at most kill_after) is killed, its frames failed, the worker "
                    "restarted")
            .range(1, 1e6),
        param::bind(&S::kill_after, "kill_after",
                    "A call running longer than this is killed; the bound for plugins that "
                    "declare no frame budget")
            .range(100, 3'600'000),
        param::bind(&S::start_timeout, "start_timeout",
                    "How long the plugin may take to be created and started in its worker")
            .range(100, 3'600'000),
        param::bind(&S::restart_backoff, "restart_backoff",
                    "Wait before restarting a worker that crashed; doubles with each crash in a "
                    "row")
            .range(0, 3'600'000),
        param::bind(&S::restart_backoff_max, "restart_backoff_max",
                    "The longest wait between restarts")
            .range(0, 3'600'000),
        param::bind(&S::crashes_to_open, "crashes_to_open",
                    "Crashes in a row after which the worker is left down for open_for: its "
                    "frames fail at once instead of waiting")
            .range(1, 1000),
        param::bind(&S::open_for, "open_for", "How long a worker that kept crashing is left down")
            .range(0, 3'600'000),
    };
    return table;
}

std::vector<ConfigSection> config_sections() {
    return {
        {"service", "what /health and /metrics call this host", service_section().specs()},
        {"pipeline", "the workers, the queue and the memory budget", pipeline_section().specs()},
        {"http", "the API (docs/http-api.md)", http_section().specs()},
        {"tracing", "W3C trace spans of /process-with-tracking", tracing_section().specs()},
        {"events", "the event store the `events` processor writes and /events reads",
         events_section().specs()},
        {"camera_api", "what cameras added with POST /cameras may open",
         camera_api_section().specs()},
    };
}

}  // namespace framehost::core
