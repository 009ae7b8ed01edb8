// Reads frames from a Redis stream through a consumer group, so many hosts share one stream
// and a host that dies takes no frame with it: an entry is acknowledged only once the host
// says the frame is finished, entries a dead consumer held are claimed by the living after
// claim_idle_ms, and an entry delivered max_deliveries times goes to a dead-letter stream.
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <framehost/export.hpp>
#include <framehost/json_limits.hpp>
#include <framehost/param_table.hpp>
#include <framehost/source_retry.hpp>
#include <framehost/wire_frame.hpp>

#include "orchestrator.hpp"
#include "redis_connection.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using framehost::Frame;
using framehost::redis_support::Address;
using framehost::redis_support::Connection;
using framehost::redis_support::parse_url;
using framehost::redis_support::Reply;
using framehost::redis_support::str;

struct Settings {
    std::string url = "redis://127.0.0.1:6379";
    std::string stream = "framehost:frames";
    std::string group = "framehost";
    std::string consumer;
    std::size_t batch_size = 100;
    long long block_ms = 100;
    std::chrono::milliseconds claim_idle_ms{30000};
    long long max_deliveries = 5;
    std::string dead_letter_stream = "framehost:frames:dead";
    bool create_group = true;
    std::string group_start = "0";
    bool synthesize_pixels = true;
    framehost::SourceRetry retry;  // the host's (source_retry.hpp)
    // Frame Buffer v2 (orchestrator.hpp): none when the URL is empty.
    std::string orchestrator_url;
    std::string processor_id;
    std::vector<std::string> capabilities = {"detection"};
    int capacity = 10;
    int heartbeat_interval_s = 30;
};

const framehost::ParamTable<Settings>& params() {
    namespace param = framehost::param;
    static const framehost::ParamTable<Settings> table = [] {
        framehost::ParamTable<Settings> t{
            param::bind(&Settings::url, "url", "Redis URL: redis://[:password@]host[:port][/db]"),
            param::bind(&Settings::stream, "stream", "Stream key to read"),
            param::bind(&Settings::group, "group", "Consumer group shared by all hosts"),
            param::bind(&Settings::consumer, "consumer",
                        "This host's consumer name; empty: host name and pid"),
            param::bind(&Settings::batch_size, "batch_size", "Entries asked for per read")
                .range(1, 10000),
            param::bind(&Settings::block_ms, "block_ms", "How long a read waits for new entries")
                .range(1, 100),
            param::bind(&Settings::claim_idle_ms, "claim_idle_ms",
                        "Entries pending this long with another consumer are taken over")
                .range(100, 86'400'000),
            param::bind(&Settings::max_deliveries, "max_deliveries",
                        "Deliveries after which an entry goes to the dead-letter stream")
                .range(1, 1000),
            param::bind(&Settings::dead_letter_stream, "dead_letter_stream",
                        "Where failed and undeliverable frames go"),
            param::bind(&Settings::create_group, "create_group",
                        "Create the group (and the stream) if missing"),
            param::bind(&Settings::group_start, "group_start",
                        "Where a new group starts: 0 (everything in the stream) or $ (new only)")
                .one_of({"0", "$"}),
            param::bind(&Settings::synthesize_pixels, "synthesize_pixels",
                        "Give frames without data a deterministic synthetic image"),
            param::bind(&Settings::orchestrator_url, "orchestrator_url",
                        "Frame Buffer v2: the orchestrator (http://host:port) this host "
                        "registers with as a processor of `stream` (its frames:ready:<id>), "
                        "with heartbeats, unregistering when it stops; empty: none"),
            param::bind(&Settings::processor_id, "processor_id",
                        "Frame Buffer v2: the id registered; empty: the consumer name"),
            param::bind(&Settings::capabilities, "capabilities",
                        "Frame Buffer v2: what this processor does, as the orchestrator routes "
                        "by it (detection_type of the frames' metadata)"),
            param::bind(&Settings::capacity, "capacity",
                        "Frame Buffer v2: frames this processor takes at once, as registered")
                .range(1, 100000),
            param::bind(&Settings::heartbeat_interval_s, "heartbeat_interval_s",
                        "Frame Buffer v2: seconds between heartbeats")
                .range(1, 3600),
        };
        t.include(&Settings::retry, framehost::source_retry_params());
        return t;
    }();
    return table;
}

