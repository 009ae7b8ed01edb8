#include "core/http/http_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>

#include "core/http/request_framer.hpp"
#include "core/log/log.hpp"

namespace framehost::core {

namespace {

using namespace Pistache;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr const char* kFramerKey = "framehost.framer";

// The bytes of one connection not yet answered, and when its oldest partial request began.
struct Connection {
    Connection(std::size_t max_body) : framer(kMaxHeaderBytes, max_body) {}
    RequestFramer framer;
    bool closing = false;
};

const char* method_name(Http::Method m) { return Http::methodString(m); }

// A header with any name: Pistache 0.0.5 writes only typed headers, never raw ones, so
// traceparent, Allow and WWW-Authenticate need a type to be sent at all.
class NamedHeader final : public Http::Header::Header {
public:
    NamedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
    const char* name() const override { return name_.c_str(); }
    void write(std::ostream& stream) const override { stream << value_; }
#ifdef SAFE_HEADER_CAST
    uint64_t hash() const override { return std::hash<std::string>{}(name_); }
#endif

private:
    std::string name_;
    std::string value_;
};

}  // namespace

struct HttpServer::State {
    HttpHandler handle;
    HttpSettings settings;
    std::unique_ptr<Http::Endpoint> endpoint;

    // Connections holding part of a request, for the read timeout.
    std::mutex partial_mutex;
    std::map<std::size_t, std::pair<std::weak_ptr<Tcp::Peer>, Clock::time_point>> partial;
    std::condition_variable reaper_wake;
    bool stopping = false;
    std::thread reaper;

    State(HttpHandler h, const HttpSettings& s) : handle(std::move(h)), settings(s) {}

    void note_partial(const std::shared_ptr<Tcp::Peer>& peer, bool has_partial) {
        std::lock_guard lock(partial_mutex);
        if (!has_partial) {
            partial.erase(peer->getID());
        } else {
            partial.try_emplace(peer->getID(), peer, Clock::now());
        }
    }

    // Closes connections whose request has not arrived whole within the read timeout, so a slow
    // or half-sent request cannot hold a connection (and its buffer) forever.
    void reap() {
        std::unique_lock lock(partial_mutex);
        while (!reaper_wake.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping; })) {
            auto now = Clock::now();
            for (auto it = partial.begin(); it != partial.end();) {
                if (now - it->second.second < settings.read_timeout) {
                    ++it;
                    continue;
                }
                if (auto peer = it->second.first.lock()) ::shutdown(peer->fd(), SHUT_RDWR);
                it = partial.erase(it);
            }
        }
    }
};

namespace {

class FramingHandler : public Http::Handler {
public:
    HTTP_PROTOTYPE(FramingHandler)

    explicit FramingHandler(std::shared_ptr<HttpServer::State> state) : state_(std::move(state)) {}

    void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
        HttpRequest r;
        r.method = method_name(request.method());
        r.path = request.resource();
        r.body = request.body();
        for (const auto& [name, raw] : request.headers().rawList()) {
            std::string lower = name;
            std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
            r.headers[lower] = raw.value();
        }
        for (auto it = request.query().parameters_begin(); it != request.query().parameters_end(); ++it)
            r.query[it->first] = it->second;
        HttpResponse answer;
        try {
            answer = state_->handle(r);
        } catch (const std::exception& e) {
            log(LogLevel::Error, "http", r.method + " " + r.path + " failed: " + e.what());
            answer = error_response(500, "internal error");
        }
        for (const auto& [name, value] : answer.headers)
            response.headers().add(std::make_shared<NamedHeader>(name, value));
        response.send(static_cast<Http::Code>(answer.status), r.method == "HEAD" ? "" : answer.body,
                      Http::Mime::MediaType::fromString(answer.content_type));
    }

    void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
        state_->note_partial(peer, false);
    }

