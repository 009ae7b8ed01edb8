#include "core/tracing/span_exporter.hpp"

#include <curl/curl.h>

#include "core/log/log.hpp"

namespace framehost::core {

namespace {
std::string unix_nanos(std::chrono::system_clock::time_point t) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

nlohmann::json otlp_value(const nlohmann::json& v) {
    if (v.is_boolean()) return {{"boolValue", v.get<bool>()}};
    if (v.is_number_integer()) return {{"intValue", std::to_string(v.get<std::int64_t>())}};
    if (v.is_number()) return {{"doubleValue", v.get<double>()}};
    if (v.is_string()) return {{"stringValue", v.get<std::string>()}};
    return {{"stringValue", v.dump()}};
}

std::size_t discard_body(char*, std::size_t size, std::size_t count, void*) {
    return size * count;
}
}  // namespace

SpanExporter::SpanExporter(std::string service_name, TracingSettings settings)
    : service_name_(std::move(service_name)), settings_(std::move(settings)) {
    static std::once_flag curl_ready;
    std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (!settings_.otlp_endpoint.empty()) thread_ = std::thread([this] { run(); });
}

SpanExporter::~SpanExporter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void SpanExporter::export_spans(const std::vector<Span>& spans) {
    if (settings_.log_spans) {
        for (const auto& span : spans) log(LogLevel::Info, "span", span.to_json().dump());
    }
    if (settings_.otlp_endpoint.empty()) return;
    {
        std::lock_guard lock(mutex_);
        for (const auto& span : spans) {
            if (queue_.size() >= kQueueLimit) {
                ++dropped_;
                continue;
            }
            queue_.push_back(span);
        }
    }
    wake_.notify_one();
}

SpanExporter::Stats SpanExporter::stats() const {
    return {exported_.load(), failed_.load(), dropped_.load()};
}

std::string SpanExporter::otlp_json(const std::string& service_name,
                                    const std::vector<Span>& spans) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : spans) {
        nlohmann::json attributes = nlohmann::json::array();
        for (auto it = s.attributes.begin(); it != s.attributes.end(); ++it)
            attributes.push_back({{"key", it.key()}, {"value", otlp_value(it.value())}});
        nlohmann::json span = {{"traceId", s.trace_id},
                               {"spanId", s.span_id},
                               {"name", s.name},
                               {"kind", s.parent_span_id.empty() ? 2 : 1},  // server : internal
                               {"startTimeUnixNano", unix_nanos(s.start)},
                               {"endTimeUnixNano", unix_nanos(s.end)},
                               {"attributes", attributes},
                               {"status", {{"code", s.ok ? 1 : 2}}}};
        if (!s.parent_span_id.empty()) span["parentSpanId"] = s.parent_span_id;
        if (!s.status_message.empty()) span["status"]["message"] = s.status_message;
        list.push_back(std::move(span));
    }
    nlohmann::json body = {
        {"resourceSpans",
         {{{"resource",
            {{"attributes",
              {{{"key", "service.name"}, {"value", {{"stringValue", service_name}}}}}}}},
           {"scopeSpans", {{{"scope", {{"name", "framehost"}}}, {"spans", list}}}}}}}};
    return body.dump();
}

bool SpanExporter::post(const std::string& body, std::string& error) {
    CURL* curl = curl_easy_init();
    if (!curl) {
        error = "curl_easy_init failed";
        return false;
    }
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, settings_.otlp_endpoint.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.export_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
        error = curl_easy_strerror(rc);
        return false;
    }
    if (status < 200 || status >= 300) {
        error = "collector answered HTTP " + std::to_string(status);
        return false;
    }
    return true;
}

void SpanExporter::run() {
    std::string last_error;
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            if (stopping_) return;
            continue;
        }
        std::vector<Span> batch;
        while (!queue_.empty() && batch.size() < kBatch) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        lock.unlock();
        std::string error;
        if (post(otlp_json(service_name_, batch), error)) {
            exported_ += batch.size();
            last_error.clear();
        } else {
            failed_ += batch.size();
            if (error != last_error)  // once per distinct error, not once per batch
                log(LogLevel::Warn, "tracing",
                    "exporting " + std::to_string(batch.size()) + " spans to " +
                        settings_.otlp_endpoint + " failed: " + error);
            last_error = error;
            lock.lock();
            if (stopping_) {  // no second chance while shutting down: drop, counted
                dropped_ += queue_.size();
                queue_.clear();
            }
            continue;
        }
        lock.lock();
    }
}

}  // namespace framehost::core
