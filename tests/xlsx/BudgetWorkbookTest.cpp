// Budget annex workbook (src/xlsx/BudgetWorkbook.cpp), read back with openpyxl
// and recalculated by LibreOffice.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>

#include "support/TestSupport.h"
#include "xlsx/XlsxSupport.h"

using namespace passerelle;
using namespace passerelle::testing;
using namespace passerelle::testing::xlsx;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

// French whatever the reader's locale ([$-40C]): "1 234,56 €" and "17,79 %", no-break space before the sign.
const char* const kEuro = "[$-40C]#,##0.00\"\xC2\xA0\xE2\x82\xAC\"";
const char* const kPercent = "[$-40C]0.00\"\xC2\xA0\"%";
const char* const kSeed = "budget-annexe-sarthe-plateformes";
const char* const kMultiYear = "budget-annexe-rouen-pluriannuel";

// Seed 001 §IV, funders summed over their lines.
const std::map<std::string, double> kSeedFunders = {
    {"DDCS Sarthe", 22900}, {"ARS des Pays de la Loire", 16600}, {"Contrat Urbain de Cohésion Sociale", 4200},
    {"FSL", 5000}, {"FNAVDL", 50000}, {"Bailleurs sociaux (Sarthe Habitat, Mancelle d'Habitation)", 30000}};

std::string at(const std::string& sheet, int row, int col) { return sheet + "!" + ref(row, col); }

// Rows of `sheet` whose column A is exactly `text`.
std::vector<int> rowsWith(const Workbook& wb, const std::string& sheet, const std::string& text) {
    std::vector<int> out;
    for (const auto& c : wb.cells(sheet))
        if (colOf(c) == 0 && wb.text(sheet + "!" + c) == text) out.push_back(rowOf(c));
    return out;
}

int rowWith(const Workbook& wb, const std::string& sheet, const std::string& text) {
    auto rows = rowsWith(wb, sheet, text);
    EXPECT_EQ(rows.size(), 1u) << "« " << text << " » in column A of " << sheet;
    return rows.empty() ? -1 : rows.front();
}

// The checks every reading of the seed budget must pass: figures of seed 001 §IV.
void expectSeedFigures(const Workbook& wb, const std::string& what) {
    const int total = rowWith(wb, "Budget", "TOTAL DES CHARGES");
    ASSERT_GE(total, 0) << what;
    EXPECT_DOUBLE_EQ(wb.number(at("Budget", total, 3)), 128700) << what;
    EXPECT_DOUBLE_EQ(wb.number(at("Budget", total, 8)), 128700) << what;
    EXPECT_DOUBLE_EQ(wb.number(at("Budget", total + 1, 3)), 0) << what << ": écart";
    EXPECT_EQ(wb.cached(at("Budget", total + 1, 6)).toString(), "Équilibré") << what;
    const int eval = rowWith(wb, "Budget", "Temps d'évaluation par ADGESTI (300 € par diagnostic × 50 situations)");
    EXPECT_DOUBLE_EQ(wb.number(at("Budget", eval, 3)), 15000) << what;
    const int funderTotal = rowWith(wb, "Cofinancement", "Total des produits");
    EXPECT_DOUBLE_EQ(wb.number(at("Cofinancement", funderTotal, 1)), 128700) << what;
    EXPECT_NEAR(wb.number(at("Cofinancement", funderTotal, 2)), 1.0, 1e-12) << what;
    for (const auto& [name, amount] : kSeedFunders) {
        const int r = rowWith(wb, "Cofinancement", name);
        EXPECT_DOUBLE_EQ(wb.number(at("Cofinancement", r, 1)), amount) << what << ": " << name;
        EXPECT_NEAR(wb.number(at("Cofinancement", r, 2)), amount / 128700, 1e-12) << what << ": " << name;
    }
    EXPECT_DOUBLE_EQ(wb.number(at("Cofinancement", rowWith(wb, "Cofinancement", "dont acquis"), 1)), 41700) << what;
    EXPECT_DOUBLE_EQ(wb.number(at("Cofinancement", rowWith(wb, "Cofinancement", "dont sollicité"), 1)), 87000) << what;
}

} // namespace

