#pragma once
// What the process costs the machine, read from /proc (Linux).
#include <cstdint>

namespace framehost::core {

struct ProcessResources {
    std::uint64_t rss_bytes = 0;
    double cpu_seconds = 0;  // user + system since start
    int threads = 0;
};

ProcessResources read_process_resources();

}  // namespace framehost::core
