// Activity figures workbook (src/xlsx/ActiviteWorkbook.cpp), read back with
// openpyxl and recalculated by LibreOffice. Figures of seed 000 "Indicateurs
// quantitatifs au 30/04/2016".
#include <gtest/gtest.h>

#include <map>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>

#include "support/TestSupport.h"
#include "xlsx/XlsxSupport.h"

using namespace passerelle;
using namespace passerelle::testing;
using namespace passerelle::testing::xlsx;

namespace {

const char* const kExample = "activite-ille-et-vilaine-2016";
const char* const kSheet = "Activité";

std::string at(int row, int col) { return std::string(kSheet) + "!" + ref(row, col); }

int rowWith(const Workbook& wb, const std::string& text) {
    int found = -1, count = 0;
    for (const auto& c : wb.cells(kSheet))
        if (colOf(c) == 0 && wb.text(std::string(kSheet) + "!" + c) == text) { found = rowOf(c); ++count; }
    EXPECT_EQ(count, 1) << "« " << text << " » in column A";
    return found;
}

const std::vector<std::string> kTargets = {"Habitat adapté sur mesure", "Réassurance du locataire", "Santé mentale", "Sortants de prison",
                                           "Violences conjugales"};
const std::vector<double> kTargetTotals = {15, 7, 33, 3, 1};
const std::vector<double> kBandTotals = {4, 15, 17, 13, 8, 2};

void expectSeedFigures(const Workbook& wb, const std::string& what) {
    const int head = rowWith(wb, "Cibles");
    ASSERT_GE(head, 0) << what;
    EXPECT_EQ(wb.text(at(head, 7)), "Total général") << what;
    for (std::size_t c = 0; c < kTargets.size(); ++c) {
        const int r = rowWith(wb, kTargets[c]);
        EXPECT_EQ(r, head + 1 + static_cast<int>(c)) << what << kTargets[c];
        EXPECT_DOUBLE_EQ(wb.number(at(r, 7)), kTargetTotals[c]) << what << ": " << kTargets[c];
    }
    const int total = rowWith(wb, "Total général");
    for (std::size_t t = 0; t < kBandTotals.size(); ++t) EXPECT_DOUBLE_EQ(wb.number(at(total, 1 + static_cast<int>(t))), kBandTotals[t]) << what << t;
    EXPECT_DOUBLE_EQ(wb.number(at(total, 7)), 59) << what;
    const int acces = rowWith(wb, "Accès");
    EXPECT_DOUBLE_EQ(wb.number(at(acces, 1)), 5) << what;
    EXPECT_NEAR(wb.number(at(acces, 2)), 5.0 / 59, 1e-12) << what;
    EXPECT_NEAR(wb.number(at(acces + 1, 2)), 54.0 / 59, 1e-12) << what;
    EXPECT_EQ(rowWith(wb, "Total accès et maintien"), acces + 2) << what;
    EXPECT_DOUBLE_EQ(wb.number(at(acces + 2, 1)), 59) << what;
    EXPECT_EQ(wb.cached(at(acces + 3, 1)).toString(), "Cohérent") << what;
    // Refusal subtotals by origin (seed: 24 refus du GIE, 8 refus des bénéficiaires).
    std::map<std::string, double> byOrigin;
    for (const auto& c : wb.cells(kSheet))
        if (colOf(c) == 0 && wb.text(std::string(kSheet) + "!" + c) == "Total des refus de :")
            byOrigin[wb.text(at(rowOf(c), 1))] = wb.number(at(rowOf(c), 2));
    EXPECT_EQ(byOrigin, (std::map<std::string, double>{{"GIE", 24}, {"Bénéficiaire", 8}})) << what;
    EXPECT_DOUBLE_EQ(wb.number(at(rowWith(wb, "Total des refus"), 2)), 32) << what;
    EXPECT_DOUBLE_EQ(wb.number(at(rowWith(wb, "Total des suites données"), 1)), 20) << what << ": suites données";
}

} // namespace