TEST(BudgetWorkbook, SeedChargesBesideProduitsWithLiveFormulas) {
    auto data = example(kSeed);
    Workbook wb = inspect(renderOk("budget-annexe", data, "xlsx"));
    EXPECT_EQ(wb.sheets(), (std::vector<std::string>{"Budget", "Cofinancement"}));

    // The seed's layout: CHARGES and PRODUITS side by side.
    const std::string charges = wb.find("Budget", "CHARGES"), produits = wb.find("Budget", "PRODUITS");
    ASSERT_FALSE(charges.empty());
    ASSERT_FALSE(produits.empty());
    EXPECT_EQ(rowOf(charges), rowOf(produits));
    EXPECT_LT(colOf(charges), colOf(produits));
    const int total = rowWith(wb, "Budget", "TOTAL DES CHARGES");
    EXPECT_EQ(wb.text(at("Budget", total, 5)), "TOTAL DES PRODUITS");

    // Every charge line: label as text, unit cost × quantity as a live formula with its value.
    auto lines = data->getArray("charges");
    int first = -1;
    for (unsigned i = 0; i < lines->size(); ++i) {
        auto line = lines->getObject(i);
        const std::string label = line->getValue<std::string>("libelle");
        const int r = rowWith(wb, "Budget", label);
        ASSERT_GE(r, 0) << label;
        if (first < 0) first = r;
        EXPECT_EQ(wb.type(at("Budget", r, 0)), "s") << label;
        if (line->has("coutUnitaire")) {
            const double unit = line->getValue<double>("coutUnitaire"), qty = line->getValue<double>("quantite");
            EXPECT_EQ(wb.text(at("Budget", r, 3)), "=" + ref(r, 1) + "*" + ref(r, 2)) << label;
            EXPECT_DOUBLE_EQ(wb.number(at("Budget", r, 3)), unit * qty) << label;
            EXPECT_DOUBLE_EQ(wb.number(at("Budget", r, 1)), unit) << label;
            EXPECT_DOUBLE_EQ(wb.number(at("Budget", r, 2)), qty) << label;
            EXPECT_EQ(wb.format(at("Budget", r, 1)), kEuro) << label;
        } else {
            EXPECT_EQ(wb.type(at("Budget", r, 3)), "n") << label;
            EXPECT_DOUBLE_EQ(wb.number(at("Budget", r, 3)), line->getValue<double>("montant")) << label;
        }
        EXPECT_EQ(wb.format(at("Budget", r, 3)), kEuro) << label;
    }
    // Every produit line, in order, beside the charges.
    auto prods = data->getArray("produits");
    for (unsigned i = 0; i < prods->size(); ++i) {
        auto p = prods->getObject(i);
        const int r = first + static_cast<int>(i);
        EXPECT_EQ(wb.text(at("Budget", r, 5)), p->getValue<std::string>("financeur")) << i;
        EXPECT_EQ(wb.text(at("Budget", r, 6)), p->getValue<std::string>("nature")) << i;
        EXPECT_EQ(wb.text(at("Budget", r, 7)), p->getValue<std::string>("statut") == "acquis" ? "Acquis" : "Sollicité") << i;
        EXPECT_DOUBLE_EQ(wb.number(at("Budget", r, 8)), p->getValue<double>("montant")) << i;
        EXPECT_EQ(wb.format(at("Budget", r, 8)), kEuro) << i;
    }
    // Totals are SUM formulas over the lines, cached at 128 700 €.
    const int last = total - 1;
    EXPECT_EQ(wb.text(at("Budget", total, 3)), "=SUM(" + ref(first, 3) + ":" + ref(last, 3) + ")");
    EXPECT_EQ(wb.text(at("Budget", total, 8)), "=SUM(" + ref(first, 8) + ":" + ref(last, 8) + ")");
    EXPECT_EQ(wb.format(at("Budget", total, 3)), kEuro);
    expectSeedFigures(wb, "libxlsxwriter cached values");

    // The amount requested from the call for projects.
    const int asked = rowWith(wb, "Budget", "Financement demandé au titre du présent appel à projets");
    EXPECT_DOUBLE_EQ(wb.number(at("Budget", asked, 3)), 50000);
    EXPECT_EQ(wb.text(at("Budget", asked, 5)), "par an");
    // Identification block.
    EXPECT_FALSE(wb.find("Budget", data->getObject("action")->getValue<std::string>("titre")).empty());
    EXPECT_FALSE(wb.find("Budget", "Sarthe Habitat (Bailleur social porteur) ; Mancelle d'Habitation (Bailleur social porteur) ; "
                                   "ADGESTI (Évaluation et accompagnement social (AVSL, SAMSAH))").empty());
}

