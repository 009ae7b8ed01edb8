// `framehost check-plugin`: the conformance check runs in a child process, so a plugin that
// crashes is reported (with the call it crashed in) instead of taking the report with it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "apps/framehost/commands.hpp"
#include "core/plugins/conformance_check.hpp"

namespace framehost::app {

namespace {

const char* level_tag(core::CheckLevel level) {
    switch (level) {
        case core::CheckLevel::Ok:
            return "ok  ";
        case core::CheckLevel::Warn:
            return "warn";
        case core::CheckLevel::Fail:
            return "FAIL";
    }
    return "?";
}

std::filesystem::path resolve(const CommonOptions& options, const std::string& what) {
    if (what.find('/') != std::string::npos || what.ends_with(".so")) return what;
    auto catalog = make_catalog(options);
    auto available = catalog.available();
    auto found = available.find(what);
    return found != available.end() ? found->second : std::filesystem::path(what);
}

[[noreturn]] void run_child(core::ConformanceOptions options, int report_fd, int steps_fd) {
    // The report owns stdout; whatever the plugin prints goes to stderr.
    FILE* report = fdopen(report_fd, "w");
    dup2(STDERR_FILENO, STDOUT_FILENO);
    options.report = [report](core::CheckLevel level, const std::string& text) {
        std::fprintf(report, "  %s  %s\n", level_tag(level), text.c_str());
        std::fflush(report);
    };
    options.entering = [steps_fd](const std::string& step) {
        std::string line = step + "\n";
        [[maybe_unused]] auto n = write(steps_fd, line.data(), line.size());
    };
    auto verdict = core::check_plugin_conformance(options);
    std::fflush(report);
    // _Exit: a call that never returned still runs plugin code; nothing may be unloaded.
    std::_Exit(verdict == core::ConformanceVerdict::Pass ? 0 : 1);
}

}  // namespace

int check_plugin(const CommonOptions& common, const std::string& what,
                 const std::vector<core::ConfigOverride>& params, std::chrono::milliseconds timeout,
                 bool isolated) {
    core::ConformanceOptions options;
    options.isolated = isolated;
    options.file = resolve(common, what);
    options.params = params;
    options.call_timeout = timeout;
    std::cout << "check-plugin " << options.file.string() << "\n" << std::flush;

    int steps[2];
    if (pipe(steps) != 0) {
        std::cerr << "framehost: pipe: " << std::strerror(errno) << "\n";
        return 1;
    }
    int report_fd = dup(STDOUT_FILENO);
    pid_t child = fork();
    if (child < 0) {
        std::cerr << "framehost: fork: " << std::strerror(errno) << "\n";
        return 1;
    }
    if (child == 0) {
        close(steps[0]);
        run_child(options, report_fd, steps[1]);
    }
    close(steps[1]);
    close(report_fd);
    std::string last_step, pending;
    char buffer[4096];
    for (ssize_t n; (n = read(steps[0], buffer, sizeof buffer)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        pending.append(buffer, static_cast<std::size_t>(n));
        for (std::size_t end; (end = pending.find('\n')) != std::string::npos;
             pending.erase(0, end + 1))
            last_step = pending.substr(0, end);
    }
    close(steps[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        std::cout << "  FAIL  the plugin crashed (" << sigabbrev_np(sig) << ", " << strsignal(sig)
                  << ") in " << (last_step.empty() ? "loading" : last_step) << "\n"
                  << "  FAIL  " << options.file.filename().string() << ": FAILS\n";
        return 1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace framehost::app
