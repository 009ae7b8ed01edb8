#include "core/http/http_server.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <pistache/stream.h>

#include "core/http/request_framer.hpp"
#include "core/http/request_pool.hpp"
#include "core/http/stream_writer.hpp"
#include "core/log/log.hpp"

namespace framehost::core {

namespace {

using namespace Pistache;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr const char* kConnectionKey = "framehost.connection";
// Streams (MJPEG viewers) served at once, and how long one may take nothing before it is closed.
constexpr std::size_t kMaxStreamReaders = 64;
constexpr std::chrono::milliseconds kStreamStallTimeout{10'000};
// Answers of one connection written to Pistache's queue and not yet sent, past which its next
// requests wait: a client that pipelines without reading cannot grow the host's memory.
constexpr std::size_t kMaxUnsentBytes = 1u << 20;
// Long requests (RequestPool) waiting for a thread, past which they are answered 503.
constexpr std::size_t kMaxWaitingLongRequests = 256;
// How long a pool thread waits to write an answer to a client that has half-closed and reads
// slowly, before it gives up on that answer.
constexpr std::chrono::milliseconds kDirectWriteTimeout{10'000};
// Descriptors kept free of connections: for plugins, logs, Redis, stream duplicates.
constexpr rlim_t kReservedDescriptors = 64 + kMaxStreamReaders;
// Pistache's own timeouts read a parser framehost does not feed; set past any connection's life,
// they never fire, and the reaper here enforces framehost's instead.
constexpr std::chrono::hours kPistacheTimeoutOff{24 * 365};

// What a connection is waiting for, which decides the timeout that closes it.
enum class Phase {
    Reading,  // a request begun, a connection that sent nothing yet, or answers not taken:
              // read_timeout
    Idle,     // between requests: idle_timeout
    Busy,     // a long request runs, or a stream is served: no timeout here
};

// [guarded by `mutex`, taken on Pistache's thread for the connection, a pool thread finishing a
// long request, and the reaper] One client connection.
struct Connection {
    Connection(std::size_t max_body, std::shared_ptr<Tcp::Peer> p)
        : framer(kMaxHeaderBytes, max_body), peer(p), fd(p->fd()) {}

    std::mutex mutex;
    RequestFramer framer;
    std::weak_ptr<Tcp::Peer> peer;
    int fd;
    bool gone = false;           // Pistache is closing fd: it must not be touched again
    bool closing = false;        // answered "close" or refused: nothing more is executed
    bool streaming = false;      // the stream writer owns the socket now
    bool at_pool = false;        // a long request of this connection is running
    bool peer_finished = false;  // the client has sent FIN: Pistache closes on its next read
    // Answers for Pistache's write queue, handed over by flush() once c->mutex is released (see
    // flush()), and whether a thread is handing them over now.
    struct Outgoing {
        std::string bytes;
        std::function<void(bool handed)> after_send;  // HttpResponse::after_send, if any
    };
    std::vector<Outgoing> outbox;
    bool flushing = false;
    std::size_t unsent = 0;  // bytes in Pistache's write queue
    Phase phase = Phase::Reading;
    Clock::time_point phase_since = Clock::now();
};

std::string response_text(const HttpResponse& answer, bool keep_alive, bool head_only) {
    auto reason = Http::codeString(static_cast<Http::Code>(answer.status));
    std::string text = "HTTP/1.1 " + std::to_string(answer.status) + " " +
                       (reason && *reason ? reason : "Status") + "\r\n";
    // RFC 9110 8.6: no length on 1xx, 204 and 304 answers.
    bool bodiless = answer.status < 200 || answer.status == 204 || answer.status == 304;
    if (!bodiless) {
        text += "Content-Type: " + answer.content_type + "\r\n";
        // A HEAD answer gives the length GET would (RFC 9110 9.3.2).
        text += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n";
    }
    text += keep_alive ? "Connection: Keep-Alive\r\n" : "Connection: Close\r\n";
    for (const auto& [name, value] : answer.headers) text += name + ": " + value + "\r\n";
    text += "\r\n";
    if (!head_only && !bodiless) text += answer.body;
    return text;
}

// Writes all of `bytes` to a blocking-or-not socket, waiting up to `timeout` for room.
void write_fully(int fd, std::string_view bytes, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!bytes.empty()) {
        auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return;
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, static_cast<int>(left.count()));
    }
}

}  // namespace

struct HttpServer::State {
    HttpHandler handle;
    LongRequests runs_long;
    HttpSettings settings;
    std::size_t max_connections;
    std::unique_ptr<Http::Endpoint> endpoint;
    std::unique_ptr<RequestPool> pool;

