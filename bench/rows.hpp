#pragma once
// One row of bench/run's table on stdout (figure, median, min, max, unit, peer, peer's value,
// target, note; tab-separated), and a readable line on stderr.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace framehost::bench {

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

inline void print_row(const std::string& figure, const std::vector<double>& samples,
                      const char* unit, const std::string& peer, double peer_value,
                      const std::string& target, const std::string& note) {
    auto sorted = samples;
    std::sort(sorted.begin(), sorted.end());
    std::printf("%s\t%.6g\t%.6g\t%.6g\t%s\t%s\t%.6g\t%s\t%s\n", figure.c_str(), median(samples),
                sorted.front(), sorted.back(), unit, peer.c_str(), peer_value, target.c_str(),
                note.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "  %-62s %12.4g %s (%s: %.4g)\n", figure.c_str(), median(samples), unit,
                 peer.c_str(), peer_value);
}

}  // namespace framehost::bench
