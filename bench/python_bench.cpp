// What Python processors cost, each figure beside a peer measured in the same run:
//   a Python identity processor per frame, in the host's process (C++ identity beside) and in
//   two isolated workers (the same Python in the host's process beside);
//   cv2's HOG people detector in Python (plugins/python_processor/examples/hog_people.py) over
//   the pedestrian clip in two isolated workers, beside the same code in a plain Python loop on
//   one thread over the same frames, decoded beforehand.
// Hosts are built from YAML as `framehost --config` builds them; isolated workers are the
// framehost binary beside this one.
//   python_bench [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench/host_runs.hpp"
#include "bench/rows.hpp"
#include "core/log/log.hpp"

using namespace framehost;
using bench::median;
constexpr auto row = bench::print_row;

namespace {

std::filesystem::path g_executable;
const std::string kPython = "/usr/bin/python3";
const std::string kClip = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
const std::string kHogModule =
    FRAMEHOST_SOURCE_DIR "/plugins/python_processor/examples/hog_people.py";

// Frames completed per second of a host run; says so when not every frame completed.
double run_host(const std::string& yaml, std::uint64_t expected) {
    auto run = bench::run_host(g_executable, yaml);
    if (run.completed != expected)
        std::fprintf(stderr, "python_bench: %llu of %llu frames completed\n",
                     static_cast<unsigned long long>(run.completed),
                     static_cast<unsigned long long>(expected));
    return run.frames_per_second;
}

std::string host_yaml(const std::string& source, const std::string& processor, int batch) {
    return "pipeline: { workers: 2, batch_size: " + std::to_string(batch) +
           ", queue_capacity: 256, progress_interval_s: 0, memory_limit_mb: 1024 }\n"
           "source: " +
           source + "\nprocessors: [ " + processor + " ]\n";
}

std::string synthetic(std::uint64_t count) {
    return "{ plugin: synthetic_source, params: { count: " + std::to_string(count) +
           ", rate_fps: 0, pixels: true, width: 640, height: 480, distinct_images: 8 } }";
}

std::string python(const std::string& module, const std::string& cls, bool isolated) {
    return std::string("{ plugin: python_processor") +
           (isolated ? ", isolation: process, worker: { processes: 2 }" : "") +
           ", params: { module: '" + module + "', class: " + cls + " } }";
}

// Two host configs run by run in turn (this VM's speed drifts), as microseconds per frame.
void per_frame(const std::string& figure, const std::string& ours_yaml,
               const std::string& peer_yaml, const std::string& peer, std::uint64_t frames,
               int runs, const std::string& note) {
    std::vector<double> ours, theirs;
    run_host(ours_yaml, frames);
    run_host(peer_yaml, frames);
    for (int i = 0; i < runs; ++i) {
        ours.push_back(1e6 / run_host(ours_yaml, frames));
        theirs.push_back(1e6 / run_host(peer_yaml, frames));
    }
    row(figure, ours, "us/frame", peer, median(theirs), "", note);
}

// The plain loop: the same class, one thread, frames decoded before the clock starts.
double python_loop_fps(const std::filesystem::path& clip) {
    std::string script =
        "import sys, time, importlib.util, cv2\n"
        "spec = importlib.util.spec_from_file_location('hog_people', sys.argv[1])\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "p = m.HogPeople()\n"
        "cap = cv2.VideoCapture(sys.argv[2]); frames = []\n"
        "while True:\n"
        "    ok, f = cap.read()\n"
        "    if not ok: break\n"
        "    frames.append(f)\n"
        "p.process_frame(frames[0], {'format': 'BGR'})\n"
        "t = time.perf_counter()\n"
        "for f in frames: p.process_frame(f, {'format': 'BGR'})\n"
        "print(len(frames) / (time.perf_counter() - t))\n";
    std::string command =
        kPython + " -c \"" + script + "\" '" + kHogModule + "' '" + clip.string() + "'";
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return 0;
    double fps = 0;
    if (std::fscanf(pipe, "%lf", &fps) != 1) fps = 0;
    pclose(pipe);
    return fps;
}

}  // namespace

int main(int argc, char** argv) {
    g_executable = std::filesystem::read_symlink("/proc/self/exe");
    bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    core::set_log_level(LogLevel::Warn);
    const int runs = quick ? 3 : 5;
    auto work = std::filesystem::temp_directory_path() /
                ("framehost-python-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(work);
    auto identity = work / "identity.py";
    std::ofstream(identity) << "class Identity:\n"
                               "    def process_frame(self, frame, metadata):\n"
                               "        return {}\n";

    auto frames = quick ? 20'000u : 100'000u;
    per_frame("Python identity in the host's process, 640x480 RGB (batch 10)",
              host_yaml(synthetic(frames), python(identity, "Identity", false), 10),
              host_yaml(synthetic(frames), "{ plugin: identity }", 10),
              "C++ identity in the host's process", frames, runs,
              "the whole host's time per frame: call, numpy view, metadata dict, answer");
    per_frame("Python identity isolated, 2 worker processes, 640x480 RGB (batch 10)",
              host_yaml(synthetic(frames), python(identity, "Identity", true), 10),
              host_yaml(synthetic(frames), python(identity, "Identity", false), 10),
              "the same Python in the host's process", frames, runs,
              "two interpreters in parallel, frames through the shared pool");

    // The first frames of the pedestrian clip (768x576), cut without re-encoding.
    auto count = quick ? 60 : 120;
    auto clip = work / "clip.avi";
    std::string cut = "ffmpeg -v error -y -i '" + kClip + "' -frames:v " + std::to_string(count) +
                      " -c copy '" + clip.string() + "'";
    if (std::system(cut.c_str()) != 0) {
        std::fprintf(stderr, "python_bench: cannot cut the clip: %s\n", cut.c_str());
        return 1;
    }
    auto video = "{ plugin: video_source, params: { url: '" + clip.string() + "' } }";
    auto isolated_hog = host_yaml(video, python(kHogModule, "HogPeople", true), 1);
    std::vector<double> ours, loop;
    run_host(isolated_hog, static_cast<std::uint64_t>(count));
    for (int i = 0; i < runs; ++i) {
        ours.push_back(run_host(isolated_hog, static_cast<std::uint64_t>(count)));
        loop.push_back(python_loop_fps(clip));
    }
    std::filesystem::remove_all(work);
    if (median(loop) <= 0) {
        std::fprintf(stderr, "python_bench: the plain Python loop did not run\n");
        return 1;
    }
    row("Python HOG (cv2), 2 isolated workers, pedestrian clip 768x576", ours, "frames/s",
        "the same code in a plain Python loop, one thread", median(loop), "ratio >= 1.8",
        std::to_string(count) + " frames, decoded by video_source in the host");
    return 0;
}
