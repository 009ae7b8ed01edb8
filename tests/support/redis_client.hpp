#pragma once
// A few Redis commands from the tests, through hiredis: filling a stream fast (pipelined) and
// reading back what the hosts left there.
#include <string>
#include <vector>

namespace framehost::test {

class RedisClient {
  public:
    explicit RedisClient(int port);
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    long long integer(const std::vector<std::string>& args);
    // Sends all commands, then reads all replies: one round trip per batch.
    void pipeline(const std::vector<std::vector<std::string>>& commands);
    // XPENDING key group: the number of entries delivered and not acknowledged.
    long long pending(const std::string& stream, const std::string& group);
    // The ids of up to `count` pending entries of a group, oldest first.
    std::vector<std::string> pending_ids(const std::string& stream, const std::string& group,
                                         int count);
    // The number of entries delivered to `consumer` and not acknowledged.
    long long pending_of(const std::string& stream, const std::string& group,
                         const std::string& consumer);
    // The values of `field` in every entry of a stream.
    std::vector<std::string> field_values(const std::string& stream, const std::string& field);

  private:
    void* context_;
};

}  // namespace framehost::test
