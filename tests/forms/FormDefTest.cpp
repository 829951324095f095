// Form definitions: the loader refuses what would make the consent gate or the documents unreliable.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include "forms/FormDef.h"
#include "forms/FormRegistry.h"
#include "support/TestSupport.h"

using namespace passerelle;

namespace {

Status load(const std::string& text) {
    Poco::JSON::Parser p;
    auto r = forms::parseFormDef(p.parse(text).extract<Poco::JSON::Object::Ptr>());
    return r.status();
}

bool hasRule(const Status& s, const std::string& path, const std::string& rule) {
    for (const auto& d : s.details())
        if (d.path == path && d.rule == rule) return true;
    return false;
}

} // namespace

TEST(FormDef, EveryFieldNeedsAKnownCategoryAndAHousingFlag) {
    Status s = load(R"({"id": "x", "version": "1", "fields": [
        {"name": "a", "type": "text"},
        {"name": "b", "type": "text", "category": "astrologie", "housing": true},
        {"name": "c", "type": "text", "category": "sante"}]})");
    ASSERT_FALSE(s.isOk());
    EXPECT_TRUE(hasRule(s, "/fields/0/category", "missing_category")) << s.toString();
    EXPECT_TRUE(hasRule(s, "/fields/1/category", "unknown_category")) << s.toString();
    EXPECT_TRUE(hasRule(s, "/fields/2/housing", "missing_housing")) << s.toString();
}

TEST(FormDef, ChildrenInheritCategoryAndHousing) {
    Poco::JSON::Parser p;
    auto r = forms::parseFormDef(p.parse(R"({"id": "x", "version": "1", "fields": [
        {"name": "g", "type": "group", "category": "sante", "housing": false, "fields": [{"name": "t", "type": "text"}]}]})")
                                     .extract<Poco::JSON::Object::Ptr>());
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    const forms::FieldDef* t = r.value()->field("g.t");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->category, "sante");
    EXPECT_FALSE(t->housing);
}

TEST(FormDef, FundersFormsRefusePersonFields) {
    Status s = load(R"({"id": "budget", "version": "1", "personalData": false, "fields": [
        {"name": "porteur", "type": "person", "category": "identite", "housing": false}]})");
    EXPECT_TRUE(hasRule(s, "/fields/0/type", "personal_data_forbidden")) << s.toString();
}

TEST(FormDef, RejectsBadIdsTypesAndDuplicates) {
    Status s = load(R"({"id": "Fiche_Navette", "version": "1", "fields": [
        {"name": "a", "type": "texte", "category": "logement", "housing": true},
        {"name": "b", "type": "text", "category": "logement", "housing": true},
        {"name": "b", "type": "text", "category": "logement", "housing": true},
        {"name": "e", "type": "enum", "category": "logement", "housing": true}]})");
    EXPECT_TRUE(hasRule(s, "/id", "bad_id")) << s.toString();
    EXPECT_TRUE(hasRule(s, "/fields/0/type", "bad_type")) << s.toString();
    EXPECT_TRUE(hasRule(s, "/fields/2/name", "duplicate_field")) << s.toString();
    EXPECT_TRUE(hasRule(s, "/fields/3/options", "missing_options")) << s.toString();
}

TEST(FormDef, RepositoryFormsLoadAndListTheirVariants) {
    const auto& catalog = passerelle::testing::repoCatalog();
    auto fn = catalog.forms->find("fiche-navette");
    ASSERT_TRUE(fn);
    EXPECT_EQ(fn->variants.front().name, "standard");
    auto json = forms::formDefToJson(*fn);
    EXPECT_EQ(json->getValue<std::string>("id"), "fiche-navette");
    EXPECT_GT(json->getArray("fields")->size(), 10u);
    // Every field of every form declares its data category and housing relation (checked at load).
    const forms::FieldDef* sante = fn->field("situation.sante");
    ASSERT_TRUE(sante);
    EXPECT_EQ(sante->category, "sante");
    EXPECT_FALSE(sante->housing);
}

TEST(FormDef, PathCoversItselfAndWhatLiesBeneathOnly) {
    EXPECT_TRUE(forms::pathCovers("situation.sante", "situation.sante"));
    EXPECT_TRUE(forms::pathCovers("situation", "situation.sante"));
    EXPECT_TRUE(forms::pathCovers("menage.composition", "menage.composition.nom"));
    EXPECT_FALSE(forms::pathCovers("situation.sante", "situation.santeMentale"));
    EXPECT_FALSE(forms::pathCovers("situation.sante", "situation"));
    EXPECT_FALSE(forms::pathCovers("menage", "menageBis.nom"));
}

