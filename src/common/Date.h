#pragma once
// Calendar dates without time zone (civil dates of French documents).
#include <optional>
#include <string>
#include <string_view>

namespace passerelle {

struct Date {
    int year = 0, month = 0, day = 0;

    // The calendar Date computes in: results of fromDays, addDays and addMonths are
    // clamped to [kMinYear-01-01, kMaxYear-12-31], so that no instant, however extreme
    // (a fuzzed consent record, INT64 seconds), overflows or leaves the calendar.
    static constexpr int kMinYear = 1;
    static constexpr int kMaxYear = 9999;

    // "2026-11-22" (ISO 8601, the JSON form). Rejects impossible dates (2026-02-30).
    static std::optional<Date> parseIso(std::string_view text);
    static bool isLeap(int year);
    static int daysInMonth(int year, int month); // 0 for a month outside 1..12

    std::string iso() const;    // 2026-11-22
    std::string french() const; // 22/11/2026
    // Adds months, clamping to the month's end: 31/01 + 1 month = 28/02 (29/02 in leap years).
    Date addMonths(int months) const;
    Date addDays(int days) const;
    long toDays() const; // days since 1970-01-01
    static Date fromDays(long days);

    friend bool operator==(const Date& a, const Date& b) { return a.year == b.year && a.month == b.month && a.day == b.day; }
    friend bool operator!=(const Date& a, const Date& b) { return !(a == b); }
    friend bool operator<(const Date& a, const Date& b) { return a.toDays() < b.toDays(); }
    friend bool operator<=(const Date& a, const Date& b) { return !(b < a); }
};

} // namespace passerelle
