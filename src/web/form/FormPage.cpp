#include "web/form/FormPage.h"

#include "common/Date.h"

#include <cstdio>
#include <functional>
#include <map>

#include <Poco/JSON/Array.h>

#include "common/Text.h"
#include "forms/Format.h"
#include "forms/Validator.h"

namespace passerelle::web {

using forms::FieldDef;
using forms::FieldType;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

std::string fieldId(const std::string& pointer) {
    std::string id = "f";
    for (unsigned char c : pointer) {
        if (c == '/') id.push_back('-');
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
            id.push_back(static_cast<char>(c));
        else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "_x%02x_", c);
            id += buf;
        }
    }
    return id;
}

namespace {

// Enumerations with more options than this are a <select>; fewer are radios
// (GOV.UK: radios when there are few options, all visible at once).
constexpr std::size_t kMaxRadioOptions = 7;
// The index placeholder of the row template a script clones (never submitted:
// it sits in an inert <template> element).
const char* const kRowPlaceholder = "__i__";

// "20000" -> "20 000" (no-break space between groups, as money::format does).
std::string groupThousands(long n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += "\xC2\xA0";
        out.push_back(digits[i]);
    }
    return out;
}

// ---- Values ---------------------------------------------------------------------------------

Var member(const Object::Ptr& obj, const std::string& name) {
    if (!obj || !obj->has(name)) return Var();
    return obj->get(name);
}

Object::Ptr asObject(const Var& v) {
    if (!v.isEmpty() && v.type() == typeid(Object::Ptr)) return v.extract<Object::Ptr>();
    return nullptr;
}

Array::Ptr asArray(const Var& v) {
    if (!v.isEmpty() && v.type() == typeid(Array::Ptr)) return v.extract<Array::Ptr>();
    return nullptr;
}

// The text an input shows for a stored value: as typed for strings; numbers
// with a decimal comma for percentages.
std::string inputText(const FieldDef& f, const Var& v) {
    if (v.isEmpty()) return "";
    if (v.isString()) {
        const std::string& text = v.extract<std::string>();
        // Dates are shown in the French format the page asks for (the value stays ISO in JSON).
        if (f.type == FieldType::Date && Date::parseIso(text)) return text.substr(8, 2) + "/" + text.substr(5, 2) + "/" + text.substr(0, 4);
        return text;
    }
    if (v.isBoolean()) return v.convert<bool>() ? "true" : "false";
    std::string s = v.toString();
    if (f.type == FieldType::Percent)
        for (char& c : s)
            if (c == '.') c = ',';
    return s;
}

// ---- The tree of a page: built first, errors attached, then turned into Mustache ------------

struct Option {
    std::string value, label, id;
    bool checked = false;
};

struct Node;
struct Row {
    std::string pointer, id, legend, number;
    std::vector<Node> fields;
};

struct Node {
    const FieldDef* def = nullptr;
    std::string pointer, id, labelChain;
    std::string value;
    std::vector<Option> options;
    std::vector<Node> children;   // group, person, organisation
    std::vector<Row> rows;        // table
    std::vector<Row> templateRow; // table: one row with the placeholder index
    std::vector<std::string> errors;
    std::string computedValue;    // computed scalar, formatted
    std::vector<std::string> computedColumns;
    std::vector<std::vector<std::string>> computedRows;
    bool computedKnown = false;
};

std::string rowLegend(const FieldDef& table, const std::string& number) {
    return table.label + ", ligne " + number;
}

class Builder {
public:
    explicit Builder(const FormPageInput& in) : _in(in) {}

