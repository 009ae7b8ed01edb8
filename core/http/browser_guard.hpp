#pragma once
// What a web page open in the user's browser could make a server on this machine do without the
// user meaning to. Three rules, checked before a route runs:
// - Host: a name the server does not answer to is refused (421), so a page whose own name was
//   re-pointed at this machine (DNS rebinding) cannot read its answers. IP literals are always
//   accepted (a rebound name is never one). Bound to loopback, names are `localhost` and those in
//   `allowed_hosts`; bound beyond it, any name unless `allowed_hosts` lists some (as Jupyter).
// - Cross-site: a request that changes something (any method but GET and HEAD, and the GETs a
//   route marks) whose Origin is not this server's own (or listed in `allowed_origins`), or
//   that the browser marks `Sec-Fetch-Site: cross-site` or `same-site` (another port of
//   localhost is same-site), is refused (403).
// - A body that is not JSON: a POST whose Content-Type is present and is not application/json
//   (or +json) is refused (415): the one body a page can send without asking is text/plain.
//   No Content-Type is read as JSON, as the replaced FastAPI services do.
#include <optional>
#include <string>
#include <vector>

#include "core/http/http_message.hpp"

namespace framehost::core {

struct BrowserGuard {
    std::string bind;                          // the address the server listens on
    std::vector<std::string> allowed_hosts;    // names besides IP literals (and localhost)
    std::vector<std::string> allowed_origins;  // "scheme://host[:port]" of other pages allowed
};

// The refusal of a request under the rules above, or none.
std::optional<HttpResponse> refuse_host(const HttpRequest& request, const BrowserGuard& guard);
std::optional<HttpResponse> refuse_cross_site(const HttpRequest& request,
                                              const BrowserGuard& guard);
std::optional<HttpResponse> refuse_body_type(const HttpRequest& request);

}  // namespace framehost::core
