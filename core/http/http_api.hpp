#pragma once
// The HTTP API of a host, independent of the server library: a request in, a response out.
// Paths, status codes and JSON shapes are a contract with the replaced service's clients
// (docs/http-api.md).
#include <atomic>

#include "core/host/host.hpp"
#include "core/http/http_message.hpp"
#include "core/http/mjpeg_stream.hpp"
#include "core/http/routes.hpp"
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

    // Every endpoint: the one table that dispatches, lists the paths in the startup log and
    // renders docs/http-api.md's endpoint list.
    static std::span<const Route<HttpApi>> routes();

  private:
    static const Route<HttpApi> kRoutes[];
    HttpResponse route(const HttpRequest& request);
    // The endpoints, each answering one route of kRoutes.
    HttpResponse page(const HttpRequest&, const PathMatch&);
    HttpResponse list_cameras(const HttpRequest&, const PathMatch&);
    HttpResponse reload_config(const HttpRequest&, const PathMatch&);
    HttpResponse add_camera(const HttpRequest& request, const PathMatch&);
    HttpResponse camera(const HttpRequest&, const PathMatch& match);
    HttpResponse remove_camera(const HttpRequest&, const PathMatch& match);
    HttpResponse snapshot(const HttpRequest&, const PathMatch& match);
    HttpResponse stream(const HttpRequest& request, const PathMatch& match);
    HttpResponse events(const HttpRequest& request, const PathMatch&);
    HttpResponse event(const HttpRequest&, const PathMatch& match);
    HttpResponse event_snapshot(const HttpRequest&, const PathMatch& match);
    HttpResponse event_clip(const HttpRequest& request, const PathMatch& match);
    HttpResponse recordings(const HttpRequest& request, const PathMatch& match);
    HttpResponse recording(const HttpRequest& request, const PathMatch& match);
    HttpResponse event_stream(const HttpRequest& request, const PathMatch&);
    HttpResponse zones(const HttpRequest&, const PathMatch&);
    HttpResponse health(const HttpRequest&, const PathMatch&);
    HttpResponse live(const HttpRequest&, const PathMatch&);
    HttpResponse ready(const HttpRequest&, const PathMatch&);
    HttpResponse metrics(const HttpRequest& request, const PathMatch&);
    HttpResponse metrics_history(const HttpRequest&, const PathMatch&);
    HttpResponse plugins(const HttpRequest&, const PathMatch&);
    HttpResponse process(const HttpRequest& request, const PathMatch&);
    HttpResponse process_traced(const HttpRequest& request, const PathMatch&);
    HttpResponse run_process(const HttpRequest& request, bool traced);

    Host& host_;
    SpanExporter& spans_;
    std::atomic<std::uint64_t> generated_ids_{0};
    std::shared_ptr<MjpegParts> mjpeg_parts_;
    BrowserGuard browser_guard_;  // from the config's http section
};

}  // namespace framehost::core
