// Request and definition JSON: a strict reader that says where the text is wrong (issue 15 §3, issue 16).
#include <gtest/gtest.h>

#include <Poco/JSON/Object.h>

#include "forms/FormRegistry.h"
#include "forms/Json.h"

using namespace passerelle;

namespace {

Status parse(const std::string& text) { return forms::parseJsonObject(text).status(); }

std::string rule(const Status& s) { return s.details().empty() ? "" : s.details().front().rule; }

} // namespace

TEST(Json, SyntaxErrorsGiveLineColumnAndOffset) {
    Status s = parse("{\n  \"a\": 1,\n  \"b\" 2\n}");
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(s.errorCode(), "json_invalid");
    EXPECT_NE(s.message().find("ligne 3, colonne 7 (octet 18)"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("« : » attendu"), std::string::npos) << s.message();
}

TEST(Json, ColumnsCountCharactersNotBytes) {
    Status s = parse("{\"é\": x}");
    ASSERT_FALSE(s.isOk());
    EXPECT_NE(s.message().find("ligne 1, colonne 7 (octet 7)"), std::string::npos) << s.message();
}

TEST(Json, DuplicateKeysAreRefusedNamingThePath) {
    Status s = parse(R"({"menage": {"nom": "A", "nom": "B"}})");
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(rule(s), "duplicate_key");
    EXPECT_NE(s.message().find("clé « nom » en double dans l'objet /menage"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("colonne 25 (octet 24)"), std::string::npos) << s.message();
}

TEST(Json, InvalidUtf8IsNamedAsSuch) {
    Status s = parse("{\"a\": \"caf\xE9\"}");
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(rule(s), "utf8") << s.message();
    EXPECT_NE(s.message().find("0xE9"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("UTF-8"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("unterminated"), std::string::npos) << s.message();
    // Overlong encoding of '/' and an encoded surrogate.
    EXPECT_EQ(rule(parse("{\"a\": \"\xC0\xAF\"}")), "utf8");
    EXPECT_EQ(rule(parse("{\"a\": \"\xE0\x80\xAF\"}")), "utf8");
    EXPECT_EQ(rule(parse("{\"a\": \"\xED\xA0\x80\"}")), "surrogate");
    EXPECT_EQ(rule(parse("{\"a\": \"\xF4\x90\x80\x80\"}")), "utf8");
    EXPECT_EQ(rule(parse("{\"a\": \"\xE2\x82\"}")), "utf8");
}

TEST(Json, LoneSurrogateEscapesAreRefused) {
    Status s = parse(R"({"a": "\ud800"})");
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(rule(s), "surrogate");
    EXPECT_NE(s.message().find("demi-codet de substitution isolé"), std::string::npos) << s.message();
    EXPECT_EQ(rule(parse(R"({"a": "\udc00x"})")), "surrogate");
    EXPECT_EQ(rule(parse(R"({"a": "\ud800\u0041"})")), "surrogate");
    auto ok = forms::parseJsonObject(R"({"a": "\ud83d\ude00 \u00e9"})");
    ASSERT_TRUE(ok.isOk()) << ok.status().message();
    EXPECT_EQ(ok.value()->getValue<std::string>("a"), "\xF0\x9F\x98\x80 \xC3\xA9");
}

TEST(Json, AByteOrderMarkIsSkipped) {
    auto r = forms::parseJsonObject("\xEF\xBB\xBF{\"a\": 1}");
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_EQ(r.value()->getValue<int>("a"), 1);
    // Only at the very start.
    EXPECT_FALSE(forms::parseJsonObject(" \xEF\xBB\xBF{}").isOk());
}

TEST(Json, NumbersOutsideADoubleAreRefused) {
    Status s = parse(R"({"a": 1e999})");
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(rule(s), "number_range");
    EXPECT_NE(s.message().find("« 1e999 » hors des limites"), std::string::npos) << s.message();
    EXPECT_EQ(rule(parse(R"({"a": 1e-400})")), "number_range");
    EXPECT_EQ(rule(parse(R"({"a": -1e999})")), "number_range");
}

TEST(Json, IntegersBeyond64BitsKeepTheirMagnitude) {
    auto r = forms::parseJsonObject(R"({"a": 9223372036854775808, "b": 18446744073709551616, "c": -9223372036854775808})");
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_FALSE(r.value()->get("a").isInteger());
    EXPECT_GT(r.value()->get("a").convert<double>(), 9.2e18);
    EXPECT_GT(r.value()->get("b").convert<double>(), 1.8e19);
    EXPECT_TRUE(r.value()->get("c").isInteger());
    EXPECT_EQ(r.value()->get("c").convert<Poco::Int64>(), INT64_MIN);
}

TEST(Json, StrictGrammar) {
    for (const char* bad : {"{\"a\": 01}", "{\"a\": 1.}", "{\"a\": .5}", "{\"a\": +1}", "{\"a\": [1,]}", "{\"a\": 1,}",
                            "{'a': 1}", "{\"a\": tru}", "{\"a\": \"x\ty\"}", "{\"a\": NaN}", "{} x", "", "{\"a\": \"\\x\"}"}) {
        EXPECT_FALSE(forms::parseJsonObject(bad).isOk()) << bad;
    }
}

TEST(Json, DeepNestingIsRefusedNotACrash) {
    std::string deep(100000, '[');
    Status s = parse("{\"a\": " + deep + "}");
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(rule(s), "depth") << s.message();
}

TEST(Json, ValidDocumentsKeepTheirValues) {
    auto r = forms::parseJsonObject(R"({"t": "a\"b\\c\/\n", "i": -12, "d": 12.5, "z": 0, "b": true, "n": null,
                                        "l": [1, "x", {"k": false}]})");
    ASSERT_TRUE(r.isOk()) << r.status().message();
    const auto& o = r.value();
    EXPECT_EQ(o->getValue<std::string>("t"), "a\"b\\c/\n");
    EXPECT_EQ(o->getValue<Poco::Int64>("i"), -12);
    EXPECT_TRUE(o->get("i").isInteger());
    EXPECT_DOUBLE_EQ(o->getValue<double>("d"), 12.5);
    EXPECT_TRUE(o->get("z").isInteger());
    EXPECT_TRUE(o->getValue<bool>("b"));
    EXPECT_TRUE(o->get("n").isEmpty());
    ASSERT_TRUE(o->getArray("l"));
    EXPECT_EQ(o->getArray("l")->size(), 3u);
}

TEST(Json, TheNumberOfValuesIsBounded) {
    std::string rows;
    for (int i = 0; i < 150000; ++i) rows += i ? ",{}" : "{}";
    Status s = parse("{\"t\": [" + rows + "]}");
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(rule(s), "too_many_values");
    EXPECT_NE(s.message().find("plus de 100000 valeurs"), std::string::npos) << s.message();
    forms::JsonLimits wide;
    wide.maxValues = 1000000;
    EXPECT_TRUE(forms::parseJson("[" + rows + "]", wide).isOk());
}
