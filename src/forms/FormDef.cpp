#include "forms/FormDef.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include <Poco/JSON/Array.h>

#include "common/Money.h"
#include "forms/StrictObject.h"
#include "forms/Validator.h"

namespace passerelle::forms {

namespace {

const std::vector<std::pair<FieldType, const char*>>& typeNames() {
    static const std::vector<std::pair<FieldType, const char*>> names = {
        {FieldType::Text, "text"},       {FieldType::LongText, "longtext"}, {FieldType::Date, "date"},
        {FieldType::Amount, "amount"},   {FieldType::Integer, "integer"},   {FieldType::Percent, "percent"},
        {FieldType::Enum, "enum"},       {FieldType::Boolean, "boolean"},   {FieldType::Person, "person"},
        {FieldType::Organisation, "organisation"}, {FieldType::Group, "group"}, {FieldType::Table, "table"}};
    return names;
}

FieldDef makeLeaf(const char* name, const char* label, FieldType type, bool required) {
    FieldDef f;
    f.name = name;
    f.label = label;
    f.type = type;
    f.required = required;
    return f;
}

// Built-in sub-fields of a person and of an organisation.
std::vector<FieldDef> personFields() {
    std::vector<FieldDef> v;
    v.push_back(makeLeaf("civilite", "Civilité", FieldType::Text, false));
    v.push_back(makeLeaf("nom", "Nom", FieldType::Text, true));
    v.push_back(makeLeaf("prenom", "Prénom", FieldType::Text, true));
    v.push_back(makeLeaf("dateNaissance", "Date de naissance", FieldType::Date, false));
    v.push_back(makeLeaf("qualite", "Qualité / lien", FieldType::Text, false));
    v.push_back(makeLeaf("telephone", "Téléphone", FieldType::Text, false));
    v.push_back(makeLeaf("email", "Courriel", FieldType::Text, false));
    for (auto& f : v) f.maxLength = f.type == FieldType::Text ? std::optional<long>(200) : std::nullopt;
    return v;
}

std::vector<FieldDef> organisationFields() {
    std::vector<FieldDef> v;
    v.push_back(makeLeaf("nom", "Nom", FieldType::Text, true));
    v.push_back(makeLeaf("service", "Service", FieldType::Text, false));
    v.push_back(makeLeaf("adresse", "Adresse", FieldType::Text, false));
    v.push_back(makeLeaf("referent", "Référent", FieldType::Text, false));
    v.push_back(makeLeaf("fonction", "Fonction", FieldType::Text, false));
    v.push_back(makeLeaf("telephone", "Téléphone", FieldType::Text, false));
    v.push_back(makeLeaf("email", "Courriel", FieldType::Text, false));
    for (auto& f : v) f.maxLength = 300;
    return v;
}

// Reads a definition strictly (forms/StrictObject.h): exact JSON types, known keys only,
// keys that apply to the field's type only, coherent bounds. Every problem is listed.
struct Parser {
    std::vector<FieldError> errors;
    bool personalData = true;
    std::set<std::string> derivations; // those the form lists

    void fail(const std::string& where, const std::string& rule, const std::string& message) {
        errors.push_back({where, rule, message});
    }

    std::optional<long long> bound(StrictObject& so, const Poco::JSON::Object::Ptr& o, const char* key, FieldType type) {
        if (!so.has(key)) return std::nullopt;
        const std::string where = so.at(key);
        auto v = o->get(key);
        if (type == FieldType::Amount) {
            std::optional<money::Cents> c = v.isString() ? money::parse(v.toString())
                                            : v.isNumeric() && !v.isBoolean() ? money::fromDouble(v.convert<double>()) : std::nullopt;
            if (!c) fail(where, "bad_bound", "Borne de montant invalide : montant en euros (nombre ou texte « 1234.56 ») attendu, trouvé " + describeJsonValue(v) + ".");
            return c;
        }
        if (type == FieldType::Percent) {
            auto d = so.number(key, -1e9, 1e9);
            if (!d) return std::nullopt;
            return static_cast<long long>(std::llround(*d * 100.0));
        }
        return so.integer(key, LLONG_MIN, LLONG_MAX);
    }

