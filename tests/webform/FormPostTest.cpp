// A posted form page back into the JSON its form expects: types from the
// definition, empty inputs dropped, the text typed kept when it does not read.
#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "forms/Validator.h"
#include "support/TestSupport.h"
#include "webform/WebformTestSupport.h"

using namespace passerelle;

namespace {

std::shared_ptr<const forms::FormDef> form(const std::string& id) { return passerelle::testing::repoCatalog().forms->find(id); }

std::string json(const Poco::JSON::Object::Ptr& o) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(o, out);
    return out.str();
}

std::vector<std::pair<std::string, std::string>> sorted(web::PostedPairs p) {
    std::sort(p.begin(), p.end());
    return p;
}

} // namespace

// Every example, posted as a browser would post its page, comes back as the
// same document (same pointers, same values) and still validates.
TEST(FormPost, EveryExampleRoundTrips) {
    for (const auto& ex : passerelle::testing::exampleFiles()) {
        auto def = form(ex.form);
        ASSERT_TRUE(def) << ex.name;
        auto original = passerelle::testing::readJson(ex.file);
        web::PostedPairs pairs = passerelle::testing::pairsOf(original);
        pairs.emplace_back("_csrf", "jeton");
        pairs.emplace_back("_action", "save");
        auto posted = web::postedToJson(*def, pairs);
        EXPECT_TRUE(posted.ignored.empty()) << ex.name << " " << posted.ignored.front();
        pairs.resize(pairs.size() - 2);
        EXPECT_EQ(sorted(passerelle::testing::pairsOf(posted.values)), sorted(pairs)) << ex.name;
        auto errors = forms::validate(*def, posted.values);
        EXPECT_TRUE(errors.empty()) << ex.name << " " << (errors.empty() ? "" : errors.front().path + " " + errors.front().message);
    }
}

TEST(FormPost, TypesComeFromTheDefinition) {
    auto def = form("contrat-objectifs");
    ASSERT_TRUE(def);
    auto posted = web::postedToJson(*def, {{"/version", " 2 "}, {"/logement/loyer", "1 234,56"}, {"/logement/charges", "80.5"}});
    EXPECT_TRUE(posted.values->get("version").isInteger()) << json(posted.values);
    EXPECT_EQ(posted.values->getValue<int>("version"), 2);
    auto logement = posted.values->getObject("logement");
    ASSERT_TRUE(logement) << json(posted.values);
    EXPECT_EQ(logement->getValue<std::string>("loyer"), "1 234,56") << "amounts keep the text typed";
    EXPECT_EQ(logement->getValue<std::string>("charges"), "80.5");
}

TEST(FormPost, FicheNavetteTypes) {
    auto def = form("fiche-navette");
    auto posted = web::postedToJson(*def, {{"/motifsAlerte", "impayes"}, {"/motifsAlerte", "hygiene"}, {"/motifsAlerte", ""},
                                           {"/accordMenage/informe", "true"}, {"/prochaineRencontre/tripartite", "false"},
                                           {"/observations", "un\r\ndeux\rtrois"}, {"/date", ""}, {"/logement/adresse", "   "}});
    auto motifs = posted.values->getArray("motifsAlerte");
    ASSERT_TRUE(motifs);
    EXPECT_EQ(motifs->size(), 2u);
    EXPECT_EQ(motifs->getElement<std::string>(1), "hygiene");
    EXPECT_TRUE(posted.values->getObject("accordMenage")->getValue<bool>("informe"));
    EXPECT_FALSE(posted.values->getObject("prochaineRencontre")->getValue<bool>("tripartite"));
    EXPECT_EQ(posted.values->getValue<std::string>("observations"), "un\ndeux\ntrois");
    // Empty inputs are dropped, and so are the groups they leave empty.
    EXPECT_FALSE(posted.values->has("date"));
    EXPECT_FALSE(posted.values->has("logement")) << json(posted.values);
}

TEST(FormPost, TextThatDoesNotReadIsKeptAsTyped) {
    auto def = form("contrat-objectifs");
    auto posted = web::postedToJson(*def, {{"/version", "deux"}, {"/logement/loyer", "beaucoup"}});
    EXPECT_EQ(posted.values->getValue<std::string>("version"), "deux");
    EXPECT_EQ(posted.values->getObject("logement")->getValue<std::string>("loyer"), "beaucoup");
    auto errors = forms::validate(*def, posted.values);
    bool version = false, loyer = false;
    for (const auto& e : errors) {
        if (e.path == "/version" && e.rule == "integer") version = true;
        if (e.path == "/logement/loyer" && e.rule == "amount_format") loyer = true;
    }
    EXPECT_TRUE(version);
    EXPECT_TRUE(loyer);
}

