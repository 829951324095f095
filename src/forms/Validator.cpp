#include "forms/Validator.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "common/Date.h"
#include "common/Money.h"
#include "common/Text.h"
#include "forms/Derivations.h"
#include "forms/FunderDerivations.h"

namespace passerelle::forms {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;


bool isNull(const Var& v) { return v.isEmpty(); }
// Only spaces, tabs and line breaks (what text::trim() removes).
bool isBlank(const std::string& s) {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
    return true;
}

// A value as a person would recognise it in an error message (never throws: null, objects, lists).
std::string shown(const Var& x) {
    if (x.isEmpty()) return "null";
    if (x.isString()) return x.extract<std::string>();
    if (x.type() == typeid(Object::Ptr)) return "{…}";
    if (x.type() == typeid(Array::Ptr)) return "[…]";
    try {
        return x.toString();
    } catch (...) {
        return "?";
    }
}

struct Checker {
    std::vector<FieldError>& errors;
    std::size_t total = 0; // every error found, detailed or not

    void add(const std::string& path, const char* rule, std::string message) {
        ++total;
        if (errors.size() < kMaxErrorDetails) errors.push_back({path, rule, std::move(message)});
    }

    void checkText(const FieldDef& f, const Var& v, const std::string& path) {
        if (!v.isString()) { add(path, "type", "Doit être un texte."); return; }
        const std::string& s = v.extract<std::string>();
        if (!text::isValidUtf8(s)) { add(path, "encoding", "Texte mal encodé (UTF-8 attendu)."); return; }
        // C0 controls, DEL and C1 controls (U+0080–U+009F) are invisible in a document: a value holding
        // one would not print as sent.
        for (std::size_t i = 0; i < s.size();) { // code point by code point, without allocating
            const auto b = static_cast<unsigned char>(s[i]);
            const std::size_t len = text::sequenceLength(b);
            char32_t c = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
            for (std::size_t k = 1; k < len && i + k < s.size(); ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
            i += len;
            if ((c < 0x20 || (c >= 0x7F && c < 0xA0)) && !(f.type == FieldType::LongText && (c == '\n' || c == '\t' || c == '\r'))) {
                add(path, "control_character", f.type == FieldType::LongText ? "Caractère de contrôle interdit."
                                                                             : "Retour à la ligne ou caractère de contrôle interdit dans ce champ court.");
                return;
            }
        }
        std::size_t n = text::length(s);
        if (f.maxLength && static_cast<long>(n) > *f.maxLength)
            add(path, "max_length", "Texte trop long : " + std::to_string(*f.maxLength) + " caractères au maximum (reçu " + std::to_string(n) + ").");
        if (f.minLength && static_cast<long>(n) < *f.minLength)
            add(path, "min_length", "Texte trop court : " + std::to_string(*f.minLength) + " caractères au minimum.");
    }

    template <typename T>
    void checkBounds(const FieldDef& f, T value, const std::string& path, const std::function<std::string(long long)>& show) {
        if (f.min && value < *f.min) add(path, "min", "Valeur trop petite : minimum " + show(*f.min) + ".");
        if (f.max && value > *f.max) add(path, "max", "Valeur trop grande : maximum " + show(*f.max) + ".");
    }

    void checkValue(const FieldDef& f, const Var& v, const std::string& path) {
        switch (f.type) {
        case FieldType::Text:
        case FieldType::LongText:
            checkText(f, v, path);
            break;
        case FieldType::Date:
            if (!v.isString() || !Date::parseIso(v.extract<std::string>()))
                add(path, "date_format", "Date invalide : format attendu AAAA-MM-JJ (par exemple 2026-11-22).");
            break;
        case FieldType::Amount: {
            std::optional<money::Cents> c;
            // Only plain decimal amounts: "-0" (or -0.00) is not one, whatever it reads as.
            if (v.isString()) {
                const std::string& s = v.extract<std::string>();
                c = money::parse(s);
                if (c && *c == 0 && s.find('-') != std::string::npos) c.reset();
            } else if (v.isNumeric()) {
                double d = v.convert<double>();
                c = money::fromDouble(d);
                if (c && d == 0 && std::signbit(d)) c.reset();
            }
            if (!c) { add(path, "amount_format", "Montant invalide : nombre en euros avec au plus deux décimales attendu (par exemple 1234.56)."); break; }
            checkBounds(f, *c, path, [](long long x) { return money::format(x); });
            break;
        }
        case FieldType::Integer: {
            // Beyond 64 signed bits (a UInt64 from Poco's parser, an integral double from ours):
            // out of any bound, said so rather than converted.
            bool huge = false, negative = false;
            if (v.type() == typeid(Poco::UInt64)) huge = v.extract<Poco::UInt64>() > static_cast<Poco::UInt64>(INT64_MAX);
            else if (v.type() == typeid(double)) {
                double d = v.extract<double>();
                huge = std::isfinite(d) && std::floor(d) == d && std::fabs(d) >= 9223372036854775807.0;
                negative = d < 0;
            }
            if (huge) {
                if (negative) add(path, "min", f.min ? "Valeur trop petite : minimum " + std::to_string(*f.min) + "." : "Nombre entier trop petit.");
                else add(path, "max", f.max ? "Valeur trop grande : maximum " + std::to_string(*f.max) + "." : "Nombre entier trop grand.");
                break;
            }
            if (!v.isInteger()) { add(path, "integer", "Nombre entier attendu."); break; }
            checkBounds(f, v.convert<long long>(), path, [](long long x) { return std::to_string(x); });
            break;
        }
        case FieldType::Percent: {
            if (!v.isNumeric()) { add(path, "percent", "Pourcentage attendu (nombre)."); break; }
            double d = v.convert<double>();
            auto c = money::fromDouble(d);
            if (!c) { add(path, "percent", "Pourcentage avec au plus deux décimales attendu."); break; }
            checkBounds(f, *c, path, [](long long x) { return money::format(x, false) + " %"; });
            break;
        }
        case FieldType::Boolean:
            if (!v.isBoolean()) add(path, "boolean", "Valeur vrai/faux attendue (true ou false).");
            break;
        case FieldType::Enum:
            checkEnum(f, v, path);
            break;
        case FieldType::Person:
        case FieldType::Organisation:
        case FieldType::Group:
            if (v.type() != typeid(Object::Ptr)) { add(path, "object", "Objet JSON attendu."); break; }
            checkObject(f.fields, v.extract<Object::Ptr>(), path);
            break;
        case FieldType::Table: {
            if (v.type() != typeid(Array::Ptr)) { add(path, "array", "Liste attendue."); break; }
            auto arr = v.extract<Array::Ptr>();
            long n = static_cast<long>(arr->size());
            if (f.minItems && n < *f.minItems) add(path, "min_items", "Au moins " + std::to_string(*f.minItems) + " ligne(s) attendue(s).");
            if (f.maxItems && n > *f.maxItems) {
                // The rows are not looked at: one error stands for them all.
                add(path, "max_items", "Au plus " + std::to_string(*f.maxItems) + " lignes (reçu " + std::to_string(n) + ").");
                break;
            }
            for (long i = 0; i < n; ++i) {
                std::string p = path + "/" + std::to_string(i);
                const Var& item = *(arr->begin() + i);
                if (item.type() != typeid(Object::Ptr)) { add(p, "object", "Chaque ligne doit être un objet JSON."); continue; }
                checkObject(f.fields, item.extract<Object::Ptr>(), p);
            }
            break;
        }
        }
    }

    void checkEnum(const FieldDef& f, const Var& v, const std::string& path) {
        auto one = [&](const Var& x, const std::string& p) {
            if (!x.isString() || !f.option(x.extract<std::string>())) {
                std::string allowed;
                for (const auto& o : f.options) allowed += (allowed.empty() ? "" : ", ") + o.value;
                add(p, "enum", "Valeur non autorisée : « " + shown(x) + " ». Valeurs possibles : " + allowed + ".");
            }
        };
        if (!f.multiple) { one(v, path); return; }
        if (v.type() != typeid(Array::Ptr)) { add(path, "array", "Liste de valeurs attendue."); return; }
        auto arr = v.extract<Array::Ptr>();
        std::set<std::string> seen;
        for (unsigned i = 0; i < arr->size(); ++i) {
            Var x = arr->get(i);
            one(x, path + "/" + std::to_string(i));
            if (x.isString() && !seen.insert(x.extract<std::string>()).second)
                add(path + "/" + std::to_string(i), "duplicate", "Valeur répétée.");
        }
        if (f.required && arr->size() == 0) add(path, "required", "Au moins une case doit être cochée.");
    }

    void checkObject(const std::vector<FieldDef>& fields, const Object::Ptr& obj, const std::string& path) {
        // The object's members, by reference, in key order (Poco keeps them in a std::map): each
        // declared field finds its value without copying it.
        std::vector<std::pair<const std::string*, const Var*>> members;
        members.reserve(obj->size());
        bool allKnown = true;
        for (auto it = obj->begin(); it != obj->end(); ++it) {
            members.emplace_back(&it->first, &it->second);
            bool known = false;
            for (const auto& f : fields) if (f.name == it->first) { known = true; break; }
            allKnown = allKnown && known;
        }
        // Pass 1: keys the definition does not know would be silently dropped: refuse them (in the
        // object's own key order).
        if (!allKnown)
            for (const auto& key : obj->getNames()) {
                bool known = false;
                for (const auto& f : fields) if (f.name == key) { known = true; break; }
                if (!known) add(path + "/" + pointerSegment(key), "unknown_field", "Champ inconnu de ce formulaire.");
            }
        static const Var kNull;
        // Pass 2: each declared field.
        for (const auto& f : fields) {
            std::string p = path + "/" + pointerSegment(f.name);
            auto m = std::lower_bound(members.begin(), members.end(), f.name,
                                      [](const std::pair<const std::string*, const Var*>& e, const std::string& k) { return *e.first < k; });
            const Var& v = m != members.end() && *m->first == f.name ? *m->second : kNull;
            if (!f.computed.empty()) {
                if (!isNull(v)) add(p, "computed_field", "Ce champ est calculé par Passerelle : ne pas le fournir.");
                continue;
            }
            bool blank = isNull(v) || (v.isString() && isBlank(v.extract<std::string>()));
            if (blank) {
                if (f.required) add(p, "required", "Champ obligatoire manquant.");
                continue;
            }
            checkValue(f, v, p);
        }
    }
};


} // namespace

std::string pointerSegment(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out.push_back(c);
    }
    return out;
}

