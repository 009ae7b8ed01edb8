// A Frame Buffer answer's frame, as a hostile upstream could send it, through the checks every
// reader makes (nesting before parsing) and the wire frame reader, which must never throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "framehost/json_limits.hpp"
#include "framehost/wire_frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (!framehost::json_nesting_problem(text).empty()) return 0;
    auto item = nlohmann::json::parse(text, nullptr, false);
    if (item.is_discarded()) return 0;
    framehost::WireFrameReader with_pixels(true), without(false);
    auto a = with_pixels.read(item);
    auto b = without.read(item);
    (void)a;
    (void)b;
    return 0;
}
