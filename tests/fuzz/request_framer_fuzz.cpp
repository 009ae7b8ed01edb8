// Bytes from a client, cut into the pieces the first byte chooses, through the request framer:
// it must never crash, hang or take a request it did not have whole.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/http/request_framer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t piece = data[0] % 64 + 1;
    const char* bytes = reinterpret_cast<const char*>(data + 1);
    std::size_t left = size - 1;
    framehost::core::RequestFramer framer(1024, 4096);
    std::size_t taken_body_bytes = 0;
    while (true) {
        std::size_t n = left < piece ? left : piece;
        framer.append(bytes, n);
        bytes += n;
        left -= n;
        while (true) {
            framehost::core::HttpRequest request;
            bool keep_alive = false;
            auto verdict = framer.next(request, keep_alive);
            if (verdict == framehost::core::RequestFramer::Verdict::Complete) {
                if (request.body.size() > 4096) std::abort();  // past the body limit
                taken_body_bytes += request.body.size();
                framer.take_continue_request();
                continue;
            }
            if (verdict != framehost::core::RequestFramer::Verdict::NeedMore) {
                if (framer.refusal().empty()) std::abort();  // a refusal always says why
                return 0;
            }
            break;
        }
        if (left == 0) break;
    }
    if (taken_body_bytes > size) std::abort();  // a body is never more than what was sent
    return 0;
}