namespace {
Poco::Dynamic::Var copyValue(const Poco::Dynamic::Var& v);

Poco::JSON::Array::Ptr copyArray(const Poco::JSON::Array::Ptr& arr) {
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array(*arr);
    for (unsigned i = 0; i < out->size(); ++i) {
        const Poco::Dynamic::Var& v = out->get(i);
        if (v.type() == typeid(Object::Ptr) || v.type() == typeid(Poco::JSON::Array::Ptr)) out->set(i, copyValue(v));
    }
    return out;
}

Poco::Dynamic::Var copyValue(const Poco::Dynamic::Var& v) {
    if (v.type() == typeid(Object::Ptr)) return deepCopy(v.extract<Object::Ptr>());
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) return copyArray(v.extract<Poco::JSON::Array::Ptr>());
    return v; // scalars are values
}
} // namespace

Poco::JSON::Object::Ptr deepCopy(const Poco::JSON::Object::Ptr& data) {
    // Poco::JSON objects and arrays are shared by reference: copy each container, one level at a
    // time (the copy constructors keep key order and flags), scalars are copied as values.
    if (!data) return data;
    Object::Ptr out = new Object(*data);
    for (auto it = data->begin(); it != data->end(); ++it) {
        const Poco::Dynamic::Var& v = it->second;
        if (v.type() == typeid(Object::Ptr) || v.type() == typeid(Poco::JSON::Array::Ptr)) out->set(it->first, copyValue(v));
    }
    return out;
}