TEST(BudgetWorkbook, SeedBalanceCheckIsALiveFlag) {
    Workbook wb = inspect(renderOk("budget-annexe", example(kSeed), "xlsx"));
    const int total = rowWith(wb, "Budget", "TOTAL DES CHARGES");
    const int check = total + 1;
    EXPECT_EQ(wb.text(at("Budget", check, 0)), "Écart charges – produits");
    EXPECT_EQ(wb.text(at("Budget", check, 3)), "=" + ref(total, 3) + "-" + ref(total, 8));
    EXPECT_EQ(wb.text(at("Budget", check, 5)), "Contrôle d'équilibre");
    const std::string flag = wb.text(at("Budget", check, 6));
    EXPECT_EQ(flag.rfind("=IF(ROUND(" + ref(total, 3) + "-" + ref(total, 8) + ",2)=0", 0), 0u) << flag;
    // Conditional formats turn the check red when charges ≠ produits, whatever a funder edits.
    bool red = false;
    auto cf = wb.conditional("Budget");
    for (unsigned i = 0; i < cf->size(); ++i) {
        auto rule = cf->getObject(i);
        if (rule->getValue<std::string>("range") != ref(check, 6) + ":" + ref(check, 8)) continue;
        auto formulas = rule->getArray("formulas");
        for (unsigned k = 0; k < formulas->size(); ++k)
            red = red || formulas->getElement<std::string>(k) == "ROUND(" + ref(total, 3) + "-" + ref(total, 8) + ",2)<>0";
    }
    EXPECT_TRUE(red);
}

TEST(BudgetWorkbook, SeedCofinancementSharesByFormulaAndChart) {
    Workbook wb = inspect(renderOk("budget-annexe", example(kSeed), "xlsx"));
    const std::string head = wb.find("Cofinancement", "Financeur");
    ASSERT_FALSE(head.empty());
    EXPECT_EQ(wb.text(at("Cofinancement", rowOf(head), 1)), "2015");
    EXPECT_EQ(wb.text(at("Cofinancement", rowOf(head), 2)), "Part 2015");
    const int total = rowWith(wb, "Cofinancement", "Total des produits");
    int first = -1, last = -1;
    for (const auto& [name, amount] : kSeedFunders) {
        const int r = rowWith(wb, "Cofinancement", name);
        first = first < 0 ? r : std::min(first, r);
        last = std::max(last, r);
        EXPECT_EQ(wb.text(at("Cofinancement", r, 1)).rfind("=SUMPRODUCT(EXACT('Budget'!$F$", 0), 0u) << name;
        EXPECT_EQ(wb.text(at("Cofinancement", r, 2)), "=IF(B$" + std::to_string(total + 1) + "=0,0,B" + std::to_string(r + 1) + "/B$" +
                                                          std::to_string(total + 1) + ")") << name;
        EXPECT_EQ(wb.format(at("Cofinancement", r, 2)), kPercent) << name;
        EXPECT_EQ(wb.format(at("Cofinancement", r, 1)), kEuro) << name;
    }
    EXPECT_EQ(last - first + 1, static_cast<int>(kSeedFunders.size()));
    // One pie chart of the produits by funder, fed by the live amounts.
    auto charts = wb.charts();
    ASSERT_EQ(charts->size(), 1u);
    auto chart = charts->getObject(0);
    EXPECT_EQ(chart->getArray("types")->getElement<std::string>(0), "pieChart");
    EXPECT_EQ(chart->getValue<std::string>("title"), "Produits par financeur, 2015");
    EXPECT_EQ(chart->getArray("categories")->getElement<std::string>(0),
              "'Cofinancement'!$A$" + std::to_string(first + 1) + ":$A$" + std::to_string(last + 1));
    EXPECT_EQ(chart->getArray("series")->getElement<std::string>(0),
              "'Cofinancement'!$B$" + std::to_string(first + 1) + ":$B$" + std::to_string(last + 1));
}

