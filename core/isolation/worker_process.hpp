#pragma once
// One plugin worker process: the framehost binary started as `framehost worker`, with its end of
// a socket pair as fd 3, the shared arena as fd 4 and the host's frame pool as fd 5, in a process
// group of its own (a Ctrl-C at the terminal reaches the host, which stops its workers in order); a
// worker whose host is gone ends itself.
#include <filesystem>
#include <string>

#include <sched.h>

#include <sys/types.h>

namespace framehost::core::isolation {

class WorkerProcess {
  public:
    static constexpr int kSocketFd = 3;
    static constexpr int kArenaFd = 4;
    static constexpr int kPoolFd = 5;  // the host's frame pool, when it has one

    // Starts `executable worker`. Throws std::runtime_error when it cannot be started.
    WorkerProcess(const std::filesystem::path& executable, int arena_fd, int pool_fd = -1);
    ~WorkerProcess();  // kills and reaps it if still running
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;

    pid_t pid() const { return pid_; }
    int socket() const { return socket_; }

    // Keeps the worker's serving thread (its main thread, the one that takes calls) on `cpu`,
    // or lets it run on any CPU the host may use when `cpu` is negative. Threads it starts
    // afterwards inherit the choice; those it has already started keep their own. Best effort:
    // where affinity cannot be set, the worker runs where the scheduler puts it.
    void run_on(int cpu);

    // Waits for the process to end (after `kill_first`, SIGKILL) and says how it ended:
    // "SIGSEGV", "exited with status 3". Idempotent.
    std::string end(bool kill_first);
    // The same, waiting at most `grace` for a process told to stop before killing it.
    std::string end_within(std::chrono::milliseconds grace);

  private:
    pid_t pid_ = -1;
    int socket_ = -1;
    std::string ended_;
    cpu_set_t host_cpus_{};  // where the host may run, as the worker may when not kept
};

// How a process ended, from waitpid's status.
std::string describe_exit(int status);

// The framehost binary that runs workers: this process when it is framehost, else the
// framehost beside it (tests and benchmarks build the host into their own binaries).
std::filesystem::path worker_executable();

}  // namespace framehost::core::isolation
