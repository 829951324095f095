// Activity figures workbook (form "activite"), after seed 000 "Indicateurs
// quantitatifs": the AGE/CIBLE table with row and column totals by formula,
// accès / maintien with shares by formula, follow-ups and refusals by reason
// with totals by formula, and the "Graphique AGE/CIBLE" chart.
// One sheet, "Activité".
#include <algorithm>
#include <vector>

#include "forms/FunderModels.h"
#include "xlsx/MemoryWorkbook.h"
#include "xlsx/Writers.h"

namespace passerelle::xlsx::detail {

namespace {

using forms::funder::Activite;

const char* const kSheet = "Activité";

class ActiviteWriter {
public:
    ActiviteWriter(MemoryWorkbook& book, const Activite& a, const XlsxOptions& o) : _book(book), _a(a), _o(o), _st(makeStyles(book)) {}

    void run() {
        Sheet sh = _book.addSheet(kSheet);
        const int nT = static_cast<int>(_a.tranches.size());
        _lastCol = std::max(nT + 1, 3);
        _widths.assign(static_cast<std::size_t>(_lastCol) + 1, 8.5);
        _widths[0] = 32;
        sh.column(0, 0, _widths[0]);
        sh.column(1, _lastCol, _widths[1]);
        auto d = Date::parseIso(_a.dateArrete);
        const std::string dateText = d ? d->french() : _a.dateArrete;
        sh.printSetup(_a.titre, "Bilan au " + dateText, "Bilan d'activité " + _o.documentId, /*portrait=*/nT + 2 <= 8);
        sh.repeatRows(0, 0);

        int row = 0;
        sh.mergeText(row++, 0, 0, _lastCol, "Indicateurs quantitatifs au " + dateText, _st.title);
        info(sh, row, "Action", _a.titre);
        std::string porteurs;
        for (const auto& p : _a.porteurs) porteurs += (porteurs.empty() ? "" : " ; ") + p.nom + (p.role.empty() ? "" : " (" + p.role + ")");
        info(sh, row, "Organismes porteurs", porteurs);
        info(sh, row, "Territoire", _a.territoire);
        if (d) {
            sh.text(row, 0, "Bilan arrêté au", _st.label);
            sh.date(row, 1, *d, _st.date);
            ++row;
        }
        ++row;
        row = orientations(sh, row);
        row = ageCible(sh, row);
        row = parcours(sh, row);
        row = suites(sh, row);
        row = refus(sh, row);
        row = autres(sh, row);
        if (!_a.observations.empty()) {
            sh.keepTogether(row, row + 1);
            section(sh, row, "Observations");
            sh.mergeText(row, 0, row, _lastCol, _a.observations, _st.value); // height: estimated from the text
        }
    }

private:
    MemoryWorkbook& _book;
    const Activite& _a;
    const XlsxOptions& _o;
    Styles _st;
    int _lastCol = 3;
    std::vector<double> _widths;
    int _totalAgeCibleRow = -1, _totalAgeCibleCol = -1;

    void info(Sheet& sh, int& row, const std::string& label, const std::string& value) {
        if (value.empty()) return;
        sh.text(row, 0, label, _st.label);
        sh.mergeText(row, 1, row, _lastCol, value, _st.value);
        ++row;
    }

    void section(Sheet& sh, int& row, const std::string& title) {
        sh.mergeText(row, 0, row, _lastCol, title, _st.section);
        ++row;
    }

    // A section (band, table, totals) prints on one page when it can; its band always stays
    // with the table's header and first rows.
    void keepSection(Sheet& sh, int first, int last) {
        sh.keepTogether(first, last);
        sh.keepTogether(first, std::min(last, first + 3));
    }

    int orientations(Sheet& sh, int row) {
        const std::pair<const char*, std::optional<long long>> items[] = {
            {"Dossiers orientés vers la commission", _a.dossiersOrientes},
            {"Candidats accompagnés depuis le début", _a.candidatsAccompagnes},
            {"Accompagnements en cours", _a.enCours},
            {"dont hommes", _a.hommes},
            {"dont femmes", _a.femmes}};
        bool any = false;
        for (const auto& it : items) any = any || it.second.has_value();
        if (!any) return row;
        const int start = row;
        section(sh, row, "Orientations");
        for (const auto& [label, value] : items) {
            if (!value) continue;
            sh.text(row, 0, label, _st.cell);
            sh.number(row, 1, static_cast<double>(*value), _st.integer);
            ++row;
        }
        keepSection(sh, start, row - 1);
        return row + 1;
    }

