#pragma once
// Small helpers shared by the organisation admin pages and the action pages
// (issue 12): the field errors of a Status as the error summary's items, and
// the Mustache map of one labelled text input (GOV.UK pattern: label, hint,
// error, aria-describedby). Pure; no I/O.
#include <map>
#include <string>

#include <mstch/mstch.hpp>

#include "common/Status.h"

namespace passerelle::web::pages {

// "/name" → "name": the id of the input whose name is that pointer.
std::string inputId(const std::string& pointer);

// The field errors of `status` by pointer; `summary` receives {id, message} items. A status
// without details lands on `fallbackPointer`.
std::map<std::string, std::string> errorsOf(const Status& status, mstch::array& summary, const std::string& fallbackPointer);

// {id, name, label, value, hint?, error?, describedBy?} of one input named by `pointer`.
mstch::map inputField(const std::string& pointer, const std::string& label, const std::string& value,
                      const std::map<std::string, std::string>& errors, const std::string& hint = "");

} // namespace passerelle::web::pages
