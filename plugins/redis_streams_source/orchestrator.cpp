#include "orchestrator.hpp"

#include <stdexcept>

#include <curl/curl.h>

namespace framehost::redis_streams {

namespace {

std::size_t gather(char* data, std::size_t size, std::size_t count, void* into) {
    auto* answer = static_cast<std::string*>(into);
    if (answer->size() < 4096) answer->append(data, std::min<std::size_t>(size * count, 4096));
    return size * count;
}

double epoch_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Orchestrator::Orchestrator(OrchestratorSettings settings) : settings_(std::move(settings)) {}

Orchestrator::~Orchestrator() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (heartbeat_.joinable()) heartbeat_.join();
}

long Orchestrator::request(const char* method, const std::string& path, const std::string& body,
                           std::string& answer) const {
    CURL* curl = curl_easy_init();
    if (!curl) {
        answer = "cannot make an HTTP client";
        return 0;
    }
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    auto url = settings_.url + path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (!body.empty()) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, gather);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    long status = 0;
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    else
        answer = curl_easy_strerror(rc);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return status;
}

void Orchestrator::register_once() {
    nlohmann::json body = {{"id", settings_.processor_id},
                           {"capabilities", settings_.capabilities},
                           {"capacity", settings_.capacity},
                           {"queue", settings_.queue}};
    std::string answer;
    long status = request("POST", "/api/v1/processors/register", body.dump(), answer);
    std::lock_guard lock(mutex_);
    if (status == 201 || status == 409) {  // 409: it knows this id already
        registered_ = true;
        ++registrations_;
        last_error_.clear();
        return;
    }
    registered_ = false;
    last_error_ =
        "registering at " + settings_.url + ": " +
        (status ? "HTTP " + std::to_string(status) + " " + answer.substr(0, 200) : answer);
    throw std::runtime_error(last_error_);
}

void Orchestrator::register_and_beat() {
    register_once();
    std::lock_guard lock(mutex_);
    if (!heartbeat_.joinable()) heartbeat_ = std::thread([this] { beat(); });
}

void Orchestrator::beat() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, settings_.heartbeat_interval, [&] { return stopping_; })) {
        lock.unlock();
        nlohmann::json body = {{"processor_id", settings_.processor_id},
                               {"status", "healthy"},
                               {"timestamp", epoch_seconds()}};
        std::string answer;
        long status = request("POST", "/api/v1/processors/heartbeat", body.dump(), answer);
        bool forgotten = status == 404;
        if (forgotten) {
            try {
                register_once();  // the orchestrator restarted, or dropped this processor
            } catch (const std::runtime_error&) {
                // kept in last_error_; tried again at the next beat
            }
        }
        lock.lock();
        if (status == 200) {
            ++heartbeats_;
            last_error_.clear();
        } else if (!forgotten) {
            last_error_ = "heartbeat to " + settings_.url + ": " +
                          (status ? "HTTP " + std::to_string(status) : answer);
        }
    }
}

void Orchestrator::unregister() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (heartbeat_.joinable()) heartbeat_.join();
    std::string answer;
    long status = request("DELETE", "/api/v1/processors/" + settings_.processor_id, "", answer);
    std::lock_guard lock(mutex_);
    if (status == 204 || status == 404) {
        registered_ = false;
    } else {
        last_error_ = "unregistering at " + settings_.url + ": " +
                      (status ? "HTTP " + std::to_string(status) : answer);
    }
}

nlohmann::json Orchestrator::status() const {
    std::lock_guard lock(mutex_);
    nlohmann::json s = {{"url", settings_.url},
                        {"processor_id", settings_.processor_id},
                        {"registered", registered_},
                        {"registrations", registrations_},
                        {"heartbeats", heartbeats_}};
    if (!last_error_.empty()) s["error"] = last_error_;
    return s;
}

}  // namespace framehost::redis_streams
