#include "support/JsonSchema.h"

#include <set>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>

namespace passerelle::testing {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::set<std::string>& knownKeywords() {
    static const std::set<std::string> k = {"type", "properties", "required", "additionalProperties", "items", "enum", "const",
                                            "allOf", "anyOf", "oneOf", "$ref", "description", "contentEncoding", "format"};
    return k;
}

std::string text(const Poco::Dynamic::Var& v) {
    std::ostringstream o;
    Poco::JSON::Stringifier::stringify(v, o);
    std::string s = o.str();
    return s.size() > 80 ? s.substr(0, 77) + "…" : s;
}

bool typeMatches(const std::string& actual, const std::string& wanted) {
    return actual == wanted || (wanted == "number" && actual == "integer");
}

bool sameValue(const Poco::Dynamic::Var& a, const Poco::Dynamic::Var& b) {
    if (jsonTypeOf(a) != jsonTypeOf(b)) {
        if (!((jsonTypeOf(a) == "integer" || jsonTypeOf(a) == "number") && (jsonTypeOf(b) == "integer" || jsonTypeOf(b) == "number")))
            return false;
    }
    return text(a) == text(b);
}

} // namespace

std::string jsonTypeOf(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return "null";
    if (v.type() == typeid(bool)) return "boolean";
    if (v.isInteger()) return "integer";
    if (v.isNumeric()) return "number";
    if (v.isString()) return "string";
    if (v.type() == typeid(Array::Ptr)) return "array";
    if (v.type() == typeid(Object::Ptr)) return "object";
    return "unknown";
}

Object::Ptr JsonSchemaValidator::resolve(const std::string& ref) const {
    if (ref.rfind("#/", 0) != 0) return nullptr;
    Poco::Dynamic::Var cur = _root;
    std::size_t i = 2;
    while (i <= ref.size()) {
        std::size_t j = ref.find('/', i);
        if (j == std::string::npos) j = ref.size();
        std::string part = ref.substr(i, j - i);
        if (cur.type() != typeid(Object::Ptr)) return nullptr;
        auto o = cur.extract<Object::Ptr>();
        if (!o->has(part)) return nullptr;
        cur = o->get(part);
        i = j + 1;
    }
    return cur.type() == typeid(Object::Ptr) ? cur.extract<Object::Ptr>() : nullptr;
}

std::vector<std::string> JsonSchemaValidator::validate(const Poco::Dynamic::Var& value, const Object::Ptr& schema,
                                                       const std::string& pointer) const {
    std::vector<std::string> errors;
    check(value, schema, pointer, errors, 0);
    return errors;
}

void JsonSchemaValidator::check(const Poco::Dynamic::Var& v, const Object::Ptr& s, const std::string& at,
                                std::vector<std::string>& errors, int depth) const {
    const std::string where = at.empty() ? "/" : at;
    if (!s) { errors.push_back(where + " : schéma absent"); return; }
    if (depth > 64) { errors.push_back(where + " : références trop profondes"); return; }
    for (const auto& [k, _] : *s)
        if (!knownKeywords().count(k)) errors.push_back(where + " : mot-clé de schéma non pris en charge par le validateur : " + k);
    if (s->has("$ref")) {
        std::string ref = s->getValue<std::string>("$ref");
        auto target = resolve(ref);
        if (!target) errors.push_back(where + " : $ref introuvable : " + ref);
        else check(v, target, at, errors, depth + 1);
    }
    const std::string actual = jsonTypeOf(v);
    if (s->has("type")) {
        auto t = s->get("type");
        std::vector<std::string> wanted;
        if (t.isString()) wanted.push_back(t.toString());
        else if (auto arr = s->getArray("type"))
            for (unsigned i = 0; i < arr->size(); ++i) wanted.push_back(arr->getElement<std::string>(i));
        bool ok = false;
        for (const auto& w : wanted) ok = ok || typeMatches(actual, w);
        if (!ok) {
            std::string list;
            for (const auto& w : wanted) list += (list.empty() ? "" : "|") + w;
            errors.push_back(where + " : type " + actual + " (" + text(v) + "), attendu " + list);
            return;
        }
    }
    if (s->has("const") && !sameValue(v, s->get("const")))
        errors.push_back(where + " : " + text(v) + " différent de la constante " + text(s->get("const")));
    if (auto e = s->getArray("enum")) {
        bool found = false;
        for (unsigned i = 0; i < e->size(); ++i) found = found || sameValue(v, e->get(i));
        if (!found) errors.push_back(where + " : " + text(v) + " hors de l’énumération " + text(s->get("enum")));
    }
    if (actual == "object") {
        auto o = v.extract<Object::Ptr>();
        if (auto req = s->getArray("required"))
            for (unsigned i = 0; i < req->size(); ++i) {
                auto name = req->getElement<std::string>(i);
                if (!o->has(name)) errors.push_back(where + " : propriété obligatoire absente : " + name);
            }
        auto props = s->getObject("properties");
        for (const auto& [name, value] : *o) {
            const std::string child = at + "/" + name;
            if (props && props->has(name)) {
                check(value, props->getObject(name), child, errors, depth + 1);
                continue;
            }
            if (s->has("additionalProperties")) {
                auto ap = s->get("additionalProperties");
                if (ap.type() == typeid(bool)) {
                    if (!ap.extract<bool>()) errors.push_back(child + " : propriété non décrite");
                } else {
                    check(value, s->getObject("additionalProperties"), child, errors, depth + 1);
                }
            }
        }
    }
    if (actual == "array" && s->has("items")) {
        auto a = v.extract<Array::Ptr>();
        for (unsigned i = 0; i < a->size(); ++i) check(a->get(i), s->getObject("items"), at + "/" + std::to_string(i), errors, depth + 1);
    }
    if (auto all = s->getArray("allOf"))
        for (unsigned i = 0; i < all->size(); ++i) check(v, all->getObject(i), at, errors, depth + 1);
    for (const char* k : {"anyOf", "oneOf"}) {
        auto alts = s->getArray(k);
        if (!alts) continue;
        int matching = 0;
        std::vector<std::string> first;
        for (unsigned i = 0; i < alts->size(); ++i) {
            std::vector<std::string> e;
            check(v, alts->getObject(i), at, e, depth + 1);
            if (e.empty()) ++matching;
            else if (first.empty()) first = e;
        }
        if (matching == 0)
            errors.push_back(where + " : aucune des possibilités de " + k + " (" + (first.empty() ? "" : first.front()) + ")");
        else if (std::string(k) == "oneOf" && matching > 1)
            errors.push_back(where + " : plusieurs possibilités de oneOf conviennent");
    }
}

} // namespace passerelle::testing
