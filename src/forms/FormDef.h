#pragma once
// FormDef: a declarative form definition loaded from forms/<id>.json (format
// documented in docs/forms.md). Immutable once loaded; safe to share between
// threads.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Status.h"

namespace passerelle::forms {

enum class FieldType { Text, LongText, Date, Amount, Integer, Percent, Enum, Boolean, Person, Organisation, Group, Table };

const char* fieldTypeName(FieldType t);
std::optional<FieldType> fieldTypeFromName(const std::string& name);

struct EnumOption {
    std::string value; // machine value in JSON
    std::string label; // French label shown in documents
};

struct FieldDef {
    std::string name;
    std::string label;
    std::string help;
    FieldType type = FieldType::Text;
    bool required = false;
    // Data category (identite, logement, budget, sante, justice, famille, emploi, ...)
    // and whether the information is related to housing; inherited by children.
    std::string category;
    bool housing = false;
    // Constraints (each optional).
    std::optional<long> minLength, maxLength;      // text: in characters
    std::optional<long long> min, max;             // integer; amount in cents; percent in hundredths
    std::optional<long> minItems, maxItems;        // table
    std::vector<EnumOption> options;               // enum
    bool multiple = false;                         // enum: several values (checkbox list)
    std::string computed;                          // name of a derivation; the value is computed, never input
    std::vector<FieldDef> fields;                  // group, person, organisation, table (record fields)
    // Table only: each row is classified by the value of one of its enum
    // columns ("categoryFrom": {"field": "domaine", "categories": {"sante":
    // {"category": "sante", "housing": false}, …}}): a row whose category is
    // not housing-related, or outside a consent's scope, never goes to a
    // bailleur — whatever the table's own category says. Every option of the
    // column is mapped (checked at load). Empty: rows take the table's category.
    struct RowCategory {
        std::string category;
        bool housing = false;
    };
    std::string categoryFrom;                          // the enum column's name
    std::map<std::string, RowCategory> rowCategories;  // option value -> its category

    bool isComposite() const {
        return type == FieldType::Group || type == FieldType::Person || type == FieldType::Organisation;
    }
    const FieldDef* child(const std::string& name) const;
    const EnumOption* option(const std::string& value) const;
};

struct VariantDef {
    std::string name;
    std::string label;
    // Optional: the top-level group this variant presents (a grille's référentiel). When a form's
    // variants name their groups, the variant follows the data: see chooseVariant().
    std::string fills;
};

struct FormDef {
    std::string id;
    std::string version;
    std::string title;
    std::string description;
    // Funders' forms hold aggregates only: person fields are refused at load time.
    bool personalData = true;
    std::vector<std::string> formats;      // "pdf", "xlsx"
    std::vector<VariantDef> variants;      // first is the default
    std::vector<FieldDef> fields;
    Poco::JSON::Object::Ptr parameters;    // form-level settings (e.g. thresholds), may be null
    std::vector<std::string> derivations;  // named computations run after validation (see Validator.h)
    Poco::JSON::Object::Ptr signing;       // "signing" block: who signs, in which order (docs/forms.md); null: not signable

    const FieldDef* field(const std::string& dottedPath) const; // "menage.membres"
    const VariantDef* variant(const std::string& name) const;
    bool supportsFormat(const std::string& format) const;
};

// True when dotted path `path` is `ancestor` or lies under it ("situation.sante" covers
// "situation.sante" but not "situation.santeMentale"). The one rule by which a left-out
// field hides everything beneath it, in the PDF and XLSX copies alike.
bool pathCovers(const std::string& ancestor, const std::string& path);

// The variant to render `data` with. When the form's variants name the group they present
// (VariantDef::fills), the variant is the one whose group the data fills; a requested variant
// that contradicts the data is refused (InvalidArgument, rule "variante_contradictoire", in French,
// naming both variants; the path is the group the data fills, e.g. "/cotesDArmor"). Otherwise: the requested variant,
// or the form's default. REQUIRES: `requested` is empty or a variant of the form.
Result<std::string> chooseVariant(const FormDef& def, const Poco::JSON::Object::Ptr& data, const std::string& requested);

// The categories a field may carry, with whether they can relate to housing.
const std::vector<std::string>& knownCategories();
// The French label of a known category, as a household reads it on its
// receipt ("dette" -> "Dette locative"); the code itself when unknown.
const std::string& categoryLabel(const std::string& code);

// Parses a definition; the error names the offending place in the file.
Result<std::shared_ptr<const FormDef>> parseFormDef(const Poco::JSON::Object::Ptr& json);

// Serialises a definition for GET /v1/forms.
Poco::JSON::Object::Ptr formDefToJson(const FormDef& def);

} // namespace passerelle::forms
