// Sends events and zone states to an MQTT broker for Home Assistant and anything else that
// listens: every event change from the host's event store on <topic_prefix>/events (QoS 1, in
// order, from a cursor kept in the store: events wait there while the broker is away), retained
// occupancy per camera, zone and label and crossings per line, "LABEL detected" per camera,
// Home Assistant discovery for each, and an availability topic with a last will. Frames pass
// through it untouched: it is a sink for events, not for frames.
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <framehost/backoff.hpp>
#include <framehost/events.hpp>
#include <framehost/export.hpp>
#include <framehost/param_table.hpp>
#include <framehost/zones.hpp>

#include "broker_session.hpp"
#include "broker_url.hpp"
#include "topics.hpp"

namespace {

using namespace framehost;
using namespace framehost::mqtt;
using std::chrono::milliseconds;

struct Settings {
    std::string url;
    std::string topic_prefix = "framehost";
    std::string client_id;
    bool discovery = true;
    std::string discovery_prefix = "homeassistant";
    std::string node_id = "framehost";
    std::vector<std::string> detected_labels = {"person"};
    std::string ca_file;
    milliseconds connect_timeout{5000};
    milliseconds backoff{500};
    milliseconds max_backoff{30000};
};

std::string url_problem(const nlohmann::json& value) {
    std::string problem;
    if (!parse_broker_url(value.get<std::string>(), problem)) return problem;
    return "";
}

std::string topic_problem(const nlohmann::json& value) {
    auto topic = value.get<std::string>();
    if (topic.empty()) return "must not be empty";
    if (topic.find_first_of("+#") != std::string::npos) return "must not hold the wildcards + or #";
    if (topic.front() == '/' || topic.back() == '/') return "must not start or end with /";
    return "";
}

const ParamTable<Settings>& params() {
    static const ParamTable<Settings> table{
        param::bind(&Settings::url, "url",
                    "The broker: mqtt://[user:password@]host[:port], mqtts:// for TLS; without "
                    "user information, MQTT_USERNAME and MQTT_PASSWORD from the environment")
            .mandatory()
            .check(url_problem),
        param::bind(&Settings::topic_prefix, "topic_prefix",
                    "Topics start with it: <prefix>/events, <prefix>/available, "
                    "<prefix>/<camera>/zones/<zone>/<label>")
            .check(topic_problem),
        param::bind(&Settings::client_id, "client_id",
                    "The MQTT client id; empty: framehost-<instance>-<process id>"),
        param::bind(&Settings::discovery, "discovery",
                    "Publish Home Assistant discovery messages (retained)"),
        param::bind(&Settings::discovery_prefix, "discovery_prefix",
                    "Home Assistant's discovery prefix")
            .check(topic_problem),
        param::bind(&Settings::node_id, "node_id",
                    "The Home Assistant device this host appears as"),
        param::bind(&Settings::detected_labels, "detected_labels",
                    "Labels with a \"detected\" binary sensor per camera, ON while an object "
                    "event of that label is open"),
        param::bind(&Settings::ca_file, "ca_file",
                    "CA certificates (PEM) for mqtts://; empty: the system's"),
        param::bind(&Settings::connect_timeout, "connect_timeout_ms",
                    "Longest wait for the broker to accept a connection")
            .range(100, 600'000),
        param::bind(&Settings::backoff, "backoff_ms",
                    "First wait after a failed connection; doubles per failure, with jitter")
            .range(1, 3'600'000),
        param::bind(&Settings::max_backoff, "max_backoff_ms",
                    "Longest wait between connection attempts")
            .range(1, 3'600'000),
    };
    return table;
}

// Events published and not yet acknowledged by the broker, at most this many.
constexpr std::size_t kMaxInFlight = 256;
constexpr auto kIdleWait = milliseconds(100);

class MqttSink final : public Sink {
  public:
    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "mqtt_sink",
            "1.0.0",
            PluginKind::Sink,
            "Events and zone states to an MQTT broker, with Home Assistant discovery, "
            "availability and a last will; events delivered in order from the event store",
            params().specs(),
            std::chrono::microseconds(1),
            Concurrency::Reentrant};
        return d;
    }

