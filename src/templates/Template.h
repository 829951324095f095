#pragma once
// Templates: layout definitions loaded from templates/<form>.<variant>.json
// (format documented in docs/templates.md), and the Composer that turns a
// template plus a FilledForm into layout blocks. Pure: no drawing, no I/O
// besides loading the directory.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Status.h"
#include "forms/FormRegistry.h"
#include "forms/Validator.h"
#include "layout/Layout.h"

namespace passerelle::templates {

struct TemplateDef {
    std::string form;
    std::string variant;
    std::string label;
    std::string title;
    std::string subtitle;
    std::string headerLeft, headerRight, footer;
    Poco::JSON::Array::Ptr blocks; // validated at load time
};

// The text that replaces a value the household did not consent to transmit.
extern const char* const kRedactedMention;

struct ComposeOptions {
    std::string documentId;
    std::string today;                 // dd/mm/yyyy, shown where templates use {today}
    std::set<std::string> redacted;    // dotted field paths left out (consent gate)
    // A recipient copy: printed on the first page, under the title (to whom, when, under which
    // consent the copy was sent). Empty for the author's own rendering.
    std::string recipientNotice;
};

struct Composed {
    std::vector<layout::Block> blocks;
    layout::PageSetup setup;
};

class TemplateRegistry {
public:
    // Loads every "<form>.<variant>.json"; each must name a known form and variant,
    // and reference only fields that exist.
    static Result<std::shared_ptr<TemplateRegistry>> loadDirectory(const std::string& directory,
                                                                   const forms::FormRegistry& forms);
    std::shared_ptr<const TemplateDef> find(const std::string& form, const std::string& variant) const;

private:
    std::map<std::pair<std::string, std::string>, std::shared_ptr<const TemplateDef>> _templates;
};

// Checks a template against its form; returns every problem.
std::vector<FieldError> checkTemplate(const TemplateDef& t, const forms::FormDef& form);
// Field paths (dotted) of the form that the template never shows: must be empty
// for a template to honour "no value is ever dropped".
std::vector<std::string> uncoveredFields(const TemplateDef& t, const forms::FormDef& form);

Result<std::shared_ptr<const TemplateDef>> parseTemplate(const Poco::JSON::Object::Ptr& json);

Composed compose(const TemplateDef& t, const forms::FilledForm& filled, const ComposeOptions& options);

} // namespace passerelle::templates
