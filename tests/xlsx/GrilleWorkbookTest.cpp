// Evaluation grid as a spreadsheet (src/xlsx/GrilleWorkbook.cpp): one row per
// indicator of the filled référentiel, the evaluation context, level counts by
// formula; read back with openpyxl and LibreOffice.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>

#include "common/Date.h"
#include "forms/Format.h"
#include "support/TestSupport.h"
#include "xlsx/XlsxRenderer.h"
#include "xlsx/XlsxSupport.h"

using namespace passerelle;
using namespace passerelle::testing;
using namespace passerelle::testing::xlsx;
using Poco::Dynamic::Var;
using Poco::JSON::Object;

namespace {

struct Indicator {
    std::string path, level, comment;
    bool housing = false;
};

// The indicators the form defines for the référentiel filled in `data`, with their input values.
std::vector<Indicator> expectedIndicators(const Object::Ptr& data, std::string& referentiel) {
    auto def = repoCatalog().forms->find("grille-capacite-habiter");
    std::vector<Indicator> out;
    std::function<void(const forms::FieldDef&, const std::string&)> walk = [&](const forms::FieldDef& f, const std::string& path) {
        if (const forms::FieldDef* n = f.child("niveau"); n && n->type == forms::FieldType::Enum) {
            Var v = forms::lookup(data, path + ".niveau"), c = forms::lookup(data, path + ".commentaire");
            out.push_back({path, v.isEmpty() ? "" : v.toString(), c.isEmpty() ? "" : c.toString(), f.housing});
            return;
        }
        for (const auto& c : f.fields) if (c.type == forms::FieldType::Group) walk(c, path + "." + c.name);
    };
    auto refs = def->parameters->getArray("referentiels");
    for (unsigned i = 0; i < refs->size(); ++i) {
        const std::string name = refs->getElement<std::string>(i);
        if (!data->has(name)) continue;
        referentiel = def->field(name)->label;
        walk(*def->field(name), name);
    }
    return out;
}

} // namespace

TEST(GrilleWorkbook, OneRowPerIndicatorWithContext) {
    for (const std::string name : {"grille-capacite-habiter-affil-suivi-6-mois", "grille-capacite-habiter-cotes-darmor-initiale"}) {
        auto data = example(name);
        std::string referentiel;
        auto expected = expectedIndicators(data, referentiel);
        ASSERT_GT(expected.size(), 10u) << name;
        Workbook wb = inspect(renderOk("grille-capacite-habiter", data, "xlsx"));
        EXPECT_EQ(wb.sheets(), (std::vector<std::string>{"Indicateurs", "Contexte"})) << name;
        // French labels first (printed), technical columns for import after them (not printed).
        const std::vector<std::string> heads = {"Rubrique", "Indicateur", "Niveau", "Commentaire", "Lien avec le logement", "Code niveau",
                                                "Référentiel", "Identifiant technique"};
        for (int c = 0; c < 8; ++c) EXPECT_EQ(wb.text("Indicateurs!" + ref(0, c)), heads[static_cast<std::size_t>(c)]) << name;
        EXPECT_NE(wb.print("Indicateurs")->getValue<std::string>("printArea").find(":$E$"), std::string::npos)
            << name << ": printed up to « Lien avec le logement »";
        EXPECT_EQ(wb.print("Indicateurs")->getValue<std::string>("printTitleRows"), "$1:$1") << name << ": the header on every page";
        auto def = repoCatalog().forms->find("grille-capacite-habiter");
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const int r = 1 + static_cast<int>(i);
            const auto& e = expected[i];
            const std::string rubrique = e.path.substr(0, e.path.find('.', e.path.find('.') + 1));
            EXPECT_EQ(wb.text("Indicateurs!" + ref(r, 0)), def->field(rubrique)->label) << e.path;
            EXPECT_EQ(wb.text("Indicateurs!" + ref(r, 1)), def->field(e.path)->label) << e.path;
            if (!e.level.empty()) {
                EXPECT_EQ(wb.text("Indicateurs!" + ref(r, 2)), def->field(e.path + ".niveau")->option(e.level)->label) << e.path;
            }
            EXPECT_EQ(wb.text("Indicateurs!" + ref(r, 3)), e.comment) << e.path;
            EXPECT_EQ(wb.text("Indicateurs!" + ref(r, 4)), e.housing ? "Oui" : "Non") << e.path;
            EXPECT_EQ(wb.text("Indicateurs!" + ref(r, 5)), e.level) << e.path;
            EXPECT_EQ(wb.text("Indicateurs!" + ref(r, 6)), referentiel) << e.path;
            EXPECT_EQ(wb.text("Indicateurs!" + ref(r, 7)), e.path) << e.path;
            // No technical path among the printed columns.
            for (int c = 0; c <= 4; ++c) EXPECT_EQ(wb.text("Indicateurs!" + ref(r, c)).find(e.path), std::string::npos) << e.path;
            for (int c = 0; c < 8; ++c) {
                if (wb.has("Indicateurs!" + ref(r, c))) {
                    EXPECT_EQ(wb.type("Indicateurs!" + ref(r, c)), "s") << e.path;
                }
            }
        }
        EXPECT_FALSE(wb.has("Indicateurs!" + ref(1 + static_cast<int>(expected.size()), 0))) << name << ": nothing after the last indicator";
        // Context: evaluation date as a date, the evaluator, and the level counts by formula.
        const std::string date = wb.find("Contexte", "Date de l’évaluation");
        ASSERT_FALSE(date.empty()) << name;
        EXPECT_EQ(wb.type("Contexte!" + ref(rowOf(date), 1)), "d") << name;
        EXPECT_EQ(wb.text("Contexte!" + ref(rowOf(date), 1)).substr(0, 10), data->getObject("evaluation")->getValue<std::string>("date")) << name;
        const std::string evaluator = data->getObject("evaluation")->getObject("evaluateur")->getValue<std::string>("nom");
        EXPECT_FALSE(wb.find("Contexte", evaluator).empty()) << name;
        const std::string appui = wb.find("Contexte", "Point d’appui");
        ASSERT_FALSE(appui.empty()) << name;
        long long appuis = 0;
        for (const auto& e : expected) appuis += e.level == "appui";
        EXPECT_EQ(wb.text("Contexte!" + ref(rowOf(appui), 1)).rfind("=COUNTIF('Indicateurs'!$F$2:$F$", 0), 0u) << name << ": codes in column F";
        EXPECT_DOUBLE_EQ(wb.number("Contexte!" + ref(rowOf(appui), 1)), static_cast<double>(appuis)) << name;
        EXPECT_EQ(wb.print("Indicateurs")->getValue<std::string>("orientation"), "landscape") << name;
    }
}

