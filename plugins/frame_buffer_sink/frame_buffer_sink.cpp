// Posts each frame to a Frame Buffer (POST /frames), as the original system's capture fills it:
// framehost's JSON form with the pixels as base64 raw bytes or JPEG, or metadata only. With
// video_source in front, framehost is the capture box of that system.
//
// What an answer means: 200 delivered. 503 ("Buffer full"): the Frame Buffer kept the frame in
// its dead-letter queue (from where /dlq/reprocess puts it back), so it is not posted again,
// which would duplicate it; the sink pauses (backpressure), the pipeline slows and a live camera
// keeps its newest frames. Another 4xx: the frame is refused for good (reported failed with the
// answer). A connection error or other 5xx: retried with backoff, then reported failed.
#include <curl/curl.h>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include <framehost/backoff.hpp>
#include <framehost/export.hpp>

#include "wire_pixels.hpp"

namespace {

using namespace framehost;

struct Settings {
    std::string url = "http://127.0.0.1:8002";
    int max_retries = 3;
    std::chrono::milliseconds retry_backoff_ms{100};
    std::chrono::milliseconds backpressure_pause_ms{200};
    std::chrono::milliseconds connect_timeout_ms{2000};
    std::chrono::milliseconds timeout_ms{5000};
    wire_pixels::Settings pixels;
};

class FrameBufferSink final : public Sink {
  public:
    static const ParamTable<Settings>& params() {
        static const ParamTable<Settings> table = [] {
            ParamTable<Settings> t{
                param::bind(&Settings::url, "url", "Frame Buffer base URL (FRAME_BUFFER_URL)"),
                param::bind(&Settings::max_retries, "max_retries",
                            "Attempts after the first for a connection error or a 5xx other than "
                            "503")
                    .range(0, 100),
                param::bind(&Settings::retry_backoff_ms, "retry_backoff_ms",
                            "First wait before a retry; doubles per retry")
                    .range(1, 60'000),
                param::bind(&Settings::backpressure_pause_ms, "backpressure_pause_ms",
                            "Pause after a 503 (the Frame Buffer is full) before the next post")
                    .range(0, 60'000),
                param::bind(&Settings::connect_timeout_ms, "connect_timeout_ms",
                            "TCP connect timeout")
                    .range(1, 600'000),
                param::bind(&Settings::timeout_ms, "timeout_ms",
                            "Whole-request timeout of one post")
                    .range(1, 600'000),
            };
            t.include(&Settings::pixels, wire_pixels::params("raw"));
            return t;
        }();
        return table;
    }

    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "frame_buffer_sink", "1.0.0", PluginKind::Sink,
            "Posts each frame to a Frame Buffer (POST /frames) with its pixels, as the original "
            "capture does",
            params().specs(),
            // One post of a 640x480 RGB frame with raw pixels (1.6 MB of JSON) over a
            // kept-alive loopback connection, answered by the reference Frame Buffer.
            std::chrono::milliseconds(20),
            // One connection, one request at a time.
            Concurrency::Serialized};
        return d;
    }

    FrameBufferSink(const Params& p, PluginContext& context)
        : context_(context),
          settings_(params().read(p)),
          url_(settings_.url),
          payload_(settings_.pixels.payload()) {
        while (!url_.empty() && url_.back() == '/') url_.pop_back();
        if (url_.rfind("http://", 0) != 0 && url_.rfind("https://", 0) != 0)
            throw std::invalid_argument("url '" + url_ + "' is not an http:// URL");
        static std::once_flag curl_ready;
        std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    }

    ~FrameBufferSink() override {
        if (curl_) curl_easy_cleanup(curl_);
        if (headers_) curl_slist_free_all(headers_);
    }

    void write(std::span<const Frame* const> frames, SinkReport& report) override {
        for (std::size_t i = 0; i < frames.size(); ++i) {
            std::string problem;
            try {
                problem = post(*frames[i]);
            } catch (const std::exception& e) {
                problem = e.what();
            }
            if (!problem.empty()) {
                report.failed(i, problem);
                context_.add_to_counter("frame_buffer_post_failures", 1);
                std::lock_guard lock(status_mutex_);
                last_error_ = problem;
            }
        }
    }

    nlohmann::json status() const override {
        std::lock_guard lock(status_mutex_);
        nlohmann::json s = {{"frame_buffer_url", url_},
                            {"posted", posted_},
                            {"backpressure_events", backpressure_},
                            {"healthy", last_ok_}};
        if (!last_error_.empty()) s["last_error"] = last_error_;
        return s;
    }

  private:
    // "" when the Frame Buffer has the frame (queued, or dead-lettered on a full buffer);
    // otherwise why not.
    std::string post(const Frame& frame) {
        auto body = wire_frame_json(frame, wire_pixels::encode(frame.image, payload_,
                                                               settings_.pixels.jpeg_quality))
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        Backoff backoff(settings_.retry_backoff_ms, settings_.retry_backoff_ms * 64);
        std::string problem;
        for (int attempt = 0; attempt <= settings_.max_retries; ++attempt) {
            if (attempt > 0) {
                context_.add_to_counter("frame_buffer_retries", 1);
                std::this_thread::sleep_for(backoff.next());
            }
            std::string answer;
            long status = send(body, answer, problem);
            if (status == 200) {
                settle(true, "");
                context_.add_to_counter("frame_buffer_posted", 1);
                return "";
            }
            if (status == 503) {
                // Full: the Frame Buffer dead-lettered this frame itself (see the top).
                context_.add_to_counter("frame_buffer_backpressure", 1);
                {
                    std::lock_guard lock(status_mutex_);
                    ++backpressure_;
                }
                std::this_thread::sleep_for(settings_.backpressure_pause_ms);
                return "";
            }
            if (status >= 400 && status < 500) {
                problem = "POST " + url_ + "/frames answered HTTP " + std::to_string(status) +
                          ": " + answer.substr(0, 300);
                settle(true, "");  // the Frame Buffer works; it refuses this frame
                return problem;
            }
            if (status > 0)
                problem = "POST " + url_ + "/frames answered HTTP " + std::to_string(status) +
                          ": " + answer.substr(0, 200);
        }
        settle(false, problem);
        return problem;
    }

    void settle(bool ok, const std::string& error) {
        std::lock_guard lock(status_mutex_);
        last_ok_ = ok;
        if (ok) ++posted_;
        if (!error.empty()) last_error_ = error;
    }

    static std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
        auto* text = static_cast<std::string*>(out);
        if (text->size() < 4096) text->append(data, size * n);
        return size * n;
    }

    // The HTTP status, or 0 with `problem` set when no answer came.
    long send(const std::string& body, std::string& answer, std::string& problem) {
        if (!curl_) {
            curl_ = curl_easy_init();
            if (!curl_) throw std::runtime_error("curl_easy_init failed");
            headers_ = curl_slist_append(nullptr, "Content-Type: application/json");
            headers_ = curl_slist_append(headers_, "Expect:");  // no 100-continue round trip
            curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
            curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
            curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS,
                             static_cast<long>(settings_.connect_timeout_ms.count()));
            curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS,
                             static_cast<long>(settings_.timeout_ms.count()));
            curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, collect);
            target_ = url_ + "/frames";
            curl_easy_setopt(curl_, CURLOPT_URL, target_.c_str());
        }
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &answer);
        CURLcode rc = curl_easy_perform(curl_);
        if (rc != CURLE_OK) {
            problem = "POST " + target_ + ": " + curl_easy_strerror(rc);
            return 0;
        }
        long status = 0;
        curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
        return status;
    }

    PluginContext& context_;
    const Settings settings_;
    std::string url_;  // without a trailing slash
    wire_pixels::Payload payload_;
    CURL* curl_ = nullptr;  // Serialized: one call at a time uses it
    curl_slist* headers_ = nullptr;
    std::string target_;

    mutable std::mutex status_mutex_;
    std::uint64_t posted_ = 0;
    std::uint64_t backpressure_ = 0;
    bool last_ok_ = true;
    std::string last_error_;
};

}  // namespace

FRAMEHOST_PLUGIN(FrameBufferSink)
