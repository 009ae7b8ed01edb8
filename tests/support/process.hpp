#pragma once
// Runs a real program for end-to-end tests: arguments, extra environment, output captured to
// files, a deadline, and real signals.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace framehost::test {

class ChildProcess {
  public:
    ChildProcess(const std::string& program, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {},
                 const std::filesystem::path& workdir = {});
    ~ChildProcess();  // kills the child if it still runs

    void signal(int sig);
    // Waits up to `timeout`; returns the exit code (128+signal when killed), or -1 on timeout.
    int wait(std::chrono::milliseconds timeout);
    bool running();
    pid_t pid() const { return pid_; }
    std::string out() const;
    std::string err() const;

  private:
    pid_t pid_ = -1;
    int status_ = -1;
    bool reaped_ = false;
    std::filesystem::path out_file_;
    std::filesystem::path err_file_;
};

struct RunResult {
    int exit_code;
    std::string out;
    std::string err;
};

// Runs to completion (killed after `timeout`, exit_code -1).
RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
    // Writes `text` to a file in this directory and returns its path.
    std::filesystem::path write(const std::string& name, const std::string& text) const;

  private:
    std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& file);

// A memory figure of a running process from /proc/PID/status, in MiB: "VmRSS" (resident now),
// "VmHWM" (the most it was resident); -1 when unreadable.
long process_memory_mib(pid_t pid, const std::string& field);

}  // namespace framehost::test
