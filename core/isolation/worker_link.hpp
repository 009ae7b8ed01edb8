#pragma once
// The byte-level link between the host and a plugin worker process (core/isolation/): length-
// prefixed messages over a stream socket, and the little-endian reader and writer of their
// fields. Pixels never travel here: they cross in a shared arena (shared_arena.hpp).
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace framehost::core::isolation {

// What a message is, its first byte.
enum class MessageType : std::uint8_t {
    // host -> worker
    Hello = 1,    // plugin file, instance name, params (YAML), arena size
    Start = 2,    // the plugin's start()
    Stop = 3,     // the plugin's stop(), then the worker exits
    Process = 4,  // frames for a processor
    Write = 5,    // frames for a sink
    // worker -> host
    Ready = 20,    // the instance is created (Hello) or started (Start) or stopped (Stop)
    Refused = 21,  // Hello or Start failed: the text says why
    Processed = 22,
    Written = 23,
    CallFailed = 24,  // the call threw: the text says what
};

class MessageWriter {
  public:
    explicit MessageWriter(MessageType type) { u8(static_cast<std::uint8_t>(type)); }
    // Begins a new message in the same buffer: a writer kept for a link's calls allocates only
    // while its messages grow.
    void restart(MessageType type) {
        buffer_.clear();
        u8(static_cast<std::uint8_t>(type));
    }
    void u8(std::uint8_t v) { buffer_.push_back(static_cast<char>(v)); }
    void u32(std::uint32_t v) { raw(&v, sizeof v); }
    void u64(std::uint64_t v) { raw(&v, sizeof v); }
    void i64(std::int64_t v) { raw(&v, sizeof v); }
    void f64(double v) { raw(&v, sizeof v); }
    void f32(float v) { raw(&v, sizeof v); }
    void text(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        buffer_.append(s);
    }
    const std::string& bytes() const { return buffer_; }
    // For undoing what did not fit: where the message ends now, and going back there.
    std::size_t mark() const { return buffer_.size(); }
    void truncate(std::size_t mark) { buffer_.resize(mark); }
    // Writes `v` over the u32 written at `mark` (a count known only after what it counts).
    void patch_u32(std::size_t mark, std::uint32_t v) {
        std::memcpy(buffer_.data() + mark, &v, sizeof v);
    }

  private:
    void raw(const void* p, std::size_t n) { buffer_.append(static_cast<const char*>(p), n); }
    std::string buffer_;
};

// Reads what MessageWriter wrote; a message shorter than its fields throws std::runtime_error.
class MessageReader {
  public:
    explicit MessageReader(std::string_view bytes) : rest_(bytes) {}
    MessageType type() { return static_cast<MessageType>(u8()); }
    std::uint8_t u8() { return take<std::uint8_t>(); }
    std::uint32_t u32() { return take<std::uint32_t>(); }
    std::uint64_t u64() { return take<std::uint64_t>(); }
    std::int64_t i64() { return take<std::int64_t>(); }
    double f64() { return take<double>(); }
    float f32() { return take<float>(); }
    std::string text() { return std::string(view()); }
    // A text without a copy, valid as long as the message's bytes are.
    std::string_view view() {
        auto n = u32();
        need(n);
        auto s = rest_.substr(0, n);
        rest_.remove_prefix(n);
        return s;
    }
    bool done() const { return rest_.empty(); }

  private:
    void need(std::size_t n) const {
        if (rest_.size() < n) throw std::runtime_error("a worker message ended early");
    }
    template <class T>
    T take() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, rest_.data(), sizeof(T));
        rest_.remove_prefix(sizeof(T));
        return v;
    }
    std::string_view rest_;
};

// The largest message either side accepts: metadata and results of a batch, never pixels.
constexpr std::size_t kMaxMessageBytes = 256u << 20;

// Sends one message; false when the peer is gone (EPIPE and the like). Never raises SIGPIPE.
bool send_message(int fd, const std::string& bytes);

enum class Received { Message, Closed, TimedOut };

// Receives messages from one socket, reading as much as is there at once: a call's answer is
// usually one recv(), with no poll() when the wait has no bound (the host's watchdog kills a
// worker that runs over, which ends the wait).
class MessageReceiver {
  public:
    explicit MessageReceiver(int fd = -1) : fd_(fd) {}
    // One message into `out`, waiting at most `timeout` for it to begin and end (negative: for
    // ever). A peer that sends a malformed length is treated as closed. `out` views the
    // receiver's buffer: it is valid until the next call.
    Received receive(std::string_view& out, std::chrono::milliseconds timeout);
    // The same, copied into `out`.
    Received receive(std::string& out, std::chrono::milliseconds timeout) {
        std::string_view view;
        auto got = receive(view, timeout);
        if (got == Received::Message) out.assign(view);
        return got;
    }

  private:
    int fd_;
    std::string buffer_;
    std::size_t start_ = 0;  // unread bytes are buffer_[start_, end_)
    std::size_t end_ = 0;
    std::size_t handed_ = 0;  // bytes of the message last handed out, dropped by the next call
};

// One message on `fd`, for exchanges that read nothing else from it (a receiver per call).
inline Received receive_message(int fd, std::string& out, std::chrono::milliseconds timeout) {
    MessageReceiver receiver(fd);
    return receiver.receive(out, timeout);
}

}  // namespace framehost::core::isolation
