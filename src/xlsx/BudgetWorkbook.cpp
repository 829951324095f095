// Budget annex workbook (form "budget-annexe"), laid out like seed 001 §IV
// "Budget de l'action": CHARGES on the left, PRODUITS on the right, one block
// per year, every total and every unit cost × quantity a live formula written
// with its computed value.
//
// Sheets:
//   Budget         identification, one block per year (charges | produits,
//                  totals, balance check), period totals, amount requested.
//   Cofinancement  amount and share of each funder per year and for the period
//                  (SUMPRODUCT/EXACT over the Budget blocks, shares by formula),
//                  acquired vs requested, and the charts.
#include <vector>

#include "forms/FunderModels.h"
#include "xlsx/MemoryWorkbook.h"
#include "xlsx/Writers.h"

namespace passerelle::xlsx::detail {

namespace {

using forms::funder::Budget;
using money::Cents;

const char* const kBudgetSheet = "Budget";
const char* const kCofinancementSheet = "Cofinancement";

// Budget sheet columns.
enum BudgetCol { kLabel = 0, kUnit = 1, kQty = 2, kAmount = 3, kGap = 4, kFunder = 5, kNature = 6, kStatus = 7, kProduit = 8 };

// Where a year's block landed, for the formulas of the other sheet.
struct YearBlock {
    int year = 0;
    int firstLine = 0, lastLine = 0; // 0-based rows of the lines
    int totalRow = 0;
};

std::string balanceFormula(const std::string& charges, const std::string& produits) {
    return "IF(ROUND(" + charges + "-" + produits + ",2)=0,\"Équilibré\",\"Déséquilibré : charges ≠ produits\")";
}

std::string balanceCached(Cents charges, Cents produits) {
    return charges == produits ? "Équilibré" : "Déséquilibré : charges ≠ produits";
}

// The balance check: red when charges ≠ produits, green otherwise (live, follows edits).
void flagBalance(Sheet& sheet, const Styles& st, int row, int firstCol, int lastCol, const std::string& charges, const std::string& produits) {
    const std::string diff = "ROUND(" + charges + "-" + produits + ",2)";
    sheet.conditionalFormula(row, firstCol, row, lastCol, "=" + diff + "<>0", st.ko);
    sheet.conditionalFormula(row, firstCol, row, lastCol, "=" + diff + "=0", st.ok);
}

class BudgetWriter {
public:
    BudgetWriter(MemoryWorkbook& book, const Budget& b, const XlsxOptions& o) : _book(book), _b(b), _o(o), _st(makeStyles(book)) {}

    void run() {
        Sheet budget = _book.addSheet(kBudgetSheet);
        Sheet cofi = _book.addSheet(kCofinancementSheet);
        writeBudget(budget);
        writeCofinancement(cofi);
    }

private:
    MemoryWorkbook& _book;
    const Budget& _b;
    const XlsxOptions& _o;
    Styles _st;
    std::vector<YearBlock> _blocks;

    std::string dateFrench() const {
        auto d = Date::parseIso(_b.date);
        return d ? d->french() : _b.date;
    }

    std::string porteursText() const {
        std::string s;
        for (const auto& p : _b.porteurs) s += (s.empty() ? "" : " ; ") + p.nom + (p.role.empty() ? "" : " (" + p.role + ")");
        return s;
    }

    // Label in A, text value merged over B:I.
    void info(Sheet& sh, int& row, const std::string& label, const std::string& value) {
        if (value.empty()) return;
        sh.text(row, kLabel, label, _st.label);
        sh.mergeText(row, kUnit, row, kProduit, value, _st.value);
        ++row;
    }