TEST(BudgetWorkbook, PrintSetupAndPinnedProperties) {
    auto data = example(kSeed);
    auto r = render("budget-annexe", data, "xlsx");
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    Workbook wb = inspect(r.value().bytes);
    for (const std::string sheet : {"Budget", "Cofinancement"}) {
        auto p = wb.print(sheet);
        // One year: the Budget sheet is wide (landscape), Cofinancement a narrow table and its chart (portrait).
        EXPECT_EQ(p->getValue<std::string>("orientation"), sheet == "Budget" ? "landscape" : "portrait") << sheet;
        EXPECT_EQ(p->getValue<int>("paperSize"), 9) << sheet << ": A4";
        // A computed scale and page breaks, not fit-to-page (which would make readers ignore the breaks).
        EXPECT_FALSE(p->getValue<bool>("fitToPage")) << sheet;
        EXPECT_GE(p->getValue<int>("scale"), 60) << sheet << ": legible";
        EXPECT_LE(p->getValue<int>("scale"), 100) << sheet;
        EXPECT_EQ(p->getValue<std::string>("printTitleRows"), "$1:$1") << sheet << ": the title row on every page";
        EXPECT_FALSE(p->getValue<std::string>("printArea").empty()) << sheet;
        // The title in the header, cut at a word with "…" when it would run into the right part.
        const std::string title = data->getObject("action")->getValue<std::string>("titre");
        const std::string left = p->getValue<std::string>("headerLeft");
        if (left != title) {
            ASSERT_GE(left.size(), 20u) << sheet << ": " << left;
            EXPECT_EQ(left.substr(left.size() - 3), "\xE2\x80\xA6") << sheet << ": " << left;
            EXPECT_EQ(title.rfind(left.substr(0, left.size() - 3), 0), 0u) << sheet << ": " << left;
        }
        EXPECT_EQ(p->getValue<std::string>("headerRight"), "Budget établi le 30/09/2014") << sheet;
        EXPECT_EQ(p->getValue<std::string>("footerLeft"), "Annexe budgétaire " + r.value().documentId) << sheet;
        EXPECT_EQ(p->getValue<std::string>("footerRight"), "Page &P / &N") << sheet;
    }
    auto props = wb.properties();
    EXPECT_EQ(props->getValue<std::string>("created"), "2014-09-30T00:00:00") << "pinned to the budget's date";
    EXPECT_EQ(props->getValue<std::string>("creator"), "Passerelle");
    EXPECT_EQ(props->getValue<std::string>("subject"), r.value().documentId);
}

