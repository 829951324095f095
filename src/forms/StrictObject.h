#pragma once
// StrictObject: reads one object of a definition file (form or template) the
// way docs/forms.md and docs/templates.md describe it, and nothing else:
// each key is read with its exact JSON type (a boolean is true or false, never
// "non"; a number is a number, never "12"), numbers within stated bounds, and
// `finish()` refuses every key that was not read or allowed. Problems go to
// the shared error list with the JSON pointer of the key and a French message.
// Not thread-safe; one per object being read.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/Status.h"

namespace passerelle::forms {

// "le texte « non »", "le nombre 12", "une liste"...: what a value is, for messages.
std::string describeJsonValue(const Poco::Dynamic::Var& v);

class StrictObject {
public:
    StrictObject(Poco::JSON::Object::Ptr o, std::string where, std::vector<FieldError>& errors)
        : _o(std::move(o)), _where(std::move(where)), _errors(errors) {}

    bool has(const char* key) {
        _allowed.insert(key);
        return _o->has(key);
    }
    void allow(const char* key) { _allowed.insert(key); }
    std::string at(const std::string& key) const { return _where + "/" + key; }

    std::optional<std::string> str(const char* key, bool required = false);
    std::optional<bool> boolean(const char* key);
    // An integer (no fraction, no exponent beyond it) within [min, max].
    std::optional<long long> integer(const char* key, long long min, long long max);
    // A finite number within [min, max].
    std::optional<double> number(const char* key, double min, double max);
    Poco::JSON::Array::Ptr array(const char* key, bool required = false);
    Poco::JSON::Object::Ptr object(const char* key, bool required = false);
    // Each element a string; invalid elements are reported and skipped.
    std::vector<std::string> strings(const char* key);

    // Refuses the keys never allowed.
    void finish();

    void fail(const std::string& path, const std::string& rule, const std::string& message) {
        _errors.push_back({path, rule, message});
    }

private:
    Poco::JSON::Object::Ptr _o;
    std::string _where;
    std::vector<FieldError>& _errors;
    std::set<std::string> _allowed;

    bool typeError(const char* key, const char* expected);
};

} // namespace passerelle::forms
