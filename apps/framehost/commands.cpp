#include "apps/framehost/commands.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/config/diagnostics.hpp"
#include "core/host/host.hpp"
#include "core/http/http_api.hpp"
#include "core/http/http_server.hpp"
#include "core/log/log.hpp"
#include "core/plugins/descriptor_report.hpp"
#include "core/plugins/plugin_binding.hpp"
#include "core/tracing/span_exporter.hpp"
#include "framehost/version.hpp"

namespace framehost::app {

using core::log;

core::PluginCatalog make_catalog(const CommonOptions& options) {
    core::PluginCatalog catalog(core::bundled_plugin_directories(options.executable));
    if (const char* env = std::getenv("FRAMEHOST_PLUGIN_PATH")) {
        for (const auto& dir : core::split_search_path(env)) catalog.add_directory(dir);
    }
    for (const auto& dir : options.plugin_paths) catalog.add_directory(dir);
    return catalog;
}

namespace {

// The plugin of cameras added over HTTP (POST /cameras).
constexpr const char* kCameraPlugin = "video_source";

// SIGINT/SIGTERM are blocked in every thread and taken here, so no plugin thread is ever
// interrupted by them: the first asks the host to drain, a second exits at once. The signals are
// read from a signalfd beside an eventfd the destructor writes, so a host that ends on its own
// exits at once rather than at the next tick of a timed wait.
class SignalWatcher {
  public:
    explicit SignalWatcher(core::Host& host) : host_(host) {
        sigset_t set = signals();
        signals_ = ::signalfd(-1, &set, SFD_CLOEXEC);
        done_ = ::eventfd(0, EFD_CLOEXEC);
        if (signals_ < 0 || done_ < 0)
            throw std::runtime_error(std::string("cannot watch signals: ") + std::strerror(errno));
        thread_ = std::thread([this] { watch(); });
    }
    ~SignalWatcher() {
        std::uint64_t one = 1;
        if (::write(done_, &one, sizeof one) != sizeof one) std::abort();  // never: a counter
        thread_.join();
        for (auto& r : reloads_) r.join();
        ::close(signals_);
        ::close(done_);
    }
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

    static void block_in_this_and_future_threads() {
        sigset_t set = signals();
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
    }

  private:
    static sigset_t signals() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        return set;
    }
    void watch() {
        int received = 0;
        pollfd watched[2] = {{signals_, POLLIN, 0}, {done_, POLLIN, 0}};
        while (true) {
            if (::poll(watched, 2, -1) < 0) continue;  // EINTR
            if (watched[1].revents != 0) return;
            signalfd_siginfo info{};
            if (::read(signals_, &info, sizeof info) != sizeof info) continue;
            int sig = static_cast<int>(info.ssi_signo);
            if (sig == SIGHUP) {
                // Off this thread: a reload waits for batches to finish, and a SIGTERM meanwhile
                // must still be heard. Reloads run one at a time (Host::reload).
                log(LogLevel::Info, "framehost", "SIGHUP: re-reading the config");
                reloads_.emplace_back([this] { host_.reload(); });
                continue;
            }
            if (++received == 1) {
                log(LogLevel::Info, "framehost",
                    std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") +
                        ": draining in-flight frames (signal again to exit at once)");
                host_.request_stop();
            } else {
                log(LogLevel::Warn, "framehost", "second signal: exiting without draining");
                std::_Exit(128 + sig);
            }
        }
    }
    core::Host& host_;
    int signals_ = -1;
    int done_ = -1;
    std::thread thread_;
    std::vector<std::thread> reloads_;  // joined when the host is done
};

void print_errors(const core::ConfigErrors& errors) {
    for (const auto& e : errors.errors()) std::cerr << e.to_string() << "\n";
    std::cerr << errors.errors().size() << (errors.errors().size() == 1 ? " error" : " errors")
              << " in the config\n";
}

std::string describe(const core::HostConfig& config) {
    std::string text = config.sources.empty() ? "no source" : "sources [";
    for (std::size_t i = 0; i < config.sources.size(); ++i)
        text += (i ? ", " : "") + config.sources[i].instance_name +
                (i + 1 == config.sources.size() ? "]" : "");
    text += ", processors [";
    for (std::size_t i = 0; i < config.processors.size(); ++i)
        text += (i ? ", " : "") + config.processors[i].instance_name;
    text += "], sinks [";
    for (std::size_t i = 0; i < config.sinks.size(); ++i)
        text += (i ? ", " : "") + config.sinks[i].instance_name;
    return text + "]";
}

}  // namespace

