// How the funders' workbooks print (issue 14, « Workbooks »): each example is
// printed to PDF by LibreOffice headless, as a funder would, and the pages are
// read back with pdftotext; the print settings and row heights are read back
// with openpyxl; the charts' series names from the chart parts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>

#include "support/TestSupport.h"
#include "xlsx/XlsxSupport.h"

using namespace passerelle;
using namespace passerelle::testing;
using namespace passerelle::testing::xlsx;
using Poco::JSON::Object;

namespace {

struct Case {
    std::string form, example;
    int pages;                                      // exactly, as printed on A4
    std::vector<std::vector<std::string>> onPage;   // texts each page must show (page i: onPage[i])
};

const std::vector<Case>& cases() {
    static const std::vector<Case> c = {
        {"budget-annexe", "budget-annexe-sarthe-plateformes", 2,
         {{"Budget de l'action pour 50 logements accompagnés par an", "Budget 2015", "TOTAL DES CHARGES", "Contrôle d'équilibre",
           "128 700,00 €", "Financement demandé", "Observations"},
          {"Cofinancement par financeur", "22 900,00 €", "17,79 %", "100,00 %", "Produits par financeur, 2015", "DDCS Sarthe"}}},
        {"budget-annexe", "budget-annexe-rouen-pluriannuel", 3,
         {{"Budget de l'action pour 30 ménages par an", "Année 2015", "Année 2016"},
          {"Année 2017", "Total de la période 2015 – 2017"},
          {"Cofinancement par financeur", "25,00 %", "Produits par financeur et par année", "2016"}}},
        {"activite", "activite-ille-et-vilaine-2016", 2,
         {{"Indicateurs quantitatifs au 30/04/2016", "AGE/CIBLE", "Graphique AGE/CIBLE", "Santé mentale", "Violences conjugales"},
          {"Accès et maintien", "8,47 %", "91,53 %", "Refus par motif", "Observations"}}},
        {"grille-capacite-habiter", "grille-capacite-habiter-cotes-darmor-initiale", 3,
         {{"Rubrique", "Indicateur", "Commentaire", "Situation administrative", "Pièces d"}, {}, {}}},
        {"grille-capacite-habiter", "grille-capacite-habiter-affil-suivi-6-mois", 4, {{"Rubrique", "Indicateur"}, {}, {}, {}}},
    };
    return c;
}

// Lines of a page that are neither blank nor the running header and footer (first and last lines).
int bodyLines(const std::string& page) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < page.size()) {
        std::size_t nl = page.find('\n', start);
        std::string l = page.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        if (l.find_first_not_of(" \t\f") != std::string::npos) lines.push_back(l);
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    return std::max(0, static_cast<int>(lines.size()) - 2);
}

// pdftotext gives the no-break spaces of "1 234,56 €" as U+00A0 or as plain spaces: compare without that difference.
std::string spaces(std::string s) {
    for (std::size_t p; (p = s.find("\xC2\xA0")) != std::string::npos;) s.replace(p, 2, " ");
    for (std::size_t p; (p = s.find("\xE2\x80\xAF")) != std::string::npos;) s.replace(p, 3, " ");
    return s;
}

class Printed : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new TempDir;
        std::vector<std::string> files;
        for (const auto& c : cases()) {
            files.push_back(dir->file(c.example + ".xlsx"));
            writeFile(files.back(), renderOk(c.form, example(c.example), "xlsx"));
        }
        Poco::File(dir->file("pdf")).createDirectories();
        pdfs = libreOfficePdf(files, dir->file("pdf"));
    }
    static void TearDownTestSuite() {
        delete dir;
        dir = nullptr;
    }
    static TempDir* dir;
    static std::vector<std::string> pdfs;
};
TempDir* Printed::dir = nullptr;
std::vector<std::string> Printed::pdfs;

} // namespace

// Page count, no blank page, every expected text on its page; nothing of the technical columns.
TEST_F(Printed, EachWorkbookPrintsOnItsPagesWithoutABlankOne) {
    for (std::size_t i = 0; i < cases().size(); ++i) {
        const Case& c = cases()[i];
        const int pages = pdfPages(pdfs[i]);
        EXPECT_EQ(pages, c.pages) << c.example;
        for (int p = 1; p <= pages; ++p) {
            const std::string text = spaces(pdfPageText(pdfs[i], p));
            EXPECT_GE(bodyLines(text), 3) << c.example << " page " << p << " is (nearly) blank:\n" << text;
            if (p <= static_cast<int>(c.onPage.size())) {
                for (const auto& expected : c.onPage[static_cast<std::size_t>(p - 1)]) {
                    EXPECT_NE(text.find(spaces(expected)), std::string::npos) << c.example << " page " << p << ": « " << expected << " »\n" << text;
                }
            }
            // Legends show names, never cell references; the grille never prints its technical identifiers.
            EXPECT_EQ(text.find("!$"), std::string::npos) << c.example << " page " << p;
            EXPECT_EQ(text.find("cotesDArmor."), std::string::npos) << c.example << " page " << p;
            EXPECT_EQ(text.find("affil."), std::string::npos) << c.example << " page " << p;
            EXPECT_EQ(text.find("Identifiant technique"), std::string::npos) << c.example << " page " << p;
        }
    }
}

