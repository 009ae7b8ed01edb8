#include "core/isolation/worker_link.hpp"

#include <cerrno>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace framehost::core::isolation {

namespace {
using Clock = std::chrono::steady_clock;

// Reads exactly n bytes before `deadline` (none when `forever`).
Received read_exactly(int fd, char* p, std::size_t n, Clock::time_point deadline, bool forever) {
    while (n > 0) {
        int wait_ms = -1;
        if (!forever) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() < 0) return Received::TimedOut;
            wait_ms = static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30));
        }
        pollfd pfd{fd, POLLIN, 0};
        int ready = ::poll(&pfd, 1, wait_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            return Received::Closed;
        }
        if (ready == 0) return Received::TimedOut;
        auto got = ::recv(fd, p, n, 0);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return Received::Closed;
        }
        if (got == 0) return Received::Closed;
        p += got;
        n -= static_cast<std::size_t>(got);
    }
    return Received::Message;
}
}  // namespace

bool send_message(int fd, const std::string& bytes) {
    std::uint32_t length = static_cast<std::uint32_t>(bytes.size());
    iovec parts[2] = {{&length, sizeof length}, {const_cast<char*>(bytes.data()), bytes.size()}};
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = 2;
    while (message.msg_iovlen > 0) {
        auto sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        // Skip what went out; a partial send resumes inside the part it stopped in.
        auto n = static_cast<std::size_t>(sent);
        while (message.msg_iovlen > 0 && n >= message.msg_iov[0].iov_len) {
            n -= message.msg_iov[0].iov_len;
            ++message.msg_iov;
            --message.msg_iovlen;
        }
        if (message.msg_iovlen > 0) {
            message.msg_iov[0].iov_base = static_cast<char*>(message.msg_iov[0].iov_base) + n;
            message.msg_iov[0].iov_len -= n;
        }
    }
    return true;
}

Received receive_message(int fd, std::string& out, std::chrono::milliseconds timeout) {
    bool forever = timeout.count() < 0;
    auto deadline = Clock::now() + (forever ? std::chrono::milliseconds(0) : timeout);
    std::uint32_t length = 0;
    if (auto r =
            read_exactly(fd, reinterpret_cast<char*>(&length), sizeof length, deadline, forever);
        r != Received::Message)
        return r;
    if (length == 0 || length > kMaxMessageBytes) return Received::Closed;
    out.resize(length);
    return read_exactly(fd, out.data(), length, deadline, forever);
}

}  // namespace framehost::core::isolation
