#include "apps/frame-buffer/redis_store.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace framehost::frame_buffer {

using redis_support::Reply;
using redis_support::str;

namespace {

constexpr auto kTrimInterval = std::chrono::seconds(1);

bool has_error(const std::exception& e, const char* code) {
    return std::string(e.what()).find(code) != std::string::npos;
}

// "ms-seq" stream ids, compared as numbers.
std::pair<unsigned long long, unsigned long long> split_id(const std::string& id) {
    unsigned long long ms = 0, seq = 0;
    auto dash = id.find('-');
    std::from_chars(id.data(), id.data() + std::min(dash, id.size()), ms);
    if (dash != std::string::npos)
        std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
    return {ms, seq};
}

std::string next_id(const std::string& id) {
    auto [ms, seq] = split_id(id);
    return std::to_string(ms) + "-" + std::to_string(seq + 1);
}

// The fields of a stream entry, in order; empty for an entry deleted while pending.
EntryFields entry_fields(const redisReply* fields) {
    EntryFields out;
    if (!fields || fields->type != REDIS_REPLY_ARRAY) return out;
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2)
        out.emplace_back(str(fields->element[f]), str(fields->element[f + 1]));
    return out;
}

const std::string* field(const EntryFields& fields, const char* name) {
    for (const auto& [k, v] : fields)
        if (k == name) return &v;
    return nullptr;
}

}  // namespace

RedisStore::RedisStore(RedisStoreSettings settings)
    : settings_(std::move(settings)), stats_(settings_.stream + ":stats") {
    if (settings_.dead_letters.empty()) settings_.dead_letters = settings_.stream + ":dlq";
    std::lock_guard lock(mutex_);
    integer({"XLEN",
             settings_.stream});  // fail at start, with the reason, rather than at the first frame
}

void RedisStore::reopen_if_lost() {
    if (redis_.is_open()) return;
    redis_.open(settings_.address);
    groups_ready_ = false;
    // A dequeue whose XACK went with the connection left its entries pending here.
    check_own_pending_ = true;
}

Reply RedisStore::command(const std::vector<std::string>& args) {
    try {
        reopen_if_lost();
        auto reply = redis_.run(args);
        last_error_.clear();
        return reply;
    } catch (const std::exception& e) {
        last_error_ = e.what();
        throw;
    }
}

long long RedisStore::integer(const std::vector<std::string>& args) {
    Reply r = command(args);
    return r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
}

RedisStore::Backlog RedisStore::backlog(const std::string& stream) {
    Backlog b;
    b.length = integer({"XLEN", stream});
    Reply groups;
    try {
        groups = command({"XINFO", "GROUPS", stream});
    } catch (const std::runtime_error& e) {
        if (!has_error(e, "no such key")) throw;
        return b;  // no stream yet: nothing waits
    }
    bool lag_known = true;
    for (std::size_t i = 0; groups->type == REDIS_REPLY_ARRAY && i < groups->elements; ++i) {
        const redisReply* g = groups->element[i];
        Group group;
        for (std::size_t k = 0; g->type == REDIS_REPLY_ARRAY && k + 1 < g->elements; k += 2) {
            std::string key = str(g->element[k]);
            const redisReply* v = g->element[k + 1];
            if (key == "name")
                group.name = str(v);
            else if (key == "pending")
                group.pending = v->integer;
            else if (key == "last-delivered-id")
                group.last_delivered = str(v);
            else if (key == "lag" && v->type == REDIS_REPLY_INTEGER)
                group.lag = v->integer;
        }
        if (!group.lag) lag_known = false;
        b.groups.push_back(std::move(group));
    }
    if (b.groups.empty() || !lag_known) {
        // Nobody consumes yet, or Redis cannot count a group's backlog: everything in the
        // stream (trimmed to what some group has not acknowledged) is what waits.
        b.waiting = static_cast<std::size_t>(b.length);
    } else {
        for (const auto& g : b.groups)
            b.waiting = std::max(b.waiting, static_cast<std::size_t>(g.pending + *g.lag));
    }
    return b;
}

