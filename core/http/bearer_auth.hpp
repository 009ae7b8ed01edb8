#pragma once
// The bearer token a server may ask for (http.auth_token): checked in constant time, and the 401
// that says so.
#include <string>

#include "core/http/http_message.hpp"

namespace framehost::core {

// True when `token` is empty (none configured) or the request's Authorization header is
// "Bearer <token>" (the scheme in any case, RFC 9110 11.1).
bool bearer_authorized(const HttpRequest& request, const std::string& token);

// 401 with WWW-Authenticate: Bearer.
HttpResponse bearer_unauthorized();

}  // namespace framehost::core
