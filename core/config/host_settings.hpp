#pragma once
// The host's own sections of the config file (service, pipeline, http, tracing): each key is a
// member of a settings struct, with its default, bound once in that section's ParamTable (its
// name, range and doc), the way plugins declare their parameters. The same tables validate a
// config (with file:line:column), fill the structs, and render docs/configuration.md's key
// reference (`framehost inspect --config`; a test compares it with the page).
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "framehost/param_table.hpp"

namespace framehost::core {

struct ServiceSettings {
    std::string name = "framehost";  // reported by /health and /metrics
    std::string version = "1.0.0";
};

struct PipelineSettings {
    std::size_t workers = 2;
    std::size_t batch_size = 10;
    std::size_t queue_capacity = 1024;
    std::size_t memory_limit_bytes = 512u << 20;  // memory_limit_mb in the config
    std::chrono::seconds shutdown_timeout{30};
    std::chrono::seconds progress_interval{10};
    // A plugin call running longer than this (or 50 frame budgets, for a plugin that declares
    // one) shows its instance stuck in /health, and /ready answers 503.
    std::chrono::milliseconds stuck_call_timeout{10000};
};

struct HttpSettings {
    bool enabled = true;
    std::string bind = "127.0.0.1";
    int port = 8099;  // 0: any free port
    int threads = 2;
    std::size_t max_body_bytes = 10u << 20;  // max_body_mb in the config
    std::string auth_token;                  // empty: POST endpoints are open
    std::chrono::milliseconds read_timeout{10000};
    std::chrono::milliseconds idle_timeout{60000};
    // A stream (MJPEG) that gave its viewer nothing for this long is ended.
    std::chrono::milliseconds stream_idle_timeout{30000};
    std::size_t max_connections = 1024;
    bool allow_open_bind = false;
    // Names besides IP literals and localhost the server answers to, and other pages' origins
    // that may change it (core/http/browser_guard.hpp).
    std::vector<std::string> allowed_hosts;
    std::vector<std::string> allowed_origins;
};

struct TracingSettings {
    std::string otlp_endpoint;  // empty: spans only go to the log
    bool log_spans = true;
    std::chrono::milliseconds export_timeout{2000};
};

// The event store (core/events/event_store.hpp); none when `path` is empty.
struct EventsSettings {
    std::string path;    // the SQLite file; made absolute (from the working directory) when read
    std::string url;     // or a PostgreSQL database a fleet shares: postgresql://...
    std::string writer;  // this host's name in a shared store; default HOSTNAME:PORT
    // How long a host starting waits for the database to accept it (started beside it).
    std::chrono::seconds connect_wait{30};
    int retention_days = 30;
    std::size_t max_events = 1'000'000;

    bool configured() const { return !path.empty() || !url.empty(); }
};

// What cameras added over HTTP (POST /cameras) may open (core/host/camera_url_policy.hpp).
struct CameraApiSettings {
    std::vector<std::string> protocols = {"rtsp", "rtsps", "http", "https", "rtmp", "udp"};
    bool allow_loopback = false;
};

// How a processor or sink entry runs its plugin (`isolation:` and `worker:` beside `plugin:`):
// in the host's process, or in worker processes of its own (core/isolation/).
struct IsolationSettings {
    bool process = false;  // `isolation: process`
    // `worker:`
    std::size_t processes = 1;
    double kill_budgets = 50;
    std::chrono::milliseconds kill_after{10000};
    std::chrono::milliseconds start_timeout{30000};
    std::chrono::milliseconds restart_backoff{100};
    std::chrono::milliseconds restart_backoff_max{10000};
    int crashes_to_open = 5;
    std::chrono::milliseconds open_for{30000};
};
// The values `isolation:` takes.
inline const std::vector<std::string>& isolation_modes() {
    static const std::vector<std::string> modes = {"none", "process"};
    return modes;
}

const ParamTable<ServiceSettings>& service_section();
const ParamTable<PipelineSettings>& pipeline_section();
const ParamTable<HttpSettings>& http_section();
const ParamTable<TracingSettings>& tracing_section();
const ParamTable<EventsSettings>& events_section();
const ParamTable<CameraApiSettings>& camera_api_section();
// A plugin entry's `worker:` mapping.
const ParamTable<IsolationSettings>& worker_section();

// Every host section by its key, in the order the docs show them.
struct ConfigSection {
    const char* key;
    const char* summary;
    const std::vector<ParamSpec>& specs;
};
std::vector<ConfigSection> config_sections();

}  // namespace framehost::core
