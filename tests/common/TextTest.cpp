#include <gtest/gtest.h>

#include "common/Text.h"

using namespace passerelle;

TEST(Text, Cp1252CoversFrenchTypography) {
    const std::string french = "é è à ç œ Œ « » ’ € … — Ÿ";
    EXPECT_TRUE(text::fitsCp1252(french));
    std::string cp = text::utf8ToCp1252("œ€’");
    ASSERT_EQ(cp.size(), 3u);
    EXPECT_EQ(static_cast<unsigned char>(cp[0]), 0x9C);
    EXPECT_EQ(static_cast<unsigned char>(cp[1]), 0x80);
    EXPECT_EQ(static_cast<unsigned char>(cp[2]), 0x92);
    // The French narrow no-break space becomes a no-break space.
    EXPECT_EQ(static_cast<unsigned char>(text::utf8ToCp1252("\xE2\x80\xAF")[0]), 0xA0);
}

TEST(Text, NamesOutsideCp1252AreDetected) {
    for (const char* name : {"Ştefan", "Łukasz", "Nguyễn", "→"}) EXPECT_FALSE(text::fitsCp1252(name)) << name;
}

TEST(Text, Utf8ValidationAndLength) {
    EXPECT_TRUE(text::isValidUtf8("Nguyễn Thị Lan"));
    EXPECT_FALSE(text::isValidUtf8("\xC3"));
    EXPECT_FALSE(text::isValidUtf8("\xC0\xAF")); // overlong
    EXPECT_FALSE(text::isValidUtf8("\xED\xA0\x80")); // surrogate
    EXPECT_EQ(text::length("Ştefan"), 6u);
    EXPECT_EQ(text::decode("é€").size(), 2u);
    EXPECT_EQ(text::encode(0x20AC), "€");
}

TEST(Text, FrenchElisionBeforeAVowelOrAnH) {
    using passerelle::text::ofName;
    EXPECT_EQ(ofName("Agnès"), "d\u2019Agnès");
    EXPECT_EQ(ofName("Émile"), "d\u2019Émile");
    EXPECT_EQ(ofName("Habitat 76"), "d\u2019Habitat 76");
    EXPECT_EQ(ofName("ICF Habitat", /*capitalised=*/true), "D\u2019ICF Habitat");
    EXPECT_EQ(ofName("Sophie"), "de Sophie");
    EXPECT_EQ(ofName("Thị Lan", /*capitalised=*/true), "De Thị Lan");
    EXPECT_EQ(ofName(""), "de ");
}
