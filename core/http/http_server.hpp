#pragma once
// The embedded Pistache server in front of HttpApi. Pistache accepts connections and reads them;
// framehost frames requests itself (RequestFramer), writes answers itself, keeps HTTP/1.1
// connections alive by default, closes idle and slow ones, caps connections, and runs long
// requests off the reading threads, working around Pistache 0.0.5's traps (docs/http-api.md,
// "Server behaviour").
#include <memory>
#include <string>

#include <functional>

#include "core/config/host_config.hpp"
#include "core/http/http_message.hpp"

namespace framehost::core {

// [server threads, concurrently] Must not throw.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Which requests may take long: those run on threads of their own, never the ones reading
// connections, so that probes stay fast (core/http/request_pool.hpp). Empty: none.
using LongRequests = std::function<bool(const HttpRequest&)>;

class HttpServer {
  public:
    // Binds and starts serving. Throws std::runtime_error naming the address when it cannot.
    HttpServer(HttpHandler handler, const HttpSettings& settings, LongRequests long_requests = {});
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