    // The AGE/CIBLE table of seed 000: targets × age bands, totals by formula.
    int ageCible(Sheet& sh, int row) {
        const int nC = static_cast<int>(_a.cibles.size()), nT = static_cast<int>(_a.tranches.size());
        const int start = row;
        section(sh, row, "Ménages par cible et tranche d'âge (AGE/CIBLE)");
        const int head = row;
        sh.text(row, 0, "Cibles", _st.header);
        for (int t = 0; t < nT; ++t) sh.text(row, 1 + t, _a.tranches[static_cast<std::size_t>(t)], _st.header);
        const int totalCol = 1 + nT;
        sh.text(row, totalCol, "Total général", _st.header);
        ++row;
        const int first = row, last = row + nC - 1, totalRow = last + 1;
        for (int c = 0; c < nC; ++c, ++row) {
            sh.text(row, 0, _a.cibles[static_cast<std::size_t>(c)], _st.cell);
            for (int t = 0; t < nT; ++t) {
                auto it = _a.effectifs.find({c, t});
                if (it != _a.effectifs.end()) sh.number(row, 1 + t, static_cast<double>(it->second), _st.integer);
                else sh.blank(row, 1 + t, _st.integer);
            }
            sh.formula(row, totalCol, "=SUM(" + rangeRef(row, 1, row, nT) + ")", static_cast<double>(_a.totalCible(c)), _st.integerTotal);
        }
        sh.text(totalRow, 0, "Total général", _st.totalLabel);
        for (int t = 0; t < nT; ++t)
            sh.formula(totalRow, 1 + t, "=SUM(" + rangeRef(first, 1 + t, last, 1 + t) + ")", static_cast<double>(_a.totalTranche(t)), _st.integerTotal);
        sh.formula(totalRow, totalCol, "=SUM(" + rangeRef(first, totalCol, last, totalCol) + ")", static_cast<double>(_a.total()), _st.integerTotal);
        _totalAgeCibleRow = totalRow;
        _totalAgeCibleCol = totalCol;
        keepSection(sh, start, totalRow);

        // "Graphique AGE/CIBLE": one stacked column per age band, one series per target.
        lxw_chart* chart = _book.addChart(LXW_CHART_COLUMN_STACKED);
        if (chart) {
            chart_title_set_name(chart, "Graphique AGE/CIBLE");
            const std::string s = sheetRef(kSheet);
            const std::string cats = s + rangeRef(head, 1, head, nT, true);
            for (int c = 0; c < nC; ++c) {
                const std::string vals = s + rangeRef(first + c, 1, first + c, nT, true);
                lxw_chart_series* series = chart_add_series(chart, cats.c_str(), vals.c_str());
                if (!series) { _book.fail("chart_add_series", "allocation"); break; }
                // "=" makes it a reference: libxlsxwriter then caches the cell's text, which every reader shows.
                const std::string name = "=" + s + cellRef(first + c, 0, true, true);
                chart_series_set_name(series, name.c_str());
            }
            chart_axis_set_name(chart_axis_get(chart, LXW_CHART_AXIS_TYPE_X), "Tranche d'âge");
            chart_axis_set_name(chart_axis_get(chart, LXW_CHART_AXIS_TYPE_Y), "Ménages");
            chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
            // Under the table, as wide as the sheet: the sheet prints on A4 without shrinking.
            double widthPx = 0;
            for (int c = 0; c <= _lastCol; ++c) widthPx += _widths[static_cast<std::size_t>(c)] * 7.0 + 5.0;
            const int chartRow = totalRow + 2;
            const double xScale = std::max(1.0, widthPx / 480.0), yScale = 1.3;
            sh.insertChart(chartRow, 0, chart, xScale, yScale);
            return sh.chartLastRow(chartRow, yScale) + 2;
        }
        return totalRow + 2;
    }

    int parcours(Sheet& sh, int row) {
        if (!_a.hasParcours) return row;
        keepSection(sh, row, row + 5);
        section(sh, row, "Accès et maintien");
        sh.text(row, 0, "Parcours", _st.header);
        sh.text(row, 1, "Ménages", _st.header);
        sh.text(row, 2, "Part", _st.header);
        ++row;
        const int first = row, totalRow = row + 2;
        const long long total = _a.acces + _a.maintien;
        const std::string totalRef = cellRef(totalRow, 1, true, true);
        for (auto [label, n] : {std::pair<const char*, long long>{"Accès", _a.acces}, {"Maintien", _a.maintien}}) {
            sh.text(row, 0, label, _st.cell);
            sh.number(row, 1, static_cast<double>(n), _st.integer);
            sh.formula(row, 2, "=IF(" + totalRef + "=0,0," + cellRef(row, 1) + "/" + totalRef + ")",
                       total == 0 ? 0.0 : static_cast<double>(n) / static_cast<double>(total), _st.percent);
            ++row;
        }
        sh.text(totalRow, 0, "Total accès et maintien", _st.totalLabel);
        sh.formula(totalRow, 1, "=SUM(" + rangeRef(first, 1, first + 1, 1) + ")", static_cast<double>(total), _st.integerTotal);
        sh.formula(totalRow, 2, "=SUM(" + rangeRef(first, 2, first + 1, 2) + ")", total == 0 ? 0.0 : 1.0, _st.percentTotal);
        row = totalRow + 1;
        // Consistency: households in accès + maintien should be those of the AGE/CIBLE table.
        const std::string a = cellRef(totalRow, 1), b = cellRef(_totalAgeCibleRow, _totalAgeCibleCol);
        sh.text(row, 0, "Contrôle : accès + maintien = total AGE/CIBLE", _st.check);
        sh.mergeText(row, 1, row, _lastCol, "", _st.check);
        sh.formulaText(row, 1, "=IF(" + a + "=" + b + ",\"Cohérent\",\"Écart à vérifier\")",
                       total == _a.total() ? "Cohérent" : "Écart à vérifier", _st.check);
        sh.conditionalFormula(row, 1, row, _lastCol, "=" + a + "<>" + b, _st.ko);
        sh.conditionalFormula(row, 1, row, _lastCol, "=" + a + "=" + b, _st.ok);
        return row + 2;
    }