    Node field(const FieldDef& f, const std::string& pointer, const std::string& parentChain, const Var& value,
               const Var& computed, bool inTemplate) {
        Node n;
        n.def = &f;
        n.pointer = pointer;
        n.id = fieldId(pointer);
        n.labelChain = parentChain.empty() ? f.label : parentChain + " › " + f.label;
        if (!f.computed.empty()) {
            computedNode(n, f, computed);
            return n;
        }
        switch (f.type) {
        case FieldType::Group:
        case FieldType::Person:
        case FieldType::Organisation: {
            Object::Ptr obj = asObject(value), cobj = asObject(computed);
            for (const auto& c : f.fields)
                n.children.push_back(field(c, pointer + "/" + forms::pointerSegment(c.name), n.labelChain,
                                           member(obj, c.name), member(cobj, c.name), inTemplate));
            break;
        }
        case FieldType::Table: {
            Array::Ptr arr = asArray(value), carr = asArray(computed);
            std::size_t count = arr ? arr->size() : 0;
            // A table that needs rows starts with one empty row to type in.
            if (count == 0 && (f.required || (f.minItems && *f.minItems > 0))) count = 1;
            for (std::size_t i = 0; i < count; ++i) {
                Var rv = arr && i < arr->size() ? arr->get(static_cast<unsigned>(i)) : Var();
                Var cv = carr && i < carr->size() ? carr->get(static_cast<unsigned>(i)) : Var();
                n.rows.push_back(row(f, pointer, std::to_string(i), std::to_string(i + 1), n.labelChain, rv, cv, inTemplate));
            }
            if (!inTemplate)
                n.templateRow.push_back(row(f, pointer, kRowPlaceholder, "__n__", n.labelChain, Var(), Var(), true));
            break;
        }
        case FieldType::Enum:
            if (f.multiple) {
                std::set<std::string> chosen;
                if (Array::Ptr arr = asArray(value))
                    for (unsigned i = 0; i < arr->size(); ++i) chosen.insert(arr->get(i).toString());
                else if (value.isString())
                    chosen.insert(value.extract<std::string>());
                options(n, f.options, [&](const std::string& v) { return chosen.count(v) > 0; });
            } else {
                n.value = inputText(f, value);
                options(n, f.options, [&](const std::string& v) { return !value.isEmpty() && n.value == v; });
            }
            break;
        case FieldType::Boolean: {
            n.value = inputText(f, value);
            std::vector<forms::EnumOption> yesNo = {{"true", "Oui"}, {"false", "Non"}};
            options(n, yesNo, [&](const std::string& v) { return n.value == v; });
            break;
        }
        default:
            n.value = inputText(f, value);
        }
        return n;
    }

    Row row(const FieldDef& table, const std::string& tablePointer, const std::string& index, const std::string& number,
            const std::string& chain, const Var& value, const Var& computed, bool inTemplate) {
        Row r;
        r.pointer = tablePointer + "/" + index;
        r.id = fieldId(r.pointer);
        r.number = number;
        r.legend = rowLegend(table, number);
        Object::Ptr obj = asObject(value), cobj = asObject(computed);
        std::string rowChain = chain + ", ligne " + number;
        for (const auto& c : table.fields)
            r.fields.push_back(field(c, r.pointer + "/" + forms::pointerSegment(c.name), rowChain, member(obj, c.name),
                                     member(cobj, c.name), inTemplate));
        return r;
    }

private:
    template <typename Checked>
    void options(Node& n, const std::vector<forms::EnumOption>& opts, Checked&& checked) {
        for (std::size_t i = 0; i < opts.size(); ++i) {
            Option o;
            o.value = opts[i].value;
            o.label = opts[i].label;
            // GOV.UK: the first option's id is the field's, so the error summary's link lands on it.
            o.id = i == 0 ? n.id : n.id + "--" + std::to_string(i + 1);
            o.checked = checked(o.value);
            n.options.push_back(std::move(o));
        }
    }

    void computedNode(Node& n, const FieldDef& f, const Var& computed) {
        if (computed.isEmpty()) return;
        n.computedKnown = true;
        if (f.type != FieldType::Table) {
            n.computedValue = forms::formatValue(f, computed);
            return;
        }
        for (const auto& c : f.fields) n.computedColumns.push_back(c.label);
        if (Array::Ptr arr = asArray(computed))
            for (unsigned i = 0; i < arr->size(); ++i) {
                Object::Ptr obj = asObject(arr->get(i));
                std::vector<std::string> cells;
                for (const auto& c : f.fields) cells.push_back(forms::formatValue(c, member(obj, c.name)));
                n.computedRows.push_back(std::move(cells));
            }
    }

