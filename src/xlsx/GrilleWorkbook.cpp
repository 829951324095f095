// Evaluation grid workbook (form "grille-capacite-habiter"), for landlords who
// import it. Generic: driven by the form definition, whose documented shape is
// <référentiel>.<rubrique>.<indicateur>.{niveau, commentaire}, where the
// référentiels are the groups listed in parameters.referentiels and an
// indicator is a group holding a "niveau" enum (and usually a "commentaire").
// A territory that adds or renames an indicator in JSON needs no code here.
//
// Sheets:
//   Indicateurs  one row per indicator of the filled référentiel, in French:
//                rubrique, indicateur, niveau, commentaire, lien avec le logement;
//                then, outside the print area, for import: code niveau,
//                référentiel and the technical identifier (dotted path). Header
//                in row 1, repeated on every printed page, filter and frozen
//                header: ready to import.
//   Contexte     every other field (évaluation, ménage, synthèse) as label /
//                value rows, tables as small tables, and the count of
//                indicators per level by formula.
// Fields the consent gate left out (XlsxOptions::redacted) show "Information
// non transmise", as in the PDF. Everything else the copy carries (print
// headers and footers, document properties, sheet and defined names) comes from
// the form definition, the document id and permitted values only: the
// evaluation date appears in the header and as the creation date only when
// it was not left out.
#include <functional>
#include <set>

#include <Poco/JSON/Array.h>

#include "forms/Format.h"
#include "xlsx/MemoryWorkbook.h"
#include "xlsx/Writers.h"

namespace passerelle::xlsx::detail {

namespace {

using forms::FieldDef;
using forms::FieldType;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

const char* const kIndicators = "Indicateurs";
const char* const kContext = "Contexte";
const char* const kRedacted = "Information non transmise";

bool isIndicator(const FieldDef& f) {
    const FieldDef* n = f.type == FieldType::Group ? f.child("niveau") : nullptr;
    return n && n->type == FieldType::Enum;
}

Var child(const Var& parent, const std::string& name) {
    if (parent.type() != typeid(Object::Ptr)) return Var();
    auto o = parent.extract<Object::Ptr>();
    return o->has(name) ? o->get(name) : Var();
}

// A field the consent gate left out, or a computed field derived from one: a derivation reads its
// inputs from the sibling fields of its group (docs/forms.md, « Built-in derivations »), so a
// computed value (« Évaluation de suivi du 12/10/2026… ») is left out with any of its siblings.
bool leftOut(const forms::FormDef& def, const XlsxOptions& o, const std::string& path) {
    for (const auto& r : o.redacted)
        if (forms::pathCovers(r, path)) return true;
    const FieldDef* f = def.field(path);
    const std::size_t dot = path.rfind('.');
    if (!f || f->computed.empty() || dot == std::string::npos) return false;
    const FieldDef* group = def.field(path.substr(0, dot));
    if (!group) return false;
    for (const auto& sibling : group->fields) {
        if (!sibling.computed.empty()) continue;
        const std::string p = path.substr(0, dot + 1) + sibling.name;
        for (const auto& r : o.redacted)
            if (forms::pathCovers(r, p)) return true;
    }
    return false;
}

bool blank(const Var& v) { return v.isEmpty() || (v.isString() && v.extract<std::string>().empty()); }

class GrilleWriter {
public:
    GrilleWriter(MemoryWorkbook& book, const forms::FilledForm& filled, const XlsxOptions& o)
        : _book(book), _def(*filled.form), _data(filled.data), _o(o), _st(makeStyles(book)) {
        // Technical columns (for import, not printed): grey, on one line.
        _technical = book.addFormat();
        if (_technical) {
            format_set_font_name(_technical, "Arial");
            format_set_font_size(_technical, 9);
            format_set_font_color(_technical, 0x595959);
            format_set_align(_technical, LXW_ALIGN_VERTICAL_TOP);
        }
        if (_def.parameters)
            if (auto refs = _def.parameters->getArray("referentiels"))
                for (unsigned i = 0; i < refs->size(); ++i) _referentiels.insert(refs->getElement<std::string>(i));
    }

