// `framehost reload --url http://HOST:PORT`: asks a running host to re-read its config
// (POST /config/reload) and prints its answer: what changed, or every error with its place.
#include <curl/curl.h>

#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

#include "apps/framehost/commands.hpp"

namespace framehost::app {

namespace {
std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

void print_answer(long status, const std::string& body) {
    auto answer = nlohmann::json::parse(body, nullptr, false);
    if (answer.is_discarded() || !answer.is_object()) {
        std::cerr << "framehost: the host answered " << status << ": " << body.substr(0, 500)
                  << "\n";
        return;
    }
    if (answer.value("status", "") == "reloaded") {
        std::cout << answer.value("file", "the config") << ": reloaded\n";
        for (const char* what : {"sources", "processors", "sinks"})
            for (const char* how : {"added", "replaced", "removed"})
                for (const auto& name : answer["changed"][what][how])
                    std::cout << "  " << what << ": " << name.get<std::string>() << " " << how
                              << "\n";
        for (const auto& key : answer["restart_required"])
            std::cout << "  " << key.get<std::string>()
                      << ": changed, takes effect at the next start\n";
        return;
    }
    for (const auto& e : answer["errors"])
        std::cerr << (e.contains("text") ? e["text"].get<std::string>()
                                         : e.value("message", e.dump()))
                  << "\n";
    if (answer.contains("detail")) std::cerr << answer["detail"].dump() << "\n";
    std::cerr << "framehost: reload refused (" << status << "); the running config stays\n";
}
}  // namespace

int reload_host(const std::string& url, const std::string& token) {
    std::string endpoint = url;
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    endpoint += "/config/reload";
    CURL* curl = curl_easy_init();
    if (!curl) {
        std::cerr << "framehost: cannot make an HTTP client\n";
        return 1;
    }
    std::string body;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    if (!token.empty())
        headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
    curl_easy_setopt(curl, CURLOPT_URL, endpoint.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "{}");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    // A reload waits for the batches on the old chain: up to the host's shutdown timeout.
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    auto code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (code != CURLE_OK) {
        std::cerr << "framehost: cannot reach " << endpoint << ": " << curl_easy_strerror(code)
                  << "\n";
        return 1;
    }
    print_answer(status, body);
    return status == 200 ? 0 : 1;
}

}  // namespace framehost::app