    const FormPageInput& _in;
};

// ---- Errors: each one goes to the nearest element the page shows -------------------------------

void index(Node& n, std::map<std::string, Node*>& byPointer) {
    byPointer[n.pointer] = &n;
    for (auto& c : n.children) index(c, byPointer);
    for (auto& r : n.rows)
        for (auto& c : r.fields) index(c, byPointer);
}

std::string parentPointer(const std::string& p) {
    std::size_t slash = p.rfind('/');
    return slash == std::string::npos || slash == 0 ? "" : p.substr(0, slash);
}

// ---- Mustache ---------------------------------------------------------------------------------

mstch::node toMustache(const Node& n);

mstch::array fieldsToMustache(const std::vector<Node>& nodes) {
    mstch::array out;
    out.reserve(nodes.size());
    for (const auto& c : nodes) out.push_back(toMustache(c));
    return out;
}

mstch::array rowsToMustache(const std::vector<Row>& rows, bool isTemplate) {
    mstch::array out;
    for (const auto& r : rows) {
        mstch::map m{{"rowPointer", r.pointer},
                     {"rowId", r.id},
                     {"rowLegend", r.legend},
                     {"rowNumber", r.number},
                     {"removeAction", std::string("remove:") + r.pointer},
                     {"isTemplateRow", isTemplate}};
        m.emplace("fields", fieldsToMustache(r.fields));
        out.push_back(std::move(m));
    }
    return out;
}

mstch::node toMustache(const Node& n) {
    const FieldDef& f = *n.def;
    const bool computed = !f.computed.empty();
    const bool composite = f.isComposite();
    const bool table = f.type == FieldType::Table;
    const bool isEnum = f.type == FieldType::Enum;
    const bool checkboxes = !computed && isEnum && f.multiple;
    const bool radios = !computed && ((isEnum && !f.multiple && f.options.size() <= kMaxRadioOptions) ||
                                      f.type == FieldType::Boolean);
    const bool select = !computed && isEnum && !f.multiple && f.options.size() > kMaxRadioOptions;
    auto is = [&](FieldType t) { return !computed && f.type == t; };

    std::string hintId = n.id + "--hint", errorId = n.id + "--error";
    std::string describedBy;
    std::string hint = f.help;
    if (is(FieldType::Amount) && hint.empty()) hint = "En euros, par exemple 1 234,56.";
    if (is(FieldType::Percent) && hint.empty()) hint = "Par exemple 27,5.";
    if (is(FieldType::Date) && hint.empty()) hint = "Au format jj/mm/aaaa, par exemple 22/11/2026.";
    if (is(FieldType::LongText) && f.maxLength && hint.empty())
        hint = "Vous pouvez saisir jusqu’à " + groupThousands(*f.maxLength) + " caractères.";
    if (!hint.empty()) describedBy = hintId;
    if (!n.errors.empty()) describedBy += (describedBy.empty() ? "" : " ") + errorId;
    std::string errorText;
    for (const auto& e : n.errors) errorText += (errorText.empty() ? "" : " ") + e;

    mstch::array options;
    for (const auto& o : n.options)
        options.push_back(mstch::map{{"optionValue", o.value}, {"optionLabel", o.label}, {"optionId", o.id},
                                     {"checked", o.checked}});
    mstch::array columns, crow;
    for (const auto& c : n.computedColumns) columns.push_back(mstch::map{{"column", c}});
    for (const auto& r : n.computedRows) {
        mstch::array cells;
        for (const auto& c : r) cells.push_back(mstch::map{{"cell", c}});
        crow.push_back(mstch::map{{"cells", cells}});
    }
    std::string inputMode = is(FieldType::Integer) ? "numeric" : (is(FieldType::Amount) || is(FieldType::Percent)) ? "decimal" : "";
    // Nested arrays are moved in, not copied from an initializer list (each level would copy the subtree).
    mstch::map m{
        {"pointer", n.pointer},
        {"id", n.id},
        {"label", f.label},
        {"hint", hint},
        {"hasHint", !hint.empty()},
        {"hintId", hintId},
        {"errorId", errorId},
        {"hasError", !n.errors.empty()},
        {"errorMessage", errorText},
        {"describedBy", describedBy},
        {"hasDescribedBy", !describedBy.empty()},
        {"optional", !f.required},
        {"value", n.value},
        {"inputMode", inputMode},
        {"hasInputMode", !inputMode.empty()},
        {"maxLength", f.maxLength ? std::to_string(*f.maxLength) : std::string()},
        {"hasMaxLength", static_cast<bool>(f.maxLength)},
        {"isText", is(FieldType::Text)},
        {"isLongText", is(FieldType::LongText)},
        {"isDate", is(FieldType::Date)},
        {"isAmount", is(FieldType::Amount)},
        {"isInteger", is(FieldType::Integer)},
        {"isPercent", is(FieldType::Percent)},
        {"isRadios", radios},
        {"isInlineRadios", radios && (f.type == FieldType::Boolean || f.options.size() <= 2)},
        {"isSelect", select},
        {"isCheckboxes", checkboxes},
        {"isGroup", !computed && composite},
        {"isTable", !computed && table},
        {"isComputed", computed && !table},
        {"isComputedTable", computed && table},
        {"computedKnown", n.computedKnown},
        {"computedValue", n.computedValue},
        {"computedColumns", std::move(columns)},
        {"computedRows", std::move(crow)},
        {"hasComputedRows", !crow.empty()},
        {"hasRows", !n.rows.empty()},
        {"addAction", std::string("add:") + n.pointer},
        {"rowLabel", f.label},
        {"hasChildren", !n.children.empty()},
    };
    m.emplace("options", std::move(options));
    m.emplace("fields", fieldsToMustache(n.children));
    m.emplace("rows", rowsToMustache(n.rows, false));
    m.emplace("templateRow", rowsToMustache(n.templateRow, true));
    return m;
}

