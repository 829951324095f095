#include "sign/ParisTime.h"

#include <cstdio>
#include <ctime>

namespace passerelle::sign {

namespace {

std::tm gm(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return tm;
}

// 01:00 UTC on the last Sunday of `month` (1-12) of `year`.
std::int64_t lastSundayOneUtc(int year, int month) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month; // the first day of the next month…
    tm.tm_mday = 1;
    tm.tm_hour = 1;
    std::int64_t firstNext = static_cast<std::int64_t>(timegm(&tm));
    std::int64_t lastDay = firstNext - 86400;
    std::tm ld = gm(lastDay);
    return lastDay - static_cast<std::int64_t>(ld.tm_wday) * 86400; // …back to Sunday
}

} // namespace

ParisTime parisTime(std::int64_t t) {
    std::tm u = gm(t);
    int year = u.tm_year + 1900;
    bool summer = t >= lastSundayOneUtc(year, 3) && t < lastSundayOneUtc(year, 10);
    int offset = summer ? 2 : 1;
    std::tm l = gm(t + offset * 3600);
    char iso[96], fr[96];
    std::snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02d+%02d:00", l.tm_year + 1900, l.tm_mon + 1, l.tm_mday, l.tm_hour,
                  l.tm_min, l.tm_sec, offset);
    std::snprintf(fr, sizeof fr, "%02d/%02d/%04d à %02d:%02d", l.tm_mday, l.tm_mon + 1, l.tm_year + 1900, l.tm_hour, l.tm_min);
    return {iso, fr};
}

std::string utcIso(std::int64_t t) {
    std::tm u = gm(t);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &u);
    return b;
}

std::int64_t parseUtcIso(const std::string& iso) {
    std::tm tm{};
    if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm));
}

} // namespace passerelle::sign