class RedisStreamsSource final : public framehost::Source {
  public:
    static const framehost::PluginDescriptor& descriptor() {
        static const framehost::PluginDescriptor d{"redis_streams_source", "1.0.0",
                                                   framehost::PluginKind::Source,
                                                   "Reads frames from a Redis stream in a consumer "
                                                   "group: at-least-once, shared by many hosts",
                                                   params().specs()};
        return d;
    }

    RedisStreamsSource(const framehost::Params& p, framehost::PluginContext& context)
        : RedisStreamsSource(params().read(p), context) {}

    RedisStreamsSource(const Settings& s, framehost::PluginContext& context)
        : context_(context),
          address_(parse_url(s.url)),
          stream_(s.stream),
          group_(s.group),
          consumer_(s.consumer),
          batch_(s.batch_size),
          block_ms_(s.block_ms),
          claim_idle_(s.claim_idle_ms),
          max_deliveries_(s.max_deliveries),
          dead_letters_(s.dead_letter_stream),
          create_group_(s.create_group),
          group_start_(s.group_start),
          wire_(s.synthesize_pixels) {
        if (consumer_.empty()) {
            char host[256] = {};
            gethostname(host, sizeof host - 1);
            consumer_ = std::string(host) + "-" + std::to_string(getpid());
        }
        if (!s.orchestrator_url.empty()) {
            framehost::redis_streams::OrchestratorSettings o;
            o.url = s.orchestrator_url;
            while (!o.url.empty() && o.url.back() == '/') o.url.pop_back();
            if (o.url.rfind("http://", 0) != 0 && o.url.rfind("https://", 0) != 0)
                throw std::invalid_argument("orchestrator_url '" + o.url +
                                            "' is not an http:// or https:// URL");
            o.processor_id = s.processor_id.empty() ? consumer_ : s.processor_id;
            o.capabilities = s.capabilities;
            o.capacity = s.capacity;
            o.queue = stream_;
            o.heartbeat_interval = std::chrono::seconds(s.heartbeat_interval_s);
            orchestrator_ = std::make_unique<framehost::redis_streams::Orchestrator>(o);
        }
    }

    void connect() override {
        std::lock_guard lock(redis_mutex_);
        reader_.open(address_);
        if (create_group_) {
            try {
                reader_.run({"XGROUP", "CREATE", stream_, group_, group_start_, "MKSTREAM"});
            } catch (const std::runtime_error& e) {
                if (std::string(e.what()).find("BUSYGROUP") == std::string::npos) throw;
            }
        }
        next_claim_ = Clock::now();  // take over what dead consumers left, first thing
        // Registered once Redis is there: the orchestrator routes frames to a queue being read.
        // Refused or away, connect() fails and the host tries again with its backoff.
        if (orchestrator_ && !orchestrator_->status()["registered"].get<bool>()) {
            try {
                orchestrator_->register_and_beat();
            } catch (const std::exception& e) {
                set_error(e.what());
                throw;
            }
        }
        connected_ = true;
    }

