#include "templates/Template.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include <Poco/DirectoryIterator.h>
#include <Poco/JSON/Array.h>
#include <Poco/Path.h>

#include "common/Text.h"
#include "forms/Format.h"
#include "templates/CrossTab.h"
#include "forms/StrictObject.h"

namespace passerelle::templates {

const char* const kRedactedMention = "Information non transmise";

namespace {

using forms::FieldDef;
using forms::FieldType;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

const std::set<std::string>& blockTypes() {
    static const std::set<std::string> types = {"title", "heading", "fields", "paragraph", "table", "checkboxes", "text",
                                                "signatures", "records", "spacer", "pagebreak", "section", "chart"};
    return types;
}

bool isScalar(const FieldDef& f) { return !f.isComposite() && f.type != FieldType::Table; }

// Where a block refers to a field, collect it (with the kind of coverage it gives).
void forEachFieldRef(const Array::Ptr& blocks, const std::function<void(const std::string& path, const std::string& where)>& fn,
                     const std::string& where) {
    if (!blocks) return;
    for (unsigned i = 0; i < blocks->size(); ++i) {
        auto b = blocks->getObject(i);
        if (!b) continue;
        std::string w = where + "/" + std::to_string(i);
        std::string type = b->optValue<std::string>("type", "");
        if (b->has("field")) {
            std::string field = b->getValue<std::string>("field");
            if (type == "table" && b->getArray("columns")) {
                auto cols = b->getArray("columns");
                for (unsigned c = 0; c < cols->size(); ++c) {
                    auto col = cols->getObject(c);
                    std::string name = col ? col->optValue<std::string>("field", "") : cols->getElement<std::string>(c);
                    fn(field + "." + name, w + "/columns/" + std::to_string(c));
                }
            } else if (type != "signatures" && type != "section") {
                fn(field, w + "/field");
            }
        }
        if (auto fields = b->getArray("fields"))
            for (unsigned k = 0; k < fields->size(); ++k) fn(fields->getElement<std::string>(k), w + "/fields/" + std::to_string(k));
        // A cross table also shows the fields its cells were derived from (templates/CrossTab.h).
        if (auto covers = b->getArray("covers"))
            for (unsigned k = 0; k < covers->size(); ++k) fn(covers->getElement<std::string>(k), w + "/covers/" + std::to_string(k));
        // Fields shown only through the placeholders of a signature mention or a checkbox item.
        for (const char* key : {"mention", "item"}) {
            std::string t = b->optValue<std::string>(key, "");
            for (std::size_t open = t.find('{'); open != std::string::npos; open = t.find('{', open + 1)) {
                std::size_t close = t.find('}', open);
                if (close == std::string::npos) break;
                std::string ref = t.substr(open + 1, close - open - 1);
                if (!ref.empty() && ref != "today" && ref != "documentId" && ref.rfind("form.", 0) != 0) fn(ref, w + "/" + key);
            }
        }
        if (type == "section") forEachFieldRef(b->getArray("blocks"), fn, w + "/blocks");
    }
}

void leafPaths(const std::vector<FieldDef>& fields, const std::string& prefix, std::vector<std::string>& out) {
    for (const auto& f : fields) {
        std::string p = prefix.empty() ? f.name : prefix + "." + f.name;
        if (f.fields.empty()) out.push_back(p);
        else leafPaths(f.fields, p, out);
    }
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

// ---- Composition ---------------------------------------------------------------------------------

class Composer {
public:
    Composer(const TemplateDef& t, const forms::FilledForm& filled, const ComposeOptions& o)
        : _t(t), _form(*filled.form), _data(filled.data), _o(o) {}

    Composed run() {
        Composed c;
        // The running header never shows the redaction mention: a piece naming a left-out value is dropped.
        c.setup.headerLeft = withoutRedactedPieces(_t.headerLeft);
        c.setup.headerRight = withoutRedactedPieces(_t.headerRight);
        c.setup.footer = interpolate(_t.footer);
        blocks(_t.blocks, c.blocks);
        if (!_o.recipientNotice.empty()) {
            // Under the title: to whom, when and under which consent this copy went.
            auto at = c.blocks.begin();
            if (at != c.blocks.end() && std::holds_alternative<layout::TitleBlock>(*at)) ++at;
            c.blocks.insert(at, layout::ParagraphBlock{"Copie transmise", _o.recipientNotice});
        }
        dropDoubledHeadings(c.blocks);
        return c;
    }

private:
    const TemplateDef& _t;
    const forms::FormDef& _form;
    Object::Ptr _data;
    const ComposeOptions& _o;
    layout::PairsBlock _pairs;
    std::vector<std::string> _omitted; // labels of the left-out fields since the last flush

    // True when a placeholder of `s` names a left-out field.
    bool usesRedacted(const std::string& s) const {
        for (std::size_t open = s.find('{'); open != std::string::npos; open = s.find('{', open + 1)) {
            std::size_t close = s.find('}', open);
            if (close == std::string::npos) break;
            std::string key = s.substr(open + 1, close - open - 1);
            if (_form.field(key) && redacted(key)) return true;
        }
        return false;
    }

    // A subtitle « a · {x} · {y} »: the pieces naming a left-out value are dropped rather than
    // shown as a row of mentions.
    std::string withoutRedactedPieces(const std::string& s) const {
        const std::string sep = " \u00B7 ";
        std::string out;
        std::size_t start = 0;
        while (true) {
            std::size_t at = s.find(sep, start);
            std::string piece = s.substr(start, at == std::string::npos ? std::string::npos : at - start);
            if (!usesRedacted(piece)) out += (out.empty() ? "" : sep) + interpolate(piece);
            if (at == std::string::npos) break;
            start = at + sep.size();
        }
        return out;
    }

    // "5. Actions engagées et prévues" → "actions engagées et prévues": numbering and case aside.
    static std::string headingKey(const std::string& text) {
        std::size_t i = 0;
        while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' || text[i] == ' ')) ++i;
        std::string out;
        for (std::size_t k = i; k < text.size(); ++k) out += static_cast<char>(std::tolower(static_cast<unsigned char>(text[k])));
        return out;
    }
    // A caption, label or sub-heading that repeats the heading just above it is not printed twice.
    static void dropDoubledHeadings(std::vector<layout::Block>& blocks) {
        for (std::size_t i = 1; i < blocks.size(); ++i) {
            const auto* h = std::get_if<layout::HeadingBlock>(&blocks[i - 1]);
            if (!h) continue;
            const std::string key = headingKey(h->text);
            if (key.empty()) continue;
            if (auto* t = std::get_if<layout::TableBlock>(&blocks[i]); t && headingKey(t->caption) == key) t->caption.clear();
            else if (auto* p = std::get_if<layout::ParagraphBlock>(&blocks[i]); p && headingKey(p->label) == key) p->label.clear();
            else if (auto* c = std::get_if<layout::CheckboxBlock>(&blocks[i]); c && headingKey(c->label) == key) c->label.clear();
            else if (auto* sub = std::get_if<layout::HeadingBlock>(&blocks[i]); sub && sub->level > h->level && headingKey(sub->text) == key) {
                blocks.erase(blocks.begin() + static_cast<long>(i));
                --i;
            }
        }
    }

    bool redacted(const std::string& path) const {
        for (const auto& r : _o.redacted)
            if (forms::pathCovers(r, path)) return true;
        return false;
    }

    static Var child(const Var& parent, const std::string& name) {
        if (parent.type() != typeid(Object::Ptr)) return Var();
        auto o = parent.extract<Object::Ptr>();
        return o->has(name) ? o->get(name) : Var();
    }

    // One-line rendering of any value (used for placeholders, table cells, signature names).
    std::string display(const FieldDef& f, const Var& v, const std::string& path) const {
        if (redacted(path)) return kRedactedMention;
        if (v.isEmpty()) return "";
        if (f.type == FieldType::Person) {
            std::string s;
            for (const char* k : {"civilite", "prenom", "nom"}) {
                const FieldDef* c = f.child(k);
                Var cv = child(v, k);
                if (c && !cv.isEmpty() && !cv.toString().empty()) s += (s.empty() ? "" : " ") + display(*c, cv, path + "." + k);
            }
            return s;
        }
        if (f.type == FieldType::Organisation) return display(*f.child("nom"), child(v, "nom"), path + ".nom");
        if (f.isComposite()) {
            std::string s;
            for (const auto& c : f.fields) {
                std::string cs = display(c, child(v, c.name), path + "." + c.name);
                if (!cs.empty()) s += (s.empty() ? "" : "\n") + c.label + " : " + cs;
            }
            return s;
        }
        if (f.type == FieldType::Table) {
            auto arr = v.extract<Array::Ptr>();
            return std::to_string(arr->size()) + " ligne(s)";
        }
        return forms::formatValue(f, v);
    }

    // French elision where a placeholder follows "de" or "que": "de {nom}" gives "d’Agnès".
    static void elide(std::string& out, const std::string& value) {
        if (!text::elides(value)) return;
        for (const char* word : {"de ", "De ", "que ", "Que "}) {
            const std::size_t n = std::strlen(word);
            if (out.size() < n || out.compare(out.size() - n, n, word) != 0) continue;
            if (out.size() > n && std::isalpha(static_cast<unsigned char>(out[out.size() - n - 1]))) continue; // "Bonde ", not "de "
            out.erase(out.size() - 2); // the "e "
            out += "\u2019";
            return;
        }
    }

    // `blankable`: an empty value becomes a line of dots to write on (signature mentions).
    std::string interpolate(const std::string& s, bool blankable = false) const {
        std::string out;
        std::size_t i = 0;
        while (i < s.size()) {
            std::size_t open = s.find('{', i);
            if (open == std::string::npos) { out.append(s, i, std::string::npos); break; }
            std::size_t close = s.find('}', open);
            if (close == std::string::npos) { out.append(s, i, std::string::npos); break; }
            out.append(s, i, open - i);
            std::string key = s.substr(open + 1, close - open - 1);
            std::string value;
            if (key == "page" || key == "pages") value = "{" + key + "}";
            else if (key == "documentId") value = _o.documentId;
            else if (key == "today") value = _o.today;
            else if (key == "form.title") value = _form.title;
            else if (key == "form.version") value = _form.version;
            else if (const FieldDef* f = _form.field(key)) value = display(*f, forms::lookup(_data, key), key);
            if (value.empty() && blankable) value = "____________________"; // a line to write on
            elide(out, value);
            out += value;
            i = close + 1;
        }
        return out;
    }

    void flush(std::vector<layout::Block>& out) {
        if (!_pairs.rows.empty()) {
            out.push_back(std::move(_pairs));
            _pairs = layout::PairsBlock();
        }
        if (!_omitted.empty()) {
            // One mention for every value left out here, not one per field.
            std::string list;
            for (const auto& l : _omitted) list += (list.empty() ? "" : " ; ") + l;
            out.push_back(layout::ParagraphBlock{"", std::string(kRedactedMention) + " : " + list + ".", /*muted=*/true});
            _omitted.clear();
        }
    }
    void omit(const std::string& label) {
        if (std::find(_omitted.begin(), _omitted.end(), label) == _omitted.end()) _omitted.push_back(label);
    }

    // Columns of a table: the listed ones, or every scalar sub-field holding a value in some row.
    std::vector<const FieldDef*> tableColumns(const FieldDef& f, const std::string& path, const Array::Ptr& rows,
                                              const Array::Ptr& listed, std::vector<double>& weights,
                                              std::vector<std::string>& titles) const {
        std::vector<const FieldDef*> cols;
        if (listed) {
            for (unsigned c = 0; c < listed->size(); ++c) {
                auto col = listed->getObject(c);
                std::string name = col ? col->optValue<std::string>("field", "") : listed->getElement<std::string>(c);
                const FieldDef* cf = f.child(name);
                if (!cf) continue;
                cols.push_back(cf);
                weights.push_back(col ? col->optValue<double>("weight", 1.0) : 1.0);
                titles.push_back(col ? col->optValue<std::string>("title", cf->label) : cf->label);
            }
            return cols;
        }
        for (const auto& c : f.fields) {
            // A redacted column is always shown (with the mention): its presence must not tell whether it was filled.
            bool any = c.required || redacted(path + "." + c.name);
            for (unsigned r = 0; rows && r < rows->size() && !any; ++r) {
                Var v = child(rows->get(r), c.name);
                any = !v.isEmpty() && !(v.isString() && v.extract<std::string>().empty());
            }
            if (!any) continue;
            cols.push_back(&c);
            weights.push_back(c.type == FieldType::LongText ? 3.0 : c.type == FieldType::Date || c.type == FieldType::Amount ? 1.0 : 1.5);
            titles.push_back(c.label);
        }
        return cols;
    }

    void table(const FieldDef& f, const std::string& path, const Object::Ptr& spec, std::vector<layout::Block>& out) {
        flush(out);
        if (spec && spec->getObject("pivot")) { crossTab(f, path, spec, out, /*chart=*/false); return; }
        layout::TableBlock tb;
        tb.caption = spec && spec->has("caption") ? interpolate(spec->getValue<std::string>("caption")) : f.label;
        Var v = forms::lookup(_data, path);
        Array::Ptr rows = v.type() == typeid(Array::Ptr) ? v.extract<Array::Ptr>() : nullptr;
        if (redacted(path)) {
            // The whole table is left out: one mention, no empty grid.
            omit(tb.caption.empty() ? f.label : tb.caption);
            flush(out);
            return;
        }
        std::vector<double> weights;
        std::vector<std::string> titles;
        auto allCols = tableColumns(f, path, rows, spec ? spec->getArray("columns") : nullptr, weights, titles);
        // A left-out column is not drawn; it is named once under the table, whether or not it was filled.
        std::vector<const FieldDef*> cols;
        std::vector<std::string> omittedColumns;
        for (std::size_t c = 0; c < allCols.size(); ++c) {
            if (redacted(path + "." + allCols[c]->name)) { omittedColumns.push_back(titles[c]); continue; }
            cols.push_back(allCols[c]);
            layout::Column col{titles[c], weights[c]};
            if (allCols[c]->type == FieldType::Amount || allCols[c]->type == FieldType::Integer || allCols[c]->type == FieldType::Percent)
                col.align = layout::Align::Right; // figures line up on their units
            tb.columns.push_back(col);
        }
        if (spec && spec->has("empty")) tb.emptyText = spec->getValue<std::string>("empty");
        if (rows) {
            for (unsigned r = 0; r < rows->size(); ++r) {
                std::vector<std::string> cells;
                for (const FieldDef* c : cols) cells.push_back(display(*c, child(rows->get(r), c->name), path + "." + c->name));
                tb.rows.push_back(std::move(cells));
            }
        }
        if (tb.columns.empty()) tb.columns.push_back({f.label, 1});
        const std::string tableName = tb.caption.empty() ? f.label : tb.caption;
        out.push_back(std::move(tb));
        for (const auto& c : omittedColumns) omit(tableName + " – " + c);
        flush(out);
    }

    // A long-format table shown as a matrix, or drawn as a bar chart (templates/CrossTab.h).
    void crossTab(const FieldDef& f, const std::string& path, const Object::Ptr& spec, std::vector<layout::Block>& out, bool chart) {
        flush(out);
        const std::string caption = spec->has("caption") ? interpolate(spec->getValue<std::string>("caption")) : f.label;
        if (redacted(path)) { out.push_back(layout::PairsBlock{{{caption, kRedactedMention}}}); return; }
        Var v = forms::lookup(_data, path);
        Array::Ptr rows = v.type() == typeid(Array::Ptr) ? v.extract<Array::Ptr>() : nullptr;
        auto pivot = spec->getObject("pivot");
        CrossTab t = readCrossTab(f, path, rows, pivot, [this](const FieldDef& field, const Var& value, const std::string& p) {
            return display(field, value, p);
        });
        if (chart) {
            if (!t.rowLabels.empty()) out.push_back(crossTabChart(t, caption, spec));
            return;
        }
        out.push_back(crossTabTable(t, caption, interpolate(pivot->optValue<std::string>("corner", "")),
                                    spec->optValue<std::string>("empty", "Aucune ligne.")));
    }

    // depth < 0: a group listed directly whose heading the template already gives (no sub-heading).
    void field(const FieldDef& f, const std::string& path, const Var& v, std::vector<layout::Block>& out, int depth) {
        if (f.type == FieldType::Table) { table(f, path, nullptr, out); return; }
        if (redacted(path)) { omit(f.label); return; }
        if (f.isComposite()) {
            if (v.isEmpty()) return;
            flush(out);
            if (depth >= 0) out.push_back(layout::HeadingBlock{f.label, depth == 0 ? 2 : 3});
            for (const auto& c : f.fields) field(c, path + "." + c.name, child(v, c.name), out, depth < 0 ? 1 : depth + 1);
            flush(out);
            return;
        }
        if (v.isEmpty() || (v.isString() && v.extract<std::string>().empty())) return;
        if (f.type == FieldType::LongText) {
            flush(out);
            out.push_back(layout::ParagraphBlock{f.label, forms::formatValue(f, v)});
            return;
        }
        _pairs.rows.emplace_back(f.label, forms::formatValue(f, v));
    }

    void checkboxes(const FieldDef& f, const std::string& path, const Object::Ptr& spec, std::vector<layout::Block>& out) {
        flush(out);
        layout::CheckboxBlock cb;
        cb.label = spec->has("label") ? interpolate(spec->getValue<std::string>("label")) : f.label;
        if (redacted(path)) {
            omit(cb.label);
            flush(out);
            return;
        }
        Var v = forms::lookup(_data, path);
        std::set<std::string> chosen;
        if (f.type == FieldType::Boolean && spec->has("item")) {
            // One box the person ticks (« J’accepte que … »), ticked already when the data says yes.
            cb.items.push_back({interpolate(spec->getValue<std::string>("item")), !v.isEmpty() && v.convert<bool>()});
        } else if (f.type == FieldType::Boolean) {
            cb.items.push_back({"Oui", !v.isEmpty() && v.convert<bool>()});
            cb.items.push_back({"Non", !v.isEmpty() && !v.convert<bool>()});
        } else {
            if (v.type() == typeid(Array::Ptr)) {
                auto arr = v.extract<Array::Ptr>();
                for (unsigned i = 0; i < arr->size(); ++i) chosen.insert(arr->get(i).toString());
            } else if (!v.isEmpty()) {
                chosen.insert(v.toString());
            }
            for (const auto& o : f.options) cb.items.push_back({o.label, chosen.count(o.value) > 0});
        }
        out.push_back(std::move(cb));
    }

    void records(const FieldDef& f, const std::string& path, const Object::Ptr& spec, std::vector<layout::Block>& out) {
        flush(out);
        Var v = forms::lookup(_data, path);
        if (redacted(path)) { omit(f.label); flush(out); return; }
        if (v.type() != typeid(Array::Ptr)) return;
        auto rows = v.extract<Array::Ptr>();
        std::string titleField = spec->optValue<std::string>("titleField", "");
        for (unsigned r = 0; r < rows->size(); ++r) {
            Var row = rows->get(r);
            std::string title = f.label + " " + std::to_string(r + 1);
            if (const FieldDef* tf = f.child(titleField)) {
                std::string t = display(*tf, child(row, titleField), path + "." + titleField);
                if (!t.empty()) title = t;
            }
            out.push_back(layout::HeadingBlock{title, 3});
            for (const auto& c : f.fields) {
                if (c.name == titleField && f.child(titleField)->type != FieldType::LongText) continue;
                field(c, path + "." + c.name, child(row, c.name), out, 2);
            }
            flush(out);
        }
    }

    void signatures(const Object::Ptr& spec, std::vector<layout::Block>& out) {
        flush(out);
        layout::SignatureBlock sb;
        std::vector<std::string> defaultLines;
        if (auto lines = spec->getArray("lines"))
            for (unsigned i = 0; i < lines->size(); ++i) defaultLines.push_back(interpolate(lines->getElement<std::string>(i)));
        auto parties = spec->getArray("parties");
        for (unsigned i = 0; parties && i < parties->size(); ++i) {
            auto p = parties->getObject(i);
            std::vector<std::string> lines = defaultLines;
            if (auto own = p->getArray("lines")) {
                lines.clear();
                for (unsigned k = 0; k < own->size(); ++k) lines.push_back(interpolate(own->getElement<std::string>(k)));
            }
            std::string title = interpolate(p->optValue<std::string>("title", ""));
            std::string forEach = p->optValue<std::string>("forEach", "");
            if (p->has("names")) {
                // The household's box carries its members' names when the data gives them
                // ("names": a table of persons; "namesWhere": {"column": [values]} keeps some rows);
                // "ifNoName" lines are printed only when no name is known.
                std::string name = namesOf(p->getValue<std::string>("names"), p->getObject("namesWhere"));
                std::vector<std::string> partyLines;
                if (name.empty())
                    if (auto ifNo = p->getArray("ifNoName"))
                        for (unsigned k = 0; k < ifNo->size(); ++k) partyLines.push_back(interpolate(ifNo->getElement<std::string>(k)));
                partyLines.insert(partyLines.end(), lines.begin(), lines.end());
                sb.parties.push_back({title, name, partyLines});
                continue;
            }
            if (!forEach.empty()) {
                // One block per row of a table of persons (e.g. each adult of the household who signs).
                const FieldDef* tf = _form.field(forEach);
                Var v = forms::lookup(_data, forEach);
                if (tf && v.type() == typeid(Array::Ptr)) {
                    auto rows = v.extract<Array::Ptr>();
                    for (unsigned r = 0; r < rows->size(); ++r) {
                        std::string name;
                        for (const char* k : {"prenom", "nom"}) {
                            const FieldDef* c = tf->child(k);
                            Var cv = child(rows->get(r), k);
                            if (!c || cv.isEmpty()) continue;
                            std::string part = display(*c, cv, forEach + "." + k);
                            if (part == kRedactedMention && name == kRedactedMention) continue; // said once
                            name += (name.empty() ? "" : " ") + part;
                        }
                        sb.parties.push_back({title, name, lines});
                    }
                }
                continue;
            }
            std::string name = interpolate(p->optValue<std::string>("name", ""));
            // A left-out name under a title that already says so is not repeated.
            if (title.find(kRedactedMention) != std::string::npos && name.find(kRedactedMention) != std::string::npos) name.clear();
            sb.parties.push_back({title, name, lines});
        }
        // « Fait à … , le … » above the boxes: the template's mention, dots where a value is unknown.
        sb.mention = interpolate(spec->optValue<std::string>("mention", "Fait à {}, le {}"), /*blankable=*/true);
        out.push_back(std::move(sb));
    }

    // "Yannick Le Gall et Anne Le Gall": the names of a table of persons, optionally only the rows
    // whose `column` holds one of the listed values.
    std::string namesOf(const std::string& tablePath, const Object::Ptr& where) const {
        const FieldDef* tf = _form.field(tablePath);
        if (redacted(tablePath) || redacted(tablePath + ".nom") || redacted(tablePath + ".prenom")) return kRedactedMention; // said once
        Var v = forms::lookup(_data, tablePath);
        if (!tf || v.type() != typeid(Array::Ptr)) return "";
        std::vector<std::string> names;
        auto rows = v.extract<Array::Ptr>();
        for (unsigned r = 0; r < rows->size(); ++r) {
            Var row = rows->get(r);
            bool keep = true;
            if (where)
                for (const auto& column : where->getNames()) {
                    auto allowed = where->getArray(column);
                    Var cv = child(row, column);
                    bool match = false;
                    for (unsigned k = 0; allowed && k < allowed->size(); ++k) match = match || (!cv.isEmpty() && cv.toString() == allowed->getElement<std::string>(k));
                    keep = keep && match;
                }
            if (!keep) continue;
            std::string name;
            for (const char* k : {"prenom", "nom"}) {
                const FieldDef* c = tf->child(k);
                Var cv = child(row, k);
                if (c && !cv.isEmpty()) name += (name.empty() ? "" : " ") + display(*c, cv, tablePath + "." + k);
            }
            if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
        }
        std::string out;
        for (std::size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " et " : ", ") + names[i];
        return out;
    }

    bool present(const std::string& path) const {
        // A redacted field counts as present: the copy shows the mention, never whether it was filled.
        if (redacted(path)) return true;
        Var v = forms::lookup(_data, path);
        if (v.isEmpty()) return false;
        if (v.isBoolean()) return v.convert<bool>();
        if (v.isString()) return !v.extract<std::string>().empty();
        if (v.type() == typeid(Array::Ptr)) return v.extract<Array::Ptr>()->size() > 0;
        return true;
    }

    void blocks(const Array::Ptr& arr, std::vector<layout::Block>& out) {
        if (!arr) return;
        for (unsigned i = 0; i < arr->size(); ++i) {
            auto b = arr->getObject(i);
            std::string type = b->getValue<std::string>("type");
            const FieldDef* f = b->has("field") ? _form.field(b->getValue<std::string>("field")) : nullptr;
            std::string path = b->optValue<std::string>("field", "");
            if (type == "title") {
                flush(out);
                out.push_back(layout::TitleBlock{interpolate(b->optValue<std::string>("text", _t.title)),
                                                 withoutRedactedPieces(b->optValue<std::string>("subtitle", _t.subtitle))});
            } else if (type == "heading") {
                flush(out);
                out.push_back(layout::HeadingBlock{interpolate(b->getValue<std::string>("text")), b->optValue<int>("level", 1)});
            } else if (type == "fields") {
                auto list = b->getArray("fields");
                const int depth = b->optValue<bool>("headings", true) ? 0 : -1;
                for (unsigned k = 0; k < list->size(); ++k) {
                    std::string p = list->getElement<std::string>(k);
                    if (const FieldDef* lf = _form.field(p)) field(*lf, p, forms::lookup(_data, p), out, depth);
                }
                flush(out);
            } else if (type == "paragraph") {
                flush(out);
                if (redacted(path)) { omit(interpolate(b->optValue<std::string>("label", f->label))); flush(out); }
                else {
                    Var v = forms::lookup(_data, path);
                    std::string text = v.isEmpty() ? b->optValue<std::string>("empty", "") : forms::formatValue(*f, v);
                    if (!text.empty()) out.push_back(layout::ParagraphBlock{interpolate(b->optValue<std::string>("label", f->label)), text});
                }
            } else if (type == "table") {
                table(*f, path, b, out);
            } else if (type == "chart") {
                crossTab(*f, path, b, out, /*chart=*/true);
            } else if (type == "checkboxes") {
                checkboxes(*f, path, b, out);
            } else if (type == "records") {
                records(*f, path, b, out);
            } else if (type == "text") {
                flush(out);
                out.push_back(layout::ParagraphBlock{interpolate(b->optValue<std::string>("label", "")),
                                                     interpolate(b->getValue<std::string>("text")), b->optValue<bool>("muted", false)});
            } else if (type == "signatures") {
                signatures(b, out);
            } else if (type == "spacer") {
                flush(out);
                out.push_back(layout::SpacerBlock{b->optValue<double>("height", 8)});
            } else if (type == "pagebreak") {
                flush(out);
                out.push_back(layout::PageBreakBlock{});
            } else if (type == "section") {
                std::string when = b->optValue<std::string>("when", "");
                if (!when.empty() && !present(when)) continue;
                flush(out);
                if (b->has("title")) out.push_back(layout::HeadingBlock{interpolate(b->getValue<std::string>("title")), b->optValue<int>("level", 1)});
                blocks(b->getArray("blocks"), out);
                flush(out);
            }
        }
        flush(out);
    }
};

} // namespace

Result<std::shared_ptr<const TemplateDef>> parseTemplate(const Object::Ptr& json) {
    // Strict (forms/StrictObject.h): exact JSON types and known keys only; the blocks are
    // checked key by key against the form in checkTemplate.
    auto t = std::make_shared<TemplateDef>();
    std::vector<FieldError> errors;
    forms::StrictObject so(json, "", errors);
    t->form = so.str("form").value_or("");
    t->variant = so.str("variant").value_or("");
    t->label = so.str("label").value_or(t->variant);
    t->title = so.str("title").value_or("");
    t->subtitle = so.str("subtitle").value_or("");
    if (auto header = so.object("header")) {
        forms::StrictObject ho(header, "/header", errors);
        t->headerLeft = ho.str("left").value_or("");
        t->headerRight = ho.str("right").value_or("");
        ho.finish();
    }
    t->footer = so.str("footer").value_or("{form.title} — {documentId} — page {page} / {pages}");
    t->blocks = so.array("blocks");
    so.finish();
    if (t->form.empty() && !json->has("form")) errors.push_back({"/form", "missing_form", "Le modèle doit nommer son formulaire."});
    if (t->variant.empty() && !json->has("variant")) errors.push_back({"/variant", "missing_variant", "Le modèle doit nommer sa variante."});
    if (!t->blocks && !json->has("blocks")) errors.push_back({"/blocks", "missing_blocks", "Le modèle ne contient aucun bloc."});
    if (!errors.empty()) return Status::invalidArgument("template_invalid", "Modèle invalide.", errors);
    return std::shared_ptr<const TemplateDef>(t);
}

// Bounds of the numeric layout parameters (points, levels, relative weights): a value outside
// them would draw outside the page or corrupt the content stream (a spacer of -1e308).
constexpr double kMaxSpacerPt = 400;      // about half an A4 page
constexpr double kMinColumnWeight = 0.05; // relative to the other columns of the table
constexpr double kMaxColumnWeight = 100;
constexpr long long kMaxHeadingLevel = 3;

std::vector<FieldError> checkTemplate(const TemplateDef& t, const forms::FormDef& form) {
    std::vector<FieldError> errors;
    std::function<void(const Array::Ptr&, const std::string&)> walk = [&](const Array::Ptr& blocks, const std::string& where) {
        for (unsigned i = 0; blocks && i < blocks->size(); ++i) {
            std::string w = where + "/" + std::to_string(i);
            auto b = blocks->getObject(i);
            if (!b) { errors.push_back({w, "bad_block", "Bloc invalide : objet { \"type\": … } attendu."}); continue; }
            forms::StrictObject so(b, w, errors);
            std::string type = so.str("type", /*required=*/true).value_or("");
            if (!blockTypes().count(type)) {
                if (b->has("type") && b->get("type").isString())
                    errors.push_back({w + "/type", "unknown_block", "Type de bloc inconnu : « " + type + " »."});
                continue;
            }
            bool needsField = type == "paragraph" || type == "table" || type == "checkboxes" || type == "records" || type == "chart";
            if (type == "chart" && !b->getObject("pivot"))
                errors.push_back({w + "/pivot", "missing_pivot", "Un graphique décrit ses lignes et colonnes dans « pivot »."});
            std::optional<std::string> fieldName;
            if (needsField) {
                fieldName = so.str("field");
                if (!b->has("field")) errors.push_back({w + "/field", "missing_field", "Ce bloc doit nommer un champ."});
            }
            const FieldDef* f = fieldName ? form.field(*fieldName) : nullptr; // unknown: reported by forEachFieldRef
            if (f) {
                if ((type == "table" || type == "records" || type == "chart") && f->type != FieldType::Table)
                    errors.push_back({w + "/field", "not_a_table", "Ce bloc attend un champ de type tableau."});
                else if (auto pivot = b->getObject("pivot"))
                    for (const auto& name : crossTabFields(pivot))
                        if (!f->child(name))
                            errors.push_back({w + "/pivot", "unknown_field", "Champ inconnu du tableau « " + f->name + " » : « " + name + " »."});
                if (type == "checkboxes" && f->type != FieldType::Enum && f->type != FieldType::Boolean)
                    errors.push_back({w + "/field", "not_a_choice", "Ce bloc attend un champ à choix."});
                if (type == "paragraph" && !isScalar(*f))
                    errors.push_back({w + "/field", "not_a_text", "Ce bloc attend un champ simple."});
            }
            if (type == "title") {
                so.str("text");
                so.str("subtitle");
            } else if (type == "heading" || type == "text") {
                so.str("text");
                if (!b->has("text")) errors.push_back({w + "/text", "missing_text", "Ce bloc doit avoir un texte."});
                if (type == "heading") so.integer("level", 1, kMaxHeadingLevel);
                else { so.str("label"); so.boolean("muted"); }
            } else if (type == "fields") {
                so.strings("fields");
                if (!b->has("fields")) errors.push_back({w + "/fields", "missing_fields", "Liste de champs attendue."});
                so.boolean("headings");
            } else if (type == "paragraph") {
                so.str("label");
                so.str("empty");
            } else if (type == "checkboxes") {
                so.str("label");
                so.str("item");
            } else if (type == "records") {
                if (auto tf = so.str("titleField"); tf && f && f->type == FieldType::Table && !f->child(*tf))
                    errors.push_back({w + "/titleField", "unknown_field", "Colonne inconnue du tableau : « " + *tf + " »."});
            } else if (type == "table" || type == "chart") {
                so.str("caption");
                so.str("empty");
                // Cross tables and charts (templates/CrossTab.h): checked when composed.
                so.object("pivot");
                so.strings("covers");
                if (type == "chart") {
                    so.boolean("stacked");
                    so.str("categoryTitle");
                    so.str("valueTitle");
                }
                auto cols = so.array("columns");
                for (unsigned c = 0; cols && c < cols->size(); ++c) {
                    const std::string cw = w + "/columns/" + std::to_string(c);
                    Var col = cols->get(c);
                    if (col.isString()) continue;
                    if (col.type() != typeid(Object::Ptr)) {
                        errors.push_back({cw, "type", "Type incorrect : nom de colonne ou objet {\"field\", \"weight\", \"title\"} attendu, trouvé " +
                                                          forms::describeJsonValue(col) + "."});
                        continue;
                    }
                    forms::StrictObject co(col.extract<Object::Ptr>(), cw, errors);
                    co.str("field", /*required=*/true);
                    co.number("weight", kMinColumnWeight, kMaxColumnWeight);
                    co.str("title");
                    co.finish();
                }
            } else if (type == "signatures") {
                so.strings("lines");
                so.str("mention");
                auto parties = so.array("parties");
                for (unsigned k = 0; parties && k < parties->size(); ++k) {
                    const std::string pw = w + "/parties/" + std::to_string(k);
                    auto p = parties->getObject(k);
                    if (!p) {
                        errors.push_back({pw, "type", "Type incorrect : objet {\"title\", \"name\", \"lines\", \"forEach\"} attendu, trouvé " +
                                                          forms::describeJsonValue(parties->get(k)) + "."});
                        continue;
                    }
                    forms::StrictObject po(p, pw, errors);
                    po.str("title");
                    po.str("name");
                    po.strings("lines");
                    po.str("names");
                    po.object("namesWhere");
                    po.strings("ifNoName");
                    std::string fe = po.str("forEach").value_or("");
                    po.finish();
                    if (!fe.empty() && (!form.field(fe) || form.field(fe)->type != FieldType::Table))
                        errors.push_back({pw + "/forEach", "not_a_table", "forEach doit nommer un tableau."});
                }
            } else if (type == "spacer") {
                so.number("height", 0, kMaxSpacerPt);
            } else if (type == "section") {
                so.str("title");
                so.integer("level", 1, kMaxHeadingLevel);
                if (auto when = so.str("when"); when && !when->empty() && !form.field(*when))
                    errors.push_back({w + "/when", "unknown_field", "Champ inconnu du formulaire : « " + *when + " »."});
                auto inner = so.array("blocks");
                if (!b->has("blocks")) errors.push_back({w + "/blocks", "missing_blocks", "Une section doit contenir des blocs."});
                walk(inner, w + "/blocks");
            }
            so.finish();
        }
    };
    walk(t.blocks, "/blocks");
    // The field references are read only from blocks whose keys have the right types.
    if (!errors.empty()) return errors;
    forEachFieldRef(t.blocks, [&](const std::string& path, const std::string& where) {
        if (!form.field(path)) errors.push_back({where, "unknown_field", "Champ inconnu du formulaire : « " + path + " »."});
    }, "/blocks");
    return errors;
}

std::vector<std::string> uncoveredFields(const TemplateDef& t, const forms::FormDef& form) {
    std::vector<std::string> refs;
    forEachFieldRef(t.blocks, [&](const std::string& path, const std::string&) { refs.push_back(path); }, "");
    std::vector<std::string> leaves, out;
    leafPaths(form.fields, "", leaves);
    for (const auto& leaf : leaves) {
        bool covered = false;
        for (const auto& r : refs)
            if (forms::pathCovers(r, leaf)) covered = true;
        if (!covered) out.push_back(leaf);
    }
    return out;
}

Result<std::shared_ptr<TemplateRegistry>> TemplateRegistry::loadDirectory(const std::string& directory,
                                                                          const forms::FormRegistry& forms) {
    auto registry = std::make_shared<TemplateRegistry>();
    try {
        for (Poco::DirectoryIterator it(directory), end; it != end; ++it) {
            if (!it->isFile() || Poco::Path(it->path()).getExtension() != "json") continue;
            const std::string file = it->path();
            auto json = forms::parseJsonObject(readFile(file));
            if (!json.isOk()) return Status::internal("template_file_invalid", file + " : " + json.status().message());
            auto t = parseTemplate(json.value());
            if (!t.isOk()) return Status::internal("template_file_invalid", file + " : " + t.status().toString());
            const TemplateDef& def = *t.value();
            if (Poco::Path(file).getBaseName() != def.form + "." + def.variant)
                return Status::internal("template_file_invalid", file + " : le fichier doit s'appeler <formulaire>.<variante>.json");
            auto form = forms.find(def.form);
            if (!form) return Status::internal("template_file_invalid", file + " : formulaire inconnu « " + def.form + " ».");
            if (!form->variant(def.variant))
                return Status::internal("template_file_invalid", file + " : variante « " + def.variant + " » non déclarée par le formulaire.");
            std::vector<FieldError> errors;
            try {
                errors = checkTemplate(def, *form);
            } catch (const std::exception& e) {
                return Status::internal("template_file_invalid", file + " : modèle illisible (" + e.what() + ")");
            }
            if (!errors.empty())
                return Status::internal("template_file_invalid",
                                        file + " : " + Status::invalidArgument("template_invalid", "Modèle invalide.", errors).toString());
            registry->_templates[{def.form, def.variant}] = t.value();
        }
    } catch (const Poco::Exception& e) {
        return Status::internal("templates_directory", "Répertoire des modèles illisible : " + directory + " (" + e.displayText() + ")");
    }
    return registry;
}

std::shared_ptr<const TemplateDef> TemplateRegistry::find(const std::string& form, const std::string& variant) const {
    auto it = _templates.find({form, variant});
    return it == _templates.end() ? nullptr : it->second;
}

Composed compose(const TemplateDef& t, const forms::FilledForm& filled, const ComposeOptions& options) {
    return Composer(t, filled, options).run();
}

} // namespace passerelle::templates
