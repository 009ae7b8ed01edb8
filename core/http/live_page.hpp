#pragma once
// The host's own web page (GET /): cameras with their latest pictures, the processor chain,
// charts of the last minutes, recent failures. One HTML file with its script and styles
// (core/http/live_page.html, compiled in); it polls /health, /metrics and /cameras.
#include <string_view>

namespace framehost::core {

std::string_view live_page_html();

}  // namespace framehost::core