// Field paths a template refers to, split into those shown unconditionally
// and those inside a `section` whose `when` is `name` (both as dotted paths).
void templateRefs(const Poco::JSON::Array::Ptr& blocks, const std::string& when, std::set<std::string>& always,
                  std::map<std::string, std::set<std::string>>& conditional) {
    if (!blocks) return;
    for (unsigned i = 0; i < blocks->size(); ++i) {
        Object::Ptr b = blocks->getObject(i);
        if (!b) continue;
        auto add = [&](const std::string& path) {
            if (when.empty()) always.insert(path);
            else conditional[when].insert(path);
        };
        if (b->has("field") && b->get("field").isString()) add(b->getValue<std::string>("field"));
        if (Array::Ptr fs = b->getArray("fields"))
            for (unsigned j = 0; j < fs->size(); ++j)
                if (fs->get(j).isString()) add(fs->getElement<std::string>(j));
        if (Array::Ptr inner = b->getArray("blocks")) {
            std::string w = b->has("when") ? b->getValue<std::string>("when") : std::string();
            templateRefs(inner, w.empty() ? when : w, always, conditional);
        }
    }
}

} // namespace

FormPage buildFormPage(const FormPageInput& in) {
    FormPage page;
    Builder b(in);
    std::vector<Node> nodes;
    for (const auto& f : in.form->fields) {
        if (in.hiddenFields.count(f.name)) continue;
        nodes.push_back(b.field(f, "/" + forms::pointerSegment(f.name), "", member(in.values, f.name),
                                member(in.computed, f.name), false));
    }
    std::map<std::string, Node*> byPointer;
    for (auto& n : nodes) index(n, byPointer);

    // Each error goes to the nearest element shown (an error on an option of a
    // multiple choice, "/motifs/1", goes to "/motifs"); in the summary it links
    // to that element and is named by the field's French label.
    mstch::array summary;
    for (const auto& e : in.errors) {
        std::string p = e.path;
        Node* owner = nullptr;
        while (!p.empty()) {
            auto it = byPointer.find(p);
            if (it != byPointer.end()) {
                owner = it->second;
                break;
            }
            p = parentPointer(p);
        }
        std::string label = owner ? owner->labelChain : qualifiedLabel(*in.form, e.path);
        std::string message = e.message;
        bool named = false;
        // The page asks for jj/mm/aaaa (the API's message speaks of ISO dates): say so, naming the field.
        if (e.rule == "date_format" && owner && owner->def && owner->def->type == FieldType::Date) {
            message = "« " + owner->def->label + " » n’est pas une date valide : saisissez-la au format jj/mm/aaaa, par exemple 22/11/2026.";
            named = true;
        }
        std::string text = label.empty() || named ? message : label + " : " + message;
        if (owner) owner->errors.push_back(message);
        summary.push_back(mstch::map{{"href", owner ? "#" + owner->id : std::string()},
                                     {"hasHref", owner != nullptr},
                                     {"text", text}});
    }
    for (const auto& [pointer, node] : byPointer) {
        page.ids.push_back(node->id);
        (void)pointer;
    }
    page.context = mstch::map{{"hasErrors", !summary.empty()},
                              {"errorSummary", summary},
                              {"errorCount", static_cast<int>(summary.size())},
                              {"errorTitle", summary.size() == 1 ? std::string("Il y a un problème")
                                                                 : "Il y a " + std::to_string(summary.size()) + " problèmes"}};
    page.context.emplace("fields", fieldsToMustache(nodes));
    return page;
}

