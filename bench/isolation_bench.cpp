// What `isolation: process` costs, each figure beside the same plugin in the host's process,
// measured run by run in turn in the same run (this VM's speed drifts for seconds at a time):
//   identity on 640x480 RGB frames the source writes anew, as a decoder does (what a camera's
//   frames cost), and on pre-rendered ones (the crossing alone, pixels never touched);
//   identity on metadata-only frames (the host's own cost), at batch 100 and at batch 10;
//   the floor under a small batch: a socket round trip between two processes on this machine;
//   the latency it adds at a fixed 1,000 frames/s (p50, p99 of the end-to-end latency);
//   hog_person_detector on 640x480 frames, where the plugin's work dominates.
// Hosts are built from YAML as `framehost --config` builds them; isolated workers are the
// framehost binary beside this one.
//   isolation_bench [--quick]
#include <algorithm>
#include <chrono>
#include <thread>

#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/host_runs.hpp"
#include "bench/rows.hpp"
#include "core/log/log.hpp"

using namespace framehost;
using bench::HostRun;
using bench::median;
using Run = bench::HostRun;
constexpr auto row = bench::print_row;

namespace {

std::filesystem::path g_executable;

Run run_host(const std::string& yaml) {
    return bench::run_host(g_executable, yaml);
}

enum class Pixels { None, PreRendered, Fresh };

std::string config(std::uint64_t count, double rate, Pixels pixels, const std::string& processor,
                   int batch = 10) {
    return "pipeline: { workers: 2, batch_size: " + std::to_string(batch) +
           ", queue_capacity: 4096, progress_interval_s: 0, memory_limit_mb: 1024 }\n"
           "source: { plugin: synthetic_source, params: { count: " +
           std::to_string(count) + ", rate_fps: " + std::to_string(rate) +
           ", pixels: " + (pixels == Pixels::None ? "false" : "true") +
           ", fresh_pixels: " + (pixels == Pixels::Fresh ? "true" : "false") +
           ", width: 640, height: 480, distinct_images: 8 } }\n"
           "processors: [ " +
           processor + " ]\n";
}

// The figure isolated beside the same in the host, run by run in turn, each first as often.
void compare(const std::string& figure, const std::string& in_host, const std::string& isolated,
             int runs, const std::string& target) {
    std::vector<double> ours, theirs;
    run_host(in_host);
    run_host(isolated);
    for (int i = 0; i < runs; ++i) {
        if (i % 2 == 0) {
            theirs.push_back(run_host(in_host).frames_per_second);
            ours.push_back(run_host(isolated).frames_per_second);
        } else {
            ours.push_back(run_host(isolated).frames_per_second);
            theirs.push_back(run_host(in_host).frames_per_second);
        }
    }
    row(figure, ours, "frames/s", "the same in the host's process", median(theirs), target, "");
}

// Microseconds a round trip of one byte takes between this process and a child over a socket
// pair, both kept on `cpus` (one CPU: the child runs while the caller sleeps, as a worker kept on
// its caller's CPU does; two: each wakes the other across CPUs).
double socket_round_trip_us(const std::vector<int>& cpus, int trips) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return 0;
    cpu_set_t parent_set, child_set, before;
    CPU_ZERO(&parent_set);
    CPU_ZERO(&child_set);
    CPU_SET(cpus.front(), &parent_set);
    CPU_SET(cpus.back(), &child_set);
    ::sched_getaffinity(0, sizeof before, &before);
    pid_t child = ::fork();
    if (child == 0) {
        ::close(pair[0]);  // else its read never sees the parent's end close
        ::sched_setaffinity(0, sizeof child_set, &child_set);
        char byte;
        while (::read(pair[1], &byte, 1) == 1 && ::write(pair[1], &byte, 1) == 1) {
        }
        ::_exit(0);
    }
    ::sched_setaffinity(0, sizeof parent_set, &parent_set);
    char byte = 0;
    auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < trips; ++i)
        if (::write(pair[0], &byte, 1) != 1 || ::read(pair[0], &byte, 1) != 1) break;
    auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - began)
                  .count() /
              trips;
    ::close(pair[0]);
    ::close(pair[1]);
    ::waitpid(child, nullptr, 0);
    ::sched_setaffinity(0, sizeof before, &before);
    return us;
}

}  // namespace