    void run() {
        Sheet ind = _book.addSheet(kIndicators);
        Sheet ctx = _book.addSheet(kContext);
        const std::string date = evaluationDate(_data, _o);
        const std::string title = _def.title + (_refLabel.empty() ? "" : " — " + _refLabel);
        indicators(ind);
        ind.printSetup(title, date.empty() ? "" : "Évaluation du " + date, _def.title + " " + _o.documentId);
        ind.repeatRows(0, 0);
        ind.printColumnsUpTo(kLastPrinted);
        context(ctx);
        ctx.printSetup(title, date.empty() ? "" : "Évaluation du " + date, _def.title + " " + _o.documentId);
        ctx.repeatRows(0, 0);
    }

    // The evaluation date (dd/mm/yyyy), or "" when absent or left out by the consent gate.
    std::string evaluationDate(const Object::Ptr& data, const XlsxOptions& o) const {
        if (leftOut(_def, o, "evaluation.date")) return "";
        Var v = forms::lookup(data, "evaluation.date");
        auto d = v.isString() ? Date::parseIso(v.extract<std::string>()) : std::nullopt;
        return d ? d->french() : "";
    }

private:
    MemoryWorkbook& _book;
    const forms::FormDef& _def;
    Object::Ptr _data;
    const XlsxOptions& _o;
    Styles _st;
    lxw_format* _technical = nullptr;
    std::set<std::string> _referentiels;
    std::string _refLabel;
    int _firstIndicatorRow = 1, _lastIndicatorRow = 0;
    std::vector<std::string> _levelCodes, _levelLabels;

    bool redacted(const std::string& path) const { return leftOut(_def, _o, path); }

    // Indicateurs columns: the French ones are printed, the technical ones follow for import.
    enum Col { kRubrique = 0, kIndicateur, kNiveau, kCommentaire, kLogement, kCode, kReferentiel, kIdentifiant, kColumns };
    static constexpr int kLastPrinted = kLogement;

    // Pass 1: one row per indicator of the référentiel the document fills.
    void indicators(Sheet& sh) {
        const char* heads[kColumns] = {"Rubrique", "Indicateur", "Niveau", "Commentaire", "Lien avec le logement", "Code niveau",
                                       "Référentiel", "Identifiant technique"};
        const double widths[kColumns] = {24, 38, 18, 58, 11, 16, 18, 34};
        for (int c = 0; c < kColumns; ++c) {
            sh.column(c, c, widths[c]);
            sh.text(0, c, heads[c], c > kLastPrinted ? _technical : _st.header);
        }
        int row = 1;
        for (const auto& ref : _def.fields) {
            if (!_referentiels.count(ref.name)) continue;
            Var refValue = forms::lookup(_data, ref.name);
            if (refValue.isEmpty()) continue; // one référentiel per grid
            _refLabel = ref.label;
            for (const auto& rubrique : ref.fields) {
                std::vector<std::pair<const FieldDef*, std::string>> found; // indicator, path
                collect(rubrique, ref.name + "." + rubrique.name, found);
                for (const auto& [indicator, path] : found) {
                    const FieldDef* niveau = indicator->child("niveau");
                    const FieldDef* commentaire = indicator->child("commentaire");
                    if (_levelCodes.empty())
                        for (const auto& o : niveau->options) { _levelCodes.push_back(o.value); _levelLabels.push_back(o.label); }
                    Var v = forms::lookup(_data, path);
                    sh.text(row, kRubrique, rubrique.label, _st.cell);
                    sh.text(row, kIndicateur, indicator->label, _st.cell);
                    if (redacted(path)) {
                        sh.text(row, kNiveau, kRedacted, _st.cell);
                        sh.text(row, kCommentaire, kRedacted, _st.cell);
                        sh.text(row, kCode, "", _technical);
                    } else {
                        Var level = child(v, "niveau"), comment = commentaire ? child(v, "commentaire") : Var();
                        sh.text(row, kNiveau, blank(level) ? "" : forms::formatValue(*niveau, level), _st.cell);
                        sh.text(row, kCommentaire, blank(comment) ? "" : comment.toString(), _st.cell);
                        sh.text(row, kCode, blank(level) ? "" : level.toString(), _technical);
                    }
                    sh.text(row, kLogement, indicator->housing ? "Oui" : "Non", _st.cell);
                    sh.text(row, kReferentiel, ref.label, _technical);
                    sh.text(row, kIdentifiant, path, _technical);
                    ++row;
                }
            }
        }
        _lastIndicatorRow = row - 1;
        if (_lastIndicatorRow >= _firstIndicatorRow)
            sh.check(worksheet_autofilter(sh.raw(), 0, 0, _lastIndicatorRow, kColumns - 1), "worksheet_autofilter");
        worksheet_freeze_panes(sh.raw(), 1, 0);
    }

