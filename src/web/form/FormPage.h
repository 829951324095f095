#pragma once
// FormPage: the page of a form, generated from its definition (forms/<id>.json)
// the way the PDF is: a FormDef + the values typed so far + the validation
// errors become a Mustache context for web/views/form-fields.mustache and its
// partials web/views/fields/<type>.mustache (one per field type). Pure: no I/O,
// no HTTP; nothing here knows a particular form.
//
// Names that join the layers:
//   - every input's `name` is the RFC 6901 JSON pointer of its value
//     ("/menage/composition/0/nom"); a validation error's path is therefore the
//     input it belongs to, with no mapping table;
//   - its `id` is fieldId(pointer) ("f-menage-composition-0-nom"), the target of
//     the error summary's links (href="#f-…");
//   - hint and error are tied to the input with aria-describedby, an invalid
//     input carries aria-invalid="true".
//
// Every node of the context carries every key the views read (false or empty
// when it does not apply): Mustache looks a missing key up in the enclosing
// contexts, so a text field inside a group must say isGroup=false itself.
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <mstch/mstch.hpp>

#include "common/Status.h"
#include "forms/FormDef.h"
#include "templates/Template.h"

namespace passerelle::web {

// "/menage/composition/0/nom" -> "f-menage-composition-0-nom". Field names are
// [A-Za-z][A-Za-z0-9_]* and indices digits, so "-" separates without ambiguity;
// any other character (never in a field name) becomes "_xHH_" (hex).
std::string fieldId(const std::string& pointer);

struct FormPageInput {
    const forms::FormDef* form = nullptr; // REQUIRES: not null
    std::string variant;                  // the chosen variant (never guessed by this module)
    Poco::JSON::Object::Ptr values;       // what was typed so far (a draft); may be null
    // The same values validated with their computed fields filled in
    // (forms::fill); null when the values do not validate yet: computed fields
    // then read « Calculé à la finalisation ».
    Poco::JSON::Object::Ptr computed;
    std::vector<FieldError> errors;       // from RenderService::validate (paths are JSON pointers)
    // Top-level field names this variant does not show (see fieldsOfOtherVariants).
    std::set<std::string> hiddenFields;
};

struct FormPage {
    mstch::map context;                   // keys: fields, hasErrors, errorSummary, errorCount
    std::vector<std::string> ids;         // every element id the page defines (for tests)
};

FormPage buildFormPage(const FormPageInput& input);

// Top-level fields a variant does not present for input: a group that this
// variant's template only reproduces whole, inside a `section` conditioned on
// that very group ("when": "cotesDArmor", "fields": ["cotesDArmor"]), while
// another variant's template lays it out field by field ("cotesDArmor.…"),
// belongs to the other variant (the grille's other territorial referential).
// Read from the templates, so no form is named in code.
std::set<std::string> fieldsOfOtherVariants(const templates::TemplateRegistry& templates, const forms::FormDef& form,
                                            const std::string& variant);

// The French label of the field at `pointer`, with its ancestors
// ("Ménage › Composition du ménage, ligne 2 › Nom"); empty when unknown.
std::string qualifiedLabel(const forms::FormDef& form, const std::string& pointer);

} // namespace passerelle::web
