// frame-buffer: the reference Frame Buffer server. Producers POST frames, consumers dequeue
// them in batches; frames live in memory (default) or in a Redis stream (--redis).
#include <signal.h>

#include <iostream>
#include <memory>

#include <boost/program_options.hpp>

#include "apps/frame-buffer/frame_buffer_api.hpp"
#include "apps/frame-buffer/memory_store.hpp"
#include "apps/frame-buffer/redis_store.hpp"
#include "core/http/http_server.hpp"
#include "core/log/log.hpp"

namespace po = boost::program_options;
using namespace framehost;

int main(int argc, char** argv) {
    po::options_description options(
        "frame-buffer - the Frame Buffer HTTP API (POST /frames, GET /frames/dequeue, ...)\n\n"
        "Usage: frame-buffer [--port N] [--max-size N] [--redis redis://host:port/db]\n\nOptions");
    options.add_options()
        ("help,h", "show this help")
        ("port,p", po::value<int>()->default_value(8002), "port to listen on (0: any free port, logged)")
        ("bind", po::value<std::string>()->default_value("127.0.0.1"), "address to listen on")
        ("max-size", po::value<long long>()->default_value(10000), "frames held before enqueue answers 503")
        ("redis", po::value<std::string>(), "keep frames in a Redis stream at this URL instead of in memory")
        ("stream", po::value<std::string>()->default_value("framehost:frames"), "Redis stream key")
        ("threads", po::value<int>()->default_value(2), "server threads")
        ("max-body-mb", po::value<int>()->default_value(16), "largest frame accepted");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, options), vm);
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
    if (port < 0 || port > 65535 || max_size < 1 || vm["threads"].as<int>() < 1 || vm["max-body-mb"].as<int>() < 1) {
        std::cerr << "frame-buffer: --port is 0..65535; --max-size, --threads and --max-body-mb at least 1\n";
        return 2;
    }

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::unique_ptr<frame_buffer::FrameStore> store;
    std::string backend = "memory";
    try {
        if (vm.count("redis")) {
            store = std::make_unique<frame_buffer::RedisStore>(redis_support::parse_url(vm["redis"].as<std::string>()),
                                                               vm["stream"].as<std::string>(),
                                                               static_cast<std::size_t>(max_size));
            backend = "redis " + vm["redis"].as<std::string>() + " stream " + vm["stream"].as<std::string>();
        } else {
            store = std::make_unique<frame_buffer::MemoryStore>(static_cast<std::size_t>(max_size));
        }
    } catch (const std::exception& e) {
        std::cerr << "frame-buffer: " << e.what() << "\n";
        return 1;
    }
    frame_buffer::FrameBufferApi api(std::move(store));
    core::HttpSettings http;
    http.bind = vm["bind"].as<std::string>();
    http.port = port;
    http.threads = vm["threads"].as<int>();
    http.max_body_bytes = static_cast<std::size_t>(vm["max-body-mb"].as<int>()) << 20;
    std::unique_ptr<core::HttpServer> server;
    try {
        server = std::make_unique<core::HttpServer>([&api](const core::HttpRequest& r) { return api.handle(r); }, http);
    } catch (const std::exception& e) {
        std::cerr << "frame-buffer: " << e.what() << "\n";
        return 1;
    }
    core::log(LogLevel::Info, "frame-buffer",
              "listening on http://" + http.bind + ":" + std::to_string(server->port()) + " (" + backend +
                  ", max size " + std::to_string(max_size) + ")");
    int sig = 0;
    sigwait(&signals, &sig);
    core::log(LogLevel::Info, "frame-buffer", "stopping");
    server->stop();
    return 0;
}