void RedisStore::trim(const std::string& stream, const Backlog& backlog, bool force) {
    auto now = std::chrono::steady_clock::now();
    if (backlog.groups.empty() || (!force && now - last_trim_ < kTrimInterval)) return;
    last_trim_ = now;
    // The oldest entry some group still needs: its first unacknowledged one, or the one after
    // the last it was given. Everything before the oldest of those is done with.
    std::optional<std::pair<unsigned long long, unsigned long long>> keep_from;
    std::string keep_id;
    for (const auto& g : backlog.groups) {
        std::string first_needed = next_id(g.last_delivered);
        if (g.pending > 0) {
            Reply summary = command({"XPENDING", stream, g.name});
            if (summary->type == REDIS_REPLY_ARRAY && summary->elements >= 2 &&
                summary->element[1]->type == REDIS_REPLY_STRING)
                first_needed = str(summary->element[1]);
        }
        auto id = split_id(first_needed);
        if (!keep_from || id < *keep_from) {
            keep_from = id;
            keep_id = first_needed;
        }
    }
    integer({"XTRIM", stream, "MINID", keep_id});
}

EnqueueResult RedisStore::enqueue(const std::string& frame_id, const std::string& json) {
    std::lock_guard lock(mutex_);
    auto b = backlog(settings_.stream);
    trim(settings_.stream, b, false);
    if (b.waiting >= settings_.max_size) {
        integer({"HINCRBY", stats_, "dropped", "1"});
        command({"XADD", settings_.dead_letters, "MAXLEN", "~", std::to_string(kDeadLetterLimit),
                 "*", "frame_id", frame_id, "frame", json, "reason", kBufferFullReason});
        return {false, "", b.waiting};
    }
    Reply added = command({"XADD", settings_.stream, "*", "frame_id", frame_id, "frame", json});
    integer({"HINCRBY", stats_, "enqueued", "1"});
    return {true, str(added.get()), b.waiting + 1};
}

void RedisStore::ensure_groups() {
    if (groups_ready_) return;
    auto create = [&](const std::string& stream, const std::string& group) {
        try {
            command({"XGROUP", "CREATE", stream, group, "0", "MKSTREAM"});
        } catch (const std::runtime_error& e) {
            if (!has_error(e, "BUSYGROUP")) throw;  // exists already, after a restart: fine
        }
    };
    create(settings_.stream, settings_.group);
    if (!settings_.capture_stream.empty())
        create(settings_.capture_stream, settings_.capture_group);
    groups_ready_ = true;
}

void RedisStore::read_group(const std::string& stream, const std::string& group, const char* from,
                            std::size_t count, std::vector<StoredFrame>& out,
                            std::vector<std::string>& ids) {
    if (count == 0) return;
    std::size_t limit = out.size() + count;
    // Pending entries in hand come back in a "0" read: read past them.
    if (std::string_view(from) == "0") count += in_hand_.size();
    Reply read;
    try {
        read = command({"XREADGROUP", "GROUP", group, settings_.consumer, "COUNT",
                        std::to_string(count), "STREAMS", stream, from});
    } catch (const std::runtime_error& e) {
        if (!has_error(e, "NOGROUP")) throw;
        groups_ready_ =
            false;  // the stream was deleted (buffer cleared elsewhere): make them again
        ensure_groups();
        return;
    }
    if (read->type != REDIS_REPLY_ARRAY || read->elements == 0) return;
    const redisReply* entries = read->element[0]->element[1];
    for (std::size_t i = 0; i < entries->elements && out.size() < limit; ++i) {
        const redisReply* entry = entries->element[i];
        std::string id = str(entry->element[0]);
        if (in_hand_.count(id)) continue;  // in an answer being sent
        ids.push_back(id);
        auto fields = entry_fields(entry->element[1]);
        if (fields.empty()) continue;  // trimmed or deleted while pending: nothing left to serve
        // "frame": posted here; "frame_data": posted to the original Frame Buffer, whose
        // queue this may be; neither: a capture entry in the flat form.
        const auto* json = field(fields, "frame");
        if (!json) json = field(fields, "frame_data");
        if (json)
            out.push_back({id, *json});
        else
            out.push_back({id, capture_entry_to_frame(fields).dump()});
    }
}

