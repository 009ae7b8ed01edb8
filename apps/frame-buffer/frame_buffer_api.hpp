#pragma once
// The Frame Buffer HTTP API, as its existing clients use it (docs/frame-buffer.md).
#include <memory>

#include "apps/frame-buffer/frame_store.hpp"
#include "core/http/http_message.hpp"

namespace framehost::frame_buffer {

class FrameBufferApi {
public:
    explicit FrameBufferApi(std::unique_ptr<FrameStore> store) : store_(std::move(store)) {}
    // [server threads] Never throws: a backend failure becomes a 503.
    core::HttpResponse handle(const core::HttpRequest& request);

private:
    core::HttpResponse enqueue(const core::HttpRequest& request);
    core::HttpResponse dequeue(const core::HttpRequest& request);
    core::HttpResponse status();
    std::unique_ptr<FrameStore> store_;
};

}  // namespace framehost::frame_buffer