TEST(ActiviteWorkbook, AgeCibleTableWithTotalsByFormula) {
    auto data = example(kExample);
    Workbook wb = inspect(renderOk("activite", data, "xlsx"));
    EXPECT_EQ(wb.sheets(), (std::vector<std::string>{kSheet}));
    expectSeedFigures(wb, "cached");
    // Every count of the input sits at its (target, age band) cell as a number.
    const int head = rowWith(wb, "Cibles");
    std::vector<std::string> bands;
    for (int t = 0; t < 6; ++t) bands.push_back(wb.text(at(head, 1 + t)));
    EXPECT_EQ(bands, (std::vector<std::string>{"20-30", "30-40", "40-50", "50-60", "60-70", "70-80"}));
    auto eff = data->getArray("effectifs");
    for (unsigned i = 0; i < eff->size(); ++i) {
        auto e = eff->getObject(i);
        const int r = rowWith(wb, e->getValue<std::string>("cible"));
        const int c = 1 + static_cast<int>(std::find(bands.begin(), bands.end(), e->getValue<std::string>("trancheAge")) - bands.begin());
        EXPECT_EQ(wb.type(at(r, c)), "n") << i;
        EXPECT_DOUBLE_EQ(wb.number(at(r, c)), e->getValue<double>("nombre")) << i;
    }
    // Totals are formulas.
    const int first = head + 1, last = head + 5, total = rowWith(wb, "Total général");
    EXPECT_EQ(wb.text(at(first, 7)), "=SUM(" + ref(first, 1) + ":" + ref(first, 6) + ")");
    EXPECT_EQ(wb.text(at(total, 1)), "=SUM(" + ref(first, 1) + ":" + ref(last, 1) + ")");
    EXPECT_EQ(wb.text(at(total, 7)), "=SUM(" + ref(first, 7) + ":" + ref(last, 7) + ")");
    const int acces = rowWith(wb, "Accès");
    EXPECT_EQ(wb.format(at(acces, 2)), "[$-40C]0.00\"\xC2\xA0\"%") << "17,79 % in every reader";
    EXPECT_EQ(wb.text(at(acces, 2)).rfind("=IF(", 0), 0u);
    // Orientation figures and other indicators.
    EXPECT_DOUBLE_EQ(wb.number(at(rowWith(wb, "Dossiers orientés vers la commission"), 1)), 101);
    EXPECT_DOUBLE_EQ(wb.number(at(rowWith(wb, "dont hommes"), 1)), 39);
    EXPECT_DOUBLE_EQ(wb.number(at(rowWith(wb, "Bénéficiaires de l'AAH, du RSA ou de l'ARE"), 1)), 26);
    // Print set-up and pinned date.
    auto p = wb.print(kSheet);
    EXPECT_EQ(p->getValue<std::string>("orientation"), "portrait") << "six age bands fit a portrait page";
    EXPECT_EQ(p->getValue<int>("paperSize"), 9);
    EXPECT_FALSE(p->getValue<bool>("fitToPage")) << "a computed scale, so that the page breaks hold";
    EXPECT_GE(p->getValue<int>("scale"), 75) << "legible, not one tiny page";
    EXPECT_EQ(p->getValue<std::string>("printTitleRows"), "$1:$1");
    // Written "&9 300…": the space keeps the leading digit out of the font size code ("&9300" would be 9300 pt
    // and the digits lost); openpyxl reads the text back without it.
    EXPECT_EQ(p->getValue<std::string>("headerLeft"), "300 logements accompagnés en Ille-et-Vilaine");
    EXPECT_EQ(p->getValue<std::string>("headerRight"), "Bilan au 30/04/2016");
    EXPECT_EQ(wb.properties()->getValue<std::string>("created"), "2016-04-30T00:00:00");
}

TEST(ActiviteWorkbook, GraphiqueAgeCible) {
    Workbook wb = inspect(renderOk("activite", example(kExample), "xlsx"));
    auto charts = wb.charts();
    ASSERT_EQ(charts->size(), 1u);
    auto chart = charts->getObject(0);
    EXPECT_EQ(chart->getValue<std::string>("title"), "Graphique AGE/CIBLE");
    EXPECT_EQ(chart->getArray("types")->getElement<std::string>(0), "barChart");
    EXPECT_EQ(chart->getArray("grouping")->getElement<std::string>(0), "stacked");
    // One series per target, over the age bands of the table.
    const int head = rowWith(wb, "Cibles");
    auto series = chart->getArray("series");
    ASSERT_EQ(series->size(), kTargets.size());
    for (unsigned c = 0; c < series->size(); ++c) {
        const std::string row = std::to_string(head + 2 + static_cast<int>(c));
        EXPECT_EQ(series->getElement<std::string>(c), "'Activité'!$B$" + row + ":$G$" + row) << c;
    }
    EXPECT_EQ(chart->getArray("categories")->getElement<std::string>(0),
              "'Activité'!$B$" + std::to_string(head + 1) + ":$G$" + std::to_string(head + 1));
}

TEST(ActiviteWorkbook, LibreOfficeRecalculatesTotals) {
    TempDir dir;
    writeFile(dir.file("a.xlsx"), renderOk("activite", example(kExample), "xlsx"));
    const Workbook rendered = inspectFile(dir.file("a.xlsx"));
    const int mental = rowWith(rendered, "Santé mentale");
    stripAndEdit(dir.file("a.xlsx"), dir.file("stripped.xlsx"));
    stripAndEdit(dir.file("a.xlsx"), dir.file("edited.xlsx"), {std::string(kSheet) + "!" + ref(mental, 1) + "=3"}); // 2 → 3
    Poco::File(dir.file("out")).createDirectories();
    auto out = libreOfficeRecalc({dir.file("stripped.xlsx"), dir.file("edited.xlsx")}, dir.file("out"));
    expectSeedFigures(inspectFile(out[0]), "LibreOffice, cached values removed");
    const Workbook edited = inspectFile(out[1]);
    EXPECT_DOUBLE_EQ(edited.number(at(mental, 7)), 34);
    EXPECT_DOUBLE_EQ(edited.number(at(rowWith(edited, "Total général"), 7)), 60);
    EXPECT_EQ(edited.cached(at(rowWith(edited, "Accès") + 3, 1)).toString(), "Écart à vérifier")
        << "accès + maintien (59) no longer matches the AGE/CIBLE total (60)";
}
