#include "core/isolation/worker_link.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace framehost::core::isolation {

namespace {
using Clock = std::chrono::steady_clock;
constexpr std::size_t kReadSize = 64 << 10;
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

Received MessageReceiver::receive(std::string_view& out, std::chrono::milliseconds timeout) {
    // The message handed out last is read: its bytes may go.
    start_ += handed_;
    handed_ = 0;
    if (start_ == end_) start_ = end_ = 0;
    bool forever = timeout.count() < 0;
    auto deadline = Clock::now() + (forever ? std::chrono::milliseconds(0) : timeout);
    for (;;) {
        std::size_t have = end_ - start_;
        std::size_t wanted = sizeof(std::uint32_t);
        if (have >= sizeof(std::uint32_t)) {
            std::uint32_t length = 0;
            std::memcpy(&length, buffer_.data() + start_, sizeof length);
            if (length == 0 || length > kMaxMessageBytes) return Received::Closed;
            wanted += length;
            if (have >= wanted) {
                out = std::string_view(buffer_.data() + start_ + sizeof length, length);
                handed_ = wanted;
                return Received::Message;
            }
        }
        // Room for the rest of this message, at the front of the buffer.
        if (start_ > 0) {
            std::memmove(buffer_.data(), buffer_.data() + start_, have);
            start_ = 0;
            end_ = have;
        }
        if (buffer_.size() < std::max(wanted, kReadSize))
            buffer_.resize(std::max(wanted, kReadSize));
        if (!forever) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() < 0) return Received::TimedOut;
            pollfd pfd{fd_, POLLIN, 0};
            int ready =
                ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30)));
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) return Received::Closed;
            if (ready == 0) return Received::TimedOut;
        }
        auto got = ::recv(fd_, buffer_.data() + end_, buffer_.size() - end_, 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) return Received::Closed;
        end_ += static_cast<std::size_t>(got);
    }
}

}  // namespace framehost::core::isolation