// Issue 11, item 1: a table's rows classified by one of its columns.
TEST(FormDef, CategoryFromMapsEveryOptionOfAnEnumColumn) {
    const std::string table = R"({"name": "objectifs", "type": "table", "category": "accompagnement", "housing": true,
        "fields": [{"name": "domaine", "type": "enum", "options": [{"value": "budget", "label": "Budget"},
                                                                    {"value": "sante", "label": "Santé"}]},
                   {"name": "objectif", "type": "text"}], )";
    Poco::JSON::Parser p;
    auto ok = forms::parseFormDef(p.parse(R"({"id": "x", "version": "1", "fields": [)" + table +
                                          R"("categoryFrom": {"field": "domaine", "categories": {
                                              "budget": {"category": "budget", "housing": true},
                                              "sante": {"category": "sante", "housing": false}}}}]})")
                                      .extract<Poco::JSON::Object::Ptr>());
    ASSERT_TRUE(ok.isOk()) << ok.status().toString();
    const auto* t = ok.value()->field("objectifs");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->categoryFrom, "domaine");
    EXPECT_FALSE(t->rowCategories.at("sante").housing);
    EXPECT_EQ(t->rowCategories.at("budget").category, "budget");

    Status unmapped = load(R"({"id": "x", "version": "1", "fields": [)" + table +
                           R"("categoryFrom": {"field": "domaine", "categories": {"budget": {"category": "budget", "housing": true}}}}]})");
    EXPECT_TRUE(hasRule(unmapped, "/fields/0/categoryFrom/categories", "unmapped_option")) << unmapped.toString();
    Status badHousing = load(R"({"id": "x", "version": "1", "fields": [)" + table +
                             R"("categoryFrom": {"field": "domaine", "categories": {"budget": {"category": "budget", "housing": "oui"},
                                 "sante": {"category": "sante", "housing": false}}}}]})");
    EXPECT_TRUE(hasRule(badHousing, "/fields/0/categoryFrom/categories/budget", "bad_category_from")) << badHousing.toString();
    Status notEnum = load(R"({"id": "x", "version": "1", "fields": [)" + table +
                          R"("categoryFrom": {"field": "objectif", "categories": {}}}]})");
    EXPECT_TRUE(hasRule(notEnum, "/fields/0/categoryFrom/field", "bad_category_from")) << notEnum.toString();
    Status unknownCategory = load(R"({"id": "x", "version": "1", "fields": [)" + table +
                                  R"("categoryFrom": {"field": "domaine", "categories": {"budget": {"category": "astrologie", "housing": true},
                                      "sante": {"category": "sante", "housing": false}}}}]})");
    EXPECT_TRUE(hasRule(unknownCategory, "/fields/0/categoryFrom/categories/budget/category", "unknown_category"))
        << unknownCategory.toString();
}

TEST(FormDef, ObjectiveTablesClassifyTheirRowsByDomain) {
    for (const char* form : {"contrat-objectifs", "protocole-sous-location"}) {
        auto def = passerelle::testing::repoCatalog().forms->find(form);
        ASSERT_TRUE(def) << form;
        const auto* t = def->field(std::string(form) == "contrat-objectifs" ? "objectifs" : "contratObjectifs.objectifs");
        ASSERT_NE(t, nullptr) << form;
        EXPECT_EQ(t->categoryFrom, "domaine") << form;
        for (const char* theme : {"sante", "emploi", "parentalite", "autre"})
            EXPECT_FALSE(t->rowCategories.at(theme).housing) << form << " " << theme;
        EXPECT_TRUE(t->rowCategories.at("budget").housing) << form;
    }
}

// ---- Strict definitions (issue 15 §1) -----------------------------------------------------------

namespace {

Status loadStrict(const std::string& text) {
    auto json = forms::parseJsonObject(text);
    if (!json.isOk()) return json.status();
    return forms::parseFormDef(json.value()).status();
}

const char* kOk = R"({"name": "a", "type": "text", "category": "logement", "housing": true})";

std::string withField(const std::string& field) {
    return std::string(R"({"id": "x", "version": "1", "fields": [)") + field + "]}";
}

} // namespace

TEST(FormDefStrict, HousingMustBeABooleanNotAString) {
    // "housing": "non" used to read as true: a health field reported as housing-related (consent bypass).
    Status s = loadStrict(withField(R"({"name": "sante", "type": "longtext", "category": "sante", "housing": "non"})"));
    ASSERT_FALSE(s.isOk());
    EXPECT_TRUE(hasRule(s, "/fields/0/housing", "type")) << s.toString();
    EXPECT_NE(s.toString().find("true ou false"), std::string::npos) << s.toString();
}

TEST(FormDefStrict, EveryKeyHasItsExactType) {
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "a", "type": "text", "category": "logement", "housing": true, "required": "oui"})")),
                        "/fields/0/required", "type"));
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "a", "type": "enum", "category": "logement", "housing": true, "multiple": 1,
                                                 "options": [{"value": "v", "label": "V"}]})")),
                        "/fields/0/multiple", "type"));
    EXPECT_TRUE(hasRule(loadStrict(R"({"id": "x", "version": "1", "personalData": "false", "fields": [)" + std::string(kOk) + "]}"),
                        "/personalData", "type"));
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "a", "type": "text", "category": "logement", "housing": true, "maxLength": "12"})")),
                        "/fields/0/maxLength", "type"));
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "a", "type": "text", "category": "logement", "housing": true, "maxLength": 1.5})")),
                        "/fields/0/maxLength", "type"));
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": 3, "type": "text", "category": "logement", "housing": true})")),
                        "/fields/0/name", "type"));
    EXPECT_TRUE(hasRule(loadStrict(R"({"id": "x", "version": 1, "fields": [)" + std::string(kOk) + "]}"), "/version", "type"));
    EXPECT_TRUE(hasRule(loadStrict(R"({"id": "x", "version": "1", "formats": ["pdf", "docx"], "fields": [)" + std::string(kOk) + "]}"),
                        "/formats/1", "unknown_format"));
}