    // Indicators under a rubrique (directly, or in sub-groups).
    void collect(const FieldDef& f, const std::string& path, std::vector<std::pair<const FieldDef*, std::string>>& out) {
        if (isIndicator(f)) { out.emplace_back(&f, path); return; }
        for (const auto& c : f.fields)
            if (c.type == FieldType::Group) collect(c, path + "." + c.name, out);
    }

    // Pass 2: the evaluation context: every field outside the référentiels.
    void context(Sheet& sh) {
        sh.column(0, 0, 40);
        sh.column(1, 6, 15);
        int row = 0;
        sh.text(row++, 0, _def.title, _st.title);
        if (!_refLabel.empty()) {
            sh.text(row, 0, "Référentiel", _st.label);
            sh.mergeText(row, 1, row, 6, _refLabel, _st.value);
            ++row;
        }
        ++row;
        for (const auto& f : _def.fields) {
            if (_referentiels.count(f.name)) continue;
            row = field(sh, row, f, f.name, forms::lookup(_data, f.name), 0);
        }
        ++row;
        // Count of indicators per level, live (follows edits of the Indicateurs sheet).
        if (_lastIndicatorRow >= _firstIndicatorRow && !_levelCodes.empty()) {
            sh.mergeText(row, 0, row, 6, "Synthèse des niveaux", _st.section);
            ++row;
            sh.text(row, 0, "Niveau", _st.header);
            sh.text(row, 1, "Indicateurs", _st.header);
            ++row;
            const std::string codes = sheetRef(kIndicators) + rangeRef(_firstIndicatorRow, kCode, _lastIndicatorRow, kCode, true);
            const int first = row;
            for (std::size_t i = 0; i < _levelCodes.size(); ++i, ++row) {
                sh.text(row, 0, _levelLabels[i], _st.cell);
                sh.formula(row, 1, "=COUNTIF(" + codes + ",\"" + _levelCodes[i] + "\")", static_cast<double>(countLevel(_levelCodes[i])),
                           _st.integer);
            }
            sh.text(row, 0, "Total", _st.totalLabel);
            sh.formula(row, 1, "=SUM(" + rangeRef(first, 1, row - 1, 1) + ")", static_cast<double>(countLevel("")), _st.integerTotal);
        }
    }

    long long countLevel(const std::string& code) const {
        long long n = 0;
        std::function<void(const FieldDef&, const std::string&)> walk = [&](const FieldDef& f, const std::string& path) {
            if (isIndicator(f)) {
                if (redacted(path)) return;
                Var level = child(forms::lookup(_data, path), "niveau");
                if (!blank(level) && (code.empty() || level.toString() == code)) ++n;
                return;
            }
            for (const auto& c : f.fields) if (c.type == FieldType::Group) walk(c, path + "." + c.name);
        };
        for (const auto& f : _def.fields)
            if (_referentiels.count(f.name) && !forms::lookup(_data, f.name).isEmpty()) walk(f, f.name);
        return n;
    }