TEST(FormPost, UnknownAndComputedPointersAreIgnored) {
    auto def = form("contrat-objectifs");
    auto posted = web::postedToJson(*def, {{"/inconnu", "x"}, {"/logement/tauxEffort", "12"}, {"/logement", "x"}, {"pas-un-pointeur", "x"}});
    EXPECT_EQ(posted.values->size(), 0u) << json(posted.values);
    EXPECT_EQ(posted.ignored.size(), 3u);
}

TEST(FormPost, TableRowsAreRenumberedAndBlankRowsKept) {
    auto def = form("fiche-navette");
    auto posted = web::postedToJson(*def, {{"/menage/composition/0/nom", "Benali"},
                                           {"/menage/composition/1/nom", ""},
                                           {"/menage/composition/7/nom", "Martin"},
                                           {"/menage/composition/10/nom", "Durand"}});
    auto rows = posted.values->getObject("menage")->getArray("composition");
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 4u);
    EXPECT_EQ(rows->getObject(1)->size(), 0u) << "a blank row the person added stays";
    EXPECT_EQ(rows->getObject(2)->getValue<std::string>("nom"), "Martin") << "index order, not text order";
    EXPECT_EQ(rows->getObject(3)->getValue<std::string>("nom"), "Durand");
    // Finalising names the fields of the blank row.
    bool named = false;
    for (const auto& e : forms::validate(*def, posted.values))
        if (e.path == "/menage/composition/1/nom" && e.rule == "required") named = true;
    EXPECT_TRUE(named);
}

TEST(FormPost, AddAndRemoveRowsWithoutJavaScript) {
    auto def = form("fiche-navette");
    web::PostedPairs pairs = {{"/menage/composition/0/nom", "Benali"}, {"/menage/composition/1/nom", ""},
                              {"/menage/composition/2/nom", "Martin"}};
    auto added = web::postedToJson(*def, pairs, web::parseTableAction("add:/menage/composition"));
    auto rows = added.values->getObject("menage")->getArray("composition");
    ASSERT_EQ(rows->size(), 4u);
    EXPECT_EQ(rows->getObject(3)->size(), 0u) << "a new empty row";
    // Two blank rows in a row: each add gives one more.
    web::PostedPairs blank = {{"/actions/0/action", ""}};
    EXPECT_EQ(web::postedToJson(*def, blank, web::parseTableAction("add:/actions")).values->getArray("actions")->size(), 2u);

    auto removed = web::postedToJson(*def, pairs, web::parseTableAction("remove:/menage/composition/2"));
    rows = removed.values->getObject("menage")->getArray("composition");
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ(rows->getObject(0)->getValue<std::string>("nom"), "Benali");
    EXPECT_EQ(rows->getObject(1)->size(), 0u);

    // Adding to a table nothing was typed in yet creates its groups.
    auto first = web::postedToJson(*def, {}, web::parseTableAction("add:/actions"));
    ASSERT_TRUE(first.values->getArray("actions"));
    EXPECT_EQ(first.values->getArray("actions")->size(), 1u);
    EXPECT_EQ(web::parseTableAction("save").kind, web::TableAction::Kind::None);
}

// Dates: the French format typed on the page, or the ISO form an <input type="date"> posts, both
// become the ISO date of the JSON; an impossible or unreadable date stays as typed (the validation
// then names the field).
TEST(FormPost, DatesAcceptTheFrenchFormatAndIso) {
    auto def = form("fiche-navette");
    ASSERT_TRUE(def);
    const std::vector<std::pair<std::string, std::string>> cases{
        {"22/11/2026", "2026-11-22"}, {" 2/3/2026 ", "2026-03-02"}, {"22.11.2026", "2026-11-22"},
        {"22-11-2026", "2026-11-22"}, {"2026-11-22", "2026-11-22"}, {"31/02/2026", "31/02/2026"},
        {"22/13/2026", "22/13/2026"}, {"demain", "demain"}, {"22/11/26", "22/11/26"}};
    for (const auto& [typed, stored] : cases) {
        auto posted = web::postedToJson(*def, {{"/date", typed}});
        ASSERT_TRUE(posted.values->has("date")) << typed;
        EXPECT_EQ(posted.values->getValue<std::string>("date"), stored) << typed;
        auto errors = forms::validate(*def, posted.values);
        bool dateError = false;
        for (const auto& e : errors) dateError = dateError || (e.path == "/date" && e.rule == "date_format");
        EXPECT_EQ(dateError, stored == typed && typed != "2026-11-22") << typed;
    }
}
