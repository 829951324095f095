// The funders' forms (budget-annexe, activite): no personal data, validation
// with JSON pointer paths, derivations, PDF renders with every value, and the
// XLSX format through HTTP.
#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "forms/FormDef.h"
#include "http/HttpServer.h"
#include "support/Expected.h"
#include "support/HttpClient.h"
#include "support/RenderServer.h"
#include "support/TestSupport.h"
#include "xlsx/XlsxSupport.h"

using namespace passerelle;
using namespace passerelle::testing;
using namespace passerelle::testing::xlsx;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const char* const kFunderForms[] = {"budget-annexe", "activite"};

bool hasDetail(const Status& s, const std::string& path, const std::string& rule) {
    for (const auto& d : s.details()) if (d.path == path && d.rule == rule) return true;
    return false;
}

Object::Ptr readForm(const std::string& id) { return readJson(sourceDir() + "/forms/" + id + ".json"); }

Object::Ptr personField() {
    Object::Ptr f = new Object;
    f->set("name", "beneficiaire");
    f->set("label", "Bénéficiaire");
    f->set("type", "person");
    f->set("category", "partenaire");
    f->set("housing", false);
    return f;
}

void walk(const std::vector<forms::FieldDef>& fields, const std::function<void(const forms::FieldDef&)>& fn) {
    for (const auto& f : fields) {
        fn(f);
        walk(f.fields, fn);
    }
}

} // namespace

TEST(FunderForms, DeclareNoPersonalDataAndBothFormats) {
    for (const char* id : kFunderForms) {
        auto def = repoCatalog().forms->find(id);
        ASSERT_TRUE(def) << id;
        EXPECT_FALSE(def->personalData) << id;
        EXPECT_TRUE(def->supportsFormat("pdf")) << id;
        EXPECT_TRUE(def->supportsFormat("xlsx")) << id;
        walk(def->fields, [&](const forms::FieldDef& f) {
            EXPECT_NE(f.type, forms::FieldType::Person) << id << " " << f.name;
            EXPECT_NE(f.type, forms::FieldType::Organisation) << id << " " << f.name << ": an organisation carries a référent's name";
            EXPECT_FALSE(f.housing) << id << " " << f.name;
            const std::vector<std::string> allowed = {"financement", "activite", "partenaire", "administratif"};
            EXPECT_NE(std::find(allowed.begin(), allowed.end(), f.category), allowed.end()) << id << " " << f.name << " " << f.category;
        });
        // Every field is shown by the PDF template.
        auto tpl = repoCatalog().templates->find(id, "standard");
        ASSERT_TRUE(tpl) << id;
        EXPECT_EQ(templates::uncoveredFields(*tpl, *def), std::vector<std::string>{}) << id;
    }
}

TEST(FunderForms, PersonFieldRefusedAtLoadWithItsPath) {
    for (const char* id : kFunderForms) {
        auto json = readForm(id);
        auto fields = json->getArray("fields");
        const std::string index = std::to_string(fields->size());
        fields->add(personField());
        auto r = forms::parseFormDef(json);
        ASSERT_FALSE(r.isOk()) << id;
        EXPECT_EQ(r.status().errorCode(), "form_definition_invalid");
        EXPECT_TRUE(hasDetail(r.status(), "/fields/" + index + "/type", "personal_data_forbidden")) << r.status().toString();
    }
    // Nested in a table row too.
    auto json = readForm("budget-annexe");
    auto fields = json->getArray("fields");
    for (unsigned i = 0; i < fields->size(); ++i) {
        if (fields->getObject(i)->getValue<std::string>("name") != "charges") continue;
        auto sub = fields->getObject(i)->getArray("fields");
        const std::string where = "/fields/" + std::to_string(i) + "/fields/" + std::to_string(sub->size()) + "/type";
        sub->add(personField());
        auto r = forms::parseFormDef(json);
        ASSERT_FALSE(r.isOk());
        EXPECT_TRUE(hasDetail(r.status(), where, "personal_data_forbidden")) << r.status().toString();
    }
}

