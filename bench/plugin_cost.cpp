// What one processor costs a frame on real video, with nothing else running: the clip decoded
// first by video_source (into memory, BGR), then each frame given to the processor alone, one
// thread, as the SDK harness does. Prints milliseconds per frame (mean over the frames);
// stderr says how many frames the processor filtered.
//   plugin_cost PLUGIN_DIR CLIP FRAMES PROCESSOR [PARAMS_JSON]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <framehost/testing.hpp>

using framehost::testing::LoadedPlugin;

int main(int argc, char** argv) {
    if (argc != 5 && argc != 6) {
        std::fprintf(stderr, "usage: plugin_cost PLUGIN_DIR CLIP FRAMES PROCESSOR [PARAMS_JSON]\n");
        return 2;
    }
    std::string dir = argv[1];
    std::size_t wanted = std::strtoul(argv[3], nullptr, 10);
    try {
        // Kept loaded while frames live: their images are freed by code in video_source.so.
        LoadedPlugin video(dir + "/video_source.so", {{"url", argv[2]}, {"max_fps", 0}});
        std::vector<framehost::Frame> frames;
        while (frames.size() < wanted) {
            auto r = video.read(wanted - frames.size());
            for (auto& f : r.frames) frames.push_back(std::move(f));
            if (r.status == framehost::ReadStatus::EndOfInput) break;
        }
        if (frames.size() != wanted) {
            std::fprintf(stderr, "plugin_cost: the clip has %zu frames, not %zu\n", frames.size(),
                         wanted);
            return 1;
        }
        LoadedPlugin processor(dir + "/" + argv[4] + ".so", argc == 6
                                                                ? nlohmann::json::parse(argv[5])
                                                                : nlohmann::json::object());
        std::size_t filtered = 0, failed = 0;
        auto started = std::chrono::steady_clock::now();
        for (auto& f : frames) {
            auto out = processor.process({std::move(f)});
            filtered += out[0].filtered();
            failed += out[0].failed();
        }
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::printf("%.3f\n", seconds * 1000 / static_cast<double>(frames.size()));
        std::fprintf(stderr, "plugin_cost: %s, %zu frames, %zu filtered, %zu failed\n", argv[4],
                     frames.size(), filtered, failed);
        return failed == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "plugin_cost: %s\n", e.what());
        return 1;
    }
}