    void parseField(const Poco::JSON::Object::Ptr& o, const std::string& where, const std::string& inheritedCategory,
                    bool inheritedHousing, bool inheritedKnown, FieldDef& out) {
        static const std::regex kName("^[a-zA-Z][a-zA-Z0-9_]*$");
        StrictObject so(o, where, errors);
        out.name = so.str("name", /*required=*/true).value_or("");
        if (!std::regex_match(out.name, kName)) fail(where + "/name", "bad_name", "Nom de champ invalide : « " + out.name + " ».");
        out.label = so.str("label").value_or(out.name);
        out.help = so.str("help").value_or("");
        std::string typeName = so.str("type", /*required=*/true).value_or("");
        auto type = fieldTypeFromName(typeName);
        if (!type) {
            fail(where + "/type", "bad_type", "Type de champ inconnu : « " + typeName + " ».");
            for (const char* k : {"required", "category", "housing", "computed", "minLength", "maxLength", "min", "max",
                                  "minItems", "maxItems", "options", "multiple", "fields"}) so.allow(k);
            so.finish();
            return;
        }
        out.type = *type;
        out.required = so.boolean("required").value_or(false);
        out.category = so.str("category").value_or(inheritedCategory);
        auto housing = so.boolean("housing");
        bool hasHousing = o->has("housing");
        out.housing = housing.value_or(inheritedHousing);
        if (out.category.empty()) fail(where + "/category", "missing_category", "Chaque champ doit porter une catégorie de données.");
        else if (std::find(knownCategories().begin(), knownCategories().end(), out.category) == knownCategories().end())
            fail(where + "/category", "unknown_category", "Catégorie de données inconnue : « " + out.category + " ».");
        if (!hasHousing && !inheritedKnown)
            fail(where + "/housing", "missing_housing", "Préciser si l'information est liée au logement (housing).");
        if (auto c = so.str("computed")) {
            out.computed = *c;
            if (!DerivationRegistry::instance().find(*c) || !derivations.count(*c))
                fail(where + "/computed", "unknown_derivation",
                     "« computed » doit nommer un calcul connu de Passerelle et listé dans « derivations » du formulaire : « " + *c + " ».");
        }

        // Keys that apply to some types only.
        const bool isText = out.type == FieldType::Text || out.type == FieldType::LongText;
        const bool isNumber = out.type == FieldType::Amount || out.type == FieldType::Integer || out.type == FieldType::Percent;
        const bool hasChildren = out.type == FieldType::Group || out.type == FieldType::Table || out.isComposite();
        auto notFor = [&](const char* key, bool applies) {
            if (applies || !o->has(key)) return false;
            so.allow(key);
            fail(so.at(key), "not_applicable", std::string("« ") + key + " » ne s'applique pas à un champ de type « " + typeName + " ».");
            return true;
        };
        constexpr long long kMaxLength = 1000000, kMaxRows = 10000;
        if (!notFor("minLength", isText)) if (auto v = so.integer("minLength", 0, kMaxLength)) out.minLength = static_cast<long>(*v);
        if (!notFor("maxLength", isText)) if (auto v = so.integer("maxLength", 1, kMaxLength)) out.maxLength = static_cast<long>(*v);
        if (out.minLength && out.maxLength && *out.minLength > *out.maxLength)
            fail(where + "/minLength", "min_above_max", "« minLength » dépasse « maxLength ».");
        if (!out.maxLength && out.type == FieldType::Text) out.maxLength = 500;
        if (!out.maxLength && out.type == FieldType::LongText) out.maxLength = 20000;
        if (!notFor("min", isNumber)) out.min = bound(so, o, "min", out.type);
        if (!notFor("max", isNumber)) out.max = bound(so, o, "max", out.type);
        if (out.min && out.max && *out.min > *out.max) fail(where + "/min", "min_above_max", "« min » dépasse « max ».");
        if (!notFor("minItems", out.type == FieldType::Table)) if (auto v = so.integer("minItems", 0, kMaxRows)) out.minItems = static_cast<long>(*v);
        if (!notFor("maxItems", out.type == FieldType::Table)) if (auto v = so.integer("maxItems", 1, kMaxRows)) out.maxItems = static_cast<long>(*v);
        if (out.minItems && out.maxItems && *out.minItems > *out.maxItems)
            fail(where + "/minItems", "min_above_max", "« minItems » dépasse « maxItems ».");
        if (!out.maxItems && out.type == FieldType::Table) out.maxItems = 500;
        if (!notFor("multiple", out.type == FieldType::Enum)) out.multiple = so.boolean("multiple").value_or(false);
        if (!notFor("options", out.type == FieldType::Enum) && out.type == FieldType::Enum) {
            auto opts = so.array("options");
            if (!opts || opts->size() == 0) {
                if (!o->has("options") || opts) fail(where + "/options", "missing_options", "Une liste de choix doit avoir des options.");
            } else {
                std::set<std::string> values;
                for (std::size_t i = 0; i < opts->size(); ++i) {
                    const std::string w = where + "/options/" + std::to_string(i);
                    auto opt = opts->getObject(static_cast<unsigned>(i));
                    if (!opt) { fail(w, "bad_option", "Option invalide : objet {\"value\", \"label\"} attendu."); continue; }
                    StrictObject os(opt, w, errors);
                    EnumOption eo{os.str("value", true).value_or(""), os.str("label", true).value_or("")};
                    os.finish();
                    if (eo.value.empty()) fail(w + "/value", "bad_option", "Valeur d'option vide.");
                    else if (!values.insert(eo.value).second)
                        fail(w + "/value", "duplicate_option", "Option définie deux fois : « " + eo.value + " ».");
                    out.options.push_back(std::move(eo));
                }
            }
        }
        if (out.type == FieldType::Person) {
            if (!personalData) fail(where + "/type", "personal_data_forbidden",
                                    "Ce formulaire est destiné aux financeurs : aucune donnée personnelle (champ personne) n'est admise.");
            out.fields = personFields();
        } else if (out.type == FieldType::Organisation) {
            out.fields = organisationFields();
        }
        for (auto& f : out.fields) { f.category = out.category; f.housing = out.housing; }
        if (!notFor("fields", hasChildren) && hasChildren) {
            auto children = so.array("fields");
            if (!children && !o->has("fields") && (out.type == FieldType::Group || out.type == FieldType::Table))
                fail(where + "/fields", "missing_fields", "Un groupe ou un tableau doit décrire ses champs.");
            if (children) parseFields(children, where + "/fields", out.category, out.housing, out.fields);
        }
        so.allow("categoryFrom");
        if (o->has("categoryFrom")) parseCategoryFrom(o, where + "/categoryFrom", out);
        so.finish();
    }