    void writeBudget(Sheet& sh) {
        // Widths chosen so that the sheet prints on A4 landscape at about 85 %: long labels wrap.
        sh.column(kLabel, kLabel, 44);
        sh.column(kUnit, kUnit, 13);
        sh.column(kQty, kQty, 9);
        sh.column(kAmount, kAmount, 15);
        sh.column(kGap, kGap, 2);
        sh.column(kFunder, kFunder, 28);
        sh.column(kNature, kNature, 28);
        sh.column(kStatus, kStatus, 10);
        sh.column(kProduit, kProduit, 15);
        sh.printSetup(_b.titre, "Budget établi le " + dateFrench(), "Annexe budgétaire " + _o.documentId);
        sh.repeatRows(0, 0);

        int row = 0;
        sh.mergeText(row++, kLabel, kLabel, kProduit, "Budget de l'action" + (_b.objet.empty() ? std::string() : " " + _b.objet), _st.title);
        info(sh, row, "Action", _b.titre);
        info(sh, row, "Appel à projets", _b.appelAProjets);
        info(sh, row, "Organismes porteurs", porteursText());
        info(sh, row, "Territoire", _b.territoire);
        info(sh, row, "Période", _b.periodLabel());
        if (auto d = Date::parseIso(_b.date)) {
            sh.text(row, kLabel, "Budget établi le", _st.label);
            sh.date(row, kUnit, *d, _st.date);
            ++row;
        }
        ++row;

        for (int year : _b.years()) row = writeYear(sh, row, year) + 1;
        if (_b.multiYear()) row = writePeriod(sh, row) + 1;

        // The amount requested from the call for projects (seed 001: "Financement demandé au titre du présent appel à projets").
        sh.keepTogether(row, row + (_b.observations.empty() ? 0 : 3));
        sh.text(row, kLabel, "Financement demandé au titre du présent appel à projets", _st.totalLabel);
        sh.cents(row, kAmount, _b.demande, _st.euroTotal);
        if (!_b.demandePrecision.empty()) sh.mergeText(row, kFunder, row, kProduit, _b.demandePrecision, _st.value);
        row += 2;
        if (!_b.observations.empty()) {
            sh.text(row, kLabel, "Observations", _st.label);
            ++row;
            sh.mergeText(row, kLabel, row, kProduit, _b.observations, _st.value); // height: estimated from the text
        }
    }

    // One year's block; returns the next free row.
    int writeYear(Sheet& sh, int row, int year) {
        std::vector<const forms::funder::ChargeLine*> charges;
        std::vector<const forms::funder::ProduitLine*> produits;
        for (const auto& c : _b.charges) if (c.annee == year) charges.push_back(&c);
        for (const auto& p : _b.produits) if (p.annee == year) produits.push_back(&p);

        const int sectionRow = row;
        sh.mergeText(row, kLabel, row, kProduit, _b.multiYear() ? "Année " + std::to_string(year) : "Budget " + std::to_string(year), _st.section);
        ++row;
        sh.mergeText(row, kLabel, row, kAmount, "CHARGES", _st.header);
        sh.mergeText(row, kFunder, row, kProduit, "PRODUITS", _st.header);
        ++row;
        const char* chargeHeads[] = {"Libellé", "Coût unitaire", "Quantité", "Montant"};
        const char* produitHeads[] = {"Financeur", "Nature / dispositif", "Statut", "Montant"};
        for (int c = 0; c < 4; ++c) {
            sh.text(row, kLabel + c, chargeHeads[c], _st.header);
            sh.text(row, kFunder + c, produitHeads[c], _st.header);
        }
        ++row;

        YearBlock block;
        block.year = year;
        block.firstLine = row;
        const std::size_t lines = std::max<std::size_t>({charges.size(), produits.size(), 1});
        for (std::size_t i = 0; i < lines; ++i, ++row) {
            if (i < charges.size()) {
                const auto& c = *charges[i];
                sh.text(row, kLabel, c.libelle, _st.cell);
                if (c.byUnit()) {
                    sh.cents(row, kUnit, *c.coutUnitaire, _st.euro);
                    sh.number(row, kQty, static_cast<double>(*c.quantite), _st.integer);
                    sh.formula(row, kAmount, "=" + cellRef(row, kUnit) + "*" + cellRef(row, kQty), euros(c.total), _st.euro);
                } else {
                    sh.blank(row, kUnit, _st.euro);
                    sh.blank(row, kQty, _st.integer);
                    sh.cents(row, kAmount, c.total, _st.euro);
                }
            } else {
                for (int c = kLabel; c <= kAmount; ++c) sh.blank(row, c, c == kLabel ? _st.cell : _st.euro);
            }
            if (i < produits.size()) {
                const auto& p = *produits[i];
                sh.text(row, kFunder, p.financeur, _st.cell);
                sh.text(row, kNature, p.nature, _st.cell);
                sh.text(row, kStatus, p.statutLabel, _st.cell);
                sh.cents(row, kProduit, p.montant, _st.euro);
            } else {
                for (int c = kFunder; c <= kProduit; ++c) sh.blank(row, c, c == kProduit ? _st.euro : _st.cell);
            }
        }
        block.lastLine = row - 1;

        // Totals.
        block.totalRow = row;
        const Cents tc = _b.totalCharges(year), tp = _b.totalProduits(year);
        sh.text(row, kLabel, "TOTAL DES CHARGES", _st.totalLabel);
        sh.blank(row, kUnit, _st.totalLabel);
        sh.blank(row, kQty, _st.totalLabel);
        sh.formula(row, kAmount, "=SUM(" + rangeRef(block.firstLine, kAmount, block.lastLine, kAmount) + ")", euros(tc), _st.euroTotal);
        sh.text(row, kFunder, "TOTAL DES PRODUITS", _st.totalLabel);
        sh.blank(row, kNature, _st.totalLabel);
        sh.blank(row, kStatus, _st.totalLabel);
        sh.formula(row, kProduit, "=SUM(" + rangeRef(block.firstLine, kProduit, block.lastLine, kProduit) + ")", euros(tp), _st.euroTotal);
        ++row;

        writeBalanceCheck(sh, row, block.totalRow, tc, tp);
        // A year prints on one page when it can; otherwise its heading stays with its first lines.
        sh.keepTogether(sectionRow, row);
        sh.keepTogether(sectionRow, std::min(row, block.firstLine + 1));
        ++row;
        _blocks.push_back(block);
        return row;
    }