class RedisStore::HandedOut final : public Receipt {
  public:
    HandedOut(RedisStore& store, std::vector<std::string> own, std::vector<std::string> capture)
        : store_(store), own_(std::move(own)), capture_(std::move(capture)) {}
    ~HandedOut() override {
        if (!settled_) store_.settle(own_, capture_, false);
    }
    void settle(bool handed) override {
        if (settled_) return;
        settled_ = true;
        store_.settle(own_, capture_, handed);
    }

  private:
    RedisStore& store_;
    std::vector<std::string> own_, capture_;
    bool settled_ = false;
};

void RedisStore::settle(const std::vector<std::string>& own_ids,
                        const std::vector<std::string>& capture_ids, bool handed) {
    std::lock_guard lock(mutex_);
    for (const auto* ids : {&own_ids, &capture_ids})
        for (const auto& id : *ids) in_hand_.erase(id);
    if (!handed) {
        check_own_pending_ = true;  // pending with this consumer: served again, first
        return;
    }
    try {
        if (!own_ids.empty()) {
            std::vector<std::string> ack = {"XACK", settings_.stream, settings_.group};
            ack.insert(ack.end(), own_ids.begin(), own_ids.end());
            integer(ack);
        }
        if (!capture_ids.empty()) {
            std::vector<std::string> ack = {"XACK", settings_.capture_stream,
                                            settings_.capture_group};
            ack.insert(ack.end(), capture_ids.begin(), capture_ids.end());
            integer(ack);
        }
    } catch (const std::exception& e) {
        // Unacknowledged, they stay pending with this consumer and are served again first:
        // the client may get them twice, never none.
        check_own_pending_ = true;
        last_error_ = e.what();
    }
}

std::vector<StoredFrame> RedisStore::dequeue(std::size_t count, std::size_t max_bytes,
                                             std::size_t& remaining,
                                             std::shared_ptr<Receipt>& receipt) {
    std::lock_guard lock(mutex_);
    // Reconnected before deciding whether to look at this consumer's pending entries first,
    // which a lost connection may have left.
    try {
        reopen_if_lost();
    } catch (const std::exception& e) {
        last_error_ = e.what();
        throw;
    }
    ensure_groups();
    std::vector<StoredFrame> out;
    std::vector<std::string> own_ids, capture_ids;
    const auto& capture = settings_.capture_stream;
    if (check_own_pending_) {
        read_group(settings_.stream, settings_.group, "0", count, out, own_ids);
        if (!capture.empty())
            read_group(capture, settings_.capture_group, "0", count - out.size(), out, capture_ids);
        if (own_ids.empty() && capture_ids.empty()) check_own_pending_ = false;
    }
    read_group(settings_.stream, settings_.group, ">", count - out.size(), out, own_ids);
    if (!capture.empty())
        read_group(capture, settings_.capture_group, ">", count - out.size(), out, capture_ids);
    // Past the byte budget, entries are left unacknowledged: pending with this consumer, they
    // are served first by the next dequeue, in their order.
    std::size_t bytes = 0, fits = 0;
    while (fits < out.size() && (fits == 0 || bytes + out[fits].json.size() <= max_bytes))
        bytes += out[fits++].json.size();
    if (fits < out.size()) {
        for (std::size_t i = fits; i < out.size(); ++i) {
            auto unack = [&](std::vector<std::string>& ids) {
                auto it = std::find(ids.begin(), ids.end(), out[i].message_id);
                if (it == ids.end()) return false;
                ids.erase(it);
                return true;
            };
            if (!unack(own_ids)) unack(capture_ids);
        }
        out.resize(fits);
        check_own_pending_ = true;
    }
    // Acknowledged once the answer is handed over (settle), not now: a server killed while it
    // builds or writes the answer would otherwise lose them.
    if (!own_ids.empty() || !capture_ids.empty()) {
        for (const auto* ids : {&own_ids, &capture_ids}) in_hand_.insert(ids->begin(), ids->end());
        receipt = std::make_shared<HandedOut>(*this, std::move(own_ids), std::move(capture_ids));
    }
    if (!out.empty()) integer({"HINCRBY", stats_, "dequeued", std::to_string(out.size())});
    auto b = backlog(settings_.stream);
    trim(settings_.stream, b, false);
    // Entries in answers being sent are pending, not waiting.
    remaining = b.waiting + waiting_in_capture();
    remaining -= std::min(remaining, in_hand_.size());
    return out;
}