TEST(BudgetWorkbook, LibreOfficeRecalculatesSeedTotals) {
    TempDir dir;
    writeFile(dir.file("seed.xlsx"), renderOk("budget-annexe", example(kSeed), "xlsx"));
    // Without cached values, a reader shows the right figures only by computing the formulas.
    stripAndEdit(dir.file("seed.xlsx"), dir.file("stripped.xlsx"));
    const Workbook before = inspectFile(dir.file("seed.xlsx"));
    const int evalRow = rowWith(before, "Budget", "Temps d'évaluation par ADGESTI (300 € par diagnostic × 50 situations)");
    stripAndEdit(dir.file("seed.xlsx"), dir.file("edited.xlsx"), {"Budget!" + ref(evalRow, 2) + "=51"});
    const Workbook stripped = inspectFile(dir.file("stripped.xlsx"));
    const int total = rowWith(stripped, "Budget", "TOTAL DES CHARGES");
    ASSERT_TRUE(stripped.cached(at("Budget", total, 3)).isEmpty()) << "openpyxl drops cached values";

    Poco::File(dir.file("out")).createDirectories();
    auto out = libreOfficeRecalc({dir.file("seed.xlsx"), dir.file("stripped.xlsx"), dir.file("edited.xlsx")}, dir.file("out"));
    expectSeedFigures(inspectFile(out[0]), "LibreOffice, as rendered");
    expectSeedFigures(inspectFile(out[1]), "LibreOffice, cached values removed");

    // A funder edits a quantity: the line, the total, the balance flag and the shares follow.
    const Workbook edited = inspectFile(out[2]);
    EXPECT_DOUBLE_EQ(edited.number(at("Budget", evalRow, 3)), 15300);
    EXPECT_DOUBLE_EQ(edited.number(at("Budget", total, 3)), 129000);
    EXPECT_DOUBLE_EQ(edited.number(at("Budget", total + 1, 3)), 300);
    EXPECT_EQ(edited.cached(at("Budget", total + 1, 6)).toString(), "Déséquilibré : charges ≠ produits");
    EXPECT_DOUBLE_EQ(edited.number(at("Cofinancement", rowWith(edited, "Cofinancement", "Total des charges"), 1)), 129000);
}

TEST(BudgetWorkbook, UnbalancedBudgetIsFlagged) {
    auto data = clone(example(kSeed));
    data->getArray("produits")->getObject(8)->set("montant", 40000); // FNAVDL 50 000 → 40 000
    TempDir dir;
    writeFile(dir.file("unbalanced.xlsx"), renderOk("budget-annexe", data, "xlsx"));
    const Workbook wb = inspectFile(dir.file("unbalanced.xlsx"));
    const int total = rowWith(wb, "Budget", "TOTAL DES CHARGES");
    EXPECT_DOUBLE_EQ(wb.number(at("Budget", total, 3)), 128700);
    EXPECT_DOUBLE_EQ(wb.number(at("Budget", total, 8)), 118700);
    EXPECT_DOUBLE_EQ(wb.number(at("Budget", total + 1, 3)), 10000);
    EXPECT_EQ(wb.cached(at("Budget", total + 1, 6)).toString(), "Déséquilibré : charges ≠ produits");

    stripAndEdit(dir.file("unbalanced.xlsx"), dir.file("stripped.xlsx"));
    Poco::File(dir.file("out")).createDirectories();
    const Workbook lo = inspectFile(libreOfficeRecalc({dir.file("stripped.xlsx")}, dir.file("out"))[0]);
    EXPECT_DOUBLE_EQ(lo.number(at("Budget", total + 1, 3)), 10000);
    EXPECT_EQ(lo.cached(at("Budget", total + 1, 6)).toString(), "Déséquilibré : charges ≠ produits");

    // The PDF says it too.
    std::string text = normaliseSpaces(pdfToText(renderOk("budget-annexe", data, "pdf")));
    EXPECT_NE(text.find("Déséquilibré : charges ≠ produits (écart 10 000,00 €)"), std::string::npos) << text;
}