// Print settings as openpyxl reads them: A4, a scale that keeps 10 pt text legible, a print area,
// the title (or header) row repeated on every page.
TEST_F(Printed, PrintSettingsOnEverySheet) {
    for (const auto& c : cases()) {
        Workbook wb = inspect(renderOk(c.form, example(c.example), "xlsx"));
        for (const auto& sheet : wb.sheets()) {
            auto p = wb.print(sheet);
            EXPECT_EQ(p->getValue<int>("paperSize"), 9) << c.example << " " << sheet;
            EXPECT_FALSE(p->getValue<bool>("fitToPage")) << c.example << " " << sheet;
            EXPECT_GE(p->getValue<int>("scale"), 70) << c.example << " " << sheet;
            EXPECT_FALSE(p->getValue<std::string>("printArea").empty()) << c.example << " " << sheet;
            EXPECT_EQ(p->getValue<std::string>("printTitleRows"), "$1:$1") << c.example << " " << sheet;
        }
    }
}

// A wrapped text (merged cells included) gets the height of its lines: counted here with a lower
// bound of the width of Arial 10 pt text (5.5 px a character on average), independent of the writer's estimate.
TEST_F(Printed, WrappedTextHasRoomForItsLines) {
    int checked = 0;
    for (const auto& c : cases()) {
        Workbook wb = inspect(renderOk(c.form, example(c.example), "xlsx"));
        auto json = wb.json();
        auto cells = json->getObject("cells");
        for (const auto& sheet : wb.sheets()) {
            auto widths = json->getObject("columns")->getObject(sheet);
            auto rows = json->getObject("rows")->getObject(sheet);
            auto merged = json->getObject("merged")->getArray(sheet);
            auto widthPx = [&](int col) {
                const std::string letter = ref(0, col).substr(0, ref(0, col).size() - 1);
                const double w = widths->has(letter) ? widths->getValue<double>(letter) : 8.43;
                return w * 7.0 + 5.0;
            };
            auto heightPt = [&](int row) { return rows->has(std::to_string(row + 1)) ? rows->getValue<double>(std::to_string(row + 1)) : 15.0; };
            for (const auto& r : wb.cells(sheet)) {
                auto cell = cells->getObject(sheet + "!" + r);
                if (!cell->getValue<bool>("wrap") || cell->getValue<std::string>("type") != "s") continue;
                const std::string text = cell->getValue<std::string>("value");
                int lastRow = rowOf(r), lastCol = colOf(r);
                for (unsigned m = 0; m < merged->size(); ++m) {
                    const std::string range = merged->getElement<std::string>(m);
                    const std::string first = range.substr(0, range.find(':'));
                    if (first == r) { lastRow = rowOf(range.substr(range.find(':') + 1)); lastCol = colOf(range.substr(range.find(':') + 1)); }
                }
                double px = 0, pt = 0;
                for (int col = colOf(r); col <= lastCol; ++col) px += widthPx(col);
                for (int row = rowOf(r); row <= lastRow; ++row) pt += heightPt(row);
                std::size_t chars = 0;
                for (unsigned char ch : text) chars += (ch & 0xC0) != 0x80;
                const int lines = static_cast<int>(std::ceil(static_cast<double>(chars) * 5.5 / std::max(1.0, px - 6)));
                if (lines < 2) continue;
                ++checked;
                EXPECT_GE(pt, lines * 11.5) << c.example << " " << sheet << "!" << r << " (" << lines << " lines): « " << text << " »";
            }
        }
    }
    EXPECT_GT(checked, 20) << "the examples have many wrapped cells";
}

// A year of the budget (its heading down to its balance check) is never split across pages.
TEST_F(Printed, PageBreaksKeepEachYearWhole) {
    Workbook wb = inspect(renderOk("budget-annexe", example("budget-annexe-rouen-pluriannuel"), "xlsx"));
    auto breaks = wb.print("Budget")->getArray("breaks");
    ASSERT_GT(breaks->size(), 0u) << "three years do not fit on one page";
    for (const std::string year : {"Année 2015", "Année 2016", "Année 2017"}) {
        const int start = rowOf(wb.find("Budget", year));
        int end = start;
        while (wb.text("Budget!" + ref(end, 5)) != "Contrôle d'équilibre") ASSERT_LT(++end, start + 60) << year;
        for (unsigned b = 0; b < breaks->size(); ++b) {
            const int brk = breaks->getElement<int>(b); // the page break lies under 1-based row `brk`
            EXPECT_FALSE(brk > start + 1 && brk < end + 1) << year << " split at row " << brk;
        }
    }
}