    framehost::ReadStatus read(std::vector<Frame>& out, std::size_t max) override {
        std::lock_guard lock(redis_mutex_);
        if (!reader_.is_open()) return framehost::ReadStatus::NotConnected;
        try {
            std::size_t want = std::min(max, batch_);
            if (Clock::now() >= next_claim_) {
                flush_acks();
                // A full page taken: a dead host may have left more, claimed on the next read
                // rather than one page per claim_idle_ms (1,000 entries were 20 intervals).
                bool more = claim(out, want);
                next_claim_ = more ? Clock::now() : Clock::now() + claim_idle_;
                if (!out.empty()) return framehost::ReadStatus::Frames;
            }
            std::vector<std::string> read_command = {"XREADGROUP", "GROUP",
                                                     group_,       consumer_,
                                                     "COUNT",      std::to_string(want),
                                                     "BLOCK",      std::to_string(block_ms_),
                                                     "STREAMS",    stream_,
                                                     ">"};
            Reply reply;
            auto acks = take_acks_if_only_acks();
            if (!acks.empty()) {
                // The acknowledgements of finished frames ride with the next read.
                std::vector<std::string> ack = {"XACK", stream_, group_};
                ack.insert(ack.end(), acks.begin(), acks.end());
                try {
                    auto replies = reader_.pipeline({ack, read_command});
                    for (std::size_t i = 0; i < 2; ++i)
                        if (replies[i]->type == REDIS_REPLY_ERROR)
                            throw std::runtime_error("Redis " +
                                                     std::string(i ? "XREADGROUP" : "XACK") + ": " +
                                                     str(replies[i].get()));
                    reply = std::move(replies[1]);
                } catch (...) {
                    give_back(acks);
                    throw;
                }
                acknowledged_ += acks.size();
                release(acks);
            } else {
                flush_acks();
                reply = reader_.run(read_command);
            }
            if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0)
                take_entries(reply->element[0]->element[1], out);
        } catch (const std::exception& e) {
            connected_ = false;
            set_error(e.what());
            throw;
        }
        return out.empty() ? framehost::ReadStatus::Idle : framehost::ReadStatus::Frames;
    }

    // [worker threads] Settled by the delivery token read() gave the frame, never by its id
    // (ids may repeat, or be missing): completed and filtered frames are acknowledged, failed
    // ones dead-lettered with the reason first, and undelivered ones (a sink could not write
    // them) left pending, to be claimed again after claim_idle_ms and dead-lettered after
    // max_deliveries. The source thread sends it all in batches (hiredis is single-threaded).
    void finished(const Frame& frame, framehost::Outcome outcome) override {
        std::lock_guard lock(ack_mutex_);
        auto it = in_flight_.find(frame.delivery);
        if (it == in_flight_.end()) return;
        std::string entry = std::move(it->second);
        in_flight_.erase(it);
        if (outcome == framehost::Outcome::Undelivered) {
            held_.erase(entry);  // claimable again, by any host, after claim_idle_ms
            ++undelivered_;
            return;
        }
        // Stays held until its acknowledgement reaches Redis: a claim between now and then
        // would otherwise take it back from the pending list and process it twice.
        if (outcome == framehost::Outcome::Failed)
            dead_.push_back(
                {entry, frame.id, "failed in " + frame.failed_in() + ": " + frame.error()});
        acks_.push_back(std::move(entry));
    }

    void stop() override {
        if (orchestrator_) {
            orchestrator_->unregister();
            auto said = orchestrator_->status();
            context_.log(
                said.contains("error") ? framehost::LogLevel::Warn : framehost::LogLevel::Info,
                said.contains("error") ? said["error"].get<std::string>()
                                       : "unregistered " + said["processor_id"].get<std::string>() +
                                             " from the orchestrator");
        }
        std::lock_guard lock(redis_mutex_);
        try {
            if (reader_.is_open()) flush_acks();
        } catch (const std::exception& e) {
            context_.log(
                framehost::LogLevel::Warn,
                std::string(
                    "could not acknowledge the last frames (they stay pending for others): ") +
                    e.what());
        }
        reader_.close();
    }

    nlohmann::json status() const override {
        std::lock_guard lock(status_mutex_);
        nlohmann::json s = {{"stream", stream_},
                            {"group", group_},
                            {"consumer", consumer_},
                            {"connected", connected_.load()},
                            {"delivered", delivered_.load()},
                            {"acknowledged", acknowledged_.load()},
                            {"claimed", claimed_.load()},
                            {"dead_lettered", dead_lettered_.load()},
                            {"last_error", last_error_}};
        if (!connected_.load()) s["healthy"] = false;
        if (orchestrator_) s["orchestrator"] = orchestrator_->status();
        return s;
    }

  private:
    struct DeadLetter {
        std::string entry_id;
        std::string frame_id;
        std::string reason;
    };

    void set_error(const std::string& e) {
        std::lock_guard lock(status_mutex_);
        last_error_ = e;
    }

    void take_entries(const redisReply* entries, std::vector<Frame>& out) {
        for (std::size_t i = 0; i < entries->elements; ++i) {
            const redisReply* entry = entries->element[i];
            std::string id = str(entry->element[0]);
            Frame frame = read_entry(id, entry->element[1]);
            {
                std::lock_guard lock(ack_mutex_);
                frame.delivery = ++last_delivery_;
                in_flight_[frame.delivery] = id;
                held_.insert(id);
            }
            out.push_back(std::move(frame));
            ++delivered_;
        }
    }

    // An entry is framehost's form (the frame's JSON in the field "frame") or the original
    // capture's flat form (every field of the frame a field of the entry, every value a string).
    Frame read_entry(const std::string& id, const redisReply* fields) {
        nlohmann::json flat = nlohmann::json::object();
        if (fields && fields->type == REDIS_REPLY_ARRAY) {
            for (std::size_t f = 0; f + 1 < fields->elements; f += 2)
                flat[str(fields->element[f])] = str(fields->element[f + 1]);
        }
        auto json = flat.find("frame");
        if (json == flat.end()) return wire_.read(flat);
        const auto& text = json->get_ref<const std::string&>();
        if (auto problem = framehost::json_nesting_problem(text); !problem.empty()) {
            Frame frame;
            frame.id = flat.contains("frame_id") ? flat["frame_id"].get<std::string>()
                                                 : "<entry " + id + ">";
            frame.fail("malformed frame: entry " + id + ": " + problem);
            return frame;
        }
        auto parsed = nlohmann::json::parse(text, nullptr, false);
        if (parsed.is_discarded()) {
            Frame frame;
            frame.id = flat.contains("frame_id") ? flat["frame_id"].get<std::string>()
                                                 : "<entry " + id + ">";
            frame.fail("malformed frame: entry " + id + " has a 'frame' field that is not JSON");
            return frame;
        }
        return wire_.read(parsed);
    }

    // Takes over entries idle with other (presumably dead) consumers; dead-letters the ones
    // delivered too often. True when `want` entries were taken or dead-lettered: more may be
    // waiting. Entries this host holds are idle in Redis' eyes too; the pending list is paged past
    // them (up to kClaimPages pages of kClaimPageSize), so a host holding many does not hide a
    // dead one's.
    bool claim(std::vector<Frame>& out, std::size_t want) {
        std::vector<std::string> take;
        std::size_t handled = 0;
        std::string start = "-";
        std::size_t page_size = std::max<std::size_t>(want, kClaimPageSize);
        for (int page = 0; page < kClaimPages && handled < want; ++page) {
            auto pending = reader_.run({"XPENDING", stream_, group_, "IDLE",
                                        std::to_string(claim_idle_.count()), start, "+",
                                        std::to_string(page_size)});
            std::size_t listed = pending->type == REDIS_REPLY_ARRAY ? pending->elements : 0;
            for (std::size_t i = 0; i < listed && handled < want; ++i) {
                const redisReply* p = pending->element[i];
                std::string id = str(p->element[0]);
                start = "(" + id;
                long long deliveries = p->element[3]->integer;
                {
                    // Waiting in this host's own queue: not to be taken again.
                    std::lock_guard lock(ack_mutex_);
                    if (held_.count(id)) continue;
                }
                ++handled;
                if (deliveries >= max_deliveries_) {
                    dead_letter_redelivered(id, deliveries);
                    continue;
                }
                take.push_back(id);
            }
            if (listed < page_size) break;  // the end of the pending list
        }
        if (!take.empty()) {
            std::vector<std::string> args = {"XCLAIM", stream_, group_, consumer_,
                                             std::to_string(claim_idle_.count())};
            args.insert(args.end(), take.begin(), take.end());
            auto claimed = reader_.run(args);
            std::size_t before = out.size();
            take_entries(claimed.get(), out);
            claimed_ += out.size() - before;
        }
        return handled == want;
    }

    // An entry delivered max_deliveries times: claimed (to read its frame), written to the dead
    // letters with the reason, and acknowledged.
    void dead_letter_redelivered(const std::string& id, long long deliveries) {
        auto claimed = reader_.run(
            {"XCLAIM", stream_, group_, consumer_, std::to_string(claim_idle_.count()), id});
        std::string json;
        if (claimed->type == REDIS_REPLY_ARRAY && claimed->elements > 0 &&
            claimed->element[0]->type == REDIS_REPLY_ARRAY) {
            const redisReply* fields = claimed->element[0]->element[1];
            for (std::size_t f = 0; f + 1 < fields->elements; f += 2)
                if (str(fields->element[f]) == "frame") json = str(fields->element[f + 1]);
        }
        reader_.run({"XADD", dead_letters_, "*", "entry_id", id, "frame", json, "reason",
                     "delivered " + std::to_string(deliveries) + " times without finishing"});
        reader_.run({"XACK", stream_, group_, id});
        ++dead_lettered_;
    }

    // The pending acknowledgements, when there are no dead letters to write first.
    std::vector<std::string> take_acks_if_only_acks() {
        std::lock_guard lock(ack_mutex_);
        std::vector<std::string> acks;
        if (dead_.empty()) acks.swap(acks_);
        return acks;
    }

    // Acknowledged in Redis: no longer pending, so no longer to be skipped by claim().
    void release(const std::vector<std::string>& acks) {
        std::lock_guard lock(ack_mutex_);
        for (const auto& id : acks) held_.erase(id);
    }

    void give_back(const std::vector<std::string>& acks) {
        std::lock_guard lock(ack_mutex_);
        acks_.insert(acks_.end(), acks.begin(), acks.end());
    }

    void flush_acks() {
        std::vector<std::string> acks;
        std::vector<DeadLetter> dead;
        {
            std::lock_guard lock(ack_mutex_);
            acks.swap(acks_);
            dead.swap(dead_);
        }
        try {
            while (!dead.empty()) {
                const auto& d = dead.back();
                reader_.run({"XADD", dead_letters_, "*", "entry_id", d.entry_id, "frame_id",
                             d.frame_id, "reason", d.reason});
                ++dead_lettered_;
                dead.pop_back();
            }
            if (!acks.empty()) {
                std::vector<std::string> args = {"XACK", stream_, group_};
                args.insert(args.end(), acks.begin(), acks.end());
                reader_.run(args);
                acknowledged_ += acks.size();
                release(acks);
            }
        } catch (...) {
            // Kept for the next flush; if this host dies first, the entries stay pending and
            // another host claims them: processed twice, never lost.
            std::lock_guard lock(ack_mutex_);
            acks_.insert(acks_.end(), acks.begin(), acks.end());
            dead_.insert(dead_.end(), dead.begin(), dead.end());
            throw;
        }
    }

    framehost::PluginContext& context_;
    Address address_;
    std::string stream_, group_, consumer_;
    std::size_t batch_;
    long long block_ms_;
    std::chrono::milliseconds claim_idle_;
    long long max_deliveries_;
    std::string dead_letters_;
    static constexpr int kClaimPages = 20;  // pending-list pages looked through per claim
    static constexpr std::size_t kClaimPageSize = 100;
    bool create_group_;
    std::string group_start_;

    std::unique_ptr<framehost::redis_streams::Orchestrator> orchestrator_;  // v2 only
    std::mutex redis_mutex_;  // reader_: source thread, and stop()
    Connection reader_;
    framehost::WireFrameReader wire_;
    Clock::time_point next_claim_{};

    std::mutex ack_mutex_;
    std::uint64_t last_delivery_ = 0;
    std::unordered_map<std::uint64_t, std::string> in_flight_;  // delivery token -> entry id
    std::unordered_set<std::string> held_;  // in flight here, or finished and not yet acknowledged
    std::vector<std::string> acks_;
    std::vector<DeadLetter> dead_;

    mutable std::mutex status_mutex_;
    std::string last_error_;
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> delivered_{0}, acknowledged_{0}, claimed_{0}, dead_lettered_{0},
        undelivered_{0};
};

}  // namespace

FRAMEHOST_PLUGIN(RedisStreamsSource)