    // "categoryFrom": {"field": "<enum column>", "categories": {"<option>": {"category": "…", "housing": bool}}}
    void parseCategoryFrom(const Poco::JSON::Object::Ptr& o, const std::string& where, FieldDef& out) {
        auto spec = o->getObject("categoryFrom");
        if (out.type != FieldType::Table || !spec) {
            fail(where, "bad_category_from", "« categoryFrom » ne s'applique qu'à un tableau, sous la forme {\"field\", \"categories\"}.");
            return;
        }
        for (const auto& key : spec->getNames())
            if (key != "field" && key != "categories") fail(where + "/" + key, "unknown_key", "Clé inconnue : « " + key + " ».");
        const Poco::Dynamic::Var column = spec->get("field");
        out.categoryFrom = column.isString() ? column.extract<std::string>() : "";
        const FieldDef* enumColumn = nullptr;
        for (const auto& f : out.fields)
            if (f.name == out.categoryFrom && f.type == FieldType::Enum && !f.multiple) enumColumn = &f;
        if (!enumColumn) {
            fail(where + "/field", "bad_category_from", "« categoryFrom » doit nommer une colonne à choix unique du tableau.");
            return;
        }
        auto categories = spec->getObject("categories");
        if (!categories) { fail(where + "/categories", "bad_category_from", "Associer chaque option de la colonne à une catégorie."); return; }
        for (const auto& value : categories->getNames()) {
            const std::string w = where + "/categories/" + value;
            if (!enumColumn->option(value)) { fail(w, "unknown_option", "Option inconnue de la colonne « " + out.categoryFrom + " » : « " + value + " »."); continue; }
            auto c = categories->getObject(value);
            const Poco::Dynamic::Var cat = c ? c->get("category") : Poco::Dynamic::Var();
            const Poco::Dynamic::Var housing = c ? c->get("housing") : Poco::Dynamic::Var();
            if (!c || !cat.isString() || !housing.isBoolean()) {
                fail(w, "bad_category_from", "Chaque option porte {\"category\": texte, \"housing\": true|false}.");
                continue;
            }
            const std::string category = cat.extract<std::string>();
            if (std::find(knownCategories().begin(), knownCategories().end(), category) == knownCategories().end())
                fail(w + "/category", "unknown_category", "Catégorie de données inconnue : « " + category + " ».");
            out.rowCategories[value] = {category, housing.extract<bool>()};
        }
        for (const auto& opt : enumColumn->options)
            if (!out.rowCategories.count(opt.value))
                fail(where + "/categories", "unmapped_option", "Option « " + opt.value + " » de la colonne « " + out.categoryFrom +
                                                                     " » sans catégorie : chaque option doit en avoir une.");
    }

