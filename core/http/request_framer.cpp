#include "core/http/request_framer.hpp"
#include "core/text/ascii.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace framehost::core {

namespace http = boost::beast::http;

struct RequestFramer::Parser {
    http::request_parser<http::string_body> beast;
};

RequestFramer::RequestFramer(std::size_t max_header_bytes, std::size_t max_body_bytes)
    : max_header_bytes_(max_header_bytes), max_body_bytes_(max_body_bytes) {}

RequestFramer::~RequestFramer() = default;

void RequestFramer::append(const char* data, std::size_t size) {
    // What the parser took is dropped before the buffer grows, so it holds at most one header
    // and whatever body bytes arrived since the last call.
    if (input_used_ > 0) {
        input_.erase(0, input_used_);
        input_used_ = 0;
    }
    input_.append(data, size);
}

bool RequestFramer::empty() const {
    return !parser_ && input_used_ == input_.size();
}

std::size_t RequestFramer::held_bytes() const {
    std::size_t held = input_.size() - input_used_;
    if (parser_) held += parser_->beast.get().body().size();
    return held;
}

bool RequestFramer::take_continue_request() {
    if (!parser_ || continue_sent_ || !parser_->beast.is_header_done() || parser_->beast.is_done())
        return false;
    auto expect = parser_->beast.get()[http::field::expect];
    continue_sent_ = ascii_lowercase(std::string(expect.data(), expect.size())) == "100-continue";
    return continue_sent_;
}

namespace {

void parse_target(std::string_view target, HttpRequest& request) {
    auto question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question == std::string_view::npos) return;
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        auto eq = pair.find('=');
        if (!pair.empty())
            request.query[std::string(pair.substr(0, eq))] =
                eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
}

}  // namespace

RequestFramer::Verdict RequestFramer::next(HttpRequest& request, bool& keep_alive) {
    if (!parser_) {
        while (input_.size() >= input_used_ + 2 && input_[input_used_] == '\r' &&
               input_[input_used_ + 1] == '\n')
            input_used_ += 2;
        if (input_used_ == input_.size()) return Verdict::NeedMore;
        parser_ = std::make_unique<Parser>();
        parser_->beast.header_limit(static_cast<std::uint32_t>(max_header_bytes_));
        parser_->beast.body_limit(static_cast<std::uint64_t>(max_body_bytes_));
        parser_->beast.eager(true);
        continue_sent_ = false;
    }
    auto& beast = parser_->beast;
    boost::beast::error_code ec;
    while (!beast.is_done() && input_used_ < input_.size()) {
        auto taken = beast.put(
            boost::asio::const_buffer(input_.data() + input_used_, input_.size() - input_used_),
            ec);
        input_used_ += taken;
        if (ec == http::error::need_more) {
            ec = {};
            break;
        }
        if (ec || taken == 0) break;
    }
    if (ec == http::error::body_limit) {
        auto declared = beast.content_length();
        refusal_ = (declared ? "request body of " + std::to_string(*declared) + " bytes"
                             : std::string("chunked request body")) +
                   " is over the limit of " + std::to_string(max_body_bytes_) + " bytes";
        return Verdict::BodyTooLarge;
    }
    if (ec == http::error::header_limit) {
        refusal_ = "request headers over " + std::to_string(max_header_bytes_) + " bytes";
        return Verdict::HeaderTooLarge;
    }
    if (ec) {
        refusal_ = "malformed request: " + ec.message();
        return Verdict::BadRequest;
    }
    if (!beast.is_done()) {
        if (!beast.is_header_done() && input_.size() - input_used_ > max_header_bytes_) {
            refusal_ = "request headers over " + std::to_string(max_header_bytes_) + " bytes";
            return Verdict::HeaderTooLarge;
        }
        return Verdict::NeedMore;
    }
    auto message = beast.release();
    parser_.reset();
    if (message.version() != 10 && message.version() != 11) {
        refusal_ = "malformed request: HTTP/" + std::to_string(message.version() / 10) + "." +
                   std::to_string(message.version() % 10) + " is not served (HTTP/1.0 and 1.1 are)";
        return Verdict::BadRequest;
    }
    request = HttpRequest{};
    auto method = message.method_string();
    request.method = std::string(method.data(), method.size());
    auto target = message.target();
    parse_target(std::string_view(target.data(), target.size()), request);
    for (const auto& field : message) {
        auto name_view = field.name_string();
        auto name = ascii_lowercase(std::string(name_view.data(), name_view.size()));
        auto value = field.value();
        request.headers[std::move(name)] = std::string(value.data(), value.size());
    }
    keep_alive = message.keep_alive();
    request.body = std::move(message.body());
    return Verdict::Complete;
}

}  // namespace framehost::core
