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
