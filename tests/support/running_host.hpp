#pragma once
// A real framehost process serving HTTP on a free port, for the end-to-end HTTP tests.
#include <memory>
#include <string>

#include "tests/support/process.hpp"

namespace framehost::test {

class RunningHost {
  public:
    // `config` is YAML without an http section's port: the port is chosen by the OS and read
    // back from the host's log. Extra command-line arguments may be given.
    explicit RunningHost(const std::string& config, const std::vector<std::string>& args = {},
                         const std::map<std::string, std::string>& env = {});
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    int port() const { return port_; }
    // The config file it runs (a test rewrites it before a reload).
    const std::filesystem::path& config_file() const { return config_file_; }
    ChildProcess& process() { return *process_; }

  private:
    TempDir dir_;
    std::filesystem::path config_file_;
    std::unique_ptr<ChildProcess> process_;
    int port_ = 0;
};

}  // namespace framehost::test
