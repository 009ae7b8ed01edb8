#include "tests/support/browser.hpp"

#include <sstream>
#include <stdexcept>

namespace framehost::test {

Browser::Browser() {
    if (!std::filesystem::exists("/usr/bin/chromium"))
        throw std::runtime_error("/usr/bin/chromium is missing (scripts/install-deps installs it)");
}

RunResult Browser::run(std::vector<std::string> args, const std::string& url, int script_ms) {
    std::vector<std::string> argv = {"--headless",
                                     "--no-sandbox",  // CI runs as root
                                     "--disable-gpu",
                                     "--no-first-run",
                                     "--user-data-dir=" + profile_.path().string(),
                                     "--enable-logging=stderr",
                                     "--v=0",
                                     "--virtual-time-budget=" + std::to_string(script_ms)};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(url);
    auto r = run_program("/usr/bin/chromium", argv, {}, std::chrono::seconds(90));
    if (r.exit_code != 0)
        throw std::runtime_error("chromium exited with " + std::to_string(r.exit_code) + ": " +
                                 r.err.substr(0, 2000));
    return r;
}

BrowserPage Browser::dump_dom(const std::string& url, int script_ms,
                              const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--dump-dom"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run(args, url, script_ms);
    BrowserPage page{r.out, ""};
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);)
        if (line.find(":CONSOLE") != std::string::npos) page.console += line + "\n";
    return page;
}

void Browser::screenshot(const std::string& url, const std::filesystem::path& png, int width,
                         int height, int script_ms) {
    run({"--screenshot=" + png.string(),
         "--window-size=" + std::to_string(width) + "," + std::to_string(height),
         "--hide-scrollbars"},
        url, script_ms);
    if (!std::filesystem::exists(png))
        throw std::runtime_error("chromium wrote no screenshot at " + png.string());
}

}  // namespace framehost::test
