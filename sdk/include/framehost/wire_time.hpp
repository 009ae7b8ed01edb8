#pragma once
// Capture timestamps as the services around framehost write them, to milliseconds since the
// Unix epoch. Seen on the wire: a JSON number of seconds (Python's time.time()), the same as
// text ("1733040000.123", every Redis stream field is a string), and ISO-8601 datetimes from
// Python's datetime.isoformat() ("2025-07-27T12:00:00.123456", no offset).
//
// Rules, documented in docs/frame-buffer.md:
//   - a number (or numeric text) below 1e11 is seconds, anything larger milliseconds: 1e11 s is
//     the year 5138, 1e11 ms is 1973, so the two ranges do not meet for any real capture time;
//   - an ISO-8601 datetime without an offset is UTC (the capture runs on UTC machines and
//     Python writes no offset for naive datetimes); "Z" and "+hh:mm"/"-hh:mm" offsets apply;
//   - a time outside years 1..9999 is refused rather than wrapped.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace framehost {

namespace wire_time_detail {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
// days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

inline bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// YYYY-MM-DD[(T| )hh:mm[:ss[.fraction]]][Z|(+|-)hh[:mm]]
inline std::optional<std::int64_t> parse_iso8601_ms(std::string_view s) {
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) ||
        s[7] != '-' || !digits(s, 8, 2, day))
        return std::nullopt;
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1])
        return std::nullopt;
    std::size_t at = 10;
    double fraction_ms = 0;
    if (at < s.size() && (s[at] == 'T' || s[at] == 't' || s[at] == ' ')) {
        if (!digits(s, at + 1, 2, hour) || at + 3 >= s.size() || s[at + 3] != ':' ||
            !digits(s, at + 4, 2, minute))
            return std::nullopt;
        at += 6;
        if (at < s.size() && s[at] == ':') {
            if (!digits(s, at + 1, 2, second)) return std::nullopt;
            at += 3;
            if (at < s.size() && (s[at] == '.' || s[at] == ',')) {
                double scale = 100;
                std::size_t start = ++at;
                while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
                    fraction_ms += (s[at] - '0') * scale;
                    scale /= 10;
                    ++at;
                }
                if (at == start) return std::nullopt;
            }
        }
        if (hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: a leap second
    }
    std::int64_t offset_minutes = 0;
    if (at < s.size()) {
        if (s[at] == 'Z' || s[at] == 'z') {
            ++at;
        } else if (s[at] == '+' || s[at] == '-') {
            int oh = 0, om = 0;
            if (!digits(s, at + 1, 2, oh)) return std::nullopt;
            std::size_t next = at + 3;
            if (next < s.size() && s[next] == ':') ++next;
            if (next < s.size() && !digits(s, next, 2, om)) return std::nullopt;
            if (next < s.size()) next += 2;
            if (oh > 23 || om > 59) return std::nullopt;
            offset_minutes = (s[at] == '-' ? -1 : 1) * (oh * 60 + om);
            at = next;
        }
    }
    if (at != s.size()) return std::nullopt;
    std::int64_t seconds =
        days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
        hour * 3600 + minute * 60 + second - offset_minutes * 60;
    return seconds * 1000 + static_cast<std::int64_t>(fraction_ms);
}

}  // namespace wire_time_detail

// Seconds or milliseconds (see the rule above) to milliseconds; nullopt when not finite or
// outside years 1..9999, so no float-to-integer conversion is ever undefined.
inline std::optional<std::int64_t> epoch_number_to_ms(double value) {
    if (!std::isfinite(value)) return std::nullopt;
    double ms = std::fabs(value) < 1e11 ? value * 1000 : value;
    constexpr double kYear1Ms = -62135596800000.0, kYear10000Ms = 253402300800000.0;
    if (ms < kYear1Ms || ms >= kYear10000Ms) return std::nullopt;
    return static_cast<std::int64_t>(std::llround(ms));
}

// Numeric text ("1733040000.123") or an ISO-8601 datetime; nullopt when it is neither.
inline std::optional<std::int64_t> wire_text_time_ms(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty()) return std::nullopt;
    if (text.size() >= 10 && text[4] == '-') return wire_time_detail::parse_iso8601_ms(text);
    std::string copy(text);
    char* end = nullptr;
    double value = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size()) return std::nullopt;
    return epoch_number_to_ms(value);
}

}  // namespace framehost