std::set<std::string> fieldsOfOtherVariants(const templates::TemplateRegistry& templates, const forms::FormDef& form,
                                            const std::string& variant) {
    std::set<std::string> hidden;
    auto mine = templates.find(form.id, variant);
    if (!mine) return hidden;
    std::set<std::string> always;
    std::map<std::string, std::set<std::string>> conditional;
    templateRefs(mine->blocks, "", always, conditional);
    auto laysOut = [](const std::set<std::string>& refs, const std::string& name) {
        for (const auto& r : refs)
            if (r.size() > name.size() && r.compare(0, name.size() + 1, name + ".") == 0) return true;
        return false;
    };
    for (const auto& f : form.fields) {
        // Here: only reproduced whole, and only when filled.
        auto it = conditional.find(f.name);
        if (it == conditional.end() || always.count(f.name) || laysOut(always, f.name)) continue;
        bool onlyWhole = true;
        for (const auto& [when, refs] : conditional)
            if (laysOut(refs, f.name) || (when != f.name && refs.count(f.name))) onlyWhole = false;
        if (!onlyWhole) continue;
        // Another variant lays it out field by field: it is that variant's part.
        for (const auto& v : form.variants) {
            if (v.name == variant) continue;
            auto other = templates.find(form.id, v.name);
            if (!other) continue;
            std::set<std::string> otherAlways;
            std::map<std::string, std::set<std::string>> otherConditional;
            templateRefs(other->blocks, "", otherAlways, otherConditional);
            bool detailed = laysOut(otherAlways, f.name);
            for (const auto& [when, refs] : otherConditional) detailed = detailed || laysOut(refs, f.name);
            if (detailed) hidden.insert(f.name);
        }
    }
    return hidden;
}

std::string qualifiedLabel(const forms::FormDef& form, const std::string& pointer) {
    if (pointer.empty() || pointer[0] != '/') return "";
    const std::vector<FieldDef>* level = &form.fields;
    const FieldDef* table = nullptr;
    std::string out;
    std::size_t pos = 1;
    while (pos <= pointer.size()) {
        std::size_t next = pointer.find('/', pos);
        std::string seg = pointer.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
        pos = next == std::string::npos ? pointer.size() + 1 : next + 1;
        if (table) {
            bool digits = !seg.empty() && seg.find_first_not_of("0123456789") == std::string::npos;
            if (!digits) return out;
            out += ", ligne " + std::to_string(std::stol(seg) + 1);
            level = &table->fields;
            table = nullptr;
            continue;
        }
        const FieldDef* f = nullptr;
        for (const auto& c : *level)
            if (c.name == seg) f = &c;
        if (!f) return out;
        out += (out.empty() ? "" : " › ") + f->label;
        if (f->type == FieldType::Table) table = f;
        level = &f->fields;
    }
    return out;
}

} // namespace passerelle::web
