#pragma once
// Query-string values of the API's list endpoints (/events, /recordings), read the same way:
// text as given, numbers checked, a bad one answered as FastAPI would (422 naming it).
#include <optional>
#include <string>

#include "core/http/http_message.hpp"

namespace framehost::core {

// The value of `name`, or empty when absent.
std::string query_value(const HttpRequest& request, const char* name);
// A value that must be a finite number; false when present and not one.
bool read_number(const HttpRequest& request, const char* name, std::optional<double>& out);
// 422 for the query value `name`.
HttpResponse bad_query(const char* name, const std::string& msg);

}  // namespace framehost::core
