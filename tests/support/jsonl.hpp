#pragma once
// What a test reads back from a running host: the JSON lines jsonl_sink wrote, and conditions
// polled until they hold.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace framehost::test {

// Every complete JSON line of the file so far (a line being written is left out).
inline std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& file) {
    std::vector<nlohmann::json> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        auto value = nlohmann::json::parse(line, nullptr, false);
        if (!value.is_discarded()) lines.push_back(std::move(value));
    }
    return lines;
}

// Polls `done` every 50 ms until it holds or the timeout passes; returns its last answer.
template <class Done>
bool eventually(Done done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
}

// Waits until the file holds at least `count` lines (or the timeout passes); returns them.
inline std::vector<nlohmann::json> wait_for_lines(const std::filesystem::path& file,
                                                  std::size_t count,
                                                  std::chrono::milliseconds timeout) {
    std::vector<nlohmann::json> lines;
    eventually([&] { return (lines = read_jsonl(file)).size() >= count; }, timeout);
    return lines;
}

}  // namespace framehost::test
