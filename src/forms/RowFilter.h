#pragma once
// Rows left out of a table: a copy of a document's data without some rows of
// some tables (the rows a consent decision withholds, see FieldDef::categoryFrom).
// Pure; the input is never modified.
#include <cstddef>
#include <map>
#include <set>
#include <string>

#include <Poco/JSON/Object.h>

#include "forms/FormDef.h"

namespace passerelle::forms {

// Table path (dotted, as in consent decisions: "contratObjectifs.objectifs") -> row indices (0-based).
using RowSelection = std::map<std::string, std::set<std::size_t>>;

// A deep copy of `data` without the selected rows (the others keep their order).
Poco::JSON::Object::Ptr withoutRows(const Poco::JSON::Object::Ptr& data, const RowSelection& rows);

// For every table of `form` with `categoryFrom`, reachable through groups: its
// dotted path, its definition and its rows in `data` (null when absent).
struct ClassifiedTable {
    std::string path;
    const FieldDef* table = nullptr;
    Poco::JSON::Array::Ptr rows;
};
std::vector<ClassifiedTable> classifiedTables(const FormDef& form, const Poco::JSON::Object::Ptr& data);

} // namespace passerelle::forms
