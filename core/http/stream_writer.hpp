#pragma once
// Writes streamed responses (HttpResponse::stream) from one thread of its own, never a server
// thread: each reader's socket is written without blocking; a reader that is behind keeps its
// one unfinished part and skips the parts that came meanwhile (it gets the newest next); one
// that takes nothing for `stall_timeout` is closed, as is one that goes away, one whose stream
// ended, and one given no part for `idle_timeout` (a viewer of a camera with no picture does not
// hold a slot for ever). Memory per reader is one shared part and an offset. At most
// `max_readers` at once: the server refuses more.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/http/http_message.hpp"

namespace framehost::core {

class StreamWriter {
  public:
    StreamWriter(std::size_t max_readers, std::chrono::milliseconds stall_timeout,
                 std::chrono::milliseconds idle_timeout);
    ~StreamWriter();  // closes every reader
    StreamWriter(const StreamWriter&) = delete;
    StreamWriter& operator=(const StreamWriter&) = delete;

    // Takes `fd` (a descriptor of its own: the writer closes it) and writes `head` (the
    // response's status line and headers) then the stream's parts. False, with fd untouched,
    // when max_readers are already being served.
    bool add(int fd, std::string head, std::shared_ptr<ResponseStream> stream);
    std::size_t readers() const;

  private:
    struct Reader {
        int fd = -1;
        std::shared_ptr<ResponseStream> stream;
        std::shared_ptr<const std::string> pending;  // what is being written, from `offset`
        std::size_t offset = 0;
        std::chrono::steady_clock::time_point last_progress{};
        std::chrono::steady_clock::time_point next_part_at{};
        std::chrono::steady_clock::time_point last_part_at{};
    };
    void run();
    // Writes what it can of the reader's pending bytes; false when the reader is done for.
    bool write_some(Reader& r, std::chrono::steady_clock::time_point now);

    const std::size_t max_readers_;
    const std::chrono::milliseconds stall_timeout_;
    const std::chrono::milliseconds idle_timeout_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Reader> readers_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace framehost::core