    // Totals of the whole period (several years): sums of the yearly totals.
    int writePeriod(Sheet& sh, int row) {
        sh.keepTogether(row, row + 2);
        sh.mergeText(row, kLabel, row, kProduit, "Total de la période " + _b.periodLabel(), _st.section);
        ++row;
        std::string charges = "=", produits = "=";
        for (std::size_t i = 0; i < _blocks.size(); ++i) {
            charges += (i ? "+" : "") + cellRef(_blocks[i].totalRow, kAmount);
            produits += (i ? "+" : "") + cellRef(_blocks[i].totalRow, kProduit);
        }
        const Cents tc = _b.totalCharges(), tp = _b.totalProduits();
        const int chargesRow = row;
        sh.text(row, kLabel, "Total des charges de la période", _st.totalLabel);
        sh.formula(row, kAmount, charges, euros(tc), _st.euroTotal);
        sh.text(row, kFunder, "Total des produits de la période", _st.totalLabel);
        sh.formula(row, kProduit, produits, euros(tp), _st.euroTotal);
        ++row;
        writeBalanceCheck(sh, row, chargesRow, tc, tp);
        return row + 1;
    }

    // The balance check on `row`, under the totals of `totalsRow` (charges
    // `tc` in kAmount, produits `tp` in kProduit): the difference and the verdict.
    void writeBalanceCheck(Sheet& sh, int row, int totalsRow, Cents tc, Cents tp) {
        const std::string c = cellRef(totalsRow, kAmount), p = cellRef(totalsRow, kProduit);
        sh.text(row, kLabel, "Écart charges – produits", _st.check);
        sh.formula(row, kAmount, "=" + c + "-" + p, euros(tc - tp), _st.euro);
        sh.text(row, kFunder, "Contrôle d'équilibre", _st.check);
        sh.mergeText(row, kNature, row, kProduit, "", _st.check);
        sh.formulaText(row, kNature, "=" + balanceFormula(c, p), balanceCached(tc, tp), _st.check);
        flagBalance(sh, _st, row, kNature, kProduit, c, p);
        flagBalance(sh, _st, row, kAmount, kAmount, c, p);
    }

