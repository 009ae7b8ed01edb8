#include "core/http/stream_writer.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace framehost::core {

namespace {
using Clock = std::chrono::steady_clock;
// How often the thread looks for new parts when nothing is to be written.
constexpr std::chrono::milliseconds kTick{10};
}  // namespace

StreamWriter::StreamWriter(std::size_t max_readers, std::chrono::milliseconds stall_timeout,
                           std::chrono::milliseconds idle_timeout)
    : max_readers_(max_readers),
      stall_timeout_(stall_timeout),
      idle_timeout_(idle_timeout),
      thread_([this] { run(); }) {}

StreamWriter::~StreamWriter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    for (auto& r : readers_) {
        ::shutdown(r.fd, SHUT_RDWR);
        ::close(r.fd);
    }
}

bool StreamWriter::add(int fd, std::string head, std::shared_ptr<ResponseStream> stream) {
    {
        std::lock_guard lock(mutex_);
        if (readers_.size() >= max_readers_ || stopping_) return false;
        Reader r;
        r.fd = fd;
        r.stream = std::move(stream);
        r.pending = std::make_shared<const std::string>(std::move(head));
        r.last_progress = r.next_part_at = r.last_part_at = Clock::now();
        readers_.push_back(std::move(r));
    }
    wake_.notify_all();
    return true;
}

std::size_t StreamWriter::readers() const {
    std::lock_guard lock(mutex_);
    return readers_.size();
}

bool StreamWriter::write_some(Reader& r, Clock::time_point now) {
    while (r.pending && r.offset < r.pending->size()) {
        ssize_t n = ::send(r.fd, r.pending->data() + r.offset, r.pending->size() - r.offset,
                           MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            r.offset += static_cast<std::size_t>(n);
            r.last_progress = now;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return now - r.last_progress < stall_timeout_;  // a reader that stopped reading
        if (n < 0 && errno == EINTR) continue;
        return false;  // gone (EPIPE, ECONNRESET, ...)
    }
    r.pending.reset();
    r.offset = 0;
    return true;
}

void StreamWriter::run() {
    std::unique_lock lock(mutex_);
    std::vector<pollfd> fds;
    while (!stopping_) {
        auto now = Clock::now();
        for (std::size_t i = 0; i < readers_.size();) {
            Reader& r = readers_[i];
            bool alive = true;
            if (!r.pending && now >= r.next_part_at) {
                // Parts that came while the reader was behind are skipped: it gets the newest.
                if (auto part = r.stream->next_part()) {
                    r.pending = std::move(part);
                    r.offset = 0;
                    r.next_part_at = now + r.stream->interval();
                    r.last_part_at = now;
                } else if (r.stream->ended() || now - r.last_part_at >= idle_timeout_) {
                    alive = false;
                }
            }
            alive = alive && write_some(r, now);
            // A reader that closed its side: a read of 0 bytes (what it sends is ignored).
            if (alive) {
                char scratch[512];
                ssize_t got = ::recv(r.fd, scratch, sizeof scratch, MSG_DONTWAIT);
                if (got == 0 ||
                    (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                    alive = false;
            }
            if (alive) {
                ++i;
                continue;
            }
            ::shutdown(r.fd, SHUT_RDWR);
            ::close(r.fd);
            readers_[i] = std::move(readers_.back());
            readers_.pop_back();
        }
        // Sleep until a socket with pending bytes can take more, or the next tick.
        fds.clear();
        for (const auto& r : readers_)
            if (r.pending) fds.push_back({r.fd, POLLOUT, 0});
        lock.unlock();
        if (fds.empty())
            std::this_thread::sleep_for(kTick);
        else
            ::poll(fds.data(), fds.size(), static_cast<int>(kTick.count()));
        lock.lock();
        if (readers_.empty()) wake_.wait(lock, [&] { return stopping_ || !readers_.empty(); });
    }
}

}  // namespace framehost::core
