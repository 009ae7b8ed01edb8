#pragma once
// What the Redis users share: a redis:// URL, and a hiredis connection that reports lost
// connections and error replies as exceptions. Not a plugin: a static library linked into
// redis_streams_source, redis_streams_sink and the frame-buffer's Redis backend.
#include <hiredis/hiredis.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace framehost::redis_support {

struct ReplyDeleter {
    void operator()(redisReply* r) const {
        if (r) freeReplyObject(r);
    }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

inline std::string str(const redisReply* r) {
    return r && r->str ? std::string(r->str, r->len) : std::string();
}

struct Address {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string password;
    int db = 0;
};

// redis://[:password@]host[:port][/db]; throws std::invalid_argument naming what is wrong.
Address parse_url(const std::string& url);

// The address as a URL without its password, for logs and answers.
inline std::string redacted_url(const Address& a) {
    return "redis://" + std::string(a.password.empty() ? "" : ":***@") + a.host + ":" +
           std::to_string(a.port) + "/" + std::to_string(a.db);
}

// One hiredis context: single-threaded, callers serialise.
class Connection {
  public:
    ~Connection() { close(); }
    void open(const Address& address);  // throws with the address and the reason
    void close();
    bool is_open() const { return context_ != nullptr; }
    // Throws on a lost connection (and closes it) or an error reply.
    Reply run(const std::vector<std::string>& args);
    // Sends every command, then reads every reply: one round trip. Throws on a lost
    // connection; error replies come back as replies.
    std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& commands);

  private:
    redisContext* context_ = nullptr;
};

}  // namespace framehost::redis_support