    // Every open connection, for the reaper.
    std::mutex connections_mutex;
    std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
    std::condition_variable reaper_wake;
    bool stopping = false;
    std::thread reaper;

    // Streamed responses (MJPEG), written from a thread of their own.
    StreamWriter streams;

    State(HttpHandler h, LongRequests l, const HttpSettings& s)
        : handle(std::move(h)),
          runs_long(std::move(l)),
          settings(s),
          streams(kMaxStreamReaders, kStreamStallTimeout, s.stream_idle_timeout) {
        max_connections = settings.max_connections;
        rlimit files{};
        if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
            // Past the descriptor limit accept() fails and Pistache's listener spins on it.
            auto room = files.rlim_cur > 2 * kReservedDescriptors
                            ? files.rlim_cur - kReservedDescriptors
                            : files.rlim_cur / 2;
            if (room < max_connections) {
                log(LogLevel::Warn, "http",
                    "serving at most " + std::to_string(room) + " connections, not " +
                        std::to_string(max_connections) + ": the descriptor limit is " +
                        std::to_string(files.rlim_cur) + " (ulimit -n)");
                max_connections = room;
            }
        }
    }

    // Closes connections whose phase has lasted past its timeout: a slow or half-sent request,
    // an idle keep-alive client or one that does not read its answers cannot hold a connection
    // (and its buffers) forever. Closing is a shutdown: Pistache then sees the end and cleans up.
    void reap() {
        std::unique_lock lock(connections_mutex);
        while (
            !reaper_wake.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping; })) {
            std::vector<std::shared_ptr<Connection>> open;
            open.reserve(connections.size());
            for (auto& [_, weak] : connections)
                if (auto c = weak.lock()) open.push_back(std::move(c));
            lock.unlock();
            auto now = Clock::now();
            for (auto& c : open) {
                std::lock_guard guard(c->mutex);
                if (c->gone || c->phase == Phase::Busy) continue;
                auto limit =
                    c->phase == Phase::Idle ? settings.idle_timeout : settings.read_timeout;
                if (now - c->phase_since >= limit) ::shutdown(c->fd, SHUT_RDWR);
            }
            open.clear();
            lock.lock();
        }
    }
};

namespace {

// Set on pool threads: their answers are written at once (see send()).
thread_local bool t_writes_directly = false;

class FramingHandler : public Http::Handler {
  public:
    HTTP_PROTOTYPE(FramingHandler)

    explicit FramingHandler(std::shared_ptr<HttpServer::State> state) : state_(std::move(state)) {}

    // Never called: onInput frames, parses and answers every request itself.
    void onRequest(const Http::Request&, Http::ResponseWriter) override {}

    void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
        // Pistache's idle check reads every peer's parser (and throws without one), though
        // framehost never feeds it: its own onConnection, which makes it, is private.
        peer->putData(Http::Handler::ParserData, std::make_shared<Http::RequestParser>(0));
        auto c = std::make_shared<Connection>(state_->settings.max_body_bytes, peer);
        peer->putData(kConnectionKey, c);
        std::size_t open = 0;
        {
            std::lock_guard lock(state_->connections_mutex);
            state_->connections[c.get()] = c;
            open = state_->connections.size();
        }
        if (open > state_->max_connections) {
            std::lock_guard guard(c->mutex);
            c->closing = true;
            write_fully(c->fd,
                        response_text(
                            error_response(503, "too many connections (" +
                                                    std::to_string(state_->max_connections) + ")"),
                            false, false),
                        std::chrono::milliseconds(0));
            ::shutdown(c->fd, SHUT_RDWR);
        }
    }

