#pragma once
// What closes every answer of a worker to a call: the arena blocks its plugin still holds, its
// status for /health when it is due, and the plugin's own metrics since the last answer (the
// host keeps them as it keeps an in-process plugin's).
#include <string>
#include <utility>
#include <vector>

#include "core/isolation/frame_transfer.hpp"
#include "core/isolation/worker_link.hpp"

namespace framehost::core::isolation {

struct MetricUpdate {
    enum Kind : std::uint8_t { CounterAdd = 0, GaugeSet = 1, HistogramObserve = 2 };
    Kind kind = CounterAdd;
    std::string name;
    std::string help;
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;  // the sum added, the value set, or one observation
};

struct AnswerTail {
    std::vector<ArenaBlock> held;
    std::string status;  // the plugin's status() as JSON text; empty when not sent
    std::vector<MetricUpdate> metrics;
};

inline void write_tail(const AnswerTail& tail, MessageWriter& m) {
    write_held(tail.held, m);
    m.text(tail.status);
    m.u32(static_cast<std::uint32_t>(tail.metrics.size()));
    for (const auto& u : tail.metrics) {
        m.u8(u.kind);
        m.text(u.name);
        m.text(u.help);
        m.u32(static_cast<std::uint32_t>(u.labels.size()));
        for (const auto& [k, v] : u.labels) {
            m.text(k);
            m.text(v);
        }
        m.f64(u.value);
    }
}

inline AnswerTail read_tail(MessageReader& m) {
    AnswerTail tail;
    tail.held = read_held(m);
    tail.status = m.text();
    tail.metrics.resize(m.u32());
    for (auto& u : tail.metrics) {
        u.kind = static_cast<MetricUpdate::Kind>(m.u8());
        u.name = m.text();
        u.help = m.text();
        u.labels.resize(m.u32());
        for (auto& [k, v] : u.labels) {
            k = m.text();
            v = m.text();
        }
        u.value = m.f64();
    }
    return tail;
}

}  // namespace framehost::core::isolation
