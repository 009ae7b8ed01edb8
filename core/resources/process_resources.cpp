#include "core/resources/process_resources.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace framehost::core {

ProcessResources read_process_resources() {
    ProcessResources r;
    {
        std::ifstream statm("/proc/self/statm");
        std::uint64_t size = 0, resident = 0;
        if (statm >> size >> resident)
            r.rss_bytes = resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    }
    {
        std::ifstream stat_file("/proc/self/stat");
        std::string text((std::istreambuf_iterator<char>(stat_file)), {});
        // Fields after the command name, which may itself hold spaces and parentheses.
        auto close = text.rfind(')');
        if (close != std::string::npos) {
            std::istringstream fields(text.substr(close + 2));
            std::string field;
            double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
            for (int i = 3; fields >> field; ++i) {
                if (i == 14) r.cpu_seconds += std::stod(field) / ticks;  // utime
                if (i == 15) r.cpu_seconds += std::stod(field) / ticks;  // stime
                if (i == 20) {
                    r.threads = std::stoi(field);
                    break;
                }
            }
        }
    }
    return r;
}

}  // namespace framehost::core
