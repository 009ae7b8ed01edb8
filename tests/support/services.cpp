#include "tests/support/services.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/support/paths.hpp"

namespace framehost::test {

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t size = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        // A connect to a loopback port in the ephemeral range with no listener can be given that
        // very port as its own and connect to itself (TCP simultaneous open): not a server.
        sockaddr_in local{};
        socklen_t size = sizeof local;
        if (ok && ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) == 0 &&
            local.sin_port == a.sin_port)
            ok = false;
        ::close(fd);
        if (ok) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

int wait_for_listening(ChildProcess& process, const std::string& name,
                       std::chrono::milliseconds timeout) {
    static const std::regex listening("listening on http://[0-9.]+:([0-9]+)");
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::smatch m;
        auto err = process.err();
        if (std::regex_search(err, m, listening)) return std::stoi(m[1]);
        if (!process.running())
            throw std::runtime_error(name + " exited before listening:\n" + err);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error(name + " did not start listening:\n" + process.err());
}

namespace {
// redis-server and mosquitto cannot bind port 0 and say which they got: a chosen port can be
// taken by another test before they bind it, and then they exit. Such a launch is tried again on
// another port.
template <class Launch>
void launch_on_a_free_port(int& port, const std::unique_ptr<ChildProcess>& process, Launch launch) {
    for (int attempt = 1;; ++attempt) {
        try {
            launch();
            return;
        } catch (const std::exception&) {
            if (attempt == 3 || process->running()) throw;
            port = free_port();
        }
    }
}
}  // namespace

RedisServer::RedisServer(bool durable) : durable_(durable), port_(free_port()) {
    launch_on_a_free_port(port_, process_, [this] { launch(); });
}

void RedisServer::launch() {
    // No persistence: nothing is left behind, and a restart starts empty unless the test says.
    process_ = std::make_unique<ChildProcess>(
        "/usr/bin/redis-server",
        std::vector<std::string>{"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save",
                                 "", "--appendonly", durable_ ? "yes" : "no", "--appendfsync",
                                 "always", "--dir", dir_.path().string()});
    if (!wait_for_port(port_, std::chrono::seconds(10)))
        throw std::runtime_error("redis-server did not start: " + process_->err() +
                                 process_->out());
}

