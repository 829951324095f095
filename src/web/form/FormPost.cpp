#include "web/form/FormPost.h"

#include <map>
#include <regex>

#include <Poco/JSON/Array.h>
#include <Poco/NumberParser.h>

#include "common/Date.h"
#include "common/Text.h"

namespace passerelle::web {

using forms::FieldDef;
using forms::FieldType;
using Poco::JSON::Array;
using Poco::JSON::Object;

TableAction parseTableAction(const std::string& action) {
    TableAction a;
    auto starts = [&](const char* p) { return action.rfind(p, 0) == 0; };
    if (starts("add:/")) {
        a.kind = TableAction::Kind::Add;
        a.pointer = action.substr(4);
    } else if (starts("remove:/")) {
        a.kind = TableAction::Kind::Remove;
        a.pointer = action.substr(7);
    }
    return a;
}

namespace {

// RFC 6901: "/a~1b/0" -> {"a/b", "0"}.
std::vector<std::string> segments(const std::string& pointer) {
    std::vector<std::string> out;
    std::size_t pos = 1;
    while (pos <= pointer.size()) {
        std::size_t next = pointer.find('/', pos);
        std::string raw = pointer.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
        std::string seg;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
                seg.push_back(raw[i + 1] == '0' ? '~' : '/');
                ++i;
            } else seg.push_back(raw[i]);
        }
        out.push_back(seg);
        if (next == std::string::npos) break;
        pos = next + 1;
    }
    return out;
}

bool isIndex(const std::string& s) {
    return !s.empty() && s.size() <= 6 && s.find_first_not_of("0123456789") == std::string::npos;
}

// What was posted, shaped by the definition, before conversion to JSON.
struct Tree {
    std::vector<std::string> texts;         // scalar: every value posted under this name
    std::map<std::string, Tree> members;    // group: by field name
    std::map<long, Tree> rows;              // table: by index as posted
};

const FieldDef* childNamed(const std::vector<FieldDef>& fields, const std::string& name) {
    for (const auto& f : fields)
        if (f.name == name) return &f;
    return nullptr;
}

// Places one posted value; false when the pointer is not an input of the form.
bool place(Tree& root, const std::vector<FieldDef>& top, const std::vector<std::string>& segs, const std::string& value) {
    Tree* node = &root;
    const std::vector<FieldDef>* level = &top;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const FieldDef* f = childNamed(*level, segs[i]);
        if (!f || !f->computed.empty()) return false;
        node = &node->members[f->name];
        const bool last = i + 1 == segs.size();
        if (f->type == FieldType::Table) {
            if (last || !isIndex(segs[i + 1])) return false;
            node = &node->rows[std::stol(segs[i + 1])];
            ++i;
            if (i + 1 == segs.size()) return false; // a row itself is not an input
            level = &f->fields;
        } else if (f->isComposite()) {
            if (last) return false;
            level = &f->fields;
        } else {
            if (!last) return false;
            node->texts.push_back(value);
            return true;
        }
    }
    return false;
}

std::string normaliseNewLines(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else out.push_back(s[i]);
    }
    return out;
}

// A date as typed on the page: "22/11/2026" (also 22-11-2026, 22.11.2026, 2/3/2026) or the ISO
// "2026-11-22" an <input type="date"> posts; the ISO text when it is a real date, else as typed
// (the validation then names the field).
std::string isoDateOf(const std::string& t) {
    static const std::regex french("([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})");
    std::smatch m;
    if (std::regex_match(t, m, french)) {
        auto two = [](const std::string& x) { return x.size() == 1 ? "0" + x : x; };
        std::string iso = m[3].str() + "-" + two(m[2].str()) + "-" + two(m[1].str());
        if (Date::parseIso(iso)) return iso;
    }
    return t;
}

// One scalar as its JSON type, or the text typed when it does not read as one.
Poco::Dynamic::Var scalar(const FieldDef& f, const std::string& typed) {
    const std::string t = text::trim(typed);
    switch (f.type) {
    case FieldType::Integer: {
        static const std::regex integer("-?[0-9]+");
        Poco::Int64 v = 0;
        if (std::regex_match(t, integer) && Poco::NumberParser::tryParse64(t, v)) return v;
        return typed;
    }
    case FieldType::Percent: {
        std::string s = t;
        if (!s.empty() && s.back() == '%') s = text::trim(s.substr(0, s.size() - 1));
        for (char& c : s)
            if (c == ',') c = '.';
        static const std::regex number("-?[0-9]+(\\.[0-9]+)?");
        double d = 0;
        if (std::regex_match(s, number) && Poco::NumberParser::tryParseFloat(s, d)) return d;
        return typed;
    }
    case FieldType::Boolean:
        if (t == "true") return true;
        if (t == "false") return false;
        return typed;
    case FieldType::LongText:
        return normaliseNewLines(typed);
    case FieldType::Date:
        return isoDateOf(t);
    case FieldType::Amount:
    case FieldType::Enum:
        return t;
    default:
        return typed;
    }
}

