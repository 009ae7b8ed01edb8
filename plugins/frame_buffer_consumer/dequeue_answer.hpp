#pragma once
// A Frame Buffer's dequeue answer ({"frames": [...], "count": n, "remaining": m}), read frame by
// frame. The frames were dequeued when the answer was made: one that cannot be read (nested too
// deep, NaN or a lone surrogate written by Python's json, bytes that are not UTF-8) must fail
// alone, with its reason, and not take the good frames of its answer with it.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace framehost::frame_buffer_consumer {

struct AnswerFrame {
    std::optional<nlohmann::json> json;  // none when it could not be read
    std::string problem;                 // why not
    std::string frame_id;                // for one not read: its frame_id if the text shows one
};

struct DequeueAnswer {
    std::vector<AnswerFrame> frames;
    long long remaining = 0;
};

// Throws std::invalid_argument naming what is wrong when `body` is no answer at all (not an
// object with a "frames" list).
DequeueAnswer read_dequeue_answer(const std::string& body);

}  // namespace framehost::frame_buffer_consumer
