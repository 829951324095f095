#pragma once
// French display of validated field values: dates 22/11/2026, amounts
// 1 234,56 €, booleans Oui/Non, enum labels. Pure.
#include <string>

#include <Poco/Dynamic/Var.h>

#include "forms/FormDef.h"

namespace passerelle::forms {

// REQUIRES: `value` passed validation for `field` and is not empty.
// Composite and table values are not scalars: returns "".
std::string formatValue(const FieldDef& field, const Poco::Dynamic::Var& value);

} // namespace passerelle::forms
