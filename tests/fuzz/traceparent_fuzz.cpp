// A traceparent header from a caller: parsing never crashes, and what it accepts is written
// back as a well-formed header that parses to the same ids.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/tracing/trace_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = framehost::core::parse_traceparent(text);
    if (!parsed) return 0;
    auto again = framehost::core::parse_traceparent(parsed->to_string());
    if (!again || again->trace_id != parsed->trace_id || again->parent_id != parsed->parent_id)
        std::abort();
    return 0;
}
