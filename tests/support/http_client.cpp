#include "tests/support/http_client.hpp"

#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include <curl/curl.h>

namespace framehost::test {

namespace {
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}
std::size_t on_header(char* data, std::size_t size, std::size_t count, void* out) {
    std::string line(data, size * count);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        value.erase(value.find_last_not_of(" \t\r\n") + 1);
        (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
    }
    return size * count;
}

}  // namespace

int connect_loopback(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to port " + std::to_string(port));
    }
    return fd;
}

HttpClient::HttpClient() : curl_(curl_easy_init()) {}
HttpClient::~HttpClient() {
    curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpResult HttpClient::request(const std::string& method, const std::string& url,
                               const std::string& body, const std::vector<std::string>& headers) {
    auto* curl = static_cast<CURL*>(curl_);
    HttpResult result;
    curl_slist* list = nullptr;
    bool typed = false;
    for (const auto& h : headers) {
        list = curl_slist_append(list, h.c_str());
        typed = typed || strncasecmp(h.c_str(), "content-type:", 13) == 0;
    }
    // JSON unless the test says otherwise ("Content-Type:" alone: none sent).
    if (method == "POST" && !typed)
        list = curl_slist_append(list, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(
        curl, CURLOPT_CUSTOMREQUEST,
        method == "GET" || method == "POST" || method == "HEAD" ? nullptr : method.c_str());
    // A HEAD answer carries the length a GET would have, and no body: curl must not wait for it.
    curl_easy_setopt(curl, CURLOPT_NOBODY, method == "HEAD" ? 1L : 0L);
    if (method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    } else if (method != "HEAD") {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(list);
    if (rc != CURLE_OK)
        throw std::runtime_error(std::string("HTTP request failed: ") + curl_easy_strerror(rc));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &result.new_connections);
    return result;
}

std::string raw_exchange(int port, const std::string& bytes, std::chrono::milliseconds quiet,
                         bool* closed_by_server, bool then_finish) {
    int fd = connect_loopback(port);
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may close early (e.g. after a 413)
        sent += static_cast<std::size_t>(n);
    }
    if (then_finish) ::shutdown(fd, SHUT_WR);
    std::string received;
    bool closed = false;
    char buffer[65536];
    while (true) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
        auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            closed = true;
            break;
        }
        received.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (closed_by_server) *closed_by_server = closed;
    return received;
}

CaptureServer::CaptureServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 16);
    socklen_t size = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
        while (true) {
            pollfd p{listener_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) {
                std::lock_guard lock(mutex_);
                if (stop_) return;
                continue;
            }
            int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) continue;
            std::string data;
            char buffer[65536];
            std::size_t need = std::string::npos;
            while (need == std::string::npos || data.size() < need) {
                pollfd q{fd, POLLIN, 0};
                if (::poll(&q, 1, 2000) <= 0) break;
                auto n = ::recv(fd, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                data.append(buffer, static_cast<std::size_t>(n));
                auto end = data.find("\r\n\r\n");
                if (end != std::string::npos && need == std::string::npos) {
                    std::string head = data.substr(0, end);
                    std::transform(head.begin(), head.end(), head.begin(),
                                   [](unsigned char c) { return std::tolower(c); });
                    auto at = head.find("content-length:");
                    need =
                        end + 4 + (at == std::string::npos ? 0 : std::stoul(head.substr(at + 15)));
                }
            }
            const char reply[] =
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
            ::send(fd, reply, sizeof reply - 1, MSG_NOSIGNAL);
            ::close(fd);
            auto end = data.find("\r\n\r\n");
            std::lock_guard lock(mutex_);
            bodies_.push_back(end == std::string::npos ? "" : data.substr(end + 4));
        }
    });
}

CaptureServer::~CaptureServer() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    thread_.join();
    ::close(listener_);
}

std::vector<std::string> CaptureServer::bodies(std::size_t count,
                                               std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        {
            std::lock_guard lock(mutex_);
            if (bodies_.size() >= count || std::chrono::steady_clock::now() > deadline)
                return bodies_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace framehost::test