TEST(FunderForms, PersonalDataInInputRefusedWithJsonPointer) {
    service::RenderService svc(repoCatalog());
    auto budget = clone(example("budget-annexe-sarthe-plateformes"));
    Object::Ptr person = new Object;
    person->set("nom", "Dupont");
    person->set("prenom", "Marie");
    budget->set("beneficiaire", person);
    budget->getArray("charges")->getObject(1)->set("nomDuMenage", "Dupont");
    budget->getObject("action")->getArray("porteurs")->getObject(0)->set("referent", "Marie Dupont");
    auto r = svc.validate("budget-annexe", budget);
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().errorCode(), "validation_failed");
    EXPECT_TRUE(hasDetail(r.status(), "/beneficiaire", "unknown_field")) << r.status().toString();
    EXPECT_TRUE(hasDetail(r.status(), "/charges/1/nomDuMenage", "unknown_field")) << r.status().toString();
    EXPECT_TRUE(hasDetail(r.status(), "/action/porteurs/0/referent", "unknown_field")) << r.status().toString();
    // Nor does it render, in either format.
    EXPECT_FALSE(render("budget-annexe", budget, "xlsx").isOk());
    EXPECT_FALSE(render("budget-annexe", budget, "pdf").isOk());

    auto activite = clone(example("activite-ille-et-vilaine-2016"));
    activite->getArray("effectifs")->getObject(0)->set("nom", "Martin");
    auto a = svc.validate("activite", activite);
    ASSERT_FALSE(a.isOk());
    EXPECT_TRUE(hasDetail(a.status(), "/effectifs/0/nom", "unknown_field")) << a.status().toString();
}

TEST(FunderForms, BudgetConsistencyErrorsCarryPaths) {
    service::RenderService svc(repoCatalog());
    auto b = clone(example("budget-annexe-sarthe-plateformes"));
    auto charges = b->getArray("charges");
    charges->getObject(0)->set("coutUnitaire", 100);
    charges->getObject(0)->set("quantite", 27); // and a flat amount already
    charges->getObject(1)->remove("quantite");
    b->getArray("produits")->getObject(1)->set("annee", 2016);
    auto r = svc.validate("budget-annexe", b);
    ASSERT_FALSE(r.isOk());
    EXPECT_TRUE(hasDetail(r.status(), "/charges/0/montant", "amount_or_unit_cost")) << r.status().toString();
    EXPECT_TRUE(hasDetail(r.status(), "/charges/1/quantite", "unit_cost_and_quantity")) << r.status().toString();
    EXPECT_TRUE(hasDetail(r.status(), "/produits/1/annee", "year_outside_period")) << r.status().toString();

    auto m = clone(example("budget-annexe-rouen-pluriannuel"));
    m->getArray("charges")->getObject(2)->remove("annee");
    auto rm = svc.validate("budget-annexe", m);
    ASSERT_FALSE(rm.isOk());
    EXPECT_TRUE(hasDetail(rm.status(), "/charges/2/annee", "year_required")) << rm.status().toString();

    auto a = clone(example("activite-ille-et-vilaine-2016"));
    a->getArray("effectifs")->getObject(3)->set("cible", "Jeunes");
    auto ra = svc.validate("activite", a);
    ASSERT_FALSE(ra.isOk());
    EXPECT_TRUE(hasDetail(ra.status(), "/effectifs/3/cible", "unknown_target")) << ra.status().toString();
}

