// frame-buffer: the reference Frame Buffer server. Producers POST frames, consumers dequeue
// them in batches; frames live in memory (default) or in Redis streams (--redis), where the
// original capture's stream is served too.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <vector>

#include <boost/program_options.hpp>

#include "apps/frame-buffer/frame_buffer_api.hpp"
#include "apps/frame-buffer/memory_store.hpp"
#include "apps/frame-buffer/redis_store.hpp"
#include "core/http/http_server.hpp"
#include "core/log/log.hpp"

namespace po = boost::program_options;
using namespace framehost;

namespace {

// The original Frame Buffer's environment variables and the options they stand for; a flag on
// the command line wins over its variable. REDIS_HOST, REDIS_PORT and REDIS_DB make --redis.
const std::map<std::string, std::string> kEnvironment = {
    {"PORT", "port"},
    {"MAX_BUFFER_SIZE", "max-size"},
    {"FRAME_QUEUE_NAME", "stream"},
    {"REDIS_STREAM_KEY", "capture-stream"},
    {"CONSUMER_GROUP", "capture-group"},
    {"CONSUMER_BATCH_SIZE", "capture-batch"},
    {"DLQ_NAME", "dlq"},
};

std::string redis_url_from_environment() {
    const char* host = std::getenv("REDIS_HOST");
    if (!host || !*host) return {};
    const char* port = std::getenv("REDIS_PORT");
    const char* db = std::getenv("REDIS_DB");
    return std::string("redis://") + host + ":" + (port && *port ? port : "6379") + "/" +
           (db && *db ? db : "0");
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description options(
        "frame-buffer - the Frame Buffer HTTP API (POST /frames, GET /frames/dequeue, ...)\n\n"
        "Usage: frame-buffer [--port N] [--max-size N] [--redis redis://host:port/db]\n\n"
        "The original Frame Buffer's environment applies (PORT, MAX_BUFFER_SIZE, REDIS_HOST, "
        "REDIS_PORT,\n"
        "REDIS_DB, FRAME_QUEUE_NAME, REDIS_STREAM_KEY, CONSUMER_GROUP, CONSUMER_BATCH_SIZE, "
        "DLQ_NAME);\n"
        "flags win over it.\n\nOptions");
    options.add_options()("help,h", "show this help")(
        "port,p", po::value<int>()->default_value(8002),
        "port to listen on (0: any free port, logged)")(
        "bind", po::value<std::string>()->default_value("127.0.0.1"), "address to listen on")(
        "max-size", po::value<long long>()->default_value(10000),
        "frames waiting before enqueue answers 503")(
        "redis", po::value<std::string>(),
        "keep frames in Redis streams at this URL instead of in memory")(
        "stream", po::value<std::string>()->default_value("framehost:frames"),
        "Redis stream of posted frames")("capture-stream",
                                         po::value<std::string>()->default_value("frames:metadata"),
                                         "the capture's Redis stream, served too (empty: none)")(
        "capture-group", po::value<std::string>()->default_value("frame-buffer-group"),
        "consumer group on the capture's stream")("capture-batch",
                                                  po::value<long long>()->default_value(10),
                                                  "the consumer batch size reported")(
        "consumer", po::value<std::string>()->default_value("frame-buffer"),
        "this server's consumer name in the groups (one per server sharing a stream)")(
        "dlq", po::value<std::string>(), "Redis stream of dead letters (default: <stream>:dlq)")(
        "threads", po::value<int>()->default_value(2), "server threads")(
        "max-body-mb", po::value<int>()->default_value(16), "largest frame accepted")(
        "allowed-host", po::value<std::vector<std::string>>()->composing(),
        "a name (Host header) answered besides IP literals and localhost; repeatable")(
        "allowed-origin", po::value<std::vector<std::string>>()->composing(),
        "a web page's origin (scheme://host:port) that may enqueue, dequeue or clear; "
        "repeatable");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, options), vm);
        po::store(po::parse_environment(options,
                                        [](const std::string& name) {
                                            auto it = kEnvironment.find(name);
                                            return it == kEnvironment.end() ? std::string()
                                                                            : it->second;
                                        }),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "frame-buffer: " << e.what() << "\nRun 'frame-buffer --help' for usage.\n";
        return 2;
    }
    if (vm.count("help")) {
        std::cout << options << "\n";
        return 0;
    }
    auto port = vm["port"].as<int>();
    auto max_size = vm["max-size"].as<long long>();
    auto capture_batch = vm["capture-batch"].as<long long>();
    if (port < 0 || port > 65535 || max_size < 1 || capture_batch < 1 ||
        vm["threads"].as<int>() < 1 || vm["max-body-mb"].as<int>() < 1) {
        std::cerr << "frame-buffer: --port is 0..65535; --max-size, --capture-batch, --threads and "
                     "--max-body-mb at "
                     "least 1\n";
        return 2;
    }
    std::string redis_url =
        vm.count("redis") ? vm["redis"].as<std::string>() : redis_url_from_environment();

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::unique_ptr<frame_buffer::FrameStore> store;
    std::string backend = "memory";
    frame_buffer::ApiSettings api_settings;
    api_settings.consumer_batch_size = static_cast<std::size_t>(capture_batch);
    api_settings.max_answer_bytes = static_cast<std::size_t>(vm["max-body-mb"].as<int>()) << 20;
    api_settings.browser_guard.bind = vm["bind"].as<std::string>();
    if (vm.count("allowed-host"))
        api_settings.browser_guard.allowed_hosts =
            vm["allowed-host"].as<std::vector<std::string>>();
    if (vm.count("allowed-origin"))
        api_settings.browser_guard.allowed_origins =
            vm["allowed-origin"].as<std::vector<std::string>>();
    try {
        if (!redis_url.empty()) {
            frame_buffer::RedisStoreSettings s;
            s.address = redis_support::parse_url(redis_url);
            s.stream = vm["stream"].as<std::string>();
            s.capture_stream = vm["capture-stream"].as<std::string>();
            s.capture_group = vm["capture-group"].as<std::string>();
            s.consumer = vm["consumer"].as<std::string>();
            if (vm.count("dlq")) s.dead_letters = vm["dlq"].as<std::string>();
            s.max_size = static_cast<std::size_t>(max_size);
            api_settings.capture_consumer = !s.capture_stream.empty();
            backend = "redis " + redis_support::redacted_url(s.address) + " stream " + s.stream +
                      (s.capture_stream.empty() ? "" : ", capture stream " + s.capture_stream);
            store = std::make_unique<frame_buffer::RedisStore>(std::move(s));
        } else {
            store = std::make_unique<frame_buffer::MemoryStore>(static_cast<std::size_t>(max_size));
        }
    } catch (const std::exception& e) {
        std::cerr << "frame-buffer: " << e.what() << "\n";
        return 1;
    }
    frame_buffer::FrameBufferApi api(std::move(store), api_settings);
    core::HttpSettings http;
    http.bind = vm["bind"].as<std::string>();
    http.port = port;
    http.threads = vm["threads"].as<int>();
    http.max_body_bytes = static_cast<std::size_t>(vm["max-body-mb"].as<int>()) << 20;
    std::unique_ptr<core::HttpServer> server;
    try {
        server = std::make_unique<core::HttpServer>(
            [&api](const core::HttpRequest& r) { return api.handle(r); }, http);
    } catch (const std::exception& e) {
        std::cerr << "frame-buffer: " << e.what() << "\n";
        return 1;
    }
    core::log(LogLevel::Info, "frame-buffer",
              "listening on http://" + http.bind + ":" + std::to_string(server->port()) + " (" +
                  backend + ", max size " + std::to_string(max_size) + "; " +
                  core::route_paths(frame_buffer::FrameBufferApi::routes()) + ")");
    int sig = 0;
    sigwait(&signals, &sig);
    core::log(LogLevel::Info, "frame-buffer", "stopping");
    server->stop();
    return 0;
}
