#pragma once
// The X-Framehost-Signature of a webhook body: "sha256=" and the hex HMAC-SHA256 of the body
// with the shared secret, as GitHub signs its webhooks (X-Hub-Signature-256), so receivers can
// reuse their verification code.
#include <string>
#include <string_view>

namespace framehost::webhook {

std::string signature(std::string_view secret, std::string_view body);

}  // namespace framehost::webhook
