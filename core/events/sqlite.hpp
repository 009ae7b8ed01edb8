#pragma once
// A thin RAII layer over SQLite's C API: a connection and prepared statements that throw
// std::runtime_error with SQLite's message and the file's name. Nothing more; the event store
// says what to do with them.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace framehost::core::sqlite {

class Database {
  public:
    // Opens (creating) the file, read-write. Throws naming the file when it cannot.
    explicit Database(const std::filesystem::path& file);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs SQL without results (several statements allowed).
    void execute(std::string_view sql);
    sqlite3* handle() const { return db_; }
    std::int64_t last_insert_rowid() const;
    const std::filesystem::path& file() const { return file_; }
    [[noreturn]] void fail(std::string_view what) const;  // throws with SQLite's last message

  private:
    sqlite3* db_ = nullptr;
    std::filesystem::path file_;
};

class Statement {
  public:
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Binds by position from 1; returns *this for chaining.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    Statement& bind_blob(int index, std::span<const std::uint8_t> bytes);
    Statement& bind_null(int index);
    // Steps once: true while a row is there, false when done. Throws on errors.
    bool step();
    // Resets for another run with new bindings.
    void reset();

    std::int64_t integer(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    bool is_null(int column) const;
    std::span<const std::uint8_t> blob(int column) const;  // valid until the next step

  private:
    Database& db_;
    sqlite3_stmt* statement_ = nullptr;
};

// A transaction committed by commit(), rolled back when left without it.
class Transaction {
  public:
    explicit Transaction(Database& db);
    ~Transaction();
    void commit();

  private:
    Database& db_;
    bool done_ = false;
};

}  // namespace framehost::core::sqlite
