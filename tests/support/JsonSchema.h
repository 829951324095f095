#pragma once
// A validator for the subset of JSON Schema (2020-12) that docs/openapi.json uses:
// type (one or several), properties, required, additionalProperties, items, enum,
// const, allOf, anyOf, oneOf, local $ref ("#/components/schemas/…"); description,
// contentEncoding and format are annotations. Any other keyword is reported as an
// error, so the description cannot rely on something this validator ignores.
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

namespace passerelle::testing {

class JsonSchemaValidator {
public:
    // `root` resolves the $refs (the whole OpenAPI document).
    explicit JsonSchemaValidator(Poco::JSON::Object::Ptr root) : _root(std::move(root)) {}
    // Every violation of `value` against `schema`, each "pointer : message"; empty when valid.
    std::vector<std::string> validate(const Poco::Dynamic::Var& value, const Poco::JSON::Object::Ptr& schema,
                                      const std::string& pointer = "") const;

private:
    void check(const Poco::Dynamic::Var& v, const Poco::JSON::Object::Ptr& s, const std::string& at,
               std::vector<std::string>& errors, int depth) const;
    Poco::JSON::Object::Ptr resolve(const std::string& ref) const;
    Poco::JSON::Object::Ptr _root;
};

// The JSON type name of a value: "null", "boolean", "integer", "number", "string", "array", "object".
std::string jsonTypeOf(const Poco::Dynamic::Var& v);

} // namespace passerelle::testing
