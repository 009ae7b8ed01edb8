#pragma once
// Threads that run the requests that may take long (POST /process runs the whole processor
// chain), so the server threads stay free for the probes: /live and /ready answer in
// milliseconds however many slow /process calls are in flight. Bounded: past `max_waiting`
// queued requests, submit() refuses and the server answers 503 at once.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace framehost::core {

class RequestPool {
  public:
    RequestPool(std::size_t threads, std::size_t max_waiting);
    // Runs what is queued, then joins: every request taken gets its answer.
    ~RequestPool();
    RequestPool(const RequestPool&) = delete;
    RequestPool& operator=(const RequestPool&) = delete;

    // False, with `job` not run, when max_waiting jobs are already waiting.
    bool submit(std::function<void()> job);

  private:
    void run();

    std::size_t max_waiting_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> waiting_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace framehost::core
