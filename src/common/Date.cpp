#include "common/Date.h"

#include <cstdio>

namespace passerelle {

bool Date::isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int Date::daysInMonth(int y, int m) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12) return 0;
    if (m == 2 && isLeap(y)) return 29;
    return kDays[m - 1];
}

std::optional<Date> Date::parseIso(std::string_view t) {
    if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
    auto num = [&](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (t[i] < '0' || t[i] > '9') return -1;
            v = v * 10 + (t[i] - '0');
        }
        return v;
    };
    Date d{num(0, 4), num(5, 2), num(8, 2)};
    if (d.year < 1900 || d.year > 2200 || d.month < 1 || d.month > 12 || d.day < 1) return std::nullopt;
    if (d.day > daysInMonth(d.year, d.month)) return std::nullopt;
    return d;
}

std::string Date::iso() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
    return buf;
}

std::string Date::french() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", day, month, year);
    return buf;
}

Date Date::addMonths(int months) const {
    // In 64 bits, then clamped: INT_MAX months from any date is the last day of kMaxYear.
    long long index = static_cast<long long>(year) * 12 + (month - 1) + months;
    if (index < static_cast<long long>(kMinYear) * 12) return Date{kMinYear, 1, 1};
    if (index > static_cast<long long>(kMaxYear) * 12 + 11) return Date{kMaxYear, 12, 31};
    Date d;
    d.year = static_cast<int>(index / 12);
    d.month = static_cast<int>(index % 12) + 1;
    int last = daysInMonth(d.year, d.month);
    d.day = day > last ? last : day;
    return d;
}

// Howard Hinnant's civil-from-days / days-from-civil algorithms.
long Date::toDays() const {
    int y = year - (month <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = static_cast<unsigned>(y - era * 400);
    unsigned mp = static_cast<unsigned>((month + 9) % 12);
    unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(day) - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long>(doe) - 719468;
}

Date Date::fromDays(long z) {
    static const long kMinDays = Date{kMinYear, 1, 1}.toDays();
    static const long kMaxDays = Date{kMaxYear, 12, 31}.toDays();
    if (z < kMinDays) z = kMinDays;
    if (z > kMaxDays) z = kMaxDays;
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = static_cast<unsigned>(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = static_cast<long>(yoe) + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return Date{static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

Date Date::addDays(int days) const { return fromDays(toDays() + static_cast<long>(days)); }

} // namespace passerelle
