#pragma once
// Servers the end-to-end tests start themselves: the real frame-buffer binary, a real
// redis-server, and a scripted HTTP server that answers what a test tells it to (for upstream
// failures a real server will not produce on demand: 500s, garbage).
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.hpp"

namespace framehost::test {

// A port nothing listens on right now (bound and released; fine on a test machine).
int free_port();
// Waits until something accepts connections on the port.
bool wait_for_port(int port, std::chrono::milliseconds timeout);
// Waits for a framehost or frame-buffer process to log "listening on http://ADDRESS:PORT" and
// returns PORT; throws with its stderr when it exits first or the time runs out.
int wait_for_listening(ChildProcess& process, const std::string& name,
                       std::chrono::milliseconds timeout);

class RedisServer {
  public:
    // Throws when redis-server is missing or does not start. `durable`: append-only file with
    // fsync on every write (in a temporary folder), so a restart keeps the data.
    explicit RedisServer(bool durable = false);
    int port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    void kill();
    void stop();  // SIGTERM: Redis saves and exits
    void restart();

  private:
    void launch();
    bool durable_;
    int port_;
    TempDir dir_;
    std::unique_ptr<ChildProcess> process_;
};

// A real mosquitto broker on a free port of loopback, no persistence: a restart starts empty.
class MqttBroker {
  public:
    // Throws when mosquitto is missing or does not start. `listener_options`: lines of
    // mosquitto.conf for its one listener on loopback (TLS files, password_file); none: plain,
    // anonymous.
    explicit MqttBroker(std::string listener_options = "");
    int port() const { return port_; }
    std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
    void kill();     // SIGKILL
    void restart();  // same port

  private:
    void launch();
    int port_;
    std::string listener_options_;
    std::unique_ptr<TempDir> config_dir_;
    std::unique_ptr<ChildProcess> process_;
};

// A real PostgreSQL server (Debian's, any version installed) on a free port of loopback, in a
// fresh cluster of a temporary folder: trust authentication for the user `framehost`, no fsync.
// Run as root (CI), the server runs as the `postgres` user, as PostgreSQL insists.
class PostgresServer {
  public:
    // Throws when PostgreSQL is not installed or does not start.
    PostgresServer();
    ~PostgresServer();  // a fast shutdown
    int port() const { return port_; }
    std::string url(const std::string& database = "postgres") const {
        return "postgresql://framehost@127.0.0.1:" + std::to_string(port_) + "/" + database;
    }

  private:
    void launch();
    // The command line that runs `program` as the cluster's owner.
    std::vector<std::string> as_owner(const std::string& program) const;
    int port_;
    TempDir dir_;
    std::filesystem::path bin_;
    std::unique_ptr<ChildProcess> process_;
};

class FrameBufferServer {
  public:
    // `env`: extra environment (the original Frame Buffer's variables). With `port_from_env`,
    // no --port is passed: the test sets PORT itself.
    explicit FrameBufferServer(std::vector<std::string> extra_args = {}, int port = 0,
                               std::map<std::string, std::string> env = {},
                               bool port_from_env = false);
    int port() const { return port_; }
    std::string url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    void signal(int sig) { process_->signal(sig); }
    int wait(std::chrono::milliseconds timeout) { return process_->wait(timeout); }
    void restart();  // same port, same arguments

  private:
    void launch();
    std::vector<std::string> args_;
    int port_;
    std::map<std::string, std::string> env_;
    bool port_from_env_;
    std::unique_ptr<ChildProcess> process_;
};

// Answers every request with the current status and body, keeping connections alive; keeps
// what it was sent (a webhook receiver, or another site's page).
class ScriptedHttpServer {
  public:
    ScriptedHttpServer();
    ~ScriptedHttpServer();
    int port() const { return port_; }
    void answer(int status, std::string body, std::string content_type = "application/json");
    // Requests whose request line starts with `prefix` ("POST /api/v1/processors/register")
    // get `status` instead (the body stays the same); the longest matching prefix wins.
    void answer_for(const std::string& prefix, int status);
    std::uint64_t requests() const { return requests_.load(); }

    struct Request {
        std::string head;                            // request line and headers
        std::map<std::string, std::string> headers;  // names lowercased
        std::string body;
        int answered = 0;  // the status it was given
    };
    std::vector<Request> received() const;

  private:
    void serve(int fd);
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> requests_{0};
    mutable std::mutex mutex_;
    std::vector<Request> received_;
    int status_ = 200;
    std::string body_ = "{}";
    std::string content_type_ = "application/json";
    std::map<std::string, int> status_for_;
    std::thread acceptor_;
    std::vector<std::thread> connections_;
};

}  // namespace framehost::test
