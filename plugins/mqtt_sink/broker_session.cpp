#include "broker_session.hpp"

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <mosquitto.h>

namespace framehost::mqtt {

namespace {
void initialise_library() {
    static std::once_flag once;
    std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string connect_problem(int rc) {
    return rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : mosquitto_strerror(rc);
}
}  // namespace

BrokerSession::BrokerSession(const BrokerUrl& broker, const std::string& client_id,
                             const Message& will, const std::string& ca_file,
                             std::chrono::milliseconds timeout) {
    initialise_library();
    client_ = mosquitto_new(client_id.c_str(), true, this);
    if (!client_) throw std::runtime_error("cannot make an MQTT client");
    auto fail = [&](const std::string& what) {
        mosquitto_destroy(client_);
        client_ = nullptr;
        throw std::runtime_error(what);
    };
    mosquitto_connect_callback_set(client_, &BrokerSession::on_connect);
    mosquitto_disconnect_callback_set(client_, &BrokerSession::on_disconnect);
    mosquitto_publish_callback_set(client_, &BrokerSession::on_publish);
    mosquitto_log_callback_set(client_, &BrokerSession::on_log);
    if (!broker.username.empty() &&
        mosquitto_username_pw_set(client_, broker.username.c_str(),
                                  broker.password.empty() ? nullptr : broker.password.c_str()) !=
            MOSQ_ERR_SUCCESS)
        fail("cannot set the MQTT credentials");
    if (mosquitto_will_set(client_, will.topic.c_str(), static_cast<int>(will.payload.size()),
                           will.payload.data(), 1, will.retain) != MOSQ_ERR_SUCCESS)
        fail("cannot set the MQTT last will on " + will.topic);
    if (broker.tls) {
        int rc = ca_file.empty() ? mosquitto_int_option(client_, MOSQ_OPT_TLS_USE_OS_CERTS, 1)
                                 : mosquitto_tls_set(client_, ca_file.c_str(), nullptr, nullptr,
                                                     nullptr, nullptr);
        if (rc != MOSQ_ERR_SUCCESS)
            fail("cannot set up TLS: " + std::string(mosquitto_strerror(rc)));
    }
    // libmosquitto tells a failed TLS handshake's cause only to its log callback.
    auto with_logged_cause = [this](std::string what) {
        std::lock_guard lock(mutex_);
        return last_error_logged_.empty() ? what : what + " (" + last_error_logged_ + ")";
    };
    int rc = mosquitto_connect(client_, broker.host.c_str(), broker.port, 30);
    if (rc != MOSQ_ERR_SUCCESS)
        fail(with_logged_cause("cannot connect to " + broker.host + ":" +
                               std::to_string(broker.port) + ": " + connect_problem(rc)));
    if (mosquitto_loop_start(client_) != MOSQ_ERR_SUCCESS) fail("cannot start the MQTT thread");
    std::unique_lock lock(mutex_);
    if (!connack_.wait_for(lock, timeout, [&] { return answered_; })) {
        lock.unlock();
        mosquitto_disconnect(client_);
        mosquitto_loop_stop(client_, true);
        fail(with_logged_cause("the broker at " + broker.host + ":" + std::to_string(broker.port) +
                               " did not answer the connection in " +
                               std::to_string(timeout.count()) + " ms"));
    }
    if (!connected_) {
        auto reason = lost_;
        lock.unlock();
        mosquitto_loop_stop(client_, true);
        fail(with_logged_cause("the broker at " + broker.host + ":" + std::to_string(broker.port) +
                               " refused the connection: " + reason));
    }
}

BrokerSession::~BrokerSession() {
    if (!client_) return;
    mosquitto_disconnect(client_);
    mosquitto_loop_stop(client_, true);
    mosquitto_destroy(client_);
}

int BrokerSession::publish(const Message& message) {
    int mid = -1;
    int rc = mosquitto_publish(client_, &mid, message.topic.c_str(),
                               static_cast<int>(message.payload.size()), message.payload.data(), 1,
                               message.retain);
    if (rc != MOSQ_ERR_SUCCESS) {
        std::lock_guard lock(mutex_);
        if (lost_.empty()) lost_ = "publishing failed: " + std::string(mosquitto_strerror(rc));
        connected_ = false;
        return -1;
    }
    return mid;
}

bool BrokerSession::connected() const {
    std::lock_guard lock(mutex_);
    return connected_;
}

std::string BrokerSession::lost_reason() const {
    std::lock_guard lock(mutex_);
    return lost_;
}

std::vector<int> BrokerSession::take_acknowledged() {
    std::lock_guard lock(mutex_);
    return std::exchange(acknowledged_, {});
}

void BrokerSession::on_connect(mosquitto*, void* self, int rc) {
    auto* session = static_cast<BrokerSession*>(self);
    {
        std::lock_guard lock(session->mutex_);
        session->answered_ = true;
        session->connected_ = rc == 0;
        if (rc != 0) session->lost_ = mosquitto_connack_string(rc);
    }
    session->connack_.notify_all();
}

void BrokerSession::on_disconnect(mosquitto*, void* self, int rc) {
    auto* session = static_cast<BrokerSession*>(self);
    {
        std::lock_guard lock(session->mutex_);
        session->answered_ = true;
        session->connected_ = false;
        if (session->lost_.empty())
            session->lost_ = rc == 0 ? "disconnected"
                                     : "connection lost: " + std::string(mosquitto_strerror(rc));
    }
    session->connack_.notify_all();
}

void BrokerSession::on_log(mosquitto*, void* self, int level, const char* text) {
    if (level != MOSQ_LOG_ERR || !text) return;
    auto* session = static_cast<BrokerSession*>(self);
    std::lock_guard lock(session->mutex_);
    session->last_error_logged_ = text;
}

void BrokerSession::on_publish(mosquitto*, void* self, int mid) {
    auto* session = static_cast<BrokerSession*>(self);
    std::lock_guard lock(session->mutex_);
    session->acknowledged_.push_back(mid);
}

}  // namespace framehost::mqtt
