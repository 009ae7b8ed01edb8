#include "core/http/request_pool.hpp"

namespace framehost::core {

RequestPool::RequestPool(std::size_t threads, std::size_t max_waiting) : max_waiting_(max_waiting) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

RequestPool::~RequestPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
}

bool RequestPool::submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (waiting_.size() >= max_waiting_) return false;
        waiting_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
}

void RequestPool::run() {
    while (true) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
            if (waiting_.empty()) return;  // stopping, and nothing left to answer
            job = std::move(waiting_.front());
            waiting_.pop_front();
        }
        job();
    }
}

}  // namespace framehost::core