// Every series is named with text every reader shows (a reference with its cached text), and the
// categories carry cached values.
TEST_F(Printed, ChartSeriesHaveNamesAndCachedCategories) {
    struct Expect { std::string form, example; std::size_t chart; std::vector<std::string> names; };
    const std::vector<Expect> expects = {
        {"activite", "activite-ille-et-vilaine-2016", 0,
         {"Habitat adapté sur mesure", "Réassurance du locataire", "Santé mentale", "Sortants de prison", "Violences conjugales"}},
        {"budget-annexe", "budget-annexe-rouen-pluriannuel", 1, {"2015", "2016", "2017"}},
        {"budget-annexe", "budget-annexe-rouen-pluriannuel", 0, {"Produits"}},
        {"budget-annexe", "budget-annexe-sarthe-plateformes", 0, {"Produits"}},
    };
    for (const auto& e : expects) {
        Workbook wb = inspect(renderOk(e.form, example(e.example), "xlsx"));
        auto chart = wb.charts()->getObject(static_cast<unsigned>(e.chart));
        auto names = chart->getArray("names");
        ASSERT_EQ(names->size(), e.names.size()) << e.example;
        for (unsigned i = 0; i < names->size(); ++i) EXPECT_EQ(names->getElement<std::string>(i), e.names[i]) << e.example << " series " << i;
        auto caches = chart->getArray("categoryCaches");
        for (unsigned i = 0; i < caches->size(); ++i) EXPECT_TRUE(caches->getElement<bool>(i)) << e.example << " series " << i;
    }
    // And LibreOffice prints the names in the legend.
    const std::string activity = spaces(pdfPageText(pdfs[2], 1));
    for (const auto& n : expects[0].names) EXPECT_NE(activity.find(n), std::string::npos) << n;
}

// The activity PDF (templates/activite.standard.json): seed 000's AGE/CIBLE table as a matrix — one
// row per target, one column per age band, blank where the seed is blank, totals — then its chart
// (stacked bars drawn with libharu in the series' colours), whole on one page with its legend.
TEST(ActivitePdf, AgeCibleMatrixAndChart) {
    auto r = render("activite", example("activite-ille-et-vilaine-2016"), "pdf");
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    TempDir dir;
    writeFile(dir.file("a.pdf"), r.value().bytes);
    std::vector<std::string> pages;
    for (int p = 1; p <= pdfPages(dir.file("a.pdf")); ++p) pages.push_back(spaces(pdfPageText(dir.file("a.pdf"), p)));
    auto squeeze = [](const std::string& s) {
        std::string out;
        for (char ch : s) if (ch != ' ' || (!out.empty() && out.back() != ' ')) out += ch;
        return out;
    };
    auto pageWith = [&](const std::string& needle) {
        for (std::size_t i = 0; i < pages.size(); ++i) {
            std::istringstream lines(pages[i]);
            for (std::string l; std::getline(lines, l);)
                if (squeeze(l).find(needle) != std::string::npos) return static_cast<int>(i);
        }
        return -1;
    };
    // Each row of the seed's table on one line, in order (blank cells blank, zeros as zeros).
    const std::vector<std::string> rows = {"Cibles 20-30 30-40 40-50 50-60 60-70 70-80 Total",
                                           "Habitat adapté sur mesure 2 5 5 2 1 15",
                                           "Réassurance du locataire 1 3 3 7",
                                           "Santé mentale 2 9 6 9 6 1 33",
                                           "Sortants de prison 0 0 3 0 0 0 3",
                                           "Violences conjugales 0 0 0 1 0 0 1",
                                           "Total général 4 15 17 13 8 2 59"};
    const int tablePage = pageWith(rows.front());
    ASSERT_GE(tablePage, 0);
    for (const auto& row : rows) EXPECT_EQ(pageWith(row), tablePage) << "« " << row << " » on the table's page";
    // No flat list any more: a target never appears twice with one band.
    EXPECT_EQ(pageWith("Habitat adapté sur mesure 30-40"), -1);
    // The chart: its caption, the bands, the stack totals and the legend on one page.
    const int chartPage = pageWith("Graphique AGE/CIBLE");
    ASSERT_GE(chartPage, 0);
    for (const std::string t : {"Tranche d’âge", "Ménages", "20-30", "70-80", "17", "Habitat adapté sur mesure", "Violences conjugales"})
        EXPECT_NE(pages[static_cast<std::size_t>(chartPage)].find(t), std::string::npos) << t;
    // Bars in colour: the series' fills (RGB "rg" operators, each component to a thousandth) are in
    // the content stream.
    CommandResult q = run({"/usr/bin/qpdf", "--qdf", "--object-streams=disable", dir.file("a.pdf"), dir.file("q.pdf")});
    ASSERT_EQ(q.exitCode, 0) << q.err;
    const std::string raw = readFile(dir.file("q.pdf"));
    EXPECT_NE(raw.find("0.184 0.333 0.592 rg"), std::string::npos) << "first series colour #2F5597";
    EXPECT_NE(raw.find("0.929 0.49 0.192 rg"), std::string::npos) << "second series colour #ED7D31";
}
