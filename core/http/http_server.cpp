#include "core/http/http_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <pistache/stream.h>

#include "core/http/request_framer.hpp"
#include "core/http/stream_writer.hpp"
#include "core/log/log.hpp"

namespace framehost::core {

namespace {

using namespace Pistache;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr const char* kFramerKey = "framehost.framer";
// Streams (MJPEG viewers) served at once, and how long one may take nothing before it is closed.
constexpr std::size_t kMaxStreamReaders = 64;
constexpr std::chrono::milliseconds kStreamStallTimeout{10'000};

// The bytes of one connection not yet answered, and when its oldest partial request began.
struct Connection {
    Connection(std::size_t max_body) : framer(kMaxHeaderBytes, max_body) {}
    RequestFramer framer;
    bool closing = false;
};

// A header with any name: Pistache 0.0.5 writes only typed headers, never raw ones, so
// traceparent, Allow and WWW-Authenticate need a type to be sent at all.
class NamedHeader final : public Http::Header::Header {
  public:
    NamedHeader(std::string name, std::string value)
        : name_(std::move(name)), value_(std::move(value)) {}
    const char* name() const override { return name_.c_str(); }
    void write(std::ostream& stream) const override { stream << value_; }
#ifdef SAFE_HEADER_CAST
    uint64_t hash() const override {
        return std::hash<std::string>{}(name_);
    }
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

    // Streamed responses (MJPEG), written from a thread of their own.
    StreamWriter streams{kMaxStreamReaders, kStreamStallTimeout};

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
        while (
            !reaper_wake.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping; })) {
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

    // Never called: onInput frames, parses and answers every request itself.
    void onRequest(const Http::Request&, Http::ResponseWriter) override {}

    void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
        state_->note_partial(peer, false);
    }

  private:
    // Replaces Pistache's own input handling (see request_framer.hpp for why).
    void onInput(const char* buffer, std::size_t len,
                 const std::shared_ptr<Tcp::Peer>& peer) override {
        auto connection = std::static_pointer_cast<Connection>(peer->tryGetData(kFramerKey));
        if (!connection) {
            connection = std::make_shared<Connection>(state_->settings.max_body_bytes);
            peer->putData(kFramerKey, connection);
        }
        if (connection->closing) return;  // the rest of a refused request: read and dropped
        connection->framer.append(buffer, len);
        while (true) {
            std::size_t size = 0;
            RequestHead head;
            auto verdict = connection->framer.next(size, head);
            if (verdict == RequestFramer::Verdict::NeedMore) {
                if (connection->framer.take_continue_request()) {
                    static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
                    peer->send(RawBuffer(kContinue, sizeof kContinue - 1));
                }
                state_->note_partial(peer, !connection->framer.empty());
                return;
            }
            if (verdict != RequestFramer::Verdict::Complete) {
                refuse(verdict, *connection, peer);
                return;
            }
            HttpRequest request;
            request.method = std::move(head.method);
            request.path = std::move(head.path);
            request.query = std::move(head.query);
            request.headers = std::move(head.headers);
            request.body.assign(
                connection->framer.buffered().substr(head.body_offset, head.body_size));
            connection->framer.consume(size);
            respond(request, head.http11, peer);
        }
    }