    void writeCofinancement(Sheet& sh) {
        const auto funders = _b.funders();
        const auto years = _b.years();
        const bool multi = _b.multiYear();
        const std::string src = sheetRef(kBudgetSheet);
        // Columns: A funder, then (amount, share) per year, then (amount, share) for the period.
        const int nPeriods = static_cast<int>(years.size()) + (multi ? 1 : 0);
        auto amountCol = [](int period) { return 1 + 2 * period; };
        auto shareCol = [](int period) { return 2 + 2 * period; };

        // Narrow enough for A4 at 100 %: funder names and period headers wrap.
        sh.column(0, 0, 30);
        for (int k = 0; k < nPeriods; ++k) {
            sh.column(amountCol(k), amountCol(k), 12.5);
            sh.column(shareCol(k), shareCol(k), 9);
        }
        // One year: a narrow table and its pie chart, on one portrait page.
        sh.printSetup(_b.titre, "Budget établi le " + dateFrench(), "Annexe budgétaire " + _o.documentId, /*portrait=*/!multi);
        sh.repeatRows(0, 0);

        int row = 0;
        sh.mergeText(row++, 0, 0, std::max(4, 2 * nPeriods), "Cofinancement par financeur", _st.title);
        sh.text(row, 0, "Action", _st.label);
        sh.mergeText(row, 1, row, std::max(4, 2 * nPeriods), _b.titre, _st.value);
        row += 2;
        const int headRow = row;
        sh.text(row, 0, "Financeur", _st.header);
        for (int k = 0; k < nPeriods; ++k) {
            std::string label = k < static_cast<int>(years.size()) ? std::to_string(years[k]) : "Période " + _b.periodLabel();
            sh.text(row, amountCol(k), label, _st.header);
            sh.text(row, shareCol(k), "Part " + label, _st.header);
        }
        ++row;
        const int first = row, last = row + static_cast<int>(funders.size()) - 1;
        const int totalRow = last + 1;

        auto yearOf = [&](int k) -> std::optional<int> {
            return k < static_cast<int>(years.size()) ? std::optional<int>(years[k]) : std::nullopt;
        };
        auto blockRange = [&](int k, int col) {
            const YearBlock& b = _blocks[static_cast<std::size_t>(k)];
            return src + rangeRef(b.firstLine, col, b.lastLine, col, /*absolute=*/true);
        };
        auto share = [&](int r, int k, Cents part, lxw_format* f) {
            const std::string total = cellRef(totalRow, amountCol(k), /*absRow=*/true);
            const Cents t = _b.totalProduits(yearOf(k));
            sh.formula(r, shareCol(k), "=IF(" + total + "=0,0," + cellRef(r, amountCol(k)) + "/" + total + ")",
                       t == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(t), f);
        };

        // Pass 1: one row per funder; exact name match (EXACT), never SUMIF criteria, so that
        // names with "*", "?" or a leading "=" / "<" are compared as plain text.
        for (std::size_t i = 0; i < funders.size(); ++i) {
            const int r = first + static_cast<int>(i);
            sh.text(r, 0, funders[i], _st.cell);
            for (int k = 0; k < nPeriods; ++k) {
                const Cents amount = _b.funderAmount(funders[i], yearOf(k));
                std::string f;
                if (yearOf(k)) {
                    f = "=SUMPRODUCT(EXACT(" + blockRange(k, kFunder) + "," + cellRef(r, 0, false, true) + ")*" + blockRange(k, kProduit) + ")";
                } else {
                    f = "=";
                    for (int y = 0; y < static_cast<int>(years.size()); ++y) f += (y ? "+" : "") + cellRef(r, amountCol(y));
                }
                sh.formula(r, amountCol(k), f, euros(amount), _st.euro);
                share(r, k, amount, _st.percent);
            }
        }
        // Pass 2: totals (shares add up to 100 %).
        sh.text(totalRow, 0, "Total des produits", _st.totalLabel);
        for (int k = 0; k < nPeriods; ++k) {
            const Cents t = _b.totalProduits(yearOf(k));
            sh.formula(totalRow, amountCol(k), "=SUM(" + rangeRef(first, amountCol(k), last, amountCol(k)) + ")", euros(t), _st.euroTotal);
            sh.formula(totalRow, shareCol(k), "=SUM(" + rangeRef(first, shareCol(k), last, shareCol(k)) + ")", t == 0 ? 0.0 : 1.0,
                       _st.percentTotal);
        }
        // Pass 3: acquired vs requested.
        row = totalRow + 1;
        for (auto [statut, label] : {std::pair<const char*, const char*>{"acquis", "Acquis"}, {"sollicite", "Sollicité"}}) {
            sh.text(row, 0, std::string("dont ") + (std::string(statut) == "acquis" ? "acquis" : "sollicité"), _st.cell); // lower case in the row label
            for (int k = 0; k < nPeriods; ++k) {
                const Cents amount = _b.statusAmount(statut, yearOf(k));
                std::string f;
                if (yearOf(k)) {
                    f = "=SUMPRODUCT((" + blockRange(k, kStatus) + "=\"" + label + "\")*" + blockRange(k, kProduit) + ")";
                } else {
                    f = "=";
                    for (int y = 0; y < static_cast<int>(years.size()); ++y) f += (y ? "+" : "") + cellRef(row, amountCol(y));
                }
                sh.formula(row, amountCol(k), f, euros(amount), _st.euro);
                share(row, k, amount, _st.percent);
            }
            ++row;
        }
        // Pass 4: charges of each period, for comparison.
        sh.text(row, 0, "Total des charges", _st.totalLabel);
        for (int k = 0; k < nPeriods; ++k) {
            std::string f = "=";
            if (yearOf(k)) f += src + cellRef(_blocks[static_cast<std::size_t>(k)].totalRow, kAmount);
            else for (int y = 0; y < static_cast<int>(years.size()); ++y) f += (y ? "+" : "") + cellRef(row, amountCol(y));
            sh.formula(row, amountCol(k), f, euros(_b.totalCharges(yearOf(k))), _st.euroTotal);
        }
        sh.keepTogether(headRow, row);
        row += 2;

        // Charts: produits by funder over the whole budget (pie), and per year when there are several.
        const int whole = nPeriods - 1;
        // Side by side when there are two charts: the second starts at the first column right of the pie.
        const double pieScale = multi ? 0.95 : 1.3;
        int secondCol = 1;
        for (double left = 30 * 7.0 + 5; left < 480 * pieScale + 8; ++secondCol)
            left += (secondCol % 2 ? 12.5 : 9.0) * 7.0 + 5; // amount and share columns alternate (widths above)
        lxw_chart* pie = _book.addChart(LXW_CHART_PIE);
        if (pie) {
            const std::string name = multi ? "Produits par financeur, période " + _b.periodLabel() : "Produits par financeur, " + _b.periodLabel();
            chart_title_set_name(pie, name.c_str());
            const std::string cats = sheetRef(kCofinancementSheet) + rangeRef(first, 0, last, 0, true);
            const std::string vals = sheetRef(kCofinancementSheet) + rangeRef(first, amountCol(whole), last, amountCol(whole), true);
            lxw_chart_series* s = chart_add_series(pie, cats.c_str(), vals.c_str());
            if (!s) _book.fail("chart_add_series", "allocation");
            else {
                chart_series_set_name(s, "Produits");
                chart_series_set_labels_options(s, /*show_name=*/LXW_FALSE, /*show_category=*/LXW_TRUE, /*show_value=*/LXW_FALSE);
                chart_series_set_labels_percentage(s);
            }
            chart_legend_set_position(pie, LXW_CHART_LEGEND_RIGHT);
            sh.insertChart(row, 0, pie, pieScale, 1.2);
        }
        if (multi) {
            lxw_chart* col = _book.addChart(LXW_CHART_COLUMN);
            if (col) {
                const std::string name = "Produits par financeur et par année";
                chart_title_set_name(col, name.c_str());
                const std::string cats = sheetRef(kCofinancementSheet) + rangeRef(first, 0, last, 0, true);
                for (int k = 0; k < static_cast<int>(years.size()); ++k) {
                    const std::string vals = sheetRef(kCofinancementSheet) + rangeRef(first, amountCol(k), last, amountCol(k), true);
                    lxw_chart_series* s = chart_add_series(col, cats.c_str(), vals.c_str());
                    if (!s) { _book.fail("chart_add_series", "allocation"); break; }
                    // "=" makes it a reference: libxlsxwriter then caches the cell's text, which every reader shows.
                    const std::string seriesName = "=" + sheetRef(kCofinancementSheet) + cellRef(headRow, amountCol(k), true, true);
                    chart_series_set_name(s, seriesName.c_str());
                }
                chart_axis_set_num_format(chart_axis_get(col, LXW_CHART_AXIS_TYPE_Y), kEuroAxisFormat);
                sh.insertChart(row, secondCol, col, 0.95, 1.2);
            }
        }
    }
};

} // namespace

Result<std::string> writeBudget(const forms::FilledForm& filled, const XlsxOptions& options) {
    Budget b;
    auto errors = forms::funder::readBudget(filled.data, b);
    if (!errors.empty()) return Status::invalidArgument("validation_failed", "Le document ne respecte pas le formulaire « budget-annexe ».", errors);
    DocumentProperties props;
    props.title = "Annexe budgétaire — " + b.titre;
    props.subject = options.documentId;
    props.category = "Annexe budgétaire";
    props.comments = "Produit par Passerelle ; montants en euros ; totaux calculés par formule.";
    if (auto d = Date::parseIso(b.date)) props.created = *d;
    auto book = MemoryWorkbook::create(props);
    if (!book.isOk()) return book.status();
    BudgetWriter(*book.value(), b, options).run();
    return book.value()->finish();
}

} // namespace passerelle::xlsx::detail
