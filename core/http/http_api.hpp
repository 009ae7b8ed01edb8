#pragma once
// The HTTP API of a host, independent of the server library: a request in, a response out.
// Paths, status codes and JSON shapes are a contract with the replaced service's clients
// (docs/http-api.md).
#include <atomic>

#include "core/host/host.hpp"
#include "core/http/http_message.hpp"
#include "core/http/mjpeg_stream.hpp"
#include "core/tracing/span_exporter.hpp"

namespace framehost::core {

class HttpApi {
  public:
    HttpApi(Host& host, SpanExporter& spans);

    // [server threads, concurrently] Never throws: a failure becomes a JSON 500.
    HttpResponse handle(const HttpRequest& request);
    // The requests that may take long and run off the server's reading threads: every one that
    // is not a GET or HEAD (POST /process runs the processor chain, POST /cameras opens a
    // camera, DELETE /cameras/{id} closes one). Probes and pages are GETs and answer at once.
    static bool runs_long(const HttpRequest& request) {
        return request.method != "GET" && request.method != "HEAD";
    }

  private:
    HttpResponse route(const HttpRequest& request);
    HttpResponse process(const HttpRequest& request, bool traced);
    HttpResponse plugins();
    HttpResponse snapshot(const std::string& camera);
    HttpResponse camera(const std::string& id);
    HttpResponse add_camera(const HttpRequest& request);
    HttpResponse unauthorized();
    HttpResponse stream(const std::string& camera, const HttpRequest& request);
    bool authorized(const HttpRequest& request) const;

    Host& host_;
    SpanExporter& spans_;
    std::atomic<std::uint64_t> generated_ids_{0};
    std::shared_ptr<MjpegParts> mjpeg_parts_;
};

}  // namespace framehost::core
