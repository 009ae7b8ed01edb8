#include "ffmpeg_log.hpp"

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include <libavutil/log.h>
}

namespace framehost::video {

namespace {

std::mutex live_mutex;
std::vector<PluginContext*> live;  // the contexts of the instances alive, oldest first

// A line longer than this is passed on as it is (the host's log cuts it further).
constexpr std::size_t kMaxPending = 4096;
// A damaged stream makes a decoder complain about every block (1,700 lines for one clip with a
// few damaged stretches): at most this many lines a second, the rest counted in the next.
constexpr int kLinesPerSecond = 10;
std::chrono::steady_clock::time_point window_start;  // [live_mutex]
int lines_in_window = 0;                             // [live_mutex]
std::uint64_t held_back = 0;                         // [live_mutex]

void on_message(void* avcl, int level, const char* format, va_list arguments) {
    if (level > av_log_get_level()) return;
    // FFmpeg writes a line in pieces; each thread gathers its own.
    thread_local std::string pending;
    thread_local int print_prefix = 1;
    char piece[1024];
    av_log_format_line2(avcl, level, format, arguments, piece, sizeof piece, &print_prefix);
    pending += piece;
    bool ended = !pending.empty() && pending.back() == '\n';
    if (!ended && pending.size() < kMaxPending) return;
    while (!pending.empty() && (pending.back() == '\n' || pending.back() == '\r'))
        pending.pop_back();
    // A message may hold more than one line ("ac-tex damaged ...\nerror while decoding block
    // ..."): one message, one line of the host's log.
    for (auto& c : pending)
        if (c == '\n' || c == '\r') c = ' ';
    if (!pending.empty()) {
        std::lock_guard lock(live_mutex);
        auto now = std::chrono::steady_clock::now();
        if (now - window_start >= std::chrono::seconds(1)) {
            window_start = now;
            lines_in_window = 0;
        }
        if (live.empty() || ++lines_in_window > kLinesPerSecond) {
            ++held_back;
        } else {
            std::string line = "ffmpeg: " + pending;
            if (held_back)
                line += " (" + std::to_string(std::exchange(held_back, 0)) +
                        " more FFmpeg messages before this were not logged)";
            live.front()->log(level <= AV_LOG_ERROR ? LogLevel::Warn : LogLevel::Info, line);
        }
    }
    pending.clear();
}

}  // namespace

FfmpegLog::FfmpegLog(PluginContext& context) : context_(context) {
    std::lock_guard lock(live_mutex);
    if (live.empty()) av_log_set_callback(&on_message);
    live.push_back(&context_);
}

FfmpegLog::~FfmpegLog() {
    std::lock_guard lock(live_mutex);
    live.erase(std::remove(live.begin(), live.end(), &context_), live.end());
    if (!live.empty()) return;
    av_log_set_callback(&av_log_default_callback);
    if (held_back)
        context_.log(LogLevel::Warn, std::to_string(std::exchange(held_back, 0)) +
                                         " more FFmpeg messages were not logged");
}

}  // namespace framehost::video