private:
    // Replaces Pistache's own input handling (see request_framer.hpp for why).
    void onInput(const char* buffer, std::size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
        auto connection = std::static_pointer_cast<Connection>(peer->tryGetData(kFramerKey));
        if (!connection) {
            connection = std::make_shared<Connection>(state_->settings.max_body_bytes);
            peer->putData(kFramerKey, connection);
        }
        if (connection->closing) return;  // the rest of a refused request: read and dropped
        connection->framer.append(buffer, len);
        while (true) {
            std::size_t size = 0;
            auto verdict = connection->framer.next(size);
            if (verdict == RequestFramer::Verdict::NeedMore) {
                state_->note_partial(peer, !connection->framer.empty());
                return;
            }
            if (verdict != RequestFramer::Verdict::Complete) {
                refuse(verdict, *connection, peer);
                return;
            }
            serve_one(connection->framer.buffered().substr(0, size), peer);
            connection->framer.consume(size);
        }
    }

    void serve_one(std::string_view bytes, const std::shared_ptr<Tcp::Peer>& peer) {
        auto parser = getParser(peer);
        parser->reset();
        auto& request = parser->request;
        try {
            if (!parser->feed(bytes.data(), bytes.size()))
                throw Http::HttpError(Http::Code::Request_Entity_Too_Large, "request too large");
            if (parser->parse() != Http::Private::State::Done)
                throw Http::HttpError(Http::Code::Bad_Request, "incomplete request");
        } catch (const Http::HttpError& e) {
            parser->reset();
            send_and_close(peer, static_cast<Http::Code>(e.code()), e.reason());
            return;
        } catch (const std::exception& e) {
            parser->reset();
            send_and_close(peer, Http::Code::Bad_Request, e.what());
            return;
        }
        Http::ResponseWriter response(request.version(), transport(), this, peer);
        request.copyAddress(peer->address());
        // HTTP/1.1 connections persist unless the client says otherwise (RFC 9112 9.3);
        // Pistache 0.0.5 closes every one that lacks "Connection: keep-alive".
        auto asked = request.headers().tryGet<Http::Header::Connection>();
        auto control = asked ? asked->control()
                       : request.version() == Http::Version::Http11 ? Http::ConnectionControl::KeepAlive
                                                                    : Http::ConnectionControl::Close;
        response.headers().add<Http::Header::Connection>(control);
        peer->setIdle(false);
        try {
            onRequest(request, std::move(response));
        } catch (const std::exception& e) {
            log(LogLevel::Error, "http", std::string("request handler threw: ") + e.what());
        }
        parser->reset();
    }

    void refuse(RequestFramer::Verdict verdict, Connection& connection,
                const std::shared_ptr<Tcp::Peer>& peer) {
        connection.closing = true;
        state_->note_partial(peer, false);
        switch (verdict) {
            case RequestFramer::Verdict::BodyTooLarge:
                send_and_close(peer, Http::Code::Request_Entity_Too_Large,
                               "request body of " + std::to_string(connection.framer.declared_body_bytes()) +
                                   " bytes is over the limit of " +
                                   std::to_string(state_->settings.max_body_bytes) + " bytes");
                break;
            case RequestFramer::Verdict::HeaderTooLarge:
                send_and_close(peer, Http::Code::Request_Header_Fields_Too_Large, "request headers too large");
                break;
            case RequestFramer::Verdict::LengthRequired:
                send_and_close(peer, Http::Code::Length_Required,
                               "chunked request bodies are not supported: send Content-Length");
                break;
            default:
                send_and_close(peer, Http::Code::Bad_Request, "malformed Content-Length");
        }
    }

    // Answers, then closes the connection once the answer is written: what follows on it is
    // the unread rest of a refused request, never a new one.
    void send_and_close(const std::shared_ptr<Tcp::Peer>& peer, Http::Code code, const std::string& detail) {
        Http::ResponseWriter response(Http::Version::Http11, transport(), this, peer);
        response.headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
        auto body = error_response(static_cast<int>(code), detail).body;
        int fd = peer->fd();
        std::weak_ptr<Tcp::Peer> weak = peer;
        response.send(code, body, MIME(Application, Json))
            .then([weak, fd](ssize_t) {
                      if (auto p = weak.lock()) ::shutdown(fd, SHUT_RDWR);
                  },
                  [weak, fd](std::exception_ptr) {
                      if (auto p = weak.lock()) ::shutdown(fd, SHUT_RDWR);
                  });
    }

    std::shared_ptr<HttpServer::State> state_;
};

}  // namespace

HttpServer::HttpServer(HttpHandler handler, const HttpSettings& settings)
    : state_(std::make_shared<State>(std::move(handler), settings)) {
    Address address(settings.bind, Port(static_cast<std::uint16_t>(settings.port)));
    state_->endpoint = std::make_unique<Http::Endpoint>(address);
    auto options = Http::Endpoint::options()
                       .threads(settings.threads)
                       .flags(Tcp::Options::ReuseAddr)
                       // The framer enforces the body limit; Pistache's buffer only has to hold
                       // one whole request.
                       .maxRequestSize(settings.max_body_bytes + kMaxHeaderBytes + 1024)
                       .maxResponseSize(64u << 20);
    state_->endpoint->init(options);
    state_->endpoint->setHandler(Http::make_handler<FramingHandler>(state_));
    try {
        state_->endpoint->serveThreaded();
    } catch (const std::exception& e) {
        // The endpoint holds the handler, which holds the state: break the cycle.
        state_->endpoint.reset();
        throw std::runtime_error("cannot listen on " + settings.bind + ":" + std::to_string(settings.port) +
                                 ": " + e.what());
    }
    state_->reaper = std::thread([state = state_] { state->reap(); });
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return static_cast<int>(static_cast<std::uint16_t>(state_->endpoint->getPort())); }

void HttpServer::stop() {
    if (!state_->endpoint) return;
    {
        std::lock_guard lock(state_->partial_mutex);
        state_->stopping = true;
    }
    state_->reaper_wake.notify_all();
    if (state_->reaper.joinable()) state_->reaper.join();
    state_->endpoint->shutdown();
    state_->endpoint.reset();
}

}  // namespace framehost::core
