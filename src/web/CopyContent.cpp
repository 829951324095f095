#include "web/CopyContent.h"

#include <Poco/JSON/Array.h>

#include "common/Date.h"
#include "common/Money.h"

namespace passerelle::web {

namespace {

using forms::FieldDef;
using forms::FieldType;
using JObject = Poco::JSON::Object;
using JArray = Poco::JSON::Array;

const char* SEP = " › ";

std::string scalarText(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return {};
    try {
        return v.toString();
    } catch (...) {
        return {};
    }
}

// One value as a person reads it: dates 22/11/2026, amounts 1 234,56 €, choices by their label.
std::string valueText(const FieldDef& f, const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return {};
    if (f.type == FieldType::Enum && f.multiple && v.type() == typeid(JArray::Ptr)) {
        auto a = v.extract<JArray::Ptr>();
        std::string out;
        for (unsigned i = 0; a && i < a->size(); ++i) {
            std::string one = scalarText(a->get(i));
            if (const auto* o = f.option(scalarText(a->get(i)))) one = o->label;
            out += (out.empty() ? "" : ", ") + one;
        }
        return out;
    }
    if (v.type() == typeid(JObject::Ptr) || v.type() == typeid(JArray::Ptr)) return {};
    const std::string raw = scalarText(v);
    switch (f.type) {
    case FieldType::Enum:
        if (const auto* o = f.option(raw)) return o->label;
        return raw;
    case FieldType::Boolean:
        if (v.isBoolean()) return v.convert<bool>() ? "Oui" : "Non";
        return raw == "true" ? "Oui" : raw == "false" ? "Non" : raw;
    case FieldType::Date:
        if (auto d = Date::parseIso(raw)) return d->french();
        return raw;
    case FieldType::Amount: {
        std::optional<money::Cents> c = v.isString() ? money::parse(raw) : money::fromDouble(v.convert<double>());
        return c ? money::format(*c) : raw;
    }
    case FieldType::Percent: {
        std::string s = raw;
        for (char& ch : s)
            if (ch == '.') ch = ',';
        return s + "\u00a0%";
    }
    default:
        return raw;
    }
}

// A table's rows: one column per field of a row (composite columns joined "label : value").
mstch::map tableOf(const FieldDef& f, const JArray::Ptr& rows, const std::string& caption) {
    mstch::array headers;
    for (const auto& c : f.fields) headers.push_back(mstch::map{{"label", c.label}});
    mstch::array outRows;
    for (unsigned i = 0; rows && i < rows->size(); ++i) {
        auto row = rows->getObject(i);
        if (!row) continue;
        mstch::array cells;
        bool any = false;
        for (const auto& c : f.fields) {
            std::string text;
            if (row->has(c.name)) {
                auto cv = row->get(c.name);
                if (c.isComposite() && cv.type() == typeid(JObject::Ptr)) {
                    auto o = cv.extract<JObject::Ptr>();
                    for (const auto& sub : c.fields)
                        if (o && o->has(sub.name)) {
                            std::string t = valueText(sub, o->get(sub.name));
                            if (!t.empty()) text += (text.empty() ? "" : " ; ") + sub.label + " : " + t;
                        }
                } else {
                    text = valueText(c, cv);
                }
            }
            if (!text.empty()) any = true;
            cells.push_back(mstch::map{{"value", text.empty() ? std::string("—") : text}});
        }
        if (any) outRows.push_back(mstch::map{{"cells", cells}});
    }
    return mstch::map{{"caption", caption}, {"headers", headers}, {"rows", outRows}, {"hasRows", !outRows.empty()}};
}

// The groups of a composite value: its own scalar fields (and tables) under `title`, then one
// group per composite child, titled by the label path below the section ("Pouvoir louer › Ressources").
void addGroups(const FieldDef& f, const JObject::Ptr& o, const std::string& title, mstch::array& groups) {
    if (!o) return;
    mstch::array entries, tables;
    std::vector<const FieldDef*> children;
    for (const auto& c : f.fields) {
        if (!o->has(c.name)) continue;
        auto v = o->get(c.name);
        if (c.type == FieldType::Table) {
            if (v.type() != typeid(JArray::Ptr)) continue;
            auto t = tableOf(c, v.extract<JArray::Ptr>(), title.empty() ? c.label : title + SEP + c.label);
            if (boost::get<bool>(t["hasRows"])) tables.push_back(t);
        } else if (c.isComposite()) {
            children.push_back(&c);
        } else {
            std::string text = valueText(c, v);
            if (!text.empty()) entries.push_back(mstch::map{{"label", c.label}, {"value", text}});
        }
    }
    if (!entries.empty() || !tables.empty())
        groups.push_back(mstch::map{{"title", title},
                                    {"hasTitle", !title.empty()},
                                    {"entries", entries},
                                    {"hasEntries", !entries.empty()},
                                    {"tables", tables}});
    for (const FieldDef* c : children) {
        auto v = o->get(c->name);
        if (v.type() == typeid(JObject::Ptr))
            addGroups(*c, v.extract<JObject::Ptr>(), title.empty() ? c->label : title + SEP + c->label, groups);
    }
}

mstch::map section(const std::string& title, mstch::array groups) {
    return mstch::map{{"title", title}, {"groups", std::move(groups)}};
}

} // namespace

mstch::array copySections(const forms::FormDef& def, const Poco::JSON::Object::Ptr& data) {
    mstch::array sections;
    if (!data) return sections;
    // The top-level scalar fields first, as one section.
    forms::FieldDef top;
    top.type = FieldType::Group;
    for (const auto& f : def.fields)
        if (!f.isComposite() && f.type != FieldType::Table) top.fields.push_back(f);
    mstch::array general;
    addGroups(top, data, "", general);
    if (!general.empty()) sections.push_back(section("Informations générales", general));
    for (const auto& f : def.fields) {
        if (!data->has(f.name)) continue;
        auto v = data->get(f.name);
        mstch::array groups;
        if (f.type == FieldType::Table) {
            forms::FieldDef wrapper;
            wrapper.type = FieldType::Group;
            wrapper.fields.push_back(f);
            Poco::JSON::Object::Ptr o = new JObject;
            o->set(f.name, v);
            addGroups(wrapper, o, "", groups);
        } else if (f.isComposite() && v.type() == typeid(JObject::Ptr)) {
            addGroups(f, v.extract<JObject::Ptr>(), "", groups);
        }
        if (!groups.empty()) sections.push_back(section(f.label, groups));
    }
    return sections;
}

std::string fieldLabelPath(const forms::FormDef& def, const std::string& dottedPath) {
    std::string path = dottedPath;
    std::string rowSuffix;
    auto bracket = path.find('[');
    if (bracket != std::string::npos) {
        std::string index = path.substr(bracket + 1, path.find(']', bracket) - bracket - 1);
        try {
            rowSuffix = ", ligne " + std::to_string(std::stoul(index) + 1);
        } catch (...) {
        }
        path = path.substr(0, bracket);
    }
    std::string out;
    const std::vector<FieldDef>* level = &def.fields;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t dot = path.find('.', start);
        std::string name = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        const FieldDef* found = nullptr;
        for (const auto& f : *level)
            if (f.name == name) found = &f;
        if (!found) {
            out += (out.empty() ? "" : SEP) + name;
            break;
        }
        out += (out.empty() ? "" : SEP) + found->label;
        level = &found->fields;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return out + rowSuffix;
}

} // namespace passerelle::web
