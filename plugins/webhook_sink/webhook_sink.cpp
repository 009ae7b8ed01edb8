// POSTs every event change from the host's event store to a URL, one at a time and in order,
// signed with a shared secret (X-Framehost-Signature: sha256=<HMAC of the body>). A change is
// acknowledged in the store only when the receiver answers 2xx; until then it is tried again
// with backoff, across restarts: delivered at least once. Frames pass through untouched.
#include <curl/curl.h>

#include <memory>
#include <mutex>

#include <framehost/event_delivery.hpp>
#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

#include "signature.hpp"

namespace {

using namespace framehost;
using std::chrono::milliseconds;

struct Settings {
    std::string url;
    std::string secret;
    milliseconds timeout{5000};
    milliseconds backoff{500};
    milliseconds max_backoff{60000};
};

std::string url_problem(const nlohmann::json& value) {
    auto url = value.get<std::string>();
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
        return "must start with http:// or https://";
    if (url.find_first_of(" \t\r\n") != std::string::npos) return "must not hold whitespace";
    return "";
}

const ParamTable<Settings>& params() {
    static const ParamTable<Settings> table{
        param::bind(&Settings::url, "url", "Where each event change is POSTed (http or https)")
            .mandatory()
            .check(url_problem),
        param::bind(&Settings::secret, "secret",
                    "Shared secret of the X-Framehost-Signature header (HMAC-SHA256 of the "
                    "body); empty: no signature")
            .as_secret(),
        param::bind(&Settings::timeout, "timeout_ms", "Longest a delivery may take")
            .range(100, 600'000),
        param::bind(&Settings::backoff, "backoff_ms",
                    "First wait after a failed delivery; doubles per failure, with jitter")
            .range(1, 3'600'000),
        param::bind(&Settings::max_backoff, "max_backoff_ms", "Longest wait between attempts")
            .range(1, 3'600'000),
    };
    return table;
}

size_t discard(char*, size_t size, size_t count, void*) {
    return size * count;
}

class WebhookSink final : public Sink {
  public:
    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "webhook_sink",
            "1.0.0",
            PluginKind::Sink,
            "POSTs every event change, signed with HMAC-SHA256, in order and at least once "
            "from the event store",
            params().specs(),
            std::chrono::microseconds(50),
            Concurrency::Reentrant};
        return d;
    }

    WebhookSink(const Params& p, PluginContext& context)
        : context_(context),
          settings_(params().read(p)),
          delivered_(&context.counter("webhook_deliveries", "Event changes delivered", {})),
          failed_(&context.counter("webhook_failures", "Delivery attempts that failed", {})),
          curl_(init_curl(), &curl_easy_cleanup),
          delivery_(require_events(context), context.instance_name(), 1,
                    Backoff(settings_.backoff, settings_.max_backoff),
                    [this](const std::vector<EventChange>& batch) { return deliver(batch); }) {}

    void start() override { delivery_.start(); }
    void stop() override { delivery_.stop(); }
    void write(std::span<const Frame* const>, SinkReport&) override {}

    nlohmann::json status() const override {
        auto s = delivery_.status();
        nlohmann::json status = {{"delivered", s.delivered},
                                 {"acknowledged_seq", s.acknowledged_seq},
                                 {"failing", !s.error.empty()},
                                 {"healthy", s.error.empty()}};
        if (!s.error.empty()) status["error"] = s.error;
        return status;
    }

  private:
    static EventStore& require_events(PluginContext& context) {
        auto* store = find_extension<EventStore>(context);
        if (!store)
            throw std::runtime_error(
                "webhook_sink delivers the host's stored events: give the config an `events:` "
                "section with a `path` (the SQLite file)");
        return *store;
    }

    static CURL* init_curl() {
        static std::once_flag curl_ready;
        std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
        return curl_easy_init();
    }

    // [the delivery's thread] One change a POST: "" when the receiver answered 2xx.
    std::string deliver(const std::vector<EventChange>& batch) {
        for (const auto& change : batch) {
            auto error = post(change);
            if (!error.empty()) {
                failed_->add(1);
                if (error != last_error_)
                    context_.log(LogLevel::Warn, "delivery failed, will retry: " + error);
                last_error_ = error;
                return error;
            }
            delivered_->add(1);
        }
        last_error_.clear();
        return "";
    }

    std::string post(const EventChange& change) {
        CURL* curl = curl_.get();
        nlohmann::json body = change.event;
        body["change"] = change.kind;
        auto text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        curl_slist* headers = nullptr;
        headers = curl_slist_append(headers, "Content-Type: application/json");
        headers = curl_slist_append(headers, ("X-Framehost-Event: " + change.event.id).c_str());
        headers = curl_slist_append(
            headers, ("X-Framehost-Delivery: " + std::to_string(change.seq)).c_str());
        if (!settings_.secret.empty())
            headers = curl_slist_append(
                headers,
                ("X-Framehost-Signature: " + webhook::signature(settings_.secret, text)).c_str());
        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_URL, settings_.url.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(text.size()));
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &discard);
        // Only the configured URL: a redirect never takes an event elsewhere.
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
        auto rc = curl_easy_perform(curl);
        curl_slist_free_all(headers);
        if (rc != CURLE_OK) return curl_easy_strerror(rc);
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299) return "the receiver answered " + std::to_string(status);
        return "";
    }

    PluginContext& context_;
    const Settings settings_;
    CounterMetric* delivered_;
    CounterMetric* failed_;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl_;  // the delivery's thread's
    std::string last_error_;                                    // the delivery's thread's
    EventDelivery delivery_;  // last: its thread stops before the members it uses go
};

}  // namespace

FRAMEHOST_PLUGIN(WebhookSink)
