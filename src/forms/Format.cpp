#include "forms/Format.h"

#include <Poco/JSON/Array.h>

#include "common/Date.h"
#include "common/Money.h"

namespace passerelle::forms {

std::string formatValue(const FieldDef& f, const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return "";
    switch (f.type) {
    case FieldType::Text:
    case FieldType::LongText:
        return v.toString();
    case FieldType::Date: {
        auto d = Date::parseIso(v.toString());
        return d ? d->french() : v.toString();
    }
    case FieldType::Amount: {
        auto c = v.isString() ? money::parse(v.extract<std::string>()) : money::fromDouble(v.convert<double>());
        return c ? money::format(*c) : v.toString();
    }
    case FieldType::Integer:
        return v.toString();
    case FieldType::Percent: {
        auto c = money::fromDouble(v.convert<double>());
        if (!c) return v.toString();
        std::string s = money::format(*c, false);
        if (s.size() > 3 && s.compare(s.size() - 3, 3, ",00") == 0) s.resize(s.size() - 3);
        return s + "\xC2\xA0%";
    }
    case FieldType::Boolean:
        return v.convert<bool>() ? "Oui" : "Non";
    case FieldType::Enum: {
        if (!f.multiple) {
            const EnumOption* o = f.option(v.toString());
            return o ? o->label : v.toString();
        }
        std::string out;
        auto arr = v.extract<Poco::JSON::Array::Ptr>();
        for (unsigned i = 0; i < arr->size(); ++i) {
            const EnumOption* o = f.option(arr->get(i).toString());
            out += (out.empty() ? "" : ", ") + (o ? o->label : arr->get(i).toString());
        }
        return out;
    }
    default:
        return "";
    }
}

} // namespace passerelle::forms