TEST(BudgetWorkbook, InjectedFormulaStaysText) {
    const std::string hyperlink = "=HYPERLINK(\"http://exemple.invalid/piege\",\"Cliquez ici\")";
    auto data = clone(example(kSeed));
    auto charges = data->getArray("charges");
    auto prods = data->getArray("produits");
    charges->getObject(0)->set("libelle", hyperlink);
    prods->getObject(3)->set("financeur", "=HYPERLINK(\"http://exemple.invalid\",\"CUCS\")");
    prods->getObject(0)->set("nature", "+33 6 00 00 00 00");
    prods->getObject(1)->set("nature", "-1+1");
    prods->getObject(2)->set("nature", "@SUM(A1:A9)");
    data->getObject("action")->set("territoire", "=1+1");
    TempDir dir;
    writeFile(dir.file("injected.xlsx"), renderOk("budget-annexe", data, "xlsx"));
    const Workbook wb = inspectFile(dir.file("injected.xlsx"));
    for (const std::string& s : {hyperlink, std::string("=HYPERLINK(\"http://exemple.invalid\",\"CUCS\")"), std::string("+33 6 00 00 00 00"),
                                 std::string("-1+1"), std::string("@SUM(A1:A9)"), std::string("=1+1")}) {
        const std::string c = wb.find("Budget", s);
        ASSERT_FALSE(c.empty()) << s;
        EXPECT_EQ(wb.type("Budget!" + c), "s") << s;
    }
    // No formula anywhere mentions HYPERLINK, and no hyperlink relationship exists.
    for (const std::string sheet : {"Budget", "Cofinancement"}) {
        for (const auto& c : wb.cells(sheet)) {
            if (wb.type(sheet + "!" + c) == "f") {
                EXPECT_EQ(wb.text(sheet + "!" + c).find("HYPERLINK"), std::string::npos) << c;
            }
        }
    }
    EXPECT_FALSE(wb.hasPart("xl/worksheets/_rels/sheet1.xml.rels"));

    // LibreOffice keeps it as text too, and the co-financing sheet matches that funder exactly.
    Poco::File(dir.file("out")).createDirectories();
    const Workbook lo = inspectFile(libreOfficeRecalc({dir.file("injected.xlsx")}, dir.file("out"))[0]);
    const std::string c = lo.find("Budget", hyperlink);
    ASSERT_FALSE(c.empty());
    EXPECT_EQ(lo.type("Budget!" + c), "s");
    const std::string funder = lo.find("Cofinancement", "=HYPERLINK(\"http://exemple.invalid\",\"CUCS\")");
    ASSERT_FALSE(funder.empty());
    EXPECT_EQ(lo.type("Cofinancement!" + funder), "s");
    EXPECT_DOUBLE_EQ(lo.number(at("Cofinancement", rowOf(funder), 1)), 4200);
}

TEST(BudgetWorkbook, UnitCostTimesQuantityIsExactToTheCent) {
    auto data = clone(example(kSeed));
    Poco::JSON::Object::Ptr line = new Poco::JSON::Object;
    line->set("libelle", "Petit matériel (333,33 € × 3)");
    line->set("coutUnitaire", "333.33");
    line->set("quantite", 3);
    data->getArray("charges")->add(line);
    auto filled = service::RenderService(repoCatalog()).validate("budget-annexe", data);
    ASSERT_TRUE(filled.isOk()) << filled.status().toString();
    EXPECT_EQ(filled.value().data->getArray("charges")->getObject(5)->getValue<std::string>("total"), "999.99");
    EXPECT_EQ(filled.value().data->getArray("totaux")->getObject(0)->getValue<std::string>("totalCharges"), "129699.99");
    Workbook wb = inspect(renderOk("budget-annexe", data, "xlsx"));
    const int r = rowWith(wb, "Budget", "Petit matériel (333,33 € × 3)");
    EXPECT_EQ(wb.number(at("Budget", r, 3)), 999.99);
    EXPECT_EQ(wb.number(at("Budget", rowWith(wb, "Budget", "TOTAL DES CHARGES"), 3)), 129699.99);
}

