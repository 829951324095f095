#include "forms/StrictObject.h"

#include <cmath>
#include <locale>
#include <sstream>

namespace passerelle::forms {

namespace {

using Poco::Dynamic::Var;

std::string escape(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out.push_back(c);
    }
    return out;
}

std::string numberText(double d) {
    std::ostringstream o;
    o.imbue(std::locale::classic());
    o << d;
    return o.str();
}

} // namespace

std::string describeJsonValue(const Var& v) {
    if (v.isEmpty()) return "null";
    if (v.isBoolean()) return v.extract<bool>() ? "true" : "false";
    if (v.isString()) {
        std::string s = v.extract<std::string>();
        if (s.size() > 40) s = s.substr(0, 40) + "…";
        return "le texte « " + s + " »";
    }
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return "un objet";
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) return "une liste";
    if (v.isInteger()) return "le nombre " + v.toString();
    if (v.isNumeric()) return "le nombre " + numberText(v.convert<double>());
    return "une valeur";
}

bool StrictObject::typeError(const char* key, const char* expected) {
    fail(at(escape(key)), "type",
         std::string("Type incorrect : ") + expected + " attendu, trouvé " + describeJsonValue(_o->get(key)) + ".");
    return false;
}

std::optional<std::string> StrictObject::str(const char* key, bool required) {
    if (!has(key)) {
        if (required) fail(at(escape(key)), "missing_key", std::string("Clé « ") + key + " » obligatoire.");
        return std::nullopt;
    }
    Var v = _o->get(key);
    if (!v.isString()) { typeError(key, "un texte entre guillemets"); return std::nullopt; }
    return v.extract<std::string>();
}

std::optional<bool> StrictObject::boolean(const char* key) {
    if (!has(key)) return std::nullopt;
    Var v = _o->get(key);
    if (!v.isBoolean()) { typeError(key, "un booléen (true ou false, sans guillemets)"); return std::nullopt; }
    return v.extract<bool>();
}

std::optional<long long> StrictObject::integer(const char* key, long long min, long long max) {
    if (!has(key)) return std::nullopt;
    Var v = _o->get(key);
    if (!v.isInteger() || v.isBoolean() || v.type() == typeid(Poco::UInt64)) {
        typeError(key, "un nombre entier (sans guillemets)");
        return std::nullopt;
    }
    long long n = v.convert<long long>();
    if (n < min || n > max) {
        fail(at(escape(key)), "out_of_range",
             std::string("Valeur hors limites pour « ") + key + " » : entre " + std::to_string(min) + " et " +
                 std::to_string(max) + " attendu, trouvé " + std::to_string(n) + ".");
        return std::nullopt;
    }
    return n;
}

std::optional<double> StrictObject::number(const char* key, double min, double max) {
    if (!has(key)) return std::nullopt;
    Var v = _o->get(key);
    if (!v.isNumeric() || v.isBoolean() || v.isString()) { typeError(key, "un nombre (sans guillemets)"); return std::nullopt; }
    double d = v.convert<double>();
    if (!std::isfinite(d) || d < min || d > max) {
        fail(at(escape(key)), "out_of_range",
             std::string("Valeur hors limites pour « ") + key + " » : entre " + numberText(min) + " et " + numberText(max) +
                 " attendu, trouvé " + numberText(d) + ".");
        return std::nullopt;
    }
    return d;
}

Poco::JSON::Array::Ptr StrictObject::array(const char* key, bool required) {
    if (!has(key)) {
        if (required) fail(at(escape(key)), "missing_key", std::string("Clé « ") + key + " » obligatoire.");
        return nullptr;
    }
    Var v = _o->get(key);
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) { typeError(key, "une liste [ … ]"); return nullptr; }
    return v.extract<Poco::JSON::Array::Ptr>();
}

Poco::JSON::Object::Ptr StrictObject::object(const char* key, bool required) {
    if (!has(key)) {
        if (required) fail(at(escape(key)), "missing_key", std::string("Clé « ") + key + " » obligatoire.");
        return nullptr;
    }
    Var v = _o->get(key);
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) { typeError(key, "un objet { … }"); return nullptr; }
    return v.extract<Poco::JSON::Object::Ptr>();
}

std::vector<std::string> StrictObject::strings(const char* key) {
    std::vector<std::string> out;
    auto arr = array(key);
    for (unsigned i = 0; arr && i < arr->size(); ++i) {
        Var v = arr->get(i);
        if (!v.isString()) {
            fail(at(escape(key)) + "/" + std::to_string(i), "type",
                 "Type incorrect : un texte entre guillemets attendu, trouvé " + describeJsonValue(v) + ".");
            continue;
        }
        out.push_back(v.extract<std::string>());
    }
    return out;
}

void StrictObject::finish() {
    for (const auto& key : _o->getNames())
        if (!_allowed.count(key)) fail(at(escape(key)), "unknown_key", "Clé inconnue : « " + key + " » (voir la documentation du format).");
}

} // namespace passerelle::forms
