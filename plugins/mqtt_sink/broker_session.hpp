#pragma once
// One connection to a broker (libmosquitto, its network thread): made connected or not at all,
// publishing at QoS 1 and collecting the broker's acknowledgements. A lost connection is not
// resumed: the owner makes a new session, so nothing libmosquitto queued is sent twice behind
// the owner's back.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "broker_url.hpp"
#include "topics.hpp"

struct mosquitto;

namespace framehost::mqtt {

class BrokerSession {
  public:
    // Connects and waits for the broker's CONNACK up to `timeout`; throws std::runtime_error
    // saying why not (refused, unreachable, bad credentials, TLS).
    BrokerSession(const BrokerUrl& broker, const std::string& client_id, const Message& will,
                  const std::string& ca_file, std::chrono::milliseconds timeout);
    ~BrokerSession();
    BrokerSession(const BrokerSession&) = delete;
    BrokerSession& operator=(const BrokerSession&) = delete;

    // Queues the message at QoS 1; returns its message id, or -1 when the connection is gone.
    int publish(const Message& message);
    bool connected() const;
    // Why the connection ended; empty while it lasts.
    std::string lost_reason() const;
    // The message ids the broker acknowledged since the last call.
    std::vector<int> take_acknowledged();

  private:
    static void on_connect(mosquitto*, void* self, int rc);
    static void on_disconnect(mosquitto*, void* self, int rc);
    static void on_publish(mosquitto*, void* self, int mid);
    static void on_log(mosquitto*, void* self, int level, const char* text);

    mosquitto* client_ = nullptr;
    mutable std::mutex mutex_;
    std::condition_variable connack_;
    bool answered_ = false;
    bool connected_ = false;
    std::string lost_;
    // libmosquitto's last error line: a failed TLS handshake is told only there.
    std::string last_error_logged_;
    std::vector<int> acknowledged_;
};

}  // namespace framehost::mqtt