int main(int argc, char** argv) {
    g_executable = std::filesystem::read_symlink("/proc/self/exe");
    bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    core::set_log_level(LogLevel::Warn);
    const int runs = quick ? 3 : 5;
    const std::string identity = "{ plugin: identity }";
    const std::string isolated_identity =
        "{ plugin: identity, isolation: process, worker: { "
        "processes: 2 } }";

    auto fresh_frames = quick ? 20'000u : 100'000u;
    compare(
        "isolated identity, 640x480 RGB frames written anew, as decoded (2 processes, batch 10)",
        config(fresh_frames, 0, Pixels::Fresh, identity),
        config(fresh_frames, 0, Pixels::Fresh, isolated_identity), runs, "ratio >= 0.8");
    auto fast_frames = quick ? 1'000'000u : 4'000'000u;
    compare("isolated identity, 640x480 RGB frames pre-rendered, the crossing alone (batch 100)",
            config(fast_frames, 0, Pixels::PreRendered, identity, 100),
            config(fast_frames, 0, Pixels::PreRendered, isolated_identity, 100), runs, "");
    compare("isolated identity, metadata-only frames (2 worker processes, batch 100)",
            config(fast_frames, 0, Pixels::None, identity, 100),
            config(fast_frames, 0, Pixels::None, isolated_identity, 100), runs, "ratio >= 0.5");
    auto small_batches = quick ? 200'000u : 1'000'000u;
    compare("isolated identity, metadata-only frames (2 worker processes, batch 10)",
            config(small_batches, 0, Pixels::None, identity),
            config(small_batches, 0, Pixels::None, isolated_identity), runs, "");

    // What a call's round trip cannot go below here: with a batch of 10 identity frames (3 us
    // of the host's work) it is most of the call.
    if (std::thread::hardware_concurrency() >= 2) {
        int trips = quick ? 20'000 : 100'000;
        std::vector<double> same, across;
        for (int i = 0; i < runs; ++i) {
            same.push_back(socket_round_trip_us({0}, trips));
            across.push_back(socket_round_trip_us({0, 1}, trips));
        }
        row("socket round trip between two processes, same CPU", same, "us",
            "the same across two CPUs", median(across), "",
            "the floor of a call to a worker; isolated workers with short calls are kept on "
            "their caller's CPU");
    }

    // The latency a crossing adds, at a rate both reach: p50 and p99 of enter-to-last-sink.
    auto paced = quick ? 3'000u : 10'000u;
    std::vector<double> p50_in, p99_in, p50_iso, p99_iso;
    for (int i = 0; i < runs; ++i) {
        auto a = run_host(config(paced, 1000, Pixels::PreRendered, identity, 1));
        auto b = run_host(config(paced, 1000, Pixels::PreRendered, isolated_identity, 1));
        p50_in.push_back(a.p50_ms);
        p99_in.push_back(a.p99_ms);
        p50_iso.push_back(b.p50_ms);
        p99_iso.push_back(b.p99_ms);
    }
    std::vector<double> added50, added99;
    for (int i = 0; i < runs; ++i) {
        added50.push_back(p50_iso[static_cast<std::size_t>(i)] -
                          p50_in[static_cast<std::size_t>(i)]);
        added99.push_back(p99_iso[static_cast<std::size_t>(i)] -
                          p99_in[static_cast<std::size_t>(i)]);
    }
    char note[160];
    std::snprintf(note, sizeof note, "640x480 RGB at 1,000 frames/s, batch 1: p50 %.3f ms isolated",
                  median(p50_iso));
    row("latency isolation adds, p50", added50, "ms", "p50 in the host's process", median(p50_in),
        "", note);
    std::snprintf(note, sizeof note, "640x480 RGB at 1,000 frames/s, batch 1: p99 %.3f ms isolated",
                  median(p99_iso));
    row("latency isolation adds, p99", added99, "ms", "p99 in the host's process", median(p99_in),
        "", note);

    auto hog_frames = quick ? 60u : 200u;
    compare(
        "isolated hog_person_detector, 640x480 frames (2 worker processes)",
        config(hog_frames, 0, Pixels::PreRendered, "{ plugin: hog_person_detector }", 1),
        config(hog_frames, 0, Pixels::PreRendered,
               "{ plugin: hog_person_detector, isolation: process, worker: { processes: 2 } }", 1),
        runs, "ratio >= 0.95");
    return 0;
}
