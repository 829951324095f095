// Template definitions are read strictly and refused at load when they would fail (or lie) at render.
#include <gtest/gtest.h>

#include "forms/FormRegistry.h"
#include "support/TestSupport.h"
#include "templates/Template.h"

using namespace passerelle;

namespace {

std::vector<FieldError> problems(const std::string& blocks, const std::string& extraTop = "") {
    std::string text = R"({"form": "fiche-navette", "variant": "standard", )" + extraTop + R"("blocks": )" + blocks + "}";
    auto json = forms::parseJsonObject(text);
    if (!json.isOk()) return json.status().details();
    auto t = templates::parseTemplate(json.value());
    if (!t.isOk()) return t.status().details();
    auto form = passerelle::testing::repoCatalog().forms->find("fiche-navette");
    return templates::checkTemplate(*t.value(), *form);
}

bool has(const std::vector<FieldError>& errors, const std::string& path, const std::string& rule) {
    for (const auto& e : errors)
        if (e.path == path && e.rule == rule) return true;
    return false;
}

std::string dump(const std::vector<FieldError>& errors) {
    std::string s;
    for (const auto& e : errors) s += e.path + " " + e.rule + " " + e.message + "\n";
    return s;
}

} // namespace

TEST(TemplateLoad, RepositoryTemplatesLoad) {
    EXPECT_TRUE(passerelle::testing::repoCatalog().templates->find("fiche-navette", "standard"));
}

TEST(TemplateLoad, SignaturePartiesMustBeObjects) {
    // Used to load, then fail at every render with « Null pointer ».
    auto e = problems(R"([{"type": "signatures", "parties": [3]}])");
    EXPECT_TRUE(has(e, "/blocks/0/parties/0", "type")) << dump(e);
}

TEST(TemplateLoad, SpacerHeightIsBounded) {
    // -1e308 rendered "successfully" into a PDF whose content stream qpdf calls corrupt.
    auto e = problems(R"([{"type": "spacer", "height": -1e308}])");
    EXPECT_TRUE(has(e, "/blocks/0/height", "out_of_range")) << dump(e);
    e = problems(R"([{"type": "spacer", "height": 1e9}])");
    EXPECT_TRUE(has(e, "/blocks/0/height", "out_of_range")) << dump(e);
    e = problems(R"([{"type": "spacer", "height": "8"}])");
    EXPECT_TRUE(has(e, "/blocks/0/height", "type")) << dump(e);
    EXPECT_TRUE(problems(R"([{"type": "spacer", "height": 12}])").empty());
}

TEST(TemplateLoad, NumericLayoutParametersAreBounded) {
    auto e = problems(R"([{"type": "heading", "text": "T", "level": 99}])");
    EXPECT_TRUE(has(e, "/blocks/0/level", "out_of_range")) << dump(e);
    e = problems(R"([{"type": "table", "field": "menage.composition", "columns": [{"field": "nom", "weight": -5}]}])");
    EXPECT_TRUE(has(e, "/blocks/0/columns/0/weight", "out_of_range")) << dump(e);
    e = problems(R"([{"type": "table", "field": "menage.composition", "columns": [{"field": "nom", "weight": 1e300}]}])");
    EXPECT_TRUE(has(e, "/blocks/0/columns/0/weight", "out_of_range")) << dump(e);
}

TEST(TemplateLoad, TypesAreExactAndUnknownKeysRefused) {
    auto e = problems(R"([{"type": "text", "text": "T", "muted": "oui"}])");
    EXPECT_TRUE(has(e, "/blocks/0/muted", "type")) << dump(e);
    e = problems(R"([{"type": "text", "text": "T", "couleur": "rouge"}])");
    EXPECT_TRUE(has(e, "/blocks/0/couleur", "unknown_key")) << dump(e);
    e = problems(R"([{"type": "fields", "fields": ["date", 3]}])");
    EXPECT_TRUE(has(e, "/blocks/0/fields/1", "type")) << dump(e);
    e = problems(R"([{"type": "paragraph", "field": 3}])");
    EXPECT_TRUE(has(e, "/blocks/0/field", "type")) << dump(e);
    e = problems(R"([{"type": "title"}])", R"("titre": "x", )");
    EXPECT_TRUE(has(e, "/titre", "unknown_key")) << dump(e);
    e = problems(R"([{"type": "title"}])", R"("header": {"left": 1}, )");
    EXPECT_TRUE(has(e, "/header/left", "type")) << dump(e);
}

TEST(TemplateLoad, SectionConditionsAndRecordTitlesNameRealFields) {
    auto e = problems(R"([{"type": "section", "when": "situation.inconnu", "blocks": []}])");
    EXPECT_TRUE(has(e, "/blocks/0/when", "unknown_field")) << dump(e);
    e = problems(R"([{"type": "records", "field": "menage.composition", "titleField": "inconnu"}])");
    EXPECT_TRUE(has(e, "/blocks/0/titleField", "unknown_field")) << dump(e);
}

TEST(TemplateLoad, TheRegistryNamesTheFileAndThePointer) {
    passerelle::testing::TempDir dir;
    std::string text = passerelle::testing::readFile(passerelle::testing::sourceDir() + "/templates/fiche-navette.standard.json");
    const std::string from = R"("type": "signatures")";
    auto at = text.find(from);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, from.size(), R"("type": "spacer", "height": -1e308}, {"type": "signatures")");
    passerelle::testing::writeFile(dir.file("fiche-navette.standard.json"), text);
    auto r = templates::TemplateRegistry::loadDirectory(dir.path(), *passerelle::testing::repoCatalog().forms);
    ASSERT_FALSE(r.isOk());
    const std::string m = r.status().toString();
    EXPECT_NE(m.find("fiche-navette.standard.json"), std::string::npos) << m;
    EXPECT_NE(m.find("/height"), std::string::npos) << m;
}