std::vector<FieldError> validate(const FormDef& def, const Poco::JSON::Object::Ptr& data) {
    std::vector<FieldError> errors;
    if (!data) {
        errors.push_back({"", "object", "Le document doit être un objet JSON."});
        return errors;
    }
    Checker checker{errors};
    checker.checkObject(def.fields, data, "");
    if (checker.total > errors.size())
        errors.push_back({"", "too_many_errors",
                          std::to_string(checker.total - errors.size()) + " autres erreurs non détaillées (" +
                              std::to_string(checker.total) + " erreurs en tout) : corrigez les premières et renvoyez le document."});
    return errors;
}

DerivationRegistry& DerivationRegistry::instance() {
    static DerivationRegistry registry = [] {
        DerivationRegistry r;
        addBuiltinDerivations(r); // forms/Derivations.h
        addFunderDerivations(r);  // forms/FunderDerivations.h
        return r;
    }();
    return registry;
}

void DerivationRegistry::add(const std::string& name, Derivation fn) { _fns[name] = std::move(fn); }

const Derivation* DerivationRegistry::find(const std::string& name) const {
    auto it = _fns.find(name);
    return it == _fns.end() ? nullptr : &it->second;
}

Result<FilledForm> fill(const std::shared_ptr<const FormDef>& def, const Poco::JSON::Object::Ptr& data) {
    auto errors = validate(*def, data);
    if (!errors.empty())
        return Status::invalidArgument("validation_failed", "Le document ne respecte pas le formulaire « " + def->id + " ».", errors);
    // Derivations write computed fields: they work on a copy, the caller's input stays as it came.
    // A form without derivations writes nothing, so its data is shared, not copied (a large
    // document would otherwise hold its input twice).
    FilledForm filled{def, def->derivations.empty() ? data : deepCopy(data)};
    for (const auto& name : def->derivations) {
        const Derivation* fn = DerivationRegistry::instance().find(name);
        if (!fn) return Status::internal("derivation_unknown", "Calcul inconnu : « " + name + " ».");
        auto derr = (*fn)(*def, filled.data);
        errors.insert(errors.end(), derr.begin(), derr.end());
    }
    if (!errors.empty())
        return Status::invalidArgument("validation_failed", "Le document ne respecte pas le formulaire « " + def->id + " ».", errors);
    return filled;
}

Poco::Dynamic::Var lookup(const Poco::JSON::Object::Ptr& data, const std::string& dottedPath) {
    Object::Ptr obj = data;
    std::size_t start = 0;
    while (obj) {
        std::size_t dot = dottedPath.find('.', start);
        std::string part = dottedPath.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!obj->has(part)) return Var();
        Var v = obj->get(part);
        if (dot == std::string::npos) return v;
        if (v.type() != typeid(Object::Ptr)) return Var();
        obj = v.extract<Object::Ptr>();
        start = dot + 1;
    }
    return Var();
}

} // namespace passerelle::forms
