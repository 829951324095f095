#include "forms/RowFilter.h"

#include <Poco/JSON/Array.h>

#include "forms/Validator.h"

namespace passerelle::forms {

namespace {

void collect(const std::vector<FieldDef>& fields, const std::string& prefix, const Poco::JSON::Object::Ptr& data,
             std::vector<ClassifiedTable>& out) {
    for (const auto& f : fields) {
        const std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
        Poco::Dynamic::Var v = data && data->has(f.name) ? data->get(f.name) : Poco::Dynamic::Var();
        if (f.type == FieldType::Table) {
            if (f.categoryFrom.empty()) continue;
            ClassifiedTable t{path, &f, nullptr};
            if (v.type() == typeid(Poco::JSON::Array::Ptr)) t.rows = v.extract<Poco::JSON::Array::Ptr>();
            out.push_back(t);
        } else if (f.type == FieldType::Group || f.isComposite()) {
            Poco::JSON::Object::Ptr child;
            if (v.type() == typeid(Poco::JSON::Object::Ptr)) child = v.extract<Poco::JSON::Object::Ptr>();
            collect(f.fields, path, child, out);
        }
    }
}

} // namespace

std::vector<ClassifiedTable> classifiedTables(const FormDef& form, const Poco::JSON::Object::Ptr& data) {
    std::vector<ClassifiedTable> out;
    collect(form.fields, "", data, out);
    return out;
}

Poco::JSON::Object::Ptr withoutRows(const Poco::JSON::Object::Ptr& data, const RowSelection& rows) {
    auto copy = deepCopy(data);
    for (const auto& [path, indices] : rows) {
        if (indices.empty()) continue;
        // Walk the dotted path down to the table's parent object.
        Poco::JSON::Object::Ptr parent = copy;
        std::string rest = path;
        for (auto dot = rest.find('.'); parent && dot != std::string::npos; dot = rest.find('.')) {
            const std::string key = rest.substr(0, dot);
            rest = rest.substr(dot + 1);
            parent = parent->has(key) && parent->get(key).type() == typeid(Poco::JSON::Object::Ptr)
                         ? parent->getObject(key)
                         : nullptr;
        }
        if (!parent || !parent->has(rest) || parent->get(rest).type() != typeid(Poco::JSON::Array::Ptr)) continue;
        auto table = parent->getArray(rest);
        Poco::JSON::Array::Ptr kept = new Poco::JSON::Array;
        for (std::size_t i = 0; i < table->size(); ++i)
            if (!indices.count(i)) kept->add(table->get(static_cast<unsigned>(i)));
        parent->set(rest, kept);
    }
    return copy;
}

} // namespace passerelle::forms