    MqttSink(const Params& p, PluginContext& context)
        : context_(context),
          settings_(params().read(p)),
          topics_(settings_.topic_prefix, settings_.discovery_prefix, settings_.node_id),
          store_(find_extension<EventStore>(context)),
          zones_(find_extension<ZoneSummaries>(context)),
          published_(&context.counter("mqtt_messages_published",
                                      "MQTT messages the broker acknowledged", {})),
          connected_gauge_(
              &context.gauge("mqtt_connected", "1 while connected to the broker", {})) {
        std::string problem;
        broker_ = *parse_broker_url(settings_.url, problem);  // the param's check refused bad ones
        if (broker_.username.empty()) {
            if (const char* user = std::getenv("MQTT_USERNAME")) broker_.username = user;
            if (const char* password = std::getenv("MQTT_PASSWORD")) broker_.password = password;
        }
        // Registered now, before the first frame: every event this host stores is delivered,
        // even those stored before the broker first answers.
        if (store_) store_->cursor(context.instance_name());
        if (settings_.client_id.empty())
            client_id_ = "framehost-" + context.instance_name() + "-" + std::to_string(::getpid());
        else
            client_id_ = settings_.client_id;
    }

    void start() override {
        stopping_ = false;
        thread_ = std::thread([this] { run(); });
    }

    void stop() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    void write(std::span<const Frame* const>, SinkReport&) override {}

    nlohmann::json status() const override {
        std::lock_guard lock(mutex_);
        nlohmann::json s = {{"broker", broker_.host + ":" + std::to_string(broker_.port)},
                            {"tls", broker_.tls},
                            {"connected", connected_},
                            {"healthy", connected_},
                            {"events_published", events_published_},
                            {"events_acknowledged_seq", acknowledged_seq_},
                            {"connections", connections_}};
        if (!connected_ && !last_error_.empty()) s["error"] = last_error_;
        if (!store_) s["note"] = "no event store (the config's events: section): states only";
        return s;
    }

  private:
    struct InFlight {
        int mid;
        std::uint64_t seq;
        bool acknowledged = false;
    };

    void run() {
        Backoff backoff(settings_.backoff, settings_.max_backoff);
        while (!stopping()) {
            if (!session_ || !session_->connected()) {
                if (session_) lose(session_->lost_reason());
                try {
                    session_ = std::make_unique<BrokerSession>(
                        broker_, client_id_, Message{topics_.availability(), "offline", true},
                        settings_.ca_file, settings_.connect_timeout);
                } catch (const std::exception& e) {
                    note_error(e.what());
                    pause(backoff.next());
                    continue;
                }
                backoff.reset();
                connected();
            }
            settle_acknowledged();
            publish_events();
            publish_states();
        }
        if (session_ && session_->connected()) {
            session_->publish({topics_.availability(), "offline", true});
            std::this_thread::sleep_for(milliseconds(100));  // let the network thread send it
        }
        session_.reset();
    }

    bool stopping() {
        std::lock_guard lock(mutex_);
        return stopping_;
    }