    void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
        auto c = connection_of(peer);
        if (!c) return;
        {
            std::lock_guard guard(c->mutex);
            c->gone = true;
        }
        std::lock_guard lock(state_->connections_mutex);
        state_->connections.erase(c.get());
    }

  private:
    static std::shared_ptr<Connection> connection_of(const std::shared_ptr<Tcp::Peer>& peer) {
        return std::static_pointer_cast<Connection>(peer->tryGetData(kConnectionKey));
    }

    // Replaces Pistache's own input handling (see request_framer.hpp for why).
    void onInput(const char* buffer, std::size_t len,
                 const std::shared_ptr<Tcp::Peer>& peer) override {
        auto c = connection_of(peer);
        if (!c) return;
        {
            std::lock_guard guard(c->mutex);
            if (c->closing || c->streaming) return;  // after a close: read, dropped, never run
            c->framer.append(buffer, len);
            // A request followed at once by FIN (`nc -N`): Pistache's next read sees the end and
            // drops the peer with its queued writes, so its answers are written here and now.
            char next;
            if (::recv(c->fd, &next, 1, MSG_PEEK | MSG_DONTWAIT) == 0) c->peer_finished = true;
            pump(c);
        }
        flush(c);
    }

    // [c->mutex held] Answers the requests buffered on `c` in order, while nothing holds them
    // back: a long request running, answers the client has not taken, or a close.
    void pump(const std::shared_ptr<Connection>& c, bool answered = false) {
        while (!c->closing && !c->streaming && !c->at_pool && !c->gone &&
               c->unsent <= kMaxUnsentBytes) {
            HttpRequest request;
            bool keep_alive = false;
            auto verdict = c->framer.next(request, keep_alive);
            if (verdict == RequestFramer::Verdict::NeedMore) {
                if (c->framer.take_continue_request()) send(c, "HTTP/1.1 100 Continue\r\n\r\n");
                break;
            }
            if (verdict != RequestFramer::Verdict::Complete) {
                refuse(verdict, c);
                break;
            }
            if (state_->runs_long && state_->runs_long(request)) {
                to_pool(c, std::move(request), keep_alive);
                break;
            }
            answer(c, request, keep_alive, run(request));
            answered = true;
        }
        // While answers wait, what the client goes on sending is held, up to one more request.
        if (c->unsent > kMaxUnsentBytes && !c->closing &&
            c->framer.held_bytes() > state_->settings.max_body_bytes + kMaxHeaderBytes) {
            c->closing = true;
            ::shutdown(c->fd, SHUT_RDWR);
        }
        set_phase(*c, answered);
    }

    // A phase's timeout counts from when it began, or from the last answer: a client dribbling
    // a request byte by byte does not extend its read timeout, one making requests is never idle.
    static void set_phase(Connection& c, bool answered) {
        Phase phase = c.streaming || c.at_pool            ? Phase::Busy
                      : c.unsent > 0 || !c.framer.empty() ? Phase::Reading
                                                          : Phase::Idle;
        if (phase == c.phase && !answered) return;
        c.phase = phase;
        c.phase_since = Clock::now();
    }

    HttpResponse run(const HttpRequest& request) {
        try {
            return state_->handle(request);
        } catch (const std::exception& e) {
            log(LogLevel::Error, "http",
                request.method + " " + request.path + " failed: " + e.what());
            return error_response(500, "internal error");
        }
    }

    // [c->mutex held]
    void answer(const std::shared_ptr<Connection>& c, const HttpRequest& request, bool keep_alive,
                HttpResponse response) {
        if (response.stream && request.method == "GET" && stream(c, response)) return;
        if (response.stream) {
            response = error_response(503, "too many streams are being served (" +
                                               std::to_string(kMaxStreamReaders) + ")");
            if (request.method == "HEAD") response.status = 200;
        }
        if (!keep_alive) c->closing = true;  // nothing sent after this request is run
        send(c, response_text(response, keep_alive, request.method == "HEAD"),
             std::move(response.after_send));
    }

    // [c->mutex held] Queues `bytes` on Pistache's write queue, which its thread for the
    // connection writes once it has read every connection that was ready: written at once, each
    // answer would wake its client in the middle of that round, and on two cores the client
    // preempts the server (p99 of GET /health 4.5 ms -> 17 ms under wrk -c50). Written at once:
    // to a client that has sent FIN, as what Pistache queues for it is lost, and from pool
    // threads, which are in no such round. This connection's next requests wait while more than
    // kMaxUnsentBytes are unsent.
    // `after_send` is told once the kernel has every byte (true), or that it never will (false).
    void send(const std::shared_ptr<Connection>& c, std::string bytes,
              std::function<void(bool handed)> after_send = {}) {
        auto tell = [&](bool handed) {
            if (after_send) after_send(handed);
        };
        if (c->gone) return tell(false);
        std::size_t sent = 0;
        if (c->unsent == 0 && (c->peer_finished || t_writes_directly)) {
            while (sent < bytes.size()) {
                auto n = ::send(c->fd, bytes.data() + sent, bytes.size() - sent,
                                MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n > 0) {
                    sent += static_cast<std::size_t>(n);
                } else if (n < 0 && errno == EINTR) {
                    continue;
                } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                    break;
                } else {
                    return tell(false);  // the client is gone; Pistache learns it on its next read
                }
            }
        }
        if (sent == bytes.size()) {
            if (c->closing && c->unsent == 0) ::shutdown(c->fd, SHUT_WR);
            return tell(true);
        }
        c->unsent += bytes.size() - sent;
        c->outbox.push_back(
            {sent == 0 ? std::move(bytes) : bytes.substr(sent), std::move(after_send)});
    }

    // [c->mutex not held] Hands the connection's outbox to Pistache's write queue, in order.
    // Never under c->mutex: then() takes the promise's lock, and Pistache holds that lock while
    // it runs the continuation, which takes c->mutex. One thread hands over at a time (the
    // order of answers); what others queue meanwhile, it hands over too.
    void flush(const std::shared_ptr<Connection>& c) {
        std::unique_lock guard(c->mutex);
        if (c->flushing) return;
        c->flushing = true;
        while (!c->outbox.empty() && !c->gone) {
            auto out = std::move(c->outbox);
            c->outbox.clear();
            auto peer = c->peer.lock();
            guard.unlock();
            for (auto& [bytes, after_send] : out) {
                std::size_t size = bytes.size();
                if (!peer) {
                    if (after_send) after_send(false);
                    continue;
                }
                peer->send(RawBuffer(std::move(bytes), size))
                    .then(
                        [weak = std::weak_ptr<Connection>(c), size, self = this,
                         after_send](ssize_t) {
                            self->written(weak, size);
                            if (after_send) after_send(true);
                        },
                        [after_send](std::exception_ptr) {
                            if (after_send) after_send(false);
                        });
            }
            guard.lock();
            if (!peer) break;
        }
        c->flushing = false;
    }

    // Pistache wrote `size` bytes of a connection's answers: its next requests may run. On
    // Pistache's thread for the connection, or inline in flush() when written already. A
    // connection that goes away first never gets here: it has nothing left to wait for.
    void written(const std::weak_ptr<Connection>& weak, std::size_t size) {
        auto conn = weak.lock();
        if (!conn) return;
        {
            std::lock_guard guard(conn->mutex);
            conn->unsent -= size;
            if (conn->closing && conn->unsent == 0 && !conn->gone) ::shutdown(conn->fd, SHUT_WR);
            pump(conn);
        }
        flush(conn);
    }

    // [c->mutex held] Runs `request` on the pool; the connection's next requests wait for it.
    // Pool threads write the answer themselves when the client has half-closed meanwhile (a
    // request followed at once by FIN, as `nc -N` sends): Pistache closes its descriptor then,
    // so the pool thread holds a duplicate.
    void to_pool(const std::shared_ptr<Connection>& c, HttpRequest request, bool keep_alive) {
        int own_fd = ::dup(c->fd);
        if (own_fd < 0) {
            answer(c, request, keep_alive, error_response(503, "out of descriptors"));
            return;
        }
        c->at_pool = true;
        std::weak_ptr<Connection> weak = c;
        auto* self = this;
        bool taken = state_->pool->submit([self, weak, own_fd, keep_alive,
                                           request = std::move(request)]() mutable {
            t_writes_directly = true;
            auto response = self->run(request);
            auto conn = weak.lock();
            if (!conn) {
                write_fully(own_fd, response_text(response, keep_alive, request.method == "HEAD"),
                            kDirectWriteTimeout);
                ::close(own_fd);
                if (response.after_send) response.after_send(true);
                return;
            }
            std::unique_lock guard(conn->mutex);
            conn->at_pool = false;
            if (conn->gone) {
                guard.unlock();
                write_fully(own_fd, response_text(response, keep_alive, request.method == "HEAD"),
                            kDirectWriteTimeout);
                ::close(own_fd);
                if (response.after_send) response.after_send(true);
                return;
            }
            ::close(own_fd);
            self->answer(conn, request, keep_alive, std::move(response));
            self->pump(conn, true);
            guard.unlock();
            self->flush(conn);
        });
        if (!taken) {
            ::close(own_fd);
            c->at_pool = false;
            HttpRequest refused = std::move(request);
            answer(c, refused, keep_alive,
                   error_response(503, "server busy: " + std::to_string(kMaxWaitingLongRequests) +
                                           " long requests are waiting"));
        }
    }

    // [c->mutex held] Hands the connection to the stream writer: headers and parts are written
    // from its thread on a descriptor of its own (a dup, so that the number cannot be reused under
    // it when Pistache closes its own); what the client sends from now on is ignored. False when
    // the writer serves its most already.
    bool stream(const std::shared_ptr<Connection>& c, const HttpResponse& response) {
        if (c->unsent > 0) return false;  // earlier answers still queued: the order would break
        std::string head = "HTTP/1.1 200 OK\r\nContent-Type: " + response.content_type +
                           "\r\nConnection: close\r\n";
        for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
        head += "\r\n";
        int fd = ::dup(c->fd);
        if (fd < 0) return false;
        if (!state_->streams.add(fd, std::move(head), response.stream)) {
            ::close(fd);
            return false;
        }
        c->streaming = true;
        return true;
    }

    // [c->mutex held] Answers, then closes the connection once the answer is written: what
    // follows on it is the unread rest of a refused request, never a new one.
    void refuse(RequestFramer::Verdict verdict, const std::shared_ptr<Connection>& c) {
        int status = 400;
        if (verdict == RequestFramer::Verdict::BodyTooLarge) status = 413;
        if (verdict == RequestFramer::Verdict::HeaderTooLarge) status = 431;
        c->closing = true;
        send(c, response_text(error_response(status, c->framer.refusal()), false, false));
    }

    std::shared_ptr<HttpServer::State> state_;
};

}  // namespace

HttpServer::HttpServer(HttpHandler handler, const HttpSettings& settings,
                       LongRequests long_requests)
    : state_(std::make_shared<State>(std::move(handler), std::move(long_requests), settings)) {
    state_->pool = std::make_unique<RequestPool>(
        static_cast<std::size_t>(std::max(settings.threads, 2)), kMaxWaitingLongRequests);
    Address address(settings.bind, Port(static_cast<std::uint16_t>(settings.port)));
    state_->endpoint = std::make_unique<Http::Endpoint>(address);
    auto options = Http::Endpoint::options()
                       .threads(settings.threads)
                       .flags(Tcp::Options::ReuseAddr)
                       .headerTimeout(kPistacheTimeoutOff)
                       .bodyTimeout(kPistacheTimeoutOff)
                       .keepaliveTimeout(kPistacheTimeoutOff);
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
        std::lock_guard lock(state_->connections_mutex);
        state_->stopping = true;
    }
    state_->reaper_wake.notify_all();
    if (state_->reaper.joinable()) state_->reaper.join();
    // Long requests taken are answered before the connections close.
    state_->pool.reset();
    state_->endpoint->shutdown();
    state_->endpoint.reset();
}

}  // namespace framehost::core
