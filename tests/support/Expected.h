#pragma once
// The text every input value should show in a rendered document: strings as
// they are, dates 22/11/2026, amounts 1 234,56 €, enum values by label.
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "forms/FormDef.h"
#include "forms/Format.h"

namespace passerelle::testing {

inline void expectedValues(const std::vector<forms::FieldDef>& fields, const Poco::JSON::Object::Ptr& obj,
                           std::vector<std::string>& out, const std::string& prefix = "") {
    for (const auto& f : fields) {
        if (!obj || !obj->has(f.name)) continue;
        Poco::Dynamic::Var v = obj->get(f.name);
        if (v.isEmpty()) continue;
        std::string path = prefix + "/" + f.name;
        if (f.isComposite()) {
            expectedValues(f.fields, v.extract<Poco::JSON::Object::Ptr>(), out, path);
        } else if (f.type == forms::FieldType::Table) {
            auto arr = v.extract<Poco::JSON::Array::Ptr>();
            for (unsigned i = 0; i < arr->size(); ++i)
                expectedValues(f.fields, arr->getObject(i), out, path + "/" + std::to_string(i));
        } else if (f.type == forms::FieldType::Enum && f.multiple) {
            auto arr = v.extract<Poco::JSON::Array::Ptr>();
            for (unsigned i = 0; i < arr->size(); ++i) {
                const forms::EnumOption* o = f.option(arr->get(i).toString());
                out.push_back(o ? o->label : arr->get(i).toString());
            }
        } else if (f.type != forms::FieldType::Boolean) {
            out.push_back(forms::formatValue(f, v));
        }
    }
}

} // namespace passerelle::testing
