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
