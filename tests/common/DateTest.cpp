#include <climits>

#include <gtest/gtest.h>

#include "common/Date.h"

using passerelle::Date;

TEST(Date, ParsesIsoAndRejectsImpossibleDates) {
    auto d = Date::parseIso("2026-11-22");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->french(), "22/11/2026");
    EXPECT_EQ(d->iso(), "2026-11-22");
    EXPECT_TRUE(Date::parseIso("2028-02-29"));
    for (const char* bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "22/11/2026", "2026-1-1", "", "2026-11-22T10:00"})
        EXPECT_FALSE(Date::parseIso(bad)) << bad;
}

TEST(Date, LeapYears) {
    EXPECT_TRUE(Date::isLeap(2028));
    EXPECT_TRUE(Date::isLeap(2000));
    EXPECT_FALSE(Date::isLeap(2100));
    EXPECT_FALSE(Date::isLeap(2026));
}

TEST(Date, AddMonthsClampsToTheMonthEnd) {
    EXPECT_EQ(Date::parseIso("2026-01-31")->addMonths(1).iso(), "2026-02-28");
    EXPECT_EQ(Date::parseIso("2028-01-31")->addMonths(1).iso(), "2028-02-29");
    EXPECT_EQ(Date::parseIso("2026-08-31")->addMonths(6).iso(), "2027-02-28");
    EXPECT_EQ(Date::parseIso("2026-11-15")->addMonths(14).iso(), "2028-01-15");
    EXPECT_EQ(Date::parseIso("2026-03-31")->addMonths(-1).iso(), "2026-02-28");
}

TEST(Date, DayArithmeticRoundTrips) {
    Date d = *Date::parseIso("1970-01-01");
    EXPECT_EQ(d.toDays(), 0);
    EXPECT_EQ(Date::parseIso("2028-02-28")->addDays(1).iso(), "2028-02-29");
    EXPECT_EQ(Date::parseIso("2026-12-31")->addDays(1).iso(), "2027-01-01");
    for (long day = -1000; day < 100000; day += 37) EXPECT_EQ(Date::fromDays(day).toDays(), day);
    EXPECT_TRUE(*Date::parseIso("2026-01-01") < *Date::parseIso("2026-01-02"));
}

// ---- Bounds (issue 15 §6): extreme instants reach Date through the consent policy ---------------

namespace {
bool sane(const passerelle::Date& d) {
    return d.year >= passerelle::Date::kMinYear && d.year <= passerelle::Date::kMaxYear && d.month >= 1 && d.month <= 12 &&
           d.day >= 1 && d.day <= passerelle::Date::daysInMonth(d.year, d.month);
}
} // namespace

TEST(DateBounds, ExtremeDayCountsAreClampedToTheSupportedRange) {
    using passerelle::Date;
    for (long days : {LONG_MIN, LONG_MIN + 1, -1000000000L, 1000000000L, LONG_MAX - 1, LONG_MAX}) {
        Date d = Date::fromDays(days);
        EXPECT_TRUE(sane(d)) << days << " -> " << d.year << "-" << d.month << "-" << d.day;
    }
    EXPECT_EQ(Date::fromDays(LONG_MAX), (Date{Date::kMaxYear, 12, 31}));
    EXPECT_EQ(Date::fromDays(LONG_MIN), (Date{Date::kMinYear, 1, 1}));
}

TEST(DateBounds, MonthArithmeticNeverLeavesTheCalendar) {
    using passerelle::Date;
    Date d{2026, 1, 31};
    for (int months : {INT_MIN, -1000000, -24312, 24312, 1000000, INT_MAX}) {
        Date r = d.addMonths(months);
        EXPECT_TRUE(sane(r)) << months << " -> " << r.year << "-" << r.month << "-" << r.day;
    }
    EXPECT_EQ(d.addMonths(INT_MAX), (Date{Date::kMaxYear, 12, 31}));
    EXPECT_EQ(d.addMonths(INT_MIN), (Date{Date::kMinYear, 1, 1}));
    EXPECT_EQ(d.addMonths(1), (Date{2026, 2, 28}));
    EXPECT_EQ((Date{9999, 12, 31}).addDays(INT_MAX), (Date{Date::kMaxYear, 12, 31}));
    EXPECT_EQ((Date{1, 1, 1}).addDays(INT_MIN), (Date{Date::kMinYear, 1, 1}));
    EXPECT_EQ((Date{2026, 12, 31}).addDays(1), (Date{2027, 1, 1}));
}

TEST(DateBounds, OutOfRangeMonthsDoNotIndexOutsideTheTable) {
    using passerelle::Date;
    EXPECT_EQ(Date::daysInMonth(2026, 0), 0);
    EXPECT_EQ(Date::daysInMonth(2026, 13), 0);
    EXPECT_EQ(Date::daysInMonth(2026, -5), 0);
}
