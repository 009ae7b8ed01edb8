#include "core/isolation/worker_process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace framehost::core::isolation {

namespace {
std::runtime_error system_error(const std::string& what, int error) {
    return std::runtime_error("cannot start a plugin worker: " + what + ": " +
                              std::strerror(error));
}

// A descriptor moved above the ones the child is given, so dup2 onto 3 and 4 cannot clobber it.
int lifted(int fd) {
    int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
    if (high < 0) throw system_error("fcntl", errno);
    return high;
}
}  // namespace

void WorkerProcess::run_on(int cpu) {
    if (pid_ <= 0) return;
    cpu_set_t set = host_cpus_;
    if (cpu >= 0) {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
    }
    if (CPU_COUNT(&set) > 0) ::sched_setaffinity(pid_, sizeof set, &set);
}

std::string describe_exit(int status) {
    if (WIFSIGNALED(status)) {
        const char* name = ::sigabbrev_np(WTERMSIG(status));
        return name ? std::string("SIG") + name : "signal " + std::to_string(WTERMSIG(status));
    }
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    return "ended (status " + std::to_string(status) + ")";
}

std::filesystem::path worker_executable() {
    auto self = std::filesystem::read_symlink("/proc/self/exe");
    if (self.filename() == "framehost") return self;
    return self.parent_path() / "framehost";
}

WorkerProcess::WorkerProcess(const std::filesystem::path& executable, int arena_fd, int pool_fd) {
    if (::sched_getaffinity(0, sizeof host_cpus_, &host_cpus_) != 0) CPU_ZERO(&host_cpus_);
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        throw system_error("socketpair", errno);
    int child_socket = -1, child_arena = -1, child_pool = -1;
    try {
        child_socket = lifted(pair[1]);
        child_arena = lifted(arena_fd);
        if (pool_fd >= 0) child_pool = lifted(pool_fd);
    } catch (...) {
        ::close(pair[0]);
        ::close(pair[1]);
        for (int fd : {child_socket, child_arena})
            if (fd >= 0) ::close(fd);
        throw;
    }
    ::close(pair[1]);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    posix_spawn_file_actions_adddup2(&actions, child_socket, kSocketFd);
    posix_spawn_file_actions_adddup2(&actions, child_arena, kArenaFd);
    if (child_pool >= 0) posix_spawn_file_actions_adddup2(&actions, child_pool, kPoolFd);
    // Nothing else of the host's: a descriptor opened without O_CLOEXEC (the host's, a
    // plugin's, or one the host inherited) would otherwise sit at 5 and be taken for the pool,
    // or keep a listening socket or a pipe open in the worker.
    posix_spawn_file_actions_addclosefrom_np(&actions, child_pool >= 0 ? kPoolFd + 1 : kPoolFd);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(
        &attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    std::string program = executable.string();
    std::string parent = std::to_string(::getpid());
    std::vector<char*> argv = {program.data(), const_cast<char*>("worker"),
                               const_cast<char*>("--parent"), parent.data(), nullptr};
    int error = ::posix_spawn(&pid_, program.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(child_socket);
    ::close(child_arena);
    if (child_pool >= 0) ::close(child_pool);
    if (error != 0) {
        ::close(pair[0]);
        throw system_error(program, error);
    }
    socket_ = pair[0];
}

WorkerProcess::~WorkerProcess() {
    end(true);
}

std::string WorkerProcess::end(bool kill_first) {
    if (pid_ > 0) {
        if (kill_first) ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        ended_ = describe_exit(status);
        pid_ = -1;
    }
    if (socket_ >= 0) {
        ::close(socket_);
        socket_ = -1;
    }
    return ended_;
}

std::string WorkerProcess::end_within(std::chrono::milliseconds grace) {
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        auto got = ::waitpid(pid_, &status, WNOHANG);
        if (got == pid_) {
            ended_ = describe_exit(status);
            pid_ = -1;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return end(true);
}

}  // namespace framehost::core::isolation
