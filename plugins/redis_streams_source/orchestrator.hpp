#pragma once
// Frame Buffer v2's orchestrator as one of its processors sees it (the upstream's
// services/shared/processor_client.py): the host registers (POST /api/v1/processors/register
// with its id, capabilities, capacity and queue: 201, or 409 when already registered), sends a
// heartbeat every interval (POST /api/v1/processors/heartbeat; 404 means the orchestrator
// forgot it, so it registers again), and unregisters when it stops (DELETE
// /api/v1/processors/<id>: 204, or 404). The frames themselves come from its queue in Redis
// (frames:ready:<id>), read by redis_streams_source.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace framehost::redis_streams {

struct OrchestratorSettings {
    std::string url;  // http://host:port, without /api/v1
    std::string processor_id;
    std::vector<std::string> capabilities;
    int capacity = 10;
    std::string queue;  // the stream the orchestrator routes this processor's frames to
    std::chrono::seconds heartbeat_interval{30};
    std::chrono::milliseconds timeout{5000};
};

class Orchestrator {
  public:
    explicit Orchestrator(OrchestratorSettings settings);
    ~Orchestrator();  // stops the heartbeat; does not unregister
    Orchestrator(const Orchestrator&) = delete;
    Orchestrator& operator=(const Orchestrator&) = delete;

    // Registers, then keeps the heartbeat going. Throws std::runtime_error with the
    // orchestrator's answer when it refuses or cannot be reached (the host tries again later).
    void register_and_beat();
    // Stops the heartbeat and says goodbye; what happened is logged by the caller from status().
    void unregister();
    nlohmann::json status() const;

  private:
    // One request: the status, and the body in `answer`; 0 with the reason when none came.
    long request(const char* method, const std::string& path, const std::string& body,
                 std::string& answer) const;
    void register_once();
    void beat();

    const OrchestratorSettings settings_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool registered_ = false;
    std::uint64_t registrations_ = 0, heartbeats_ = 0;
    std::string last_error_;
    std::thread heartbeat_;
};

}  // namespace framehost::redis_streams