    void parseFields(const Poco::JSON::Array::Ptr& arr, const std::string& where, const std::string& category,
                     bool housing, std::vector<FieldDef>& out) {
        std::set<std::string> builtin, seen;
        for (const auto& f : out) builtin.insert(f.name);
        for (std::size_t i = 0; i < arr->size(); ++i) {
            std::string w = where + "/" + std::to_string(i);
            auto o = arr->getObject(static_cast<unsigned>(i));
            if (!o) { fail(w, "bad_field", "Définition de champ invalide : objet { … } attendu."); continue; }
            FieldDef f;
            parseField(o, w, category, housing, !category.empty(), f);
            if (!seen.insert(f.name).second) {
                fail(w + "/name", "duplicate_field", "Champ défini deux fois : « " + f.name + " ».");
                continue;
            }
            if (builtin.count(f.name)) {
                // A form may refine a built-in sub-field (e.g. person.qualite) by redefining it.
                auto it = std::find_if(out.begin(), out.end(), [&](const FieldDef& g) { return g.name == f.name; });
                *it = std::move(f);
                continue;
            }
            out.push_back(std::move(f));
        }
    }
};

const FieldDef* findChild(const std::vector<FieldDef>& fields, const std::string& name) {
    for (const auto& f : fields) if (f.name == name) return &f;
    return nullptr;
}

Poco::JSON::Object::Ptr fieldToJson(const FieldDef& f) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("name", f.name);
    o->set("label", f.label);
    o->set("type", fieldTypeName(f.type));
    o->set("required", f.required);
    o->set("category", f.category);
    if (!f.categoryFrom.empty()) {
        Poco::JSON::Object::Ptr cf = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        cf->set("field", f.categoryFrom);
        Poco::JSON::Object::Ptr cats = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        for (const auto& [value, rc] : f.rowCategories) {
            Poco::JSON::Object::Ptr c = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            c->set("category", rc.category);
            c->set("housing", rc.housing);
            cats->set(value, c);
        }
        cf->set("categories", cats);
        o->set("categoryFrom", cf);
    }
    o->set("housing", f.housing);
    if (!f.help.empty()) o->set("help", f.help);
    if (f.minLength) o->set("minLength", *f.minLength);
    if (f.maxLength) o->set("maxLength", *f.maxLength);
    if (f.min) o->set("min", *f.min);
    if (f.max) o->set("max", *f.max);
    if (f.minItems) o->set("minItems", *f.minItems);
    if (f.maxItems) o->set("maxItems", *f.maxItems);
    if (!f.computed.empty()) o->set("computed", f.computed);
    if (f.type == FieldType::Enum) {
        o->set("multiple", f.multiple);
        Poco::JSON::Array::Ptr opts = new Poco::JSON::Array;
        for (const auto& opt : f.options) {
            Poco::JSON::Object::Ptr oo = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            oo->set("value", opt.value);
            oo->set("label", opt.label);
            opts->add(oo);
        }
        o->set("options", opts);
    }
    if (!f.fields.empty()) {
        Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
        for (const auto& c : f.fields) arr->add(fieldToJson(c));
        o->set("fields", arr);
    }
    return o;
}

} // namespace

const char* fieldTypeName(FieldType t) {
    for (const auto& [type, name] : typeNames()) if (type == t) return name;
    return "?";
}

std::optional<FieldType> fieldTypeFromName(const std::string& name) {
    for (const auto& [type, n] : typeNames()) if (name == n) return type;
    return std::nullopt;
}

