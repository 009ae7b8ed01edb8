#pragma once
// Debian's Chromium, headless, as the tests' real browser: it loads a page, runs its scripts
// for a stretch of virtual time (timers and fetches included), then prints the DOM or writes a
// screenshot. Its console goes to `console` (messages the page logged, errors it threw).
#include <filesystem>
#include <string>

#include "tests/support/process.hpp"

namespace framehost::test {

struct BrowserPage {
    std::string dom;
    std::string console;  // Chromium's log lines of the page's console ("...:CONSOLE:n] ...")
};

class Browser {
  public:
    Browser();
    // The DOM after `script_ms` of the page's time; `extra` are more Chromium switches (say
    // --log-net-log=FILE, its requests and answers as JSON).
    BrowserPage dump_dom(const std::string& url, int script_ms = 5000,
                         const std::vector<std::string>& extra = {});
    // A PNG of a width x height window after `script_ms`.
    void screenshot(const std::string& url, const std::filesystem::path& png, int width, int height,
                    int script_ms = 5000);

  private:
    RunResult run(std::vector<std::string> args, const std::string& url, int script_ms);
    TempDir profile_;
};

}  // namespace framehost::test
