#pragma once
// An event's snapshot: the frame, scaled down to at most max_width, with the event's box drawn
// and labelled, as JPEG.
#include <cstdint>
#include <memory>
#include <vector>

#include <framehost/events.hpp>
#include <framehost/frame.hpp>

namespace framehost::events {

// Throws std::runtime_error for pixels it cannot draw on.
std::shared_ptr<const std::vector<std::uint8_t>> draw_snapshot(const Frame& frame,
                                                               const Event& event, int max_width,
                                                               int quality);

}  // namespace framehost::events