const std::vector<std::string>& knownCategories() {
    static const std::vector<std::string> categories = {
        "identite", "composition", "contact", "partenaire", "administratif", "logement", "budget", "dette", "procedure-expulsion", "accompagnement",
        "sante", "justice", "famille", "emploi", "vie-sociale", "activite", "financement", "consentement"};
    return categories;
}

// Labels live beside the codes: the set of categories is closed in code (a
// form naming another one fails to load), so one list here cannot drift from
// a separate data file. The words are those of the partnership documents.
const std::string& categoryLabel(const std::string& code) {
    static const std::map<std::string, std::string> labels = {
        {"identite", "Identité"},
        {"composition", "Composition du ménage"},
        {"contact", "Coordonnées"},
        {"partenaire", "Partenaires et référents"},
        {"administratif", "Situation administrative"},
        {"logement", "Logement"},
        {"budget", "Budget"},
        {"dette", "Dette locative"},
        // The eviction procedure of the dwelling (protocole de sous-location): housing litigation, which
        // the landlord is a party to — not « justice » (the household's other dealings with the courts, never sent).
        {"procedure-expulsion", "Procédure d’expulsion"},
        {"accompagnement", "Accompagnement social"},
        {"sante", "Santé"},
        {"justice", "Justice"},
        {"famille", "Vie familiale"},
        {"emploi", "Emploi"},
        {"vie-sociale", "Voisinage et vie sociale"},
        {"activite", "Activité"},
        {"financement", "Financement"},
        {"consentement", "Consentement"}};
    auto it = labels.find(code);
    return it == labels.end() ? code : it->second;
}

bool pathCovers(const std::string& ancestor, const std::string& path) {
    return path == ancestor ||
           (path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 && path[ancestor.size()] == '.');
}

const FieldDef* FieldDef::child(const std::string& n) const { return findChild(fields, n); }

const EnumOption* FieldDef::option(const std::string& value) const {
    for (const auto& o : options) if (o.value == value) return &o;
    return nullptr;
}

const FieldDef* FormDef::field(const std::string& dottedPath) const {
    const std::vector<FieldDef>* level = &fields;
    const FieldDef* found = nullptr;
    std::size_t start = 0;
    while (start <= dottedPath.size()) {
        std::size_t dot = dottedPath.find('.', start);
        std::string part = dottedPath.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        found = findChild(*level, part);
        if (!found) return nullptr;
        if (dot == std::string::npos) return found;
        level = &found->fields;
        start = dot + 1;
    }
    return found;
}

Result<std::string> chooseVariant(const FormDef& def, const Poco::JSON::Object::Ptr& data, const std::string& requested) {
    const VariantDef* filled = nullptr;
    int filledCount = 0;
    bool any = false;
    for (const auto& v : def.variants) {
        if (v.fills.empty()) continue;
        any = true;
        if (data && data->has(v.fills) && data->get(v.fills).type() == typeid(Poco::JSON::Object::Ptr) &&
            data->getObject(v.fills)->size() > 0) {
            filled = &v;
            ++filledCount;
        }
    }
    const std::string fallback = requested.empty() ? def.variants.front().name : requested;
    if (!any || filledCount != 1) return fallback; // none or several filled: the form's own checks report it
    if (requested.empty() || requested == filled->name) return filled->name;
    const VariantDef* asked = def.variant(requested);
    const FieldDef* group = def.field(filled->fills);
    std::string message = "La variante « " + requested + " »" + (asked && !asked->label.empty() ? " (" + asked->label + ")" : "") +
                          " ne correspond pas aux données : elles renseignent le « " + (group ? group->label : filled->fills) +
                          " », que présente la variante « " + filled->name + " ».";
    return Status::invalidArgument("variant_mismatch", "Variante contradictoire avec les données.",
                                   {{"/" + filled->fills, "variante_contradictoire", message}});
}

const VariantDef* FormDef::variant(const std::string& name) const {
    for (const auto& v : variants) if (v.name == name) return &v;
    return nullptr;
}

bool FormDef::supportsFormat(const std::string& format) const {
    return std::find(formats.begin(), formats.end(), format) != formats.end();
}