    int field(Sheet& sh, int row, const FieldDef& f, const std::string& path, const Var& v, int depth) {
        if (redacted(path)) {
            sh.text(row, 0, f.label, _st.label);
            sh.mergeText(row, 1, row, 6, kRedacted, _st.muted);
            return row + 1;
        }
        if (v.isEmpty()) return row;
        if (f.isComposite()) {
            if (depth == 0) sh.mergeText(row, 0, row, 6, f.label, _st.section);
            else sh.text(row, 0, f.label, _st.label);
            ++row;
            for (const auto& c : f.fields) row = field(sh, row, c, path + "." + c.name, child(v, c.name), depth + 1);
            return row + (depth == 0 ? 1 : 0);
        }
        if (f.type == FieldType::Table) {
            sh.text(row++, 0, f.label, _st.label);
            std::vector<const FieldDef*> cols;
            for (const auto& c : f.fields) if (!c.isComposite() && c.type != FieldType::Table) cols.push_back(&c);
            for (std::size_t c = 0; c < cols.size() && c < 7; ++c) sh.text(row, static_cast<int>(c), cols[c]->label, _st.header);
            ++row;
            auto rows = v.type() == typeid(Array::Ptr) ? v.extract<Array::Ptr>() : nullptr;
            for (unsigned r = 0; rows && r < rows->size(); ++r, ++row)
                for (std::size_t c = 0; c < cols.size() && c < 7; ++c)
                    scalar(sh, row, static_cast<int>(c), *cols[c], path + "." + cols[c]->name, child(rows->get(r), cols[c]->name), _st.cell);
            return row + 1;
        }
        if (blank(v)) return row;
        sh.text(row, 0, f.label, _st.label);
        const bool dateOrNumber = (f.type == FieldType::Date && Date::parseIso(v.toString())) || (f.type == FieldType::Integer && v.isInteger());
        if (dateOrNumber) scalar(sh, row, 1, f, path, v, _st.value);
        else sh.mergeText(row, 1, row, 6, forms::formatValue(f, v), _st.value); // height: estimated from the text
        return row + 1;
    }

    // Dates as dates, numbers as numbers, everything else as text (never a formula).
    void scalar(Sheet& sh, int row, int col, const FieldDef& f, const std::string& path, const Var& v, lxw_format* textFormat) {
        if (redacted(path)) { sh.text(row, col, kRedacted, textFormat); return; }
        if (blank(v)) { sh.text(row, col, "", textFormat); return; }
        if (f.type == FieldType::Date) {
            if (auto d = Date::parseIso(v.toString())) { sh.date(row, col, *d, _st.date); return; }
        }
        if (f.type == FieldType::Integer && v.isInteger()) { sh.number(row, col, v.convert<double>(), _st.integer); return; }
        sh.text(row, col, forms::formatValue(f, v), textFormat);
    }
};

} // namespace

Result<std::string> writeGrille(const forms::FilledForm& filled, const XlsxOptions& options) {
    DocumentProperties props;
    props.title = filled.form->title;
    props.subject = options.documentId;
    props.category = "Grille d'évaluation";
    props.comments = "Produit par Passerelle ; une ligne par indicateur.";
    // The creation date is the evaluation date, unless the consent gate left it out (then the pinned default).
    const bool dateLeftOut = leftOut(*filled.form, options, "evaluation.date");
    Var date = forms::lookup(filled.data, "evaluation.date");
    if (date.isString() && !dateLeftOut)
        if (auto d = Date::parseIso(date.extract<std::string>())) props.created = *d;
    auto book = MemoryWorkbook::create(props);
    if (!book.isOk()) return book.status();
    GrilleWriter(*book.value(), filled, options).run();
    return book.value()->finish();
}

} // namespace passerelle::xlsx::detail