    void respond(const HttpRequest& request, bool http11, const std::shared_ptr<Tcp::Peer>& peer) {
        HttpResponse answer;
        try {
            answer = state_->handle(request);
        } catch (const std::exception& e) {
            log(LogLevel::Error, "http",
                request.method + " " + request.path + " failed: " + e.what());
            answer = error_response(500, "internal error");
        }
        if (answer.stream && request.method == "GET" && stream(answer, peer)) return;
        if (answer.stream) {
            answer = error_response(503, "too many streams are being served (" +
                                             std::to_string(kMaxStreamReaders) + ")");
            if (request.method == "HEAD") answer.status = 200;
        }
        // A server answers in its own version (RFC 9110 6.2), whatever the request said.
        Http::ResponseWriter response(Http::Version::Http11, transport(), this, peer);
        // HTTP/1.1 connections persist unless the client says otherwise (RFC 9112 9.3);
        // Pistache 0.0.5 closed every one that lacked "Connection: keep-alive".
        auto connection = request.header("connection");
        for (auto& c : connection)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool keep_alive = connection.find("close") == std::string::npos &&
                          (http11 || connection.find("keep-alive") != std::string::npos);
        response.headers().add<Http::Header::Connection>(
            keep_alive ? Http::ConnectionControl::KeepAlive : Http::ConnectionControl::Close);
        for (const auto& [name, value] : answer.headers)
            response.headers().add(std::make_shared<NamedHeader>(name, value));
        peer->setIdle(false);
        if (keep_alive) {
            response.send(static_cast<Http::Code>(answer.status),
                          request.method == "HEAD" ? "" : answer.body,
                          Http::Mime::MediaType::fromString(answer.content_type));
            return;
        }
        int fd = peer->fd();
        std::weak_ptr<Tcp::Peer> weak = peer;
        response
            .send(static_cast<Http::Code>(answer.status),
                  request.method == "HEAD" ? "" : answer.body,
                  Http::Mime::MediaType::fromString(answer.content_type))
            .then(
                [weak, fd](ssize_t) {
                    if (auto p = weak.lock()) ::shutdown(fd, SHUT_RDWR);
                },
                [weak, fd](std::exception_ptr) {
                    if (auto p = weak.lock()) ::shutdown(fd, SHUT_RDWR);
                });
    }

    // Hands the connection to the stream writer: headers and parts are written from its thread
    // on a descriptor of its own (a dup, so that the number cannot be reused under it when
    // Pistache closes its own); what the client sends from now on is ignored. False when the
    // writer serves its most already.
    bool stream(const HttpResponse& answer, const std::shared_ptr<Tcp::Peer>& peer) {
        std::string head =
            "HTTP/1.1 200 OK\r\nContent-Type: " + answer.content_type + "\r\nConnection: close\r\n";
        for (const auto& [name, value] : answer.headers) head += name + ": " + value + "\r\n";
        head += "\r\n";
        int fd = ::dup(peer->fd());
        if (fd < 0) return false;
        if (!state_->streams.add(fd, std::move(head), answer.stream)) {
            ::close(fd);
            return false;
        }
        if (auto c = std::static_pointer_cast<Connection>(peer->tryGetData(kFramerKey)))
            c->closing = true;
        return true;
    }

    void refuse(RequestFramer::Verdict verdict, Connection& connection,
                const std::shared_ptr<Tcp::Peer>& peer) {
        connection.closing = true;
        state_->note_partial(peer, false);
        switch (verdict) {
            case RequestFramer::Verdict::BodyTooLarge:
                send_and_close(peer, Http::Code::Request_Entity_Too_Large,
                               "request body of " +
                                   std::to_string(connection.framer.declared_body_bytes()) +
                                   " bytes is over the limit of " +
                                   std::to_string(state_->settings.max_body_bytes) + " bytes");
                break;
            case RequestFramer::Verdict::HeaderTooLarge:
                send_and_close(peer, Http::Code::Request_Header_Fields_Too_Large,
                               "request headers too large");
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
    void send_and_close(const std::shared_ptr<Tcp::Peer>& peer, Http::Code code,
                        const std::string& detail) {
        Http::ResponseWriter response(Http::Version::Http11, transport(), this, peer);
        response.headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
        auto body = error_response(static_cast<int>(code), detail).body;
        int fd = peer->fd();
        std::weak_ptr<Tcp::Peer> weak = peer;
        response.send(code, body, MIME(Application, Json))
            .then(
                [weak, fd](ssize_t) {
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
        throw std::runtime_error("cannot listen on " + settings.bind + ":" +
                                 std::to_string(settings.port) + ": " + e.what());
    }
    state_->reaper = std::thread([state = state_] { state->reap(); });
}

HttpServer::~HttpServer() {
    stop();
}

int HttpServer::port() const {
    return static_cast<int>(static_cast<std::uint16_t>(state_->endpoint->getPort()));
}

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
