#include <gtest/gtest.h>

#include "common/Money.h"

using namespace passerelle;

namespace {
const std::string NB = "\xC2\xA0";
}

TEST(Money, ParsesFrenchAndDotNotations) {
    struct Case { const char* in; money::Cents out; } cases[] = {
        {"0", 0}, {"12", 1200}, {"12.5", 1250}, {"12,50", 1250}, {"1234.56", 123456}, {"1 234,56", 123456},
        {"1\xC2\xA0" "234,56\xC2\xA0\xE2\x82\xAC", 123456}, {"1\xE2\x80\xAF" "234,56 \xE2\x82\xAC", 123456},
        {"-12,30", -1230}, {"+7", 700}, {"128700", 12870000}, {"0.01", 1}};
    for (const auto& c : cases) {
        auto v = money::parse(c.in);
        ASSERT_TRUE(v.has_value()) << c.in;
        EXPECT_EQ(*v, c.out) << c.in;
    }
}

TEST(Money, RejectsWhatIsNotAnAmount) {
    for (const char* in : {"", "abc", "12.345", "12,", ".5", "1.2.3", "12 €x", "1e3", "--1", "99999999999999999999"})
        EXPECT_FALSE(money::parse(in).has_value()) << in;
}

TEST(Money, FromDoubleAcceptsAtMostTwoDecimals) {
    EXPECT_EQ(*money::fromDouble(1104.8), 110480);
    EXPECT_EQ(*money::fromDouble(0.1 + 0.2), 30);
    EXPECT_EQ(*money::fromDouble(1834.57), 183457);
    EXPECT_FALSE(money::fromDouble(12.345).has_value());
}

TEST(Money, FormatsTheFrenchWay) {
    EXPECT_EQ(money::format(123456), "1" + NB + "234,56" + NB + "\xE2\x82\xAC");
    EXPECT_EQ(money::format(0), "0,00" + NB + "\xE2\x82\xAC");
    EXPECT_EQ(money::format(5), "0,05" + NB + "\xE2\x82\xAC");
    EXPECT_EQ(money::format(-1230), "-12,30" + NB + "\xE2\x82\xAC");
    EXPECT_EQ(money::format(12870000), "128" + NB + "700,00" + NB + "\xE2\x82\xAC");
    EXPECT_EQ(money::format(100000000000, false), "1" + NB + "000" + NB + "000" + NB + "000,00");
}
