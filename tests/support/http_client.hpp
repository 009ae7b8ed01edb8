#pragma once
// Real HTTP over loopback for the end-to-end tests: libcurl for well-formed requests, a raw
// socket for the malformed, slow and pipelined ones, and a one-shot capture server standing in
// for a trace collector.
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace framehost::test {

struct HttpResult {
    long status = 0;
    std::map<std::string, std::string> headers;  // lowercased names
    std::string body;
    long new_connections = 0;  // connections libcurl opened for this request
};

// One libcurl handle: requests made through the same client reuse its connection when the
// server allows.
class HttpClient {
  public:
    HttpClient();
    ~HttpClient();
    HttpResult request(const std::string& method, const std::string& url,
                       const std::string& body = "", const std::vector<std::string>& headers = {});
    HttpResult get(const std::string& url, const std::vector<std::string>& headers = {}) {
        return request("GET", url, "", headers);
    }
    HttpResult post(const std::string& url, const std::string& body,
                    const std::vector<std::string>& headers = {}) {
        return request("POST", url, body, headers);
    }

  private:
    void* curl_;
};

// A connected TCP socket to 127.0.0.1:port (the caller closes it). Throws when refused.
int connect_loopback(int port);

// Sends `bytes` on a new connection and returns everything the server sends back until it
// closes the connection or `quiet` passes without data. With `then_finish`, the client closes
// its sending side (FIN) right after the bytes, as `nc -N` does.
std::string raw_exchange(int port, const std::string& bytes,
                         std::chrono::milliseconds quiet = std::chrono::milliseconds(1500),
                         bool* closed_by_server = nullptr, bool then_finish = false);

// Accepts connections on a loopback port, answers each request 200, keeps the bodies.
class CaptureServer {
  public:
    CaptureServer();
    ~CaptureServer();
    int port() const { return port_; }
    // Bodies received so far (waits up to `timeout` for at least `count`).
    std::vector<std::string> bodies(std::size_t count, std::chrono::milliseconds timeout);

  private:
    int listener_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::vector<std::string> bodies_;
    bool stop_ = false;
    std::mutex mutex_;
};

}  // namespace framehost::test
