#pragma once
// Delivering the host's events somewhere, in order and at least once: a thread that takes the
// event store's changes after this consumer's cursor, hands them to `deliver` a batch at a time,
// and moves the cursor only when `deliver` says they arrived; a failed batch is offered again
// after a backoff (doubling, with jitter), the changes behind it waiting. The cursor lives in
// the store, so a restart resumes where the last delivery ended. webhook_sink and
// redis_streams_sink use it; a sink with acknowledgements of its own (mqtt_sink) keeps its own
// loop.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "framehost/backoff.hpp"
#include "framehost/events.hpp"

namespace framehost {

class EventDelivery {
  public:
    // Returns "" when every change of the batch arrived, else why not (nothing of the batch is
    // counted delivered then). Called on the delivery's thread only.
    using Deliver = std::function<std::string(const std::vector<EventChange>& batch)>;

    // Registers `consumer` with the store now (a new consumer starts at the newest change), so
    // every change stored after this is delivered.
    EventDelivery(EventStore& store, std::string consumer, std::size_t batch_size, Backoff backoff,
                  Deliver deliver)
        : store_(store),
          consumer_(std::move(consumer)),
          batch_size_(batch_size),
          backoff_(std::move(backoff)),
          deliver_(std::move(deliver)),
          acknowledged_(store_.cursor(consumer_)) {}
    ~EventDelivery() { stop(); }
    EventDelivery(const EventDelivery&) = delete;
    EventDelivery& operator=(const EventDelivery&) = delete;

    void start() {
        std::lock_guard lock(mutex_);
        if (thread_.joinable()) return;
        stopping_ = false;
        thread_ = std::thread([this] { run(); });
    }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    struct Status {
        std::uint64_t delivered = 0;         // changes delivered by this process
        std::uint64_t acknowledged_seq = 0;  // the cursor
        std::uint64_t failures = 0;          // batches that did not arrive
        std::string error;                   // the last failure's reason while failing; "" else
    };
    Status status() const {
        std::lock_guard lock(mutex_);
        return status_;
    }

  private:
    void run() {
        std::uint64_t after = acknowledged_;
        {
            std::lock_guard lock(mutex_);
            status_.acknowledged_seq = after;
        }
        while (!stopping()) {
            auto batch = store_.changes_after(after, batch_size_, std::chrono::milliseconds(200));
            if (batch.empty()) continue;
            std::string error;
            try {
                error = deliver_(batch);
            } catch (const std::exception& e) {
                error = e.what();
            }
            if (!error.empty()) {
                {
                    std::lock_guard lock(mutex_);
                    ++status_.failures;
                    status_.error = error;
                }
                pause(backoff_.next());
                continue;
            }
            backoff_.reset();
            after = batch.back().seq;
            store_.acknowledge(consumer_, after);
            std::lock_guard lock(mutex_);
            status_.delivered += batch.size();
            status_.acknowledged_seq = after;
            status_.error.clear();
        }
    }
    bool stopping() {
        std::lock_guard lock(mutex_);
        return stopping_;
    }
    void pause(std::chrono::milliseconds delay) {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, delay, [&] { return stopping_; });
    }

    EventStore& store_;
    const std::string consumer_;
    const std::size_t batch_size_;
    Backoff backoff_;
    const Deliver deliver_;
    const std::uint64_t acknowledged_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    Status status_;
};

}  // namespace framehost
