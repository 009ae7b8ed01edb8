#include "redis_connection.hpp"

namespace framehost::redis_support {

Address parse_url(const std::string& url) {
    if (url.rfind("redis://", 0) != 0)
        throw std::invalid_argument(
            "url '" + url + "' is not a redis:// URL (redis://[:password@]host[:port][/db])");
    Address a;
    std::string rest = url.substr(8);
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        auto credentials = rest.substr(0, at);
        auto colon = credentials.find(':');
        a.password = colon == std::string::npos ? credentials : credentials.substr(colon + 1);
        rest = rest.substr(at + 1);
    }
    try {
        if (auto slash = rest.find('/'); slash != std::string::npos) {
            if (slash + 1 < rest.size()) a.db = std::stoi(rest.substr(slash + 1));
            rest = rest.substr(0, slash);
        }
        if (auto colon = rest.rfind(':'); colon != std::string::npos) {
            a.port = std::stoi(rest.substr(colon + 1));
            rest = rest.substr(0, colon);
        }
    } catch (const std::logic_error&) {
        throw std::invalid_argument("url '" + url +
                                    "' has a port or database that is not a number");
    }
    if (!rest.empty()) a.host = rest;
    return a;
}

void Connection::open(const Address& a) {
    close();
    timeval timeout{2, 0};
    context_ = redisConnectWithTimeout(a.host.c_str(), a.port, timeout);
    if (!context_ || context_->err) {
        std::string why = context_ ? context_->errstr : "cannot allocate a context";
        close();
        throw std::runtime_error("Redis at " + a.host + ":" + std::to_string(a.port) + ": " + why);
    }
    redisSetTimeout(context_, timeval{5, 0});
    if (!a.password.empty()) run({"AUTH", a.password});
    if (a.db != 0) run({"SELECT", std::to_string(a.db)});
}

void Connection::close() {
    if (context_) redisFree(context_);
    context_ = nullptr;
}

std::vector<Reply> Connection::pipeline(const std::vector<std::vector<std::string>>& commands) {
    if (!context_) throw std::runtime_error("not connected to Redis");
    for (const auto& args : commands) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& s : args) {
            argv.push_back(s.data());
            lengths.push_back(s.size());
        }
        redisAppendCommandArgv(context_, static_cast<int>(args.size()), argv.data(),
                               lengths.data());
    }
    std::vector<Reply> replies;
    for (std::size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(context_, &raw) != REDIS_OK) {
            std::string why = context_->errstr;
            close();
            throw std::runtime_error("Redis connection lost: " + why);
        }
        replies.emplace_back(static_cast<redisReply*>(raw));
    }
    return replies;
}

Reply Connection::run(const std::vector<std::string>& args) {
    auto replies = pipeline({args});
    if (replies[0]->type == REDIS_REPLY_ERROR)
        throw std::runtime_error("Redis " + args[0] + ": " + str(replies[0].get()));
    return std::move(replies[0]);
}

}  // namespace framehost::redis_support