Result<std::shared_ptr<const FormDef>> parseFormDef(const Poco::JSON::Object::Ptr& json) {
    static const std::regex kId("^[a-z0-9]+(-[a-z0-9]+)*$");
    auto def = std::make_shared<FormDef>();
    Parser p;
    StrictObject so(json, "", p.errors);
    def->id = so.str("id", /*required=*/true).value_or("");
    if (!std::regex_match(def->id, kId)) p.fail("/id", "bad_id", "Identifiant de formulaire invalide (kebab-case attendu).");
    def->version = so.str("version").value_or("");
    if (def->version.empty() && !json->has("version")) p.fail("/version", "missing_version", "Version manquante.");
    def->title = so.str("title").value_or(def->id);
    def->description = so.str("description").value_or("");
    def->personalData = so.boolean("personalData").value_or(true);
    p.personalData = def->personalData;
    def->parameters = so.object("parameters");
    def->signing = so.object("signing");
    if (json->has("formats")) {
        def->formats = so.strings("formats");
        std::set<std::string> seen;
        for (std::size_t i = 0; i < def->formats.size(); ++i) {
            const std::string& f = def->formats[i];
            if (f != "pdf" && f != "xlsx") p.fail("/formats/" + std::to_string(i), "unknown_format", "Format inconnu : « " + f + " » (pdf ou xlsx).");
            else if (!seen.insert(f).second) p.fail("/formats/" + std::to_string(i), "duplicate_format", "Format répété : « " + f + " ».");
        }
        if (def->formats.empty()) p.fail("/formats", "missing_formats", "Au moins un format (pdf ou xlsx) est attendu.");
    } else {
        def->formats = {"pdf"};
    }
    def->derivations = so.strings("derivations");
    for (std::size_t i = 0; i < def->derivations.size(); ++i) {
        const std::string& d = def->derivations[i];
        // Refused here rather than at every request (which would answer 500 derivation_unknown).
        if (!DerivationRegistry::instance().find(d))
            p.fail("/derivations/" + std::to_string(i), "unknown_derivation", "Calcul inconnu de Passerelle : « " + d + " ».");
        p.derivations.insert(d);
    }
    if (auto variants = so.array("variants")) {
        std::set<std::string> seen;
        for (std::size_t i = 0; i < variants->size(); ++i) {
            const std::string w = "/variants/" + std::to_string(i);
            auto v = variants->getObject(static_cast<unsigned>(i));
            if (!v) { p.fail(w, "bad_variant", "Variante invalide : objet {\"name\", \"label\"} attendu."); continue; }
            StrictObject vo(v, w, p.errors);
            VariantDef vd{vo.str("name", true).value_or(""), vo.str("label").value_or(""), vo.str("fills").value_or("")};
            vo.finish();
            if (!std::regex_match(vd.name, kId)) p.fail(w + "/name", "bad_variant", "Nom de variante invalide.");
            else if (!seen.insert(vd.name).second) p.fail(w + "/name", "duplicate_variant", "Variante définie deux fois : « " + vd.name + " ».");
            def->variants.push_back(vd);
        }
    }
    if (def->variants.empty()) def->variants.push_back({"standard", "Modèle standard"});
    auto fields = so.array("fields");
    if (!fields && !json->has("fields")) p.fail("/fields", "missing_fields", "Le formulaire ne décrit aucun champ.");
    else if (fields) p.parseFields(fields, "/fields", "", false, def->fields);
    so.finish();
    if (!p.errors.empty())
        return Status::invalidArgument("form_definition_invalid", "Définition de formulaire « " + def->id + " » invalide.", p.errors);
    return std::shared_ptr<const FormDef>(def);
}

Poco::JSON::Object::Ptr formDefToJson(const FormDef& def) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", def.id);
    o->set("version", def.version);
    o->set("title", def.title);
    if (!def.description.empty()) o->set("description", def.description);
    o->set("personalData", def.personalData);
    Poco::JSON::Array::Ptr formats = new Poco::JSON::Array;
    for (const auto& f : def.formats) formats->add(f);
    o->set("formats", formats);
    Poco::JSON::Array::Ptr variants = new Poco::JSON::Array;
    for (const auto& v : def.variants) {
        Poco::JSON::Object::Ptr vo = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        vo->set("name", v.name);
        vo->set("label", v.label);
        variants->add(vo);
    }
    o->set("variants", variants);
    Poco::JSON::Array::Ptr fields = new Poco::JSON::Array;
    for (const auto& f : def.fields) fields->add(fieldToJson(f));
    o->set("fields", fields);
    return o;
}

} // namespace passerelle::forms
