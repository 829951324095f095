// Form definitions: the loader refuses what would make the consent gate or the documents unreliable.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include "forms/FormDef.h"
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