bool blank(const std::string& s) { return text::trim(s).empty(); }

Object::Ptr toObject(const std::vector<FieldDef>& fields, const Tree& tree);

// The JSON value of one field, or an empty Var when nothing was typed.
Poco::Dynamic::Var toValue(const FieldDef& f, const Tree& t) {
    if (f.type == FieldType::Table) {
        Array::Ptr arr = new Array;
        for (const auto& [index, row] : t.rows) {
            (void)index;
            // A row posted stays, even blank: the person added it (and finalising names its fields).
            arr->add(toObject(f.fields, row));
        }
        if (arr->size() == 0) return {};
        return arr;
    }
    if (f.isComposite()) {
        Object::Ptr obj = toObject(f.fields, t);
        if (obj->size() == 0) return {};
        return obj;
    }
    if (f.type == FieldType::Enum && f.multiple) {
        Array::Ptr arr = new Array;
        for (const auto& s : t.texts)
            if (!blank(s)) arr->add(text::trim(s));
        if (arr->size() == 0) return {};
        return arr;
    }
    // A single value posted twice (a crafted request): the last one counts.
    for (auto it = t.texts.rbegin(); it != t.texts.rend(); ++it)
        if (!blank(*it)) return scalar(f, *it);
    return {};
}

Object::Ptr toObject(const std::vector<FieldDef>& fields, const Tree& tree) {
    Object::Ptr obj = new Object;
    for (const auto& f : fields) {
        auto it = tree.members.find(f.name);
        if (it == tree.members.end()) continue;
        Poco::Dynamic::Var v = toValue(f, it->second);
        if (!v.isEmpty()) obj->set(f.name, v);
    }
    return obj;
}

// Walks `segs` to the tree node of a table (for a removal by posted index).
Tree* tableNode(Tree& root, const std::vector<FieldDef>& top, const std::vector<std::string>& segs, std::size_t count) {
    Tree* node = &root;
    const std::vector<FieldDef>* level = &top;
    for (std::size_t i = 0; i < count; ++i) {
        const FieldDef* f = childNamed(*level, segs[i]);
        if (!f) return nullptr;
        auto m = node->members.find(f->name);
        if (m == node->members.end()) return nullptr;
        node = &m->second;
        if (f->type == FieldType::Table) {
            if (i + 1 == count) return node;
            if (i + 1 >= segs.size() || !isIndex(segs[i + 1])) return nullptr;
            auto r = node->rows.find(std::stol(segs[i + 1]));
            if (r == node->rows.end()) return nullptr;
            node = &r->second;
            ++i;
        }
        level = &f->fields;
    }
    return nullptr;
}

// Appends an empty row to the table at `segs` in the converted JSON, creating
// the groups on the way (a row added before anything was typed).
void appendRow(const Object::Ptr& root, const std::vector<FieldDef>& top, const std::vector<std::string>& segs) {
    Object::Ptr obj = root;
    const std::vector<FieldDef>* level = &top;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const FieldDef* f = childNamed(*level, segs[i]);
        if (!f || !f->computed.empty()) return;
        const bool last = i + 1 == segs.size();
        if (f->type == FieldType::Table) {
            Array::Ptr arr = obj->getArray(f->name);
            if (!arr) {
                arr = new Array;
                obj->set(f->name, arr);
            }
            if (last) {
                if (!f->maxItems || static_cast<long>(arr->size()) < *f->maxItems) arr->add(Object::Ptr(new Object));
                return;
            }
            if (!isIndex(segs[i + 1])) return;
            unsigned index = static_cast<unsigned>(std::stol(segs[i + 1]));
            if (index >= arr->size()) return;
            obj = arr->getObject(index);
            ++i;
        } else if (f->isComposite()) {
            if (last) return;
            Object::Ptr child = obj->getObject(f->name);
            if (!child) {
                child = new Object;
                obj->set(f->name, child);
            }
            obj = child;
        } else return;
        if (!obj) return;
        level = &f->fields;
    }
}

} // namespace

PostedForm postedToJson(const forms::FormDef& form, const PostedPairs& pairs, const TableAction& action) {
    PostedForm out;
    Tree root;
    for (const auto& [name, value] : pairs) {
        if (name.empty() || name[0] != '/') continue;
        if (!place(root, form.fields, segments(name), value)) out.ignored.push_back(name);
    }
    // A removal names the row by the index it was posted with.
    if (action.kind == TableAction::Kind::Remove) {
        auto segs = segments(action.pointer);
        if (segs.size() >= 2 && isIndex(segs.back()))
            if (Tree* table = tableNode(root, form.fields, segs, segs.size() - 1)) table->rows.erase(std::stol(segs.back()));
    }
    out.values = toObject(form.fields, root);
    if (action.kind == TableAction::Kind::Add) appendRow(out.values, form.fields, segments(action.pointer));
    return out;
}

} // namespace passerelle::web