TEST(FormDefStrict, UnknownKeysAreRefused) {
    Status s = loadStrict(withField(R"({"name": "a", "type": "text", "category": "logement", "housing": true, "requried": true})"));
    EXPECT_TRUE(hasRule(s, "/fields/0/requried", "unknown_key")) << s.toString();
    s = loadStrict(R"({"id": "x", "version": "1", "titre": "T", "fields": [)" + std::string(kOk) + "]}");
    EXPECT_TRUE(hasRule(s, "/titre", "unknown_key")) << s.toString();
    s = loadStrict(withField(R"({"name": "a", "type": "enum", "category": "logement", "housing": true,
                                 "options": [{"value": "v", "label": "V", "libelle": "W"}]})"));
    EXPECT_TRUE(hasRule(s, "/fields/0/options/0/libelle", "unknown_key")) << s.toString();
}

TEST(FormDefStrict, KeysThatDoNotApplyToTheTypeAreRefused) {
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "a", "type": "text", "category": "logement", "housing": true, "maxItems": 3})")),
                        "/fields/0/maxItems", "not_applicable"));
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "a", "type": "integer", "category": "logement", "housing": true, "options": []})")),
                        "/fields/0/options", "not_applicable"));
}

TEST(FormDefStrict, BoundsAreCoherent) {
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "a", "type": "text", "category": "logement", "housing": true, "maxLength": -1})")),
                        "/fields/0/maxLength", "out_of_range"));
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "a", "type": "text", "category": "logement", "housing": true, "minLength": 5, "maxLength": 2})")),
                        "/fields/0/minLength", "min_above_max"));
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "a", "type": "integer", "category": "logement", "housing": true, "min": 5, "max": 2})")),
                        "/fields/0/min", "min_above_max"));
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "t", "type": "table", "category": "logement", "housing": true, "maxItems": 100000000,
                                                 "fields": [{"name": "c", "type": "text"}]})")),
                        "/fields/0/maxItems", "out_of_range"));
    EXPECT_TRUE(hasRule(loadStrict(withField(R"({"name": "a", "type": "enum", "category": "logement", "housing": true,
                                                 "options": [{"value": "v", "label": "V"}, {"value": "v", "label": "W"}]})")),
                        "/fields/0/options/1/value", "duplicate_option"));
}

TEST(FormDefStrict, UnknownDerivationsAreRefusedAtLoad) {
    // Used to load, then answer 500 derivation_unknown to every request.
    Status s = loadStrict(R"({"id": "x", "version": "1", "derivations": ["tauxDEffort"], "fields": [)" + std::string(kOk) + "]}");
    EXPECT_TRUE(hasRule(s, "/derivations/0", "unknown_derivation")) << s.toString();
    s = loadStrict(withField(R"({"name": "a", "type": "amount", "category": "budget", "housing": true, "computed": "tauxEffort"})"));
    EXPECT_TRUE(hasRule(s, "/fields/0/computed", "unknown_derivation")) << s.toString();
}

TEST(FormDefStrict, TheRegistryNamesTheFileAndThePointer) {
    passerelle::testing::TempDir dir;
    for (const char* f : {"fiche-navette.json", "activite.json"}) {
        std::string text = passerelle::testing::readFile(passerelle::testing::sourceDir() + "/forms/" + f);
        if (std::string(f) == "fiche-navette.json") {
            const std::string from = R"("category": "sante", "housing": false)";
            auto at = text.find(from);
            ASSERT_NE(at, std::string::npos);
            text.replace(at, from.size(), R"("category": "sante", "housing": "non")");
        }
        passerelle::testing::writeFile(dir.file(f), text);
    }
    auto r = forms::FormRegistry::loadDirectory(dir.path());
    ASSERT_FALSE(r.isOk());
    const std::string m = r.status().toString();
    EXPECT_NE(m.find("fiche-navette.json"), std::string::npos) << m;
    EXPECT_NE(m.find("/fields/12/fields/7/housing"), std::string::npos) << m;
    EXPECT_EQ(m.find("illisible"), std::string::npos) << m;
}

TEST(FormDefStrict, TheRegistryNamesTheFileOfBadJson) {
    passerelle::testing::TempDir dir;
    passerelle::testing::writeFile(dir.file("x.json"), "{\"id\": \"x\",\n \"id\": \"y\"}");
    auto r = forms::FormRegistry::loadDirectory(dir.path());
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.status().toString().find("x.json"), std::string::npos);
    EXPECT_NE(r.status().toString().find("ligne 2"), std::string::npos) << r.status().toString();
}