TEST(BudgetWorkbook, MultiYearBlocksSharesAndCharts) {
    TempDir dir;
    writeFile(dir.file("multi.xlsx"), renderOk("budget-annexe", example(kMultiYear), "xlsx"));
    stripAndEdit(dir.file("multi.xlsx"), dir.file("stripped.xlsx"));
    Poco::File(dir.file("out")).createDirectories();
    const Workbook rendered = inspectFile(dir.file("multi.xlsx"));
    const Workbook lo = inspectFile(libreOfficeRecalc({dir.file("stripped.xlsx")}, dir.file("out"))[0]);
    for (const Workbook* wb : {&rendered, &lo}) {
        const std::string what = wb == &rendered ? "cached" : "LibreOffice";
        for (int y : {2015, 2016, 2017}) EXPECT_EQ(rowsWith(*wb, "Budget", "Année " + std::to_string(y)).size(), 1u) << what << y;
        auto totals = rowsWith(*wb, "Budget", "TOTAL DES CHARGES");
        ASSERT_EQ(totals.size(), 3u) << what;
        for (int t : totals) {
            EXPECT_DOUBLE_EQ(wb->number(at("Budget", t, 3)), 45000) << what;
            EXPECT_DOUBLE_EQ(wb->number(at("Budget", t, 8)), 45000) << what;
        }
        const int period = rowWith(*wb, "Budget", "Total des charges de la période");
        EXPECT_EQ(wb->text(at("Budget", period, 3)), "=" + ref(totals[0], 3) + "+" + ref(totals[1], 3) + "+" + ref(totals[2], 3)) << what;
        EXPECT_DOUBLE_EQ(wb->number(at("Budget", period, 3)), 135000) << what;
        EXPECT_DOUBLE_EQ(wb->number(at("Budget", period, 8)), 135000) << what;
        EXPECT_EQ(wb->cached(at("Budget", period + 1, 6)).toString(), "Équilibré") << what;

        // Shares 25 / 25 / 50 (seed 002) each year and over the period.
        const std::string head = wb->find("Cofinancement", "Financeur");
        const int h = rowOf(head);
        const std::vector<std::string> heads = {"2015", "Part 2015", "2016", "Part 2016", "2017", "Part 2017",
                                                "Période 2015 – 2017", "Part Période 2015 – 2017"};
        for (std::size_t k = 0; k < heads.size(); ++k) EXPECT_EQ(wb->text(at("Cofinancement", h, 1 + static_cast<int>(k))), heads[k]) << what;
        const std::map<std::string, double> shares = {{"ICF Habitat Atlantique", 0.25}, {"DDCS Seine-Maritime", 0.25}, {"FNAVDL", 0.5}};
        for (const auto& [name, share] : shares) {
            const int r = rowWith(*wb, "Cofinancement", name);
            for (int k = 0; k < 4; ++k) {
                EXPECT_DOUBLE_EQ(wb->number(at("Cofinancement", r, 1 + 2 * k)), share * (k == 3 ? 135000 : 45000)) << what << name << k;
                EXPECT_NEAR(wb->number(at("Cofinancement", r, 2 + 2 * k)), share, 1e-12) << what << name << k;
            }
        }
        const int acquis = rowWith(*wb, "Cofinancement", "dont acquis");
        EXPECT_DOUBLE_EQ(wb->number(at("Cofinancement", acquis, 1)), 11250) << what << ": ICF's 2015 share is acquired";
        EXPECT_DOUBLE_EQ(wb->number(at("Cofinancement", acquis, 3)), 0) << what;
    }
    // A pie for the period and a column chart by year.
    auto charts = rendered.charts();
    ASSERT_EQ(charts->size(), 2u);
    EXPECT_EQ(charts->getObject(0)->getArray("types")->getElement<std::string>(0), "pieChart");
    EXPECT_EQ(charts->getObject(1)->getArray("types")->getElement<std::string>(0), "barChart");
    EXPECT_EQ(charts->getObject(1)->getArray("series")->size(), 3u) << "one series per year";
}

TEST(BudgetWorkbook, ByteReproducibleInProcessAndFromTheCli) {
    auto data = example(kSeed);
    const std::string a = renderOk("budget-annexe", data, "xlsx");
    const std::string b = renderOk("budget-annexe", data, "xlsx");
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a, b);
    // The acceptance command: passerelle render budget-annexe examples/<example>.json -o b.xlsx
    TempDir dir;
    CommandResult r = run({PASSERELLE_BINARY, "render", "budget-annexe", sourceDir() + "/examples/" + kSeed + ".json", "-o", dir.file("b.xlsx")});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_EQ(readFile(dir.file("b.xlsx")), a);
    // Another input gives another workbook.
    auto other = clone(data);
    other->set("date", "2014-10-01");
    EXPECT_NE(renderOk("budget-annexe", other, "xlsx"), a);
}