std::size_t RedisStore::waiting_in_capture() {
    if (settings_.capture_stream.empty()) return 0;
    auto b = backlog(settings_.capture_stream);
    for (const auto& g : b.groups)
        if (g.name == settings_.capture_group && g.lag)
            return static_cast<std::size_t>(g.pending + *g.lag);
    return static_cast<std::size_t>(b.length);
}

std::size_t RedisStore::clear() {
    std::lock_guard lock(mutex_);
    auto size = backlog(settings_.stream).waiting;
    integer({"DEL", settings_.stream});
    groups_ready_ = false;  // the groups went with the stream
    return size;
}

StoreStatus RedisStore::status() {
    std::lock_guard lock(mutex_);
    StoreStatus s;
    s.backend = "redis";
    s.uses_redis = true;
    s.max_size = settings_.max_size;
    try {
        auto b = backlog(settings_.stream);
        trim(settings_.stream, b, true);
        s.stream_length = integer({"XLEN", settings_.stream});
        s.size = b.waiting;
        if (!settings_.capture_stream.empty()) {
            s.capture_waiting = static_cast<long long>(waiting_in_capture());
            s.size += static_cast<std::size_t>(s.capture_waiting);
        }
        Reply stats = command({"HGETALL", stats_});
        for (std::size_t i = 0; i + 1 < stats->elements; i += 2) {
            std::string key = str(stats->element[i]);
            auto value = std::stoull(str(stats->element[i + 1]));
            if (key == "dropped") s.dropped = value;
            if (key == "enqueued") s.total_enqueued = value;
            if (key == "dequeued") s.total_dequeued = value;
        }
        s.dead_letters = static_cast<std::size_t>(integer({"XLEN", settings_.dead_letters}));
    } catch (const std::exception& e) {
        s.connected = false;
        s.last_error = e.what();
    }
    return s;
}

std::vector<DeadLetter> RedisStore::dead_letters(std::size_t count, std::size_t& size) {
    std::lock_guard lock(mutex_);
    size = static_cast<std::size_t>(integer({"XLEN", settings_.dead_letters}));
    Reply range =
        command({"XRANGE", settings_.dead_letters, "-", "+", "COUNT", std::to_string(count)});
    std::vector<DeadLetter> out;
    for (std::size_t i = 0; range->type == REDIS_REPLY_ARRAY && i < range->elements; ++i) {
        const redisReply* entry = range->element[i];
        auto fields = entry_fields(entry->element[1]);
        auto get = [&](const char* name) {
            const auto* v = field(fields, name);
            return v ? *v : std::string();
        };
        out.push_back({str(entry->element[0]), get("frame_id"), get("frame"), get("reason")});
    }
    return out;
}

std::size_t RedisStore::clear_dead_letters() {
    std::lock_guard lock(mutex_);
    auto size = static_cast<std::size_t>(integer({"XLEN", settings_.dead_letters}));
    integer({"DEL", settings_.dead_letters});
    return size;
}

ReprocessResult RedisStore::reprocess_dead_letters(std::size_t max_items) {
    std::lock_guard lock(mutex_);
    ReprocessResult r;
    Reply range =
        command({"XRANGE", settings_.dead_letters, "-", "+", "COUNT", std::to_string(max_items)});
    for (std::size_t i = 0; range->type == REDIS_REPLY_ARRAY && i < range->elements; ++i) {
        const redisReply* entry = range->element[i];
        std::string id = str(entry->element[0]);
        auto fields = entry_fields(entry->element[1]);
        const auto* json = field(fields, "frame");
        if (!json || backlog(settings_.stream).waiting >= settings_.max_size) {
            ++r.failed;  // stays a dead letter: nothing to put back, or no room for it yet
            continue;
        }
        const auto* frame_id = field(fields, "frame_id");
        command(
            {"XADD", settings_.stream, "*", "frame_id", frame_id ? *frame_id : "", "frame", *json});
        integer({"XDEL", settings_.dead_letters, id});
        integer({"HINCRBY", stats_, "enqueued", "1"});
        ++r.reprocessed;
    }
    r.remaining = static_cast<std::size_t>(integer({"XLEN", settings_.dead_letters}));
    return r;
}

}  // namespace framehost::frame_buffer
