#include "tests/support/running_host.hpp"

#include <stdexcept>
#include <thread>

#include "tests/support/paths.hpp"
#include "tests/support/services.hpp"

namespace framehost::test {

RunningHost::RunningHost(const std::string& config, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env) {
    auto file = config_file_ = dir_.write("host.yaml", config);
    std::vector<std::string> argv = {"--config", file.string(), "--set", "http.port=0"};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<ChildProcess>(kFramehostBinary, argv, env);
    port_ = wait_for_listening(*process_, "framehost", std::chrono::seconds(20));
}

}  // namespace framehost::test
