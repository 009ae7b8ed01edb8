#include "core/events/postgres.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <libpq-fe.h>

#include "core/log/log.hpp"

namespace framehost::core::postgres {

std::string without_password(const std::string& url) {
    std::string shown = url.substr(0, url.find('?'));
    auto scheme = shown.find("://");
    if (scheme == std::string::npos) return shown;
    auto authority = scheme + 3;
    auto at = shown.rfind('@', shown.find('/', authority));
    if (at == std::string::npos || at < authority) return shown;
    auto colon = shown.find(':', authority);
    if (colon != std::string::npos && colon < at) shown.erase(colon, at - colon);
    return shown;
}

Params& Params::text(std::string value) {
    lengths_.push_back(static_cast<int>(value.size()));
    values_.push_back(std::move(value));
    formats_.push_back(0);
    nulls_.push_back(false);
    return *this;
}

Params& Params::number(std::int64_t value) {
    return text(std::to_string(value));
}

Params& Params::bytes(std::span<const std::uint8_t> value) {
    values_.emplace_back(reinterpret_cast<const char*>(value.data()), value.size());
    lengths_.push_back(static_cast<int>(value.size()));
    formats_.push_back(1);
    nulls_.push_back(false);
    return *this;
}

Params& Params::null() {
    values_.emplace_back();
    lengths_.push_back(0);
    formats_.push_back(0);
    nulls_.push_back(true);
    return *this;
}

Params& Params::number_or_null(std::optional<std::int64_t> value) {
    return value ? number(*value) : null();
}

Params& Params::text_or_null(const std::string* value) {
    return value ? text(*value) : null();
}

Result::~Result() {
    PQclear(result_);
}

int Result::rows() const {
    return PQntuples(result_);
}

bool Result::is_null(int row, int column) const {
    return PQgetisnull(result_, row, column) != 0;
}

std::string Result::text(int row, int column) const {
    return std::string(PQgetvalue(result_, row, column),
                       static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

std::int64_t Result::integer(int row, int column) const {
    return std::stoll(PQgetvalue(result_, row, column));
}

std::span<const std::uint8_t> Result::bytes(int row, int column) const {
    return {reinterpret_cast<const std::uint8_t*>(PQgetvalue(result_, row, column)),
            static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

Connection::Connection(const std::string& url, std::chrono::milliseconds wait)
    : name_(without_password(url)) {
    // connect_timeout first: the URL's own, expanded from dbname after it, overrides it.
    const char* keywords[] = {"connect_timeout", "dbname", nullptr};
    const char* values[] = {"5", url.c_str(), nullptr};
    // Only a server that does not answer yet (down, or starting) is waited for; one that
    // answers and refuses (no such database, a wrong password) is an error at once.
    auto deadline = std::chrono::steady_clock::now() + wait;
    auto pause = std::chrono::milliseconds(100);
    bool said = false;
    while (PQpingParams(keywords, values, 1) != PQPING_OK &&
           std::chrono::steady_clock::now() + pause < deadline) {
        if (!said)
            log(LogLevel::Info, "events",
                "waiting up to " +
                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(wait).count()) +
                    " s for " + name_ + " to accept connections");
        said = true;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(2000));
    }
    connection_ = PQconnectdbParams(keywords, values, 1);
    if (!connection_) throw std::runtime_error("event store " + name_ + ": out of memory");
    if (PQstatus(connection_) != CONNECTION_OK) {
        std::string message = PQerrorMessage(connection_);
        PQfinish(connection_);
        connection_ = nullptr;
        while (!message.empty() && message.back() == '\n') message.pop_back();
        throw std::runtime_error("event store " + name_ + ": cannot connect: " + message);
    }
    // Notices (an index that already exists) are not the log's business.
    PQsetNoticeProcessor(
        connection_, [](void*, const char*) {}, nullptr);
}

Connection::~Connection() {
    PQfinish(connection_);
}

void Connection::fail(std::string_view what) const {
    std::string message = PQerrorMessage(connection_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw std::runtime_error("event store " + name_ + ": " + std::string(what) + ": " + message);
}

void Connection::ensure_connected() {
    if (PQstatus(connection_) == CONNECTION_OK) return;
    PQreset(connection_);
    if (PQstatus(connection_) != CONNECTION_OK) fail("cannot reconnect");
}

Result Connection::exec(std::string_view sql, const Params& params, bool binary_results) {
    ensure_connected();
    std::vector<const char*> values;
    for (std::size_t i = 0; i < params.values_.size(); ++i)
        values.push_back(params.nulls_[i] ? nullptr : params.values_[i].data());
    return checked(
        PQexecParams(connection_, std::string(sql).c_str(), static_cast<int>(values.size()),
                     nullptr, values.data(), params.lengths_.data(), params.formats_.data(),
                     binary_results ? 1 : 0),
        sql);
}

void Connection::execute(std::string_view sql) {
    ensure_connected();
    checked(PQexec(connection_, std::string(sql).c_str()), sql);
}

Result Connection::checked(pg_result* raw, std::string_view sql) const {
    Result result(raw);
    auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    std::string statement(sql.substr(0, sql.find_first_of("(\n")));
    fail(statement);
}

Transaction::Transaction(Connection& connection) : connection_(connection) {
    connection_.execute("BEGIN");
}

Transaction::~Transaction() {
    if (done_) return;
    try {
        connection_.execute("ROLLBACK");
    } catch (const std::exception&) {
        // A broken connection rolled back by itself.
    }
}

void Transaction::commit() {
    connection_.execute("COMMIT");
    done_ = true;
}

}  // namespace framehost::core::postgres
