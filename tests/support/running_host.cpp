#include "tests/support/running_host.hpp"

#include <regex>
#include <stdexcept>
#include <thread>

#include "tests/support/paths.hpp"

namespace framehost::test {

RunningHost::RunningHost(const std::string& config, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env) {
    auto file = dir_.write("host.yaml", config);
    std::vector<std::string> argv = {"--config", file.string(), "--set", "http.port=0"};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<ChildProcess>(kFramehostBinary, argv, env);
    static const std::regex listening("listening on http://[0-9.]+:([0-9]+)");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        std::smatch m;
        auto err = process_->err();
        if (std::regex_search(err, m, listening)) {
            port_ = std::stoi(m[1]);
            return;
        }
        if (!process_->running()) throw std::runtime_error("framehost exited before listening:\n" + err);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("framehost did not start listening:\n" + process_->err());
}

}  // namespace framehost::test