TEST(GrilleWorkbook, LibreOfficeCountsLevelsAndReproducible) {
    auto data = example("grille-capacite-habiter-affil-suivi-6-mois");
    const std::string bytes = renderOk("grille-capacite-habiter", data, "xlsx");
    EXPECT_EQ(renderOk("grille-capacite-habiter", data, "xlsx"), bytes);
    TempDir dir;
    writeFile(dir.file("g.xlsx"), bytes);
    stripAndEdit(dir.file("g.xlsx"), dir.file("stripped.xlsx"), {"Indicateurs!F2=difficulte-majeure"});
    Poco::File(dir.file("out")).createDirectories();
    const Workbook wb = inspectFile(libreOfficeRecalc({dir.file("stripped.xlsx")}, dir.file("out"))[0]);
    std::string referentiel;
    auto expected = expectedIndicators(data, referentiel);
    long long appuis = 0;
    for (const auto& e : expected) appuis += e.level == "appui";
    ASSERT_EQ(expected.front().level, "appui");
    const int appui = rowOf(wb.find("Contexte", "Point d’appui"));
    EXPECT_DOUBLE_EQ(wb.number("Contexte!" + ref(appui, 1)), static_cast<double>(appuis - 1));
    EXPECT_DOUBLE_EQ(wb.number("Contexte!" + ref(rowOf(wb.find("Contexte", "Difficulté majeure")), 1)), 1);
    EXPECT_DOUBLE_EQ(wb.number("Contexte!" + ref(rowOf(wb.find("Contexte", "Total")), 1)), static_cast<double>(expected.size()));
}

TEST(GrilleWorkbook, RedactedIndicatorsAreNotTransmitted) {
    auto data = example("grille-capacite-habiter-affil-suivi-6-mois");
    auto filled = service::RenderService(repoCatalog()).validate("grille-capacite-habiter", data);
    ASSERT_TRUE(filled.isOk()) << filled.status().toString();
    std::string referentiel;
    auto expected = expectedIndicators(data, referentiel);
    passerelle::xlsx::XlsxOptions options;
    options.documentId = "GCH-TEST";
    std::vector<std::string> hidden;
    for (const auto& e : expected)
        if (!e.housing) { options.redacted.insert(e.path); hidden.push_back(e.comment); }
    ASSERT_FALSE(options.redacted.empty());
    auto r = passerelle::xlsx::render(filled.value(), options);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    Workbook wb = inspect(r.value());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const int row = 1 + static_cast<int>(i);
        const bool out = options.redacted.count(expected[i].path) > 0;
        EXPECT_EQ(wb.text("Indicateurs!" + ref(row, 3)), out ? "Information non transmise" : expected[i].comment) << expected[i].path;
    }
    for (const auto& comment : hidden) {
        if (comment.empty()) continue;
        for (const std::string sheet : {"Indicateurs", "Contexte"}) {
            EXPECT_TRUE(wb.find(sheet, comment).empty()) << comment;
        }
    }
}

namespace {

// Every string under `v` (4 characters or more: shorter ones are not telling), dates also as
// readers store or show them (ISO, dd/mm/yyyy, Excel serial number in a <v> element).
void canariesOf(const Var& v, std::vector<std::string>& out) {
    if (v.type() == typeid(Object::Ptr)) {
        auto o = v.extract<Object::Ptr>();
        for (const auto& [k, child] : *o) canariesOf(child, out);
    } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto a = v.extract<Poco::JSON::Array::Ptr>();
        for (unsigned i = 0; i < a->size(); ++i) canariesOf(a->get(i), out);
    } else if (v.isString()) {
        const std::string s = v.extract<std::string>();
        if (s.size() < 4) return;
        out.push_back(s);
        if (auto d = passerelle::Date::parseIso(s)) {
            out.push_back(d->french());
            // Excel serial (1900 system): days since 1899-12-30.
            out.push_back("<v>" + std::to_string(d->toDays() - passerelle::Date{1899, 12, 30}.toDays()) + "</v>");
        }
    }
}