int run_host(const CommonOptions& options, const std::filesystem::path& config_file,
             const std::vector<core::ConfigOverride>& overrides, bool check_only) {
    SignalWatcher::block_in_this_and_future_threads();
    auto catalog = make_catalog(options);
    core::HostConfig config;
    try {
        config = core::load_host_config(config_file, overrides, catalog);
    } catch (const core::ConfigErrors& errors) {
        print_errors(errors);
        return 1;
    }
    if (check_only) {
        std::cout << config_file.string() << ": OK (" << describe(config) << ")\n";
        return 0;
    }
    auto run_started = std::chrono::steady_clock::now();
    std::unique_ptr<core::Host> host;
    std::unique_ptr<core::SpanExporter> spans;
    std::unique_ptr<core::HttpApi> api;
    std::unique_ptr<core::HttpServer> server;
    try {
        host = std::make_unique<core::Host>(std::move(config));
        // SIGHUP and POST /config/reload read the same file with the same overrides again.
        host->set_config_loader([&catalog, config_file, overrides] {
            return core::load_host_config(config_file, overrides, catalog);
        });
        // POST /cameras adds cameras as video_source instances, when it is on the plugin path.
        try {
            host->cameras().set_camera_plugin(catalog.load(kCameraPlugin));
        } catch (const std::exception& e) {
            log(LogLevel::Debug, "cameras",
                std::string("cameras cannot be added over HTTP: ") + e.what());
        }
        const auto& settings = host->config();
        spans = std::make_unique<core::SpanExporter>(settings.service.name, settings.tracing);
        host->start();
        if (settings.http.enabled) {
            api = std::make_unique<core::HttpApi>(*host, *spans);
            server = std::make_unique<core::HttpServer>(
                [&api](const core::HttpRequest& r) { return api->handle(r); }, settings.http,
                &core::HttpApi::runs_long);
            log(LogLevel::Info, "http",
                "listening on http://" + settings.http.bind + ":" + std::to_string(server->port()) +
                    " (" + core::route_paths(core::HttpApi::routes()) + ")");
        }
    } catch (const std::exception& e) {
        log(LogLevel::Error, "framehost", e.what());
        if (host) {
            host->request_stop();
            host->wait();
        }
        return 1;
    }
    log(LogLevel::Info, "framehost",
        host->config().service.name + " " + host->config().service.version + " running: " +
            describe(host->config()) + ", " + std::to_string(host->config().pipeline.workers) +
            " workers, batch " + std::to_string(host->config().pipeline.batch_size));
    core::Pipeline::Outcome outcome;
    {
        std::optional<SignalWatcher> signals;
        try {
            signals.emplace(*host);
        } catch (const std::exception& e) {
            log(LogLevel::Error, "framehost", e.what());
            host->request_stop();
            host->wait();
            return 1;
        }
        outcome = host->wait();
    }
    // The API answered through the drain (with shutting_down and 503 on /process); it goes last.
    if (server) server->stop();
    auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - run_started).count();
    auto s = host->states().snapshot();
    auto count = [&](core::FrameState state) {
        return static_cast<unsigned long long>(s.current[static_cast<int>(state)]);
    };
    char line[256];
    std::snprintf(
        line, sizeof line,
        "finished: %llu completed, %llu filtered, %llu failed, %llu dropped in %.2f s (%.0f "
        "frames/s)",
        count(core::FrameState::Completed), count(core::FrameState::Filtered),
        count(core::FrameState::Failed), count(core::FrameState::Dropped), seconds,
        static_cast<double>(count(core::FrameState::Completed) + count(core::FrameState::Filtered) +
                            count(core::FrameState::Failed)) /
            std::max(seconds, 1e-9));
    log(LogLevel::Info, "framehost", line);
    if (outcome == core::Pipeline::Outcome::WorkersStuck) {
        // Threads are inside plugin code that will not return: nothing can be unwound safely.
        std::fflush(nullptr);
        std::_Exit(1);
    }
    return 0;
}

int list_plugins(const CommonOptions& options, const std::string& format) {
    if (format != "text" && format != "json") {
        std::cerr << "framehost: plugins --format is text or json\n";
        return 2;
    }
    auto catalog = make_catalog(options);
    nlohmann::json listing = nlohmann::json::array();
    bool any_refused = false;
    for (const auto& [name, file] : catalog.available()) {
        try {
            auto library = catalog.load(name);
            const auto& d = library->descriptor();
            if (format == "json") {
                auto entry = core::descriptor_json(d);
                entry["file"] = file.string();
                listing.push_back(entry);
            } else {
                std::printf("%-20s %-10s %-8s %s\n", d.name.c_str(), to_string(d.kind),
                            d.version.c_str(), d.description.c_str());
            }
        } catch (const std::exception& e) {
            any_refused = true;
            if (format == "json")
                listing.push_back({{"file", file.string()}, {"refused", e.what()}});
            else
                std::printf("%-20s refused: %s\n", name.c_str(), e.what());
        }
    }
    if (format == "json") std::cout << listing.dump(2) << "\n";
    if (catalog.available().empty()) {
        std::cerr << "no plugins found; searched:";
        for (const auto& d : catalog.directories()) std::cerr << " " << d.string();
        std::cerr << "\n";
    }
    (void)any_refused;
    return 0;
}

int inspect_plugins(const CommonOptions& options, const std::vector<std::string>& requested,
                    bool all, const std::string& format) {
    if (format != "text" && format != "json" && format != "markdown") {
        std::cerr << "framehost: inspect --format is text, json or markdown\n";
        return 2;
    }
    auto catalog = make_catalog(options);
    std::vector<std::string> names = requested;
    if (all) {
        names.clear();
        for (const auto& [name, file] : catalog.available()) names.push_back(name);
    }
    int status = 0;
    nlohmann::json listing = nlohmann::json::array();
    for (std::size_t i = 0; i < names.size(); ++i) {
        try {
            auto library = catalog.load(names[i]);
            const auto& d = library->descriptor();
            if (format == "json")
                listing.push_back(core::descriptor_json(d));
            else if (format == "markdown")
                std::cout << (i ? "\n" : "") << core::descriptor_markdown(d);
            else
                std::cout << (i ? "\n" : "") << core::descriptor_text(d)
                          << "\n  file: " << library->file().string() << " (SDK "
                          << library->sdk_version() << ", ABI " << kAbiVersion << ")\n";
        } catch (const std::exception& e) {
            std::cerr << "framehost: " << e.what() << "\n";
            status = 1;
        }
    }
    if (format == "json")
        std::cout << (listing.size() == 1 && !all ? listing[0] : listing).dump(2) << "\n";
    return status;
}

}  // namespace framehost::app