    void pause(milliseconds delay) {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, delay, [&] { return stopping_; });
    }

    void note_error(const std::string& error) {
        bool first;
        {
            std::lock_guard lock(mutex_);
            first = last_error_ != error;
            last_error_ = error;
        }
        if (first) context_.log(LogLevel::Warn, "MQTT: " + error);
    }

    void lose(const std::string& reason) {
        note_error("lost the broker: " + reason);
        session_.reset();
        in_flight_.clear();
        {
            std::lock_guard lock(mutex_);
            connected_ = false;
        }
        connected_gauge_->set(0);
    }

    // A new connection: everything retained is said again (the broker may be a new one), and
    // events resume after the last one the broker acknowledged.
    void connected() {
        {
            std::lock_guard lock(mutex_);
            connected_ = true;
            ++connections_;
        }
        connected_gauge_->set(1);
        context_.log(LogLevel::Info, "MQTT: connected to " + broker_.host + ":" +
                                         std::to_string(broker_.port) + " as " + client_id_);
        session_->publish({topics_.availability(), "online", true});
        said_.clear();
        announced_.clear();
        for (const auto& camera : cameras_) announce_camera(camera);
        zones_version_ = 0;
        if (store_) sent_seq_ = store_->cursor(context_.instance_name());
    }

    void say(const Message& message) {
        auto it = said_.find(message.topic);
        if (it != said_.end() && it->second == message.payload) return;
        if (session_->publish(message) >= 0) said_[message.topic] = message.payload;
    }

    void announce(const Message& discovery) {
        if (!settings_.discovery || !announced_.insert(discovery.topic).second) return;
        session_->publish(discovery);
    }

    void announce_camera(const std::string& camera) {
        for (const auto& label : settings_.detected_labels) {
            announce(topics_.detected_discovery(camera, label));
            bool on = open_[{camera, label}].size() > 0;
            say({topics_.detected(camera, label), on ? "ON" : "OFF", true});
        }
    }

    void seen_camera(const std::string& camera) {
        if (cameras_.insert(camera).second) announce_camera(camera);
    }

    void publish_events() {
        if (!store_) {
            pause(kIdleWait);
            return;
        }
        if (in_flight_.size() >= kMaxInFlight) {
            pause(milliseconds(5));
            return;
        }
        auto changes = store_->changes_after(sent_seq_, kMaxInFlight - in_flight_.size(),
                                             in_flight_.empty() ? kIdleWait : milliseconds(5));
        for (const auto& change : changes) {
            nlohmann::json body = change.event;
            body["change"] = change.kind;
            int mid = session_->publish({topics_.events(), body.dump(), false});
            if (mid < 0) return;  // the connection is gone: resumed from the store's cursor
            in_flight_.push_back({mid, change.seq});
            sent_seq_ = change.seq;
            track_detected(change);
        }
    }

    // "LABEL detected" follows the open object events of each camera and label; a change
    // delivered twice (after a reconnection) changes nothing.
    void track_detected(const EventChange& change) {
        const auto& e = change.event;
        if (e.type != "object") return;
        seen_camera(e.camera_id);
        auto& open = open_[{e.camera_id, e.label}];
        if (e.end_ms)
            open.erase(e.id);
        else
            open.insert(e.id);
        bool watched = std::find(settings_.detected_labels.begin(), settings_.detected_labels.end(),
                                 e.label) != settings_.detected_labels.end();
        if (watched)
            say({topics_.detected(e.camera_id, e.label), open.empty() ? "OFF" : "ON", true});
    }

    void settle_acknowledged() {
        auto acknowledged = session_->take_acknowledged();
        if (acknowledged.empty()) return;
        std::set<int> mids(acknowledged.begin(), acknowledged.end());
        for (auto& f : in_flight_)
            if (mids.count(f.mid)) f.acknowledged = true;
        published_->add(static_cast<double>(acknowledged.size()));
        std::uint64_t settled = 0;
        std::size_t events = 0;
        while (!in_flight_.empty() && in_flight_.front().acknowledged) {
            settled = in_flight_.front().seq;
            in_flight_.pop_front();
            ++events;
        }
        if (settled == 0) return;
        store_->acknowledge(context_.instance_name(), settled);
        std::lock_guard lock(mutex_);
        acknowledged_seq_ = settled;
        events_published_ += events;
    }

    void publish_states() {
        if (!zones_) return;
        for (const auto& [camera, summary] : zones_->changed_since(zones_version_)) {
            seen_camera(camera);
            if (auto zones = summary.find("zones"); zones != summary.end())
                for (const auto& [zone, state] : zones->items()) {
                    auto occupancy = state.value("occupancy", nlohmann::json::object());
                    for (const auto& [label, n] : occupancy.items()) {
                        announce(topics_.occupancy_discovery(camera, zone, label));
                        say({topics_.occupancy(camera, zone, label), n.dump(), true});
                    }
                }
            if (auto lines = summary.find("lines"); lines != summary.end())
                for (const auto& [line, state] : lines->items())
                    for (const char* direction : {"in", "out"}) {
                        announce(topics_.crossings_discovery(camera, line, direction));
                        say({topics_.crossings(camera, line, direction),
                             state.value(direction, nlohmann::json(0)).dump(), true});
                    }
        }
    }

    PluginContext& context_;
    const Settings settings_;
    const Topics topics_;
    EventStore* store_;
    ZoneSummaries* zones_;
    CounterMetric* published_;
    GaugeMetric* connected_gauge_;
    BrokerUrl broker_;
    std::string client_id_;

    // The sink's thread's own.
    std::unique_ptr<BrokerSession> session_;
    std::deque<InFlight> in_flight_;
    std::uint64_t sent_seq_ = 0;
    std::uint64_t zones_version_ = 0;
    std::map<std::string, std::string> said_;  // retained topic -> payload last published
    std::set<std::string> announced_;          // discovery topics published this connection
    std::set<std::string> cameras_;
    std::map<std::pair<std::string, std::string>, std::set<std::string>> open_;
    std::thread thread_;

    // Shared with status() and stop().
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool connected_ = false;
    std::string last_error_;
    std::uint64_t events_published_ = 0;
    std::uint64_t acknowledged_seq_ = 0;
    std::uint64_t connections_ = 0;
};

}  // namespace

FRAMEHOST_PLUGIN(MqttSink)