TEST(FunderForms, PdfShowsEveryValueAndTheTotals) {
    struct Case {
        std::string form, example;
        std::vector<std::string> totals;
    };
    const std::vector<Case> cases = {
        {"budget-annexe", "budget-annexe-sarthe-plateformes",
         {"Total des charges", "128 700,00 €", "Équilibré", "DDCS Sarthe 2015 22 900,00 € 17,79 %", "FNAVDL 2015 50 000,00 € 38,85 %",
          "Temps d'évaluation par ADGESTI (300 € par diagnostic × 50 situations) 300,00 € 50 15 000,00 €"}},
        {"budget-annexe", "budget-annexe-rouen-pluriannuel",
         {"Période 2015 – 2017 135 000,00 € 135 000,00 € 0,00 € Équilibré", "FNAVDL Période 2015 – 2017 67 500,00 € 50 %",
          "ICF Habitat Atlantique 2016 11 250,00 € 25 %"}},
        {"activite", "activite-ille-et-vilaine-2016",
         // The AGE/CIBLE matrix of seed 000, row by row (blank cells stay blank), with its totals.
         // (Rows with blank cells come out of pdftotext in another order: WorkbookPrint/ActivitePdf checks them with -layout.)
         {"Santé mentale 2 9 6 9 6 1 33", "Sortants de prison 0 0 3 0 0 0 3",
          "Violences conjugales 0 0 0 1 0 0 1", "Total général 4 15 17 13 8 2 59", "Graphique AGE/CIBLE", "Accès 5 8,47 %",
          "Maintien 54 91,53 %", "GIE 24", "Bénéficiaire 8"}},
    };
    service::RenderService svc(repoCatalog());
    for (const auto& c : cases) {
        auto data = example(c.example);
        auto filled = svc.validate(c.form, data);
        ASSERT_TRUE(filled.isOk()) << c.example << ": " << filled.status().toString();
        auto r = render(c.form, data, "pdf");
        ASSERT_TRUE(r.isOk()) << c.example << ": " << r.status().toString();
        std::string check;
        EXPECT_TRUE(qpdfCheck(r.value().bytes, &check)) << c.example << ": " << check;
        const std::string text = normaliseSpaces(pdfToText(r.value().bytes));
        // Every input value and every computed value, as the document shows it.
        std::vector<std::string> values;
        expectedValues(filled.value().form->fields, filled.value().data, values);
        EXPECT_GT(values.size(), 20u) << c.example;
        for (const auto& v : values) EXPECT_NE(text.find(normaliseSpaces(v)), std::string::npos) << c.example << ": missing « " << v << " »";
        for (const auto& t : c.totals) EXPECT_NE(text.find(t), std::string::npos) << c.example << ": missing « " << t << " »";
        EXPECT_NE(text.find("page " + std::to_string(r.value().pages) + " / " + std::to_string(r.value().pages)), std::string::npos) << c.example;
    }
}

TEST(FunderForms, XlsxThroughHttp) {
    auto server = startRenderServer();
    auto post = [&](const std::string& uri, const std::string& body, std::string& contentType) {
        HttpOptions options;
        options.timeoutSeconds = 30;
        auto r = httpRequest(server->port(), "POST", uri, body, "application/json", options);
        contentType = r.contentType;
        return std::make_pair(r.status, r.body);
    };
    std::string type;
    auto [status, body] = post("/v1/render/budget-annexe?format=xlsx", readFile(sourceDir() + "/examples/budget-annexe-sarthe-plateformes.json"), type);
    ASSERT_EQ(status, 200) << body;
    EXPECT_EQ(type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    EXPECT_EQ(body, renderOk("budget-annexe", example("budget-annexe-sarthe-plateformes"), "xlsx")) << "same bytes as in process";
    Workbook wb = inspect(body);
    const std::string total = wb.find("Budget", "TOTAL DES CHARGES");
    ASSERT_FALSE(total.empty());
    EXPECT_DOUBLE_EQ(wb.number("Budget!" + ref(rowOf(total), 3)), 128700);

    auto [aStatus, aBody] = post("/v1/render/activite?format=xlsx", readFile(sourceDir() + "/examples/activite-ille-et-vilaine-2016.json"), type);
    ASSERT_EQ(aStatus, 200) << aBody;
    EXPECT_EQ(inspect(aBody).sheets(), std::vector<std::string>{"Activité"});

    // Personal data is refused with its path.
    auto bad = clone(example("budget-annexe-sarthe-plateformes"));
    bad->set("beneficiaire", "Marie Dupont");
    std::ostringstream json;
    Poco::JSON::Stringifier::stringify(bad, json);
    auto [badStatus, badBody] = post("/v1/render/budget-annexe?format=xlsx", json.str(), type);
    EXPECT_EQ(badStatus, 400);
    EXPECT_NE(badBody.find("/beneficiaire"), std::string::npos) << badBody;
    server->stop();
}
