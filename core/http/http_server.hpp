#pragma once
// The embedded Pistache server in front of HttpApi. It frames requests itself (RequestFramer)
// and keeps HTTP/1.1 connections alive by default, working around Pistache 0.0.5's traps
// (docs/http-api.md, "Server behaviour").
#include <memory>
#include <string>

#include <functional>

#include "core/config/host_config.hpp"
#include "core/http/http_message.hpp"

namespace framehost::core {

// [server threads, concurrently] Must not throw.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
  public:
    // Binds and starts serving. Throws std::runtime_error naming the address when it cannot.
    HttpServer(HttpHandler handler, const HttpSettings& settings);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    int port() const;
    void stop();

    struct State;  // shared with the connection handlers Pistache clones per thread

  private:
    std::shared_ptr<State> state_;
};

}  // namespace framehost::core
