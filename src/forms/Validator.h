#pragma once
// Validates filled data against a FormDef. Reports every problem, each with the
// JSON pointer of the offending value, a stable rule code and a French message.
// Pure: no I/O.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include "common/Status.h"
#include "forms/FormDef.h"

namespace passerelle::forms {

// A validated document: its definition and its data, with computed fields filled in.
// Read-only: when the form has no derivations, `data` is the caller's input itself.
struct FilledForm {
    std::shared_ptr<const FormDef> form;
    Poco::JSON::Object::Ptr data;
};

// At most this many errors are detailed; when there are more, one last
// detail (rule "too_many_errors", path "") gives the total. A table's rows are
// not validated once it has more than its maxItems: one "max_items" error
// stands for them (a body of 650 000 empty rows must not answer 650 000 errors).
constexpr std::size_t kMaxErrorDetails = 100;

// Returns the errors found (empty when the data is valid), capped as above.
std::vector<FieldError> validate(const FormDef& def, const Poco::JSON::Object::Ptr& data);

// A derivation computes `computed` fields of a form from its validated data
// (taux d'effort, plan d'apurement, sub-lease dates...). It may also report
// errors (an impossible repayment plan) with JSON pointer paths.
using Derivation = std::function<std::vector<FieldError>(const FormDef&, Poco::JSON::Object::Ptr& data)>;

// Registry of named derivations; form definitions list them under "derivations".
class DerivationRegistry {
public:
    static DerivationRegistry& instance();
    void add(const std::string& name, Derivation fn);
    const Derivation* find(const std::string& name) const;

private:
    std::map<std::string, Derivation> _fns;
};

// validate + copy (only when derivations will write) + derive: the one way to turn input JSON into a FilledForm.
// Fails with InvalidArgument "validation_failed" and every detail.
Result<FilledForm> fill(const std::shared_ptr<const FormDef>& def, const Poco::JSON::Object::Ptr& data);

// RFC 6901 escaping of one JSON pointer segment ("a/b" -> "a~1b").
std::string pointerSegment(const std::string& key);

// An independent copy of a JSON object (Poco::JSON objects are shared by reference).
Poco::JSON::Object::Ptr deepCopy(const Poco::JSON::Object::Ptr& data);

// Value lookup by dotted path in an object ("menage.logement.adresse"); empty Var if absent.
Poco::Dynamic::Var lookup(const Poco::JSON::Object::Ptr& data, const std::string& dottedPath);

} // namespace passerelle::forms
