#pragma once
// The host's pixel memory (memory_limit_mb), for a plugin that holds pixels outside the frames
// in flight: a camera's decoder and the frames it decoded ahead. A host service
// (framehost/extension.hpp). The frames in flight and every plugin's reservations share the one
// limit, and a plugin reserves before it allocates, so no source can take more than the host
// was given (eight cameras asked for 8K frames get a clear refusal, not 8 GB).
//
// Without a host (the test harness, check-plugin's child) there is no budget: a
// MemoryReservation then always holds.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "framehost/extension.hpp"

namespace framehost {

class MemoryBudget {
  public:
    static constexpr std::string_view kExtensionId = "framehost.memory";
    static constexpr std::uint32_t kExtensionVersion = 1;

    // Takes `bytes` of the limit when they fit beside the frames in flight and the other
    // reservations; false (nothing taken) when they do not. [any thread] never blocks.
    virtual bool try_reserve(std::size_t bytes) = 0;
    // Waits for `bytes` to fit, first come first served: while a caller waits, try_reserve
    // leaves room for it, so cameras that ask all the time do not starve one that asks once.
    // False (nothing taken) when `stop` is set or `timeout` passes first. [any thread]
    virtual bool reserve(std::size_t bytes, const std::atomic<bool>& stop,
                         std::chrono::milliseconds timeout) = 0;
    // Gives back bytes reserved before. [any thread]
    virtual void release(std::size_t bytes) = 0;
    // memory_limit_mb in bytes, and what all reservations hold now.
    virtual std::size_t limit() const = 0;
    virtual std::size_t reserved() const = 0;

  protected:
    ~MemoryBudget() = default;
};

// Bytes held of a host's budget (or of none), given back when it goes. Move-only.
class MemoryReservation {
  public:
    MemoryReservation() = default;
    explicit MemoryReservation(MemoryBudget* budget) : budget_(budget) {}
    ~MemoryReservation() { clear(); }
    MemoryReservation(MemoryReservation&& other) noexcept
        : budget_(other.budget_), bytes_(std::exchange(other.bytes_, 0)) {}
    MemoryReservation& operator=(MemoryReservation&& other) noexcept {
        if (this != &other) {
            clear();
            budget_ = other.budget_;
            bytes_ = std::exchange(other.bytes_, 0);
        }
        return *this;
    }
    MemoryReservation(const MemoryReservation&) = delete;
    MemoryReservation& operator=(const MemoryReservation&) = delete;

    // Holds `bytes` more; false (nothing more held) when the budget has no room.
    bool grow(std::size_t bytes) {
        if (budget_ && !budget_->try_reserve(bytes)) return false;
        bytes_ += bytes;
        return true;
    }
    // Holds `bytes` more once they fit (MemoryBudget::reserve); false when `stop` or `timeout`
    // came first.
    bool grow_waiting(std::size_t bytes, const std::atomic<bool>& stop,
                      std::chrono::milliseconds timeout) {
        if (budget_ && !budget_->reserve(bytes, stop, timeout)) return false;
        bytes_ += bytes;
        return true;
    }
    // Gives back `bytes` of what it holds (at most all of it).
    void shrink(std::size_t bytes) {
        bytes = bytes < bytes_ ? bytes : bytes_;
        if (budget_ && bytes) budget_->release(bytes);
        bytes_ -= bytes;
    }
    void clear() { shrink(bytes_); }
    // Takes over what `other` (of the same budget) holds.
    void absorb(MemoryReservation&& other) { bytes_ += std::exchange(other.bytes_, 0); }
    std::size_t bytes() const { return bytes_; }
    // The host's limit, or 0 when there is no budget.
    std::size_t limit() const { return budget_ ? budget_->limit() : 0; }

  private:
    MemoryBudget* budget_ = nullptr;
    std::size_t bytes_ = 0;
};

}  // namespace framehost