// Removes `dotted` from a copy of the data (what a recipient may see, for the false-positive filter).
Object::Ptr without(const Object::Ptr& data, const std::string& dotted) {
    auto copy = clone(data);
    Object::Ptr parent = copy;
    std::string rest = dotted;
    for (std::size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1)) {
        parent = parent->getObject(rest.substr(0, dot));
        if (!parent) return copy;
    }
    parent->remove(rest);
    return copy;
}

std::string jsonText(const Object::Ptr& o) {
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}

} // namespace

// issue 11, item 2: everything a recipient copy carries — cells, print headers and footers,
// document properties, sheet names, defined names, every other part — comes from permitted
// values only. For each field left out in turn, every zip part is scanned for its values.
TEST(GrilleWorkbook, RecipientCopyCarriesNoExcludedValueInAnyPart) {
    auto def = repoCatalog().forms->find("grille-capacite-habiter");
    std::ifstream formFile(sourceDir() + "/forms/grille-capacite-habiter.json");
    const std::string formText((std::istreambuf_iterator<char>(formFile)), std::istreambuf_iterator<char>());
    int scanned = 0, canaries = 0;
    for (const std::string name : {"grille-capacite-habiter-affil-suivi-6-mois", "grille-capacite-habiter-cotes-darmor-initiale"}) {
        auto data = example(name);
        auto filled = service::RenderService(repoCatalog()).validate("grille-capacite-habiter", data);
        ASSERT_TRUE(filled.isOk()) << filled.status().toString();
        // Each top-level group, each of its direct fields, and the evaluation date alone.
        std::vector<std::string> exclusions;
        for (const auto& f : def->fields) {
            if (forms::lookup(data, f.name).isEmpty()) continue;
            exclusions.push_back(f.name);
            for (const auto& c : f.fields)
                if (!forms::lookup(data, f.name + "." + c.name).isEmpty()) exclusions.push_back(f.name + "." + c.name);
        }
        ASSERT_NE(std::find(exclusions.begin(), exclusions.end(), "evaluation.date"), exclusions.end()) << name;
        for (const auto& excluded : exclusions) {
            std::vector<std::string> all, kept;
            canariesOf(forms::lookup(data, excluded), all);
            // A value that the recipient may see elsewhere (another field, a label of the form) is no canary.
            const std::string permitted = jsonText(without(data, excluded));
            for (const auto& c : all) {
                const bool serial = c.rfind("<v>", 0) == 0;
                if (!serial && (permitted.find(c) != std::string::npos || formText.find(c) != std::string::npos)) continue;
                if (serial) {
                    // Another date of the document may share the serial: keep it only if no permitted date has it.
                    bool shared = false;
                    std::vector<std::string> others;
                    canariesOf(without(data, excluded), others);
                    for (const auto& o : others) shared = shared || o == c;
                    if (shared) continue;
                }
                kept.push_back(c);
            }
            if (kept.empty()) continue;
            passerelle::xlsx::XlsxOptions options;
            options.documentId = "GCH-TEST";
            options.redacted = {excluded};
            auto r = passerelle::xlsx::render(filled.value(), options);
            ASSERT_TRUE(r.isOk()) << excluded << ": " << r.status().toString();
            std::vector<std::string> parts;
            auto hits = partsContaining(r.value(), kept, &parts);
            EXPECT_TRUE(hits.empty()) << name << ", " << excluded << " left out, found in: " << hits.front();
            // The scan saw the parts where leaks were found before: core properties and the sheets (headers).
            EXPECT_NE(std::find(parts.begin(), parts.end(), "docProps/core.xml"), parts.end());
            EXPECT_NE(std::find(parts.begin(), parts.end(), "xl/worksheets/sheet1.xml"), parts.end());
            ++scanned;
            canaries += static_cast<int>(kept.size());
        }
        // The same scan finds the date when nothing is left out: the canaries are real.
        auto full = passerelle::xlsx::render(filled.value(), passerelle::xlsx::XlsxOptions{"GCH-TEST", "", {}});
        ASSERT_TRUE(full.isOk());
        std::vector<std::string> dateCanaries;
        canariesOf(forms::lookup(data, "evaluation.date"), dateCanaries);
        auto found = partsContaining(full.value(), dateCanaries);
        std::string where;
        for (const auto& h : found) where += h + "\n";
        EXPECT_NE(where.find("docProps/core.xml"), std::string::npos) << where;
        EXPECT_NE(where.find("xl/worksheets/sheet1.xml"), std::string::npos) << where << ": the print header";
    }
    EXPECT_GT(scanned, 10);
    EXPECT_GT(canaries, 30);
}
