#pragma once
// FormPost: a posted form page (application/x-www-form-urlencoded pairs whose
// names are the JSON pointers of their values, see FormPage.h) back into the
// JSON document the form expects. Pure.
//
//  - Types come from the definition: integers become JSON integers, percentages
//    numbers ("27,5" or "27.5"), booleans true/false, multiple choices arrays,
//    amounts stay the text typed ("1 234,56" and "1234.56" are both amounts).
//    A value that does not read as its type is kept as the text typed, so that
//    validation names it and the page shows it back unchanged: nothing typed is
//    ever lost.
//  - Empty inputs are dropped, then the groups they leave empty, so a draft may
//    be incomplete; a table row that was posted stays (as {} when blank: the
//    person added it; finalising then names its fields). CR LF becomes LF.
//  - Names that are not pointers ("_csrf", "_action"…) are not values; a pointer
//    the definition does not know, or one that names a computed field, is
//    ignored (listed in `ignored`).
//  - Table rows without JavaScript: the submit button `_action` = "add:/ptr"
//    appends an empty row, "remove:/ptr/N" removes row N (as posted); rows are
//    renumbered from 0 in their posted order.
#include <string>
#include <utility>
#include <vector>

#include <Poco/JSON/Object.h>

#include "forms/FormDef.h"

namespace passerelle::web {

using PostedPairs = std::vector<std::pair<std::string, std::string>>;

struct TableAction {
    enum class Kind { None, Add, Remove } kind = Kind::None;
    std::string pointer; // the table (Add) or the row (Remove)
};

// "add:/a/b" / "remove:/a/b/2"; Kind::None for anything else.
TableAction parseTableAction(const std::string& action);

struct PostedForm {
    Poco::JSON::Object::Ptr values;    // never null
    std::vector<std::string> ignored;  // pointers not taken
};

PostedForm postedToJson(const forms::FormDef& form, const PostedPairs& pairs, const TableAction& action = {});

} // namespace passerelle::web
