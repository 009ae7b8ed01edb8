// Pulls frames from a Frame Buffer's HTTP API in batches, over one kept-alive connection.
// Retry with backoff and the circuit breaker are the host's (source_retry_params): this plugin
// reports failures by throwing, and recreates its connection after max_retries in a row.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include <curl/curl.h>

#include <framehost/export.hpp>
#include <framehost/json_limits.hpp>
#include <framehost/source_retry.hpp>
#include <framehost/stop_request.hpp>
#include <framehost/wire_frame.hpp>

#include "dequeue_answer.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using framehost::Frame;

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

struct Settings {
    std::string url = "http://127.0.0.1:8002";
    std::size_t batch_size = 10;
    std::int64_t poll_interval_ms = 100;
    int max_retries = 3;
    long connect_timeout_ms = 2000;
    long read_timeout_ms = 5000;
    std::int64_t health_check_interval_s = 30;
    bool synthesize_pixels = true;
    framehost::SourceRetry retry;  // the host's (source_retry.hpp)
};

const framehost::ParamTable<Settings>& params() {
    namespace param = framehost::param;
    static const framehost::ParamTable<Settings> table = [] {
        framehost::ParamTable<Settings> t{
            param::bind(&Settings::url, "url", "Frame Buffer base URL (FRAME_BUFFER_URL)"),
            param::bind(&Settings::batch_size, "batch_size",
                        "Frames asked for per poll (CONSUMER_BATCH_SIZE)")
                .range(1, 100),
            param::bind(&Settings::poll_interval_ms, "poll_interval_ms",
                        "Wait after an empty poll (POLL_INTERVAL_MS)")
                .range(0, 3'600'000),
            param::bind(
                &Settings::max_retries, "max_retries",
                "Consecutive failures after which the connection is recreated (MAX_RETRIES)")
                .range(1, 1000),
            param::bind(&Settings::connect_timeout_ms, "connect_timeout_ms", "TCP connect timeout")
                .range(1, 600'000),
            param::bind(&Settings::read_timeout_ms, "read_timeout_ms",
                        "Whole-request timeout of a poll")
                .range(1, 600'000),
            param::bind(&Settings::health_check_interval_s, "health_check_interval_s",
                        "Seconds between checks of the Frame Buffer's /health; 0 never")
                .range(0, 86400),
            param::bind(&Settings::synthesize_pixels, "synthesize_pixels",
                        "Give frames without data a deterministic synthetic image of their size"),
        };
        t.include(&Settings::retry, framehost::source_retry_params());
        return t;
    }();
    return table;
}

class FrameBufferConsumer final : public framehost::Source {
  public:
    static const framehost::PluginDescriptor& descriptor() {
        static const framehost::PluginDescriptor d{
            "frame_buffer_consumer", "1.0.0", framehost::PluginKind::Source,
            "Polls a Frame Buffer HTTP API (GET /frames/dequeue) for frames in batches",
            params().specs()};
        return d;
    }

    FrameBufferConsumer(const framehost::Params& p, framehost::PluginContext& context)
        : context_(context),
          settings_(params().read(p)),
          url_(settings_.url),
          poll_interval_(settings_.poll_interval_ms),
          health_interval_(settings_.health_check_interval_s),
          wire_(settings_.synthesize_pixels) {
        while (!url_.empty() && url_.back() == '/') url_.pop_back();
        if (url_.rfind("http://", 0) != 0 && url_.rfind("https://", 0) != 0)
            throw std::invalid_argument("url '" + url_ + "' is not an http:// URL");
        static std::once_flag curl_ready;
        std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    }

    ~FrameBufferConsumer() override {
        if (curl_) curl_easy_cleanup(curl_);
    }

    void connect() override { check_health(true); }

    framehost::ReadStatus read(std::vector<Frame>& out, std::size_t max) override {
        auto now = Clock::now();
        if (now < next_poll_) {
            // Sleep at most 100 ms at a time so the host can stop us promptly.
            std::this_thread::sleep_for(
                std::min<Clock::duration>(next_poll_ - now, std::chrono::milliseconds(100)));
            if (Clock::now() < next_poll_) return framehost::ReadStatus::Idle;
        }
        if (health_interval_.count() > 0 && now - last_health_ >= health_interval_)
            check_health(false);

        std::size_t count = std::min(max, settings_.batch_size);
        std::string body;
        auto answered = get("/frames/dequeue?count=" + std::to_string(count), body);
        if (!answered) return framehost::ReadStatus::Idle;  // the host is stopping us
        long status = *answered;
        ++polls_;
        if (status != 200)
            fail("GET " + url_ + "/frames/dequeue answered HTTP " + std::to_string(status) + ": " +
                 body.substr(0, 200));
        framehost::frame_buffer_consumer::DequeueAnswer answer;
        try {
            answer = framehost::frame_buffer_consumer::read_dequeue_answer(body);
        } catch (const std::invalid_argument& e) {
            fail("GET " + url_ + "/frames/dequeue answered " + e.what() + ": " +
                 body.substr(0, 100));
        }
        succeeded();
        remaining_ = answer.remaining;
        const auto& frames = answer.frames;
        for (std::size_t i = 0; i < frames.size(); ++i) {
            if (frames[i].json) {
                out.push_back(to_frame(*frames[i].json));
                continue;
            }
            // Dequeued already: failed with its reason, so it is counted and told, not lost.
            Frame f;
            f.id = frames[i].frame_id.empty()
                       ? "<frame " + std::to_string(i + 1) + " of a dequeue answer>"
                       : frames[i].frame_id;
            f.fail("malformed frame: " + frames[i].problem.substr(0, 300));
            out.push_back(std::move(f));
            ++malformed_;
        }
        fetched_ += frames.size();
        if (frames.empty()) {
            ++empty_polls_;
            next_poll_ = Clock::now() + poll_interval_;
            return framehost::ReadStatus::Idle;
        }
        return framehost::ReadStatus::Frames;
    }

    nlohmann::json status() const override {
        std::lock_guard lock(status_mutex_);
        nlohmann::json s = {{"url", url_},
                            {"connected", connected_.load()},
                            {"consecutive_errors", consecutive_errors_.load()},
                            {"remaining_in_buffer", remaining_.load()},
                            {"frames_fetched", fetched_.load()},
                            {"polls", polls_.load()},
                            {"empty_polls", empty_polls_.load()},
                            {"malformed_frames", malformed_.load()},
                            {"connections_recreated", reconnects_.load()},
                            {"last_error", last_error_},
                            {"upstream_healthy", upstream_healthy_.load()}};
        if (!connected_.load() || !upstream_healthy_.load()) s["healthy"] = false;
        return s;
    }

  private:
    [[noreturn]] void fail(const std::string& what) {
        connected_ = false;
        {
            std::lock_guard lock(status_mutex_);
            last_error_ = what;
        }
        if (++consecutive_errors_ % settings_.max_retries == 0) {
            // The kept-alive connection may be the problem (half-closed, stuck): start afresh.
            if (curl_) curl_easy_cleanup(curl_);
            curl_ = nullptr;
            ++reconnects_;
        }
        throw std::runtime_error(what);
    }

    void succeeded() {
        connected_ = true;
        consecutive_errors_ = 0;
    }

    // One request on the kept-alive handle; returns the HTTP status, nothing when it was given
    // up because the host is stopping us, or throws on transport errors.
    std::optional<long> get(const std::string& path, std::string& body) {
        if (!curl_) {
            curl_ = curl_easy_init();
            if (!curl_) fail("curl_easy_init failed");
            // Pistache-based servers close connections without this header (see
            // ../shared/STACK.md).
            headers_.reset(curl_slist_append(nullptr, "Connection: keep-alive"));
            curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_.get());
            curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
            curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, settings_.connect_timeout_ms);
            curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, settings_.read_timeout_ms);
            curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, collect);
            curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, on_progress);
            curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, this);
            curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
        }
        stop_seen_.reset();
        given_up_ = false;
        std::string url = url_ + path;
        curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body);
        CURLcode rc = curl_easy_perform(curl_);
        if (rc == CURLE_ABORTED_BY_CALLBACK && given_up_) return std::nullopt;
        if (rc != CURLE_OK) fail("GET " + url + ": " + curl_easy_strerror(rc));
        long status = 0;
        curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
        return status;
    }

    // Called by libcurl while a request waits, about every second when nothing arrives (how
    // often bounds how long stopping takes). Once the host asks us to stop, a request with no
    // answer yet is given up after kStopGrace: a Frame Buffer that is alive answers within it,
    // so no dequeued frame is lost to the abort. An answer already arriving is let finish: its
    // frames have left the Frame Buffer.
    static int on_progress(void* self, curl_off_t, curl_off_t received, curl_off_t, curl_off_t) {
        auto& consumer = *static_cast<FrameBufferConsumer*>(self);
        if (!framehost::stop_requested(consumer.context_)) return 0;
        auto now = Clock::now();
        if (!consumer.stop_seen_) consumer.stop_seen_ = now;
        if (received > 0 || now - *consumer.stop_seen_ < kStopGrace) return 0;
        consumer.given_up_ = true;
        return 1;
    }

    void check_health(bool throw_on_failure) {
        last_health_ = Clock::now();
        std::string body;
        long status = 0;
        try {
            auto answered = get("/health", body);
            if (!answered) return;  // stopping: no verdict
            status = *answered;
        } catch (const std::exception&) {
            upstream_healthy_ = false;
            if (throw_on_failure) throw;
            return;
        }
        upstream_healthy_ = status == 200;
        if (status == 200) {
            succeeded();
        } else if (throw_on_failure) {
            fail("GET " + url_ + "/health answered HTTP " + std::to_string(status));
        }
    }

    Frame to_frame(const nlohmann::json& item) {
        Frame f = wire_.read(item);
        if (f.failed()) ++malformed_;
        return f;
    }

    struct SlistDeleter {
        void operator()(curl_slist* s) const { curl_slist_free_all(s); }
    };

    static constexpr auto kStopGrace = std::chrono::milliseconds(200);

    framehost::PluginContext& context_;
    const Settings settings_;
    std::string url_;  // without a trailing slash
    std::chrono::milliseconds poll_interval_;
    std::chrono::seconds health_interval_;

    // Source thread only.
    CURL* curl_ = nullptr;
    // For the request in flight: when it first saw the stop request, whether it gave up.
    std::optional<Clock::time_point> stop_seen_;
    bool given_up_ = false;
    std::unique_ptr<curl_slist, SlistDeleter> headers_;
    Clock::time_point next_poll_{};
    Clock::time_point last_health_ = Clock::now();
    framehost::WireFrameReader wire_;

    // Read by status() on any thread.
    mutable std::mutex status_mutex_;
    std::string last_error_;
    std::atomic<bool> connected_{false};
    std::atomic<bool> upstream_healthy_{false};
    std::atomic<int> consecutive_errors_{0};
    std::atomic<long long> remaining_{0};
    std::atomic<std::uint64_t> fetched_{0};
    std::atomic<std::uint64_t> polls_{0};
    std::atomic<std::uint64_t> empty_polls_{0};
    std::atomic<std::uint64_t> malformed_{0};
    std::atomic<std::uint64_t> reconnects_{0};
};

}  // namespace

FRAMEHOST_PLUGIN(FrameBufferConsumer)
