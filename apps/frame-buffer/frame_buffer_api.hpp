#pragma once
// The Frame Buffer HTTP API: the original Frame Buffer's endpoints, statuses and shapes, which
// its clients use unchanged (docs/frame-buffer.md, docs/compatibility.md).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "apps/frame-buffer/frame_store.hpp"
#include "core/http/browser_guard.hpp"
#include "core/http/http_message.hpp"
#include "core/http/routes.hpp"
#include "core/metrics/metrics_registry.hpp"

namespace framehost::frame_buffer {

struct ApiSettings {
    // What /buffer/backpressure reports as the consumer: the capture stream this server reads
    // (nothing runs when there is none) and how many entries a read takes.
    bool capture_consumer = false;
    std::size_t consumer_batch_size = 10;
    // The most frame JSON one dequeue answer holds (one frame is always given whatever its
    // size): the largest request body, so an answer is never far bigger than a frame may be.
    std::size_t max_answer_bytes = 16u << 20;
    // Other sites' pages in a browser on this machine (core/http/browser_guard.hpp).
    core::BrowserGuard browser_guard;
};

class FrameBufferApi {
  public:
    FrameBufferApi(std::unique_ptr<FrameStore> store, ApiSettings settings);
    // [server threads] Never throws: a backend failure becomes a 503.
    core::HttpResponse handle(const core::HttpRequest& request);
    // Every endpoint: the table that dispatches and that the startup log lists.
    static std::span<const core::Route<FrameBufferApi>> routes();

  private:
    static const core::Route<FrameBufferApi> kRoutes[];
    using Request = core::HttpRequest;
    using Match = core::PathMatch;
    core::HttpResponse enqueue(const Request& request, const Match&);
    core::HttpResponse enqueue_body(const std::string& body);
    core::HttpResponse dequeue(const Request& request, const Match&);
    core::HttpResponse status(const Request&, const Match&);
    core::HttpResponse health(const Request&, const Match&);
    core::HttpResponse ready(const Request&, const Match&);
    core::HttpResponse clear(const Request&, const Match&);
    core::HttpResponse backpressure(const Request&, const Match&);
    core::HttpResponse dead_letter_status(const Request&, const Match&);
    core::HttpResponse clear_dead_letters(const Request&, const Match&);
    core::HttpResponse reprocess_dead_letters(const Request& request, const Match&);
    core::HttpResponse test_frame(const Request& request, const Match&);
    core::HttpResponse prometheus(const Request&, const Match&);
    // The answer of a dequeue, its frames spliced in as stored.
    // The answer's body; `receipt` (when the store gives one) is settled once it is sent.
    std::string dequeue_body(std::size_t count, std::shared_ptr<Receipt>& receipt);
    void count(const char* operation, const char* outcome);

    std::unique_ptr<FrameStore> store_;
    ApiSettings settings_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    // Wall-clock seconds of the last frame in or out, and of the last refusal; 0: none yet.
    std::atomic<double> last_frame_time_{0};
    std::atomic<double> last_backpressure_time_{0};
    core::MetricsRegistry metrics_;
};

}  // namespace framehost::frame_buffer
