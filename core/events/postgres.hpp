#pragma once
// A thin RAII layer over libpq, as core/events/sqlite.hpp is over SQLite: a connection that
// reconnects when the server went away, parameters, results, and errors that throw
// std::runtime_error naming the database (never its password) and the server's message.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace framehost::core::postgres {

// A URL as the log may show it: no password (in the authority or as ?password=).
std::string without_password(const std::string& url);

class Params {
  public:
    Params& text(std::string value);
    Params& number(std::int64_t value);
    Params& bytes(std::span<const std::uint8_t> value);  // sent binary (a bytea)
    Params& null();
    // The value, or NULL when there is none.
    Params& number_or_null(std::optional<std::int64_t> value);
    Params& text_or_null(const std::string* value);

  private:
    friend class Connection;
    std::vector<std::string> values_;
    std::vector<int> lengths_, formats_;
    std::vector<bool> nulls_;
};

class Result {
  public:
    explicit Result(pg_result* result) : result_(result) {}
    ~Result();
    Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;

    int rows() const;
    bool is_null(int row, int column) const;
    std::string text(int row, int column) const;
    std::int64_t integer(int row, int column) const;                 // a text-format integer
    std::span<const std::uint8_t> bytes(int row, int column) const;  // a binary-format value

  private:
    pg_result* result_ = nullptr;
};

class Connection {
  public:
    // Connects (5 s an attempt unless the URL says connect_timeout), after waiting up to `wait`
    // for a server that does not answer yet (still starting); throws when it cannot.
    explicit Connection(const std::string& url,
                        std::chrono::milliseconds wait = std::chrono::milliseconds(0));
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs one statement; `binary_results` asks for binary values (for bytea). A connection found
    // broken is reset once first, so a restarted server is reached again.
    Result exec(std::string_view sql, const Params& params = {}, bool binary_results = false);
    // Runs SQL without parameters (several statements allowed).
    void execute(std::string_view sql);
    const std::string& name() const { return name_; }

  private:
    [[noreturn]] void fail(std::string_view what) const;
    void ensure_connected();
    // Owns `raw`; throws naming the statement unless it succeeded.
    Result checked(pg_result* raw, std::string_view sql) const;

    pg_conn* connection_ = nullptr;
    std::string name_;  // the URL without its password
};

// A transaction committed by commit(), rolled back when left without it.
class Transaction {
  public:
    explicit Transaction(Connection& connection);
    ~Transaction();
    void commit();

  private:
    Connection& connection_;
    bool done_ = false;
};

}  // namespace framehost::core::postgres