PostgresServer::PostgresServer() : port_(free_port()) {
    std::error_code ec;
    for (const auto& version : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
        if (std::filesystem::exists(version.path() / "bin/initdb")) bin_ = version.path() / "bin";
    if (bin_.empty())
        throw std::runtime_error(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)");
    if (geteuid() == 0) {
        const passwd* owner = getpwnam("postgres");
        if (!owner) throw std::runtime_error("running as root and there is no postgres user");
        if (chown(dir_.path().c_str(), owner->pw_uid, owner->pw_gid) != 0)
            throw std::runtime_error("cannot give " + dir_.path().string() + " to postgres");
    }
    auto init = as_owner("initdb");
    init.insert(init.end(), {"-D", (dir_ / "data").string(), "-U", "framehost", "--auth=trust",
                             "-E", "UTF8", "--no-sync"});
    auto made = run_program(init[0], {init.begin() + 1, init.end()});
    if (made.exit_code != 0) throw std::runtime_error("initdb failed: " + made.err + made.out);
    launch_on_a_free_port(port_, process_, [this] { launch(); });
}

PostgresServer::~PostgresServer() {
    if (!process_) return;
    process_->signal(SIGINT);  // fast shutdown: the backends end with it
    process_->wait(std::chrono::seconds(10));
}

std::vector<std::string> PostgresServer::as_owner(const std::string& program) const {
    auto path = (bin_ / program).string();
    if (geteuid() != 0) return {path};
    // setpriv execs the program itself, so a signal to the child reaches PostgreSQL.
    return {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", path};
}

void PostgresServer::launch() {
    auto command = as_owner("postgres");
    command.insert(command.end(),
                   {"-D", (dir_ / "data").string(), "-p", std::to_string(port_), "-k",
                    dir_.path().string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"});
    process_ = std::make_unique<ChildProcess>(
        command[0], std::vector<std::string>(command.begin() + 1, command.end()));
    if (!wait_for_port(port_, std::chrono::seconds(20)))
        throw std::runtime_error("postgres did not start: " + process_->err() + process_->out());
    // Listening comes a moment before accepting sessions ("the database system is starting up").
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (run_program((bin_ / "pg_isready").string(),
                       {"-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "framehost"})
               .exit_code != 0) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("postgres does not accept sessions: " + process_->err());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

MqttBroker::MqttBroker(std::string listener_options)
    : port_(free_port()), listener_options_(std::move(listener_options)) {
    if (!listener_options_.empty()) config_dir_ = std::make_unique<TempDir>();
    launch_on_a_free_port(port_, process_, [this] { launch(); });
}

void MqttBroker::launch() {
    std::vector<std::string> args;
    if (listener_options_.empty()) {
        // -p alone: mosquitto 2 listens on loopback only ("local only mode").
        args = {"-p", std::to_string(port_)};
    } else {
        // Run as root (CI), mosquitto would switch to its own user, who cannot read the test's
        // files; "user root" keeps it as it was started (no effect when not root).
        auto config = config_dir_->write(
            "mosquitto.conf", "user root\nper_listener_settings true\nlistener " +
                                  std::to_string(port_) + " 127.0.0.1\n" + listener_options_ +
                                  "\n");
        args = {"-c", config.string()};
    }
    process_ = std::make_unique<ChildProcess>("/usr/sbin/mosquitto", args);
    if (!wait_for_port(port_, std::chrono::seconds(10)))
        throw std::runtime_error("mosquitto did not start: " + process_->err() + process_->out());
}

void MqttBroker::kill() {
    process_->signal(SIGKILL);
    process_->wait(std::chrono::seconds(5));
}

void MqttBroker::restart() {
    launch();
}

void RedisServer::kill() {
    process_->signal(SIGKILL);
    process_->wait(std::chrono::seconds(5));
}
void RedisServer::stop() {
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(10));
}

void RedisServer::restart() {
    launch();
}

FrameBufferServer::FrameBufferServer(std::vector<std::string> extra_args, int port,
                                     std::map<std::string, std::string> env, bool port_from_env)
    : args_(std::move(extra_args)),
      port_(port),
      env_(std::move(env)),
      port_from_env_(port_from_env) {
    launch();
}

void FrameBufferServer::launch() {
    // Port 0 on the first launch: the server binds a free port itself and logs it, so no other
    // test's socket can take the port between choosing and binding it (a port chosen here and
    // released was taken under load in CI, and the wait then connected to something else).
    std::vector<std::string> argv;
    if (!port_from_env_) argv = {"--port", std::to_string(port_)};
    argv.insert(argv.end(), args_.begin(), args_.end());
    process_ = std::make_unique<ChildProcess>(kFrameBufferBinary, argv, env_);
    port_ = wait_for_listening(*process_, "frame-buffer", std::chrono::seconds(20));
}

void FrameBufferServer::restart() {
    if (process_->running()) {
        process_->signal(SIGKILL);
        process_->wait(std::chrono::seconds(5));
    }
    launch();
}

ScriptedHttpServer::ScriptedHttpServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener_, 16);
    socklen_t size = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &size);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] {
        while (!stop_) {
            pollfd p{listener_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) continue;
            std::lock_guard lock(mutex_);
            connections_.emplace_back([this, fd] { serve(fd); });
        }
    });
}

ScriptedHttpServer::~ScriptedHttpServer() {
    stop_ = true;
    acceptor_.join();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        threads.swap(connections_);
    }
    for (auto& t : threads) t.join();
    ::close(listener_);
}

void ScriptedHttpServer::answer(int status, std::string body, std::string content_type) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
    content_type_ = std::move(content_type);
}

void ScriptedHttpServer::answer_for(const std::string& prefix, int status) {
    std::lock_guard lock(mutex_);
    status_for_[prefix] = status;
}

std::vector<ScriptedHttpServer::Request> ScriptedHttpServer::received() const {
    std::lock_guard lock(mutex_);
    return received_;
}

void ScriptedHttpServer::serve(int fd) {
    std::string pending;
    char buffer[4096];
    while (!stop_) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        pending.append(buffer, static_cast<std::size_t>(n));
        std::size_t end;
        while ((end = pending.find("\r\n\r\n")) != std::string::npos) {
            Request request;
            request.head = pending.substr(0, end);
            std::istringstream lines(request.head);
            std::string line;
            std::getline(lines, line);  // the request line
            while (std::getline(lines, line)) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                auto colon = line.find(':');
                if (colon == std::string::npos) continue;
                std::string name = line.substr(0, colon);
                for (auto& c : name)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                auto value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(' '));
                request.headers[name] = value;
            }
            std::size_t length = 0;
            if (auto it = request.headers.find("content-length"); it != request.headers.end())
                length = std::stoul(it->second);
            if (pending.size() < end + 4 + length) break;  // the body is still coming
            request.body = pending.substr(end + 4, length);
            pending.erase(0, end + 4 + length);
            ++requests_;
            std::string reply;
            {
                std::lock_guard lock(mutex_);
                int status = status_;
                std::size_t longest = 0;
                for (const auto& [prefix, code] : status_for_)
                    if (request.head.rfind(prefix, 0) == 0 && prefix.size() >= longest) {
                        longest = prefix.size();
                        status = code;
                    }
                reply = "HTTP/1.1 " + std::to_string(status) +
                        " X\r\nContent-Type: " + content_type_ +
                        "\r\n"
                        "Content-Length: " +
                        std::to_string(body_.size()) + "\r\n\r\n" + body_;
                request.answered = status;
                received_.push_back(std::move(request));
            }
            ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
    }
    ::close(fd);
}

}  // namespace framehost::test