    int suites(Sheet& sh, int row) {
        if (_a.suites.empty()) return row;
        keepSection(sh, row, row + 2 + static_cast<int>(_a.suites.size()));
        section(sh, row, "Suites données aux dossiers");
        sh.text(row, 0, "Suite donnée", _st.header);
        sh.text(row, 1, "Nombre", _st.header);
        ++row;
        const int first = row;
        for (const auto& s : _a.suites) {
            sh.text(row, 0, s.libelle, _st.cell);
            sh.number(row, 1, static_cast<double>(s.nombre), _st.integer);
            ++row;
        }
        sh.text(row, 0, "Total des suites données", _st.totalLabel);
        sh.formula(row, 1, "=SUM(" + rangeRef(first, 1, row - 1, 1) + ")", static_cast<double>(_a.totalSuites()), _st.integerTotal);
        return row + 2;
    }

    int refus(Sheet& sh, int row) {
        if (_a.refus.empty()) return row;
        keepSection(sh, row, row + 2 + static_cast<int>(_a.refus.size() + _a.origines().size()));
        section(sh, row, "Refus par motif");
        sh.text(row, 0, "Motif", _st.header);
        sh.text(row, 1, "Refus de", _st.header);
        sh.text(row, 2, "Nombre", _st.header);
        ++row;
        const int first = row;
        for (const auto& r : _a.refus) {
            sh.text(row, 0, r.motif, _st.cell);
            sh.text(row, 1, r.origine, _st.cell);
            sh.number(row, 2, static_cast<double>(r.nombre), _st.integer);
            ++row;
        }
        const int last = row - 1;
        // Subtotals by origin: exact text match (EXACT), so an origin is never read as a criterion.
        for (const auto& o : _a.origines()) {
            sh.text(row, 0, "Total des refus de :", _st.totalLabel);
            sh.text(row, 1, o, _st.totalLabel);
            sh.formula(row, 2,
                       "=SUMPRODUCT(EXACT(" + rangeRef(first, 1, last, 1, true) + "," + cellRef(row, 1) + ")*" + rangeRef(first, 2, last, 2, true) + ")",
                       static_cast<double>(_a.totalOrigine(o)), _st.integerTotal);
            ++row;
        }
        sh.text(row, 0, "Total des refus", _st.totalLabel);
        sh.blank(row, 1, _st.totalLabel);
        sh.formula(row, 2, "=SUM(" + rangeRef(first, 2, last, 2) + ")", static_cast<double>(_a.totalRefus()), _st.integerTotal);
        return row + 2;
    }

    int autres(Sheet& sh, int row) {
        if (_a.autres.empty()) return row;
        keepSection(sh, row, row + 1 + static_cast<int>(_a.autres.size()));
        section(sh, row, "Autres indicateurs");
        sh.text(row, 0, "Indicateur", _st.header);
        sh.text(row, 1, "Valeur", _st.header);
        sh.mergeText(row, 2, row, _lastCol, "Commentaire", _st.header);
        ++row;
        for (const auto& i : _a.autres) {
            sh.text(row, 0, i.libelle, _st.cell);
            sh.number(row, 1, static_cast<double>(i.valeur), _st.integer);
            sh.mergeText(row, 2, row, _lastCol, i.commentaire, _st.cell);
            ++row;
        }
        return row + 1;
    }
};

} // namespace

Result<std::string> writeActivite(const forms::FilledForm& filled, const XlsxOptions& options) {
    Activite a;
    auto errors = forms::funder::readActivite(filled.data, a);
    if (!errors.empty()) return Status::invalidArgument("validation_failed", "Le document ne respecte pas le formulaire « activite ».", errors);
    DocumentProperties props;
    props.title = "Bilan d'activité — " + a.titre;
    props.subject = options.documentId;
    props.category = "Indicateurs quantitatifs";
    props.comments = "Produit par Passerelle ; chiffres agrégés, sans donnée personnelle ; totaux calculés par formule.";
    if (auto d = Date::parseIso(a.dateArrete)) props.created = *d;
    auto book = MemoryWorkbook::create(props);
    if (!book.isOk()) return book.status();
    ActiviteWriter(*book.value(), a, options).run();
    return book.value()->finish();
}

} // namespace passerelle::xlsx::detail
