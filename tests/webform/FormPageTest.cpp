// The form-page generator: every field type gets its control, names are JSON
// pointers, ids derive from them, errors are tied to their inputs and listed
// in a summary whose links land on elements of the page.
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include "forms/FormDef.h"
#include "forms/Validator.h"
#include "support/TestSupport.h"
#include "webform/WebformTestSupport.h"

using namespace passerelle;
using passerelle::testing::count;
using passerelle::testing::renderFormHtml;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& text) {
    Poco::JSON::Parser p;
    return p.parse(text).extract<Poco::JSON::Object::Ptr>();
}

// One field of every type, a computed one and a table.
const char* kEveryType = R"json({
  "id": "essai", "version": "1.0.0", "title": "Essai", "formats": ["pdf"],
  "variants": [{"name": "standard", "label": "Standard"}],
  "derivations": ["finDePeriode"],
  "fields": [
    {"name": "nom", "label": "Nom d’usage", "type": "text", "required": true, "maxLength": 50, "help": "Tel qu’il figure sur le bail.", "category": "identite", "housing": true},
    {"name": "notes", "label": "Notes", "type": "longtext", "maxLength": 4000, "category": "accompagnement", "housing": true},
    {"name": "dateDebut", "label": "Date de début", "type": "date", "required": true, "category": "administratif", "housing": true},
    {"name": "dureeMois", "label": "Durée (mois)", "type": "integer", "min": 1, "max": 36, "category": "administratif", "housing": true},
    {"name": "dateFin", "label": "Date de fin", "type": "date", "computed": "finDePeriode", "category": "administratif", "housing": true},
    {"name": "loyer", "label": "Loyer", "type": "amount", "category": "budget", "housing": true},
    {"name": "part", "label": "Part", "type": "percent", "category": "budget", "housing": true},
    {"name": "parcours", "label": "Parcours", "type": "enum", "required": true, "category": "logement", "housing": true,
     "options": [{"value": "acces", "label": "Accès"}, {"value": "maintien", "label": "Maintien"}]},
    {"name": "commune", "label": "Commune", "type": "enum", "category": "logement", "housing": true,
     "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}, {"value": "d", "label": "D"},
                 {"value": "e", "label": "E"}, {"value": "f", "label": "F"}, {"value": "g", "label": "G"}, {"value": "h", "label": "H"}]},
    {"name": "motifs", "label": "Motifs", "type": "enum", "multiple": true, "category": "logement", "housing": true,
     "options": [{"value": "impayes", "label": "Impayés"}, {"value": "hygiene", "label": "Hygiène"}]},
    {"name": "informe", "label": "Ménage informé", "type": "boolean", "required": true, "category": "consentement", "housing": true},
    {"name": "titulaire", "label": "Titulaire", "type": "person", "category": "identite", "housing": true},
    {"name": "bailleur", "label": "Bailleur", "type": "organisation", "category": "partenaire", "housing": true},
    {"name": "logement", "label": "Logement", "type": "group", "category": "logement", "housing": true, "fields": [
      {"name": "adresse", "label": "Adresse", "type": "text", "required": true}
    ]},
    {"name": "membres", "label": "Membres du ménage", "type": "table", "required": true, "minItems": 1, "category": "composition", "housing": true, "fields": [
      {"name": "prenom", "label": "Prénom", "type": "text", "required": true},
      {"name": "age", "label": "Âge", "type": "integer"}
    ]}
  ]})json";

std::shared_ptr<const forms::FormDef> everyType() {
    auto r = forms::parseFormDef(parse(kEveryType));
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    return r.value();
}

web::FormPage page(const forms::FormDef& def, Poco::JSON::Object::Ptr values = nullptr,
                   std::vector<FieldError> errors = {}, Poco::JSON::Object::Ptr computed = nullptr) {
    web::FormPageInput in;
    in.form = &def;
    in.variant = def.variants.front().name;
    in.values = values;
    in.computed = computed;
    in.errors = std::move(errors);
    return web::buildFormPage(in);
}

// The opening tag of the element with id `id` ("" when there is none).
std::string tagWithId(const std::string& html, const std::string& id) {
    std::size_t at = html.find("id=\"" + id + "\"");
    if (at == std::string::npos) return "";
    std::size_t open = html.rfind('<', at), close = html.find('>', at);
    return html.substr(open, close - open + 1);
}

} // namespace

TEST(FieldId, DerivedFromThePointer) {
    EXPECT_EQ(web::fieldId("/menage/composition/0/nom"), "f-menage-composition-0-nom");
    EXPECT_EQ(web::fieldId("/a~1b"), "f-a_x7e_1b");
    EXPECT_EQ(web::fieldId("/t/__i__/x_y"), "f-t-__i__-x_y");
    EXPECT_NE(web::fieldId("/a/b"), web::fieldId("/a_b"));
}

TEST(FormPage, EveryFieldTypeGetsItsControl) {
    auto def = everyType();
    std::string html = renderFormHtml(page(*def));

    EXPECT_NE(tagWithId(html, "f-nom").find("<input class=\"champ__saisie\" type=\"text\""), std::string::npos) << html;
    EXPECT_NE(tagWithId(html, "f-nom").find("name=\"/nom\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-nom").find("aria-describedby=\"f-nom--hint\""), std::string::npos);
    EXPECT_NE(html.find("id=\"f-nom--hint\">Tel qu’il figure sur le bail.</div>"), std::string::npos);

    std::string notes = tagWithId(html, "f-notes");
    EXPECT_EQ(notes.rfind("<textarea", 0), 0u) << notes;
    EXPECT_NE(notes.find("data-maxlength=\"4000\""), std::string::npos);
    EXPECT_NE(html.find("data-counter-for=\"f-notes\""), std::string::npos);
    EXPECT_NE(html.find("jusqu’à 4\xC2\xA0" "000 caractères"), std::string::npos);

    // A date is a text input in the French format (a browser's date picker would follow the browser's locale).
    EXPECT_NE(tagWithId(html, "f-dateDebut").find("type=\"text\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-dateDebut").find("data-date"), std::string::npos);
    EXPECT_NE(html.find("id=\"f-dateDebut--hint\">Au format jj/mm/aaaa, par exemple 22/11/2026.</div>"), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-dureeMois").find("inputmode=\"numeric\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-loyer").find("inputmode=\"decimal\""), std::string::npos);
    EXPECT_NE(html.find("aria-hidden=\"true\">€</span>"), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-part").find("inputmode=\"decimal\""), std::string::npos);
    EXPECT_NE(html.find("aria-hidden=\"true\">%</span>"), std::string::npos);

    // Few options: radios in a fieldset with a legend; the first radio carries the field's id.
    EXPECT_NE(tagWithId(html, "f-parcours").find("type=\"radio\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-parcours--2").find("value=\"maintien\""), std::string::npos);
    EXPECT_NE(html.find("<legend class=\"champ__libelle\">Parcours</legend>"), std::string::npos);
    // Many options: a select.
    EXPECT_EQ(tagWithId(html, "f-commune").rfind("<select", 0), 0u);
    EXPECT_EQ(count(html, "<option value=\""), 8u + 1u);
    // Several values: checkboxes under one name.
    EXPECT_NE(tagWithId(html, "f-motifs").find("type=\"checkbox\""), std::string::npos);
    EXPECT_EQ(count(html, "name=\"/motifs\""), 2u);
    // Boolean: Oui / Non radios.
    EXPECT_NE(tagWithId(html, "f-informe").find("value=\"true\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-informe--2").find("value=\"false\""), std::string::npos);
    EXPECT_NE(html.find(">Oui</label>"), std::string::npos);

    // Person and organisation: fieldsets with their built-in fields.
    EXPECT_NE(tagWithId(html, "f-titulaire").find("<fieldset class=\"groupe\""), std::string::npos);
    EXPECT_NE(html.find("name=\"/titulaire/nom\""), std::string::npos);
    EXPECT_NE(html.find("name=\"/titulaire/dateNaissance\""), std::string::npos);
    EXPECT_NE(html.find("name=\"/bailleur/referent\""), std::string::npos);
    EXPECT_NE(html.find("<legend class=\"groupe__titre\">Logement"), std::string::npos);
    EXPECT_NE(html.find("name=\"/logement/adresse\""), std::string::npos);

    // A required table starts with one row; add and remove are submit buttons (no script needed).
    EXPECT_NE(tagWithId(html, "f-membres").find("<fieldset class=\"champ-tableau\""), std::string::npos);
    EXPECT_NE(html.find("name=\"/membres/0/prenom\""), std::string::npos);
    EXPECT_NE(html.find("id=\"f-membres-0-prenom\""), std::string::npos);
    EXPECT_NE(html.find("<button type=\"submit\" class=\"bouton bouton--secondaire\" name=\"_action\" value=\"add:/membres\""),
              std::string::npos);
    EXPECT_NE(html.find("name=\"_action\" value=\"remove:/membres/0\""), std::string::npos);
    EXPECT_NE(html.find("Membres du ménage, ligne 1"), std::string::npos);
    // The row a script clones sits in an inert <template> with a placeholder index.
    EXPECT_NE(html.find("<template data-row-template>"), std::string::npos);
    EXPECT_NE(html.find("name=\"/membres/__i__/prenom\""), std::string::npos);

    // Computed: shown, never an input.
    EXPECT_EQ(html.find("name=\"/dateFin\""), std::string::npos);
    EXPECT_NE(html.find("Calculé à la finalisation"), std::string::npos);
    EXPECT_NE(html.find(">Date de fin</p>"), std::string::npos);
}

TEST(FormPage, ValuesAreShownBackAsTyped) {
    auto def = everyType();
    auto values = parse(R"({"nom": "Benali <script>", "notes": "ligne 1\nligne 2", "dateDebut": "2026-11-22", "dureeMois": "douze",
        "loyer": "1 234,56", "part": 27.5, "parcours": "maintien", "commune": "h", "motifs": ["hygiene"], "informe": false,
        "titulaire": {"nom": "Benali"}, "membres": [{"prenom": "Amina", "age": 34}, {"prenom": "Yanis"}]})");
    std::string html = renderFormHtml(page(*def, values));
    EXPECT_NE(tagWithId(html, "f-nom").find("value=\"Benali &lt;script&gt;\""), std::string::npos) << "escaped";
    EXPECT_NE(html.find(">ligne 1\nligne 2</textarea>"), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-dateDebut").find("value=\"22/11/2026\""), std::string::npos) << "ISO shown as jj/mm/aaaa";
    EXPECT_NE(tagWithId(html, "f-dureeMois").find("value=\"douze\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-loyer").find("value=\"1 234,56\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-part").find("value=\"27,5\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-parcours--2").find(" checked"), std::string::npos);
    EXPECT_EQ(tagWithId(html, "f-parcours").find(" checked"), std::string::npos);
    EXPECT_NE(html.find("<option value=\"h\" selected>"), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-motifs--2").find(" checked"), std::string::npos);
    EXPECT_EQ(tagWithId(html, "f-motifs").find(" checked"), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-informe--2").find(" checked"), std::string::npos) << "false is Non";
    EXPECT_NE(tagWithId(html, "f-titulaire-nom").find("value=\"Benali\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-membres-1-prenom").find("value=\"Yanis\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-membres-0-age").find("value=\"34\""), std::string::npos);
    EXPECT_NE(html.find("Membres du ménage, ligne 2"), std::string::npos);
    EXPECT_NE(html.find("value=\"remove:/membres/1\""), std::string::npos);
}

TEST(FormPage, ComputedValuesAreShownOnceKnown) {
    auto def = everyType();
    auto values = parse(R"({"nom": "X", "dateDebut": "2026-03-01", "dureeMois": 6, "parcours": "acces", "informe": true,
                          "membres": [{"prenom": "A"}]})");
    auto filled = forms::fill(def, values);
    ASSERT_TRUE(filled.isOk()) << filled.status().toString();
    std::string html = renderFormHtml(page(*def, values, {}, filled.value().data));
    EXPECT_NE(html.find("<p class=\"calcule\" id=\"f-dateFin\" aria-describedby=\"f-dateFin--note\">31/08/2026</p>"),
              std::string::npos) << html;
}

TEST(FormPage, ErrorsAreTiedToTheirInputsAndSummarised) {
    auto def = everyType();
    auto values = parse(R"({"dureeMois": "douze", "motifs": ["impayes", "nimporte"], "membres": [{"age": 3}]})");
    auto errors = forms::validate(*def, values);
    ASSERT_FALSE(errors.empty());
    auto p = page(*def, values, errors);
    std::string html = renderFormHtml(p);

    // The summary comes first, takes focus, and links every error to an element of the page.
    EXPECT_EQ(html.find("<div class=\"resume-erreurs\" role=\"alert\" tabindex=\"-1\" autofocus"), 0u) << html.substr(0, 300);
    std::regex link("<a href=\"#([^\"]+)\">([^<]+)</a>");
    std::set<std::string> targets;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), link); it != std::sregex_iterator(); ++it) {
        std::string id = (*it)[1];
        targets.insert(id);
        EXPECT_FALSE(tagWithId(html, id).empty()) << "link to #" << id << " lands nowhere";
    }
    EXPECT_EQ(count(html, "<li><a href=\"#"), errors.size());
    EXPECT_TRUE(targets.count("f-nom"));
    EXPECT_TRUE(targets.count("f-dureeMois"));
    EXPECT_TRUE(targets.count("f-motifs")) << "an error on an option goes to the choice";
    EXPECT_TRUE(targets.count("f-membres-0-prenom"));
    EXPECT_TRUE(targets.count("f-parcours")) << "radios: the first radio";
    // Labels name the field, with its row.
    EXPECT_NE(html.find(">Nom d’usage : Champ obligatoire manquant.</a>"), std::string::npos);
    EXPECT_NE(html.find(">Membres du ménage, ligne 1 › Prénom : Champ obligatoire manquant.</a>"), std::string::npos);

    // aria-invalid and aria-describedby point at the message.
    std::string duree = tagWithId(html, "f-dureeMois");
    EXPECT_NE(duree.find("aria-invalid=\"true\""), std::string::npos) << duree;
    EXPECT_NE(duree.find("aria-describedby=\"f-dureeMois--error\""), std::string::npos) << duree;
    EXPECT_NE(html.find("id=\"f-dureeMois--error\"><span class=\"masque\">Erreur :</span> Nombre entier attendu."),
              std::string::npos);
    EXPECT_NE(tagWithId(html, "f-nom").find("aria-describedby=\"f-nom--hint f-nom--error\""), std::string::npos);
    EXPECT_NE(tagWithId(html, "f-parcours").find("aria-invalid=\"true\""), std::string::npos);
    // A valid field is not marked.
    EXPECT_EQ(tagWithId(html, "f-loyer").find("aria-invalid"), std::string::npos);
    // Every id is unique.
    std::regex idAttr(" id=\"([^\"]+)\"");
    std::map<std::string, int> ids;
    std::string visible = html.substr(0, html.find("<template"));
    for (auto it = std::sregex_iterator(visible.begin(), visible.end(), idAttr); it != std::sregex_iterator(); ++it) ++ids[(*it)[1]];
    for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
}

// Every example of the repository, on its form's page: every value typed is
// on the page, in the input named by its pointer.
TEST(FormPage, EveryExampleIsShownInInputsNamedByPointers) {
    const auto& catalog = passerelle::testing::repoCatalog();
    int checked = 0;
    for (const auto& ex : passerelle::testing::exampleFiles()) {
        auto def = catalog.forms->find(ex.form);
        ASSERT_TRUE(def) << ex.name;
        auto values = passerelle::testing::readJson(ex.file);
        std::string html = renderFormHtml(page(*def, values));
        for (const auto& [pointer, text] : passerelle::testing::pairsOf(values)) {
            std::string escaped;
            for (char c : text) {
                if (c == '&') escaped += "&amp;";
                else if (c == '<') escaped += "&lt;";
                else if (c == '>') escaped += "&gt;";
                else if (c == '"') escaped += "&quot;";
                else if (c == '\'') escaped += "&#39;";
                else escaped.push_back(c);
            }
            std::string comma = escaped; // percentages are shown with a decimal comma
            for (char& c : comma)
                if (c == '.') c = ',';
            // Dates are shown as the page asks for them: jj/mm/aaaa.
            static const std::regex isoDate("([0-9]{4})-([0-9]{2})-([0-9]{2})");
            std::smatch dm;
            if (std::regex_match(text, dm, isoDate)) escaped = dm[3].str() + "/" + dm[2].str() + "/" + dm[1].str();
            bool asInput = html.find("name=\"" + pointer + "\" value=\"" + escaped + "\"") != std::string::npos ||
                           html.find("name=\"" + pointer + "\" value=\"" + comma + "\"") != std::string::npos;
            bool asText = html.find("name=\"" + pointer + "\" rows=\"5\"") != std::string::npos &&
                          html.find(">" + escaped + "</textarea>") != std::string::npos;
            bool asChoice = html.find("name=\"" + pointer + "\" value=\"" + escaped + "\" checked") != std::string::npos;
            bool asOption = html.find("<option value=\"" + escaped + "\" selected>") != std::string::npos;
            EXPECT_TRUE(asInput || asText || asChoice || asOption) << ex.name << " " << pointer << " = " << text;
            ++checked;
        }
    }
    EXPECT_GT(checked, 300);
}

TEST(FormPage, GrilleVariantShowsOnlyItsReferential) {
    const auto& catalog = passerelle::testing::repoCatalog();
    auto def = catalog.forms->find("grille-capacite-habiter");
    ASSERT_TRUE(def);
    EXPECT_EQ(web::fieldsOfOtherVariants(*catalog.templates, *def, "affil"), std::set<std::string>{"cotesDArmor"});
    EXPECT_EQ(web::fieldsOfOtherVariants(*catalog.templates, *def, "cotes-darmor"), std::set<std::string>{"affil"});
    auto fiche = catalog.forms->find("fiche-navette");
    EXPECT_TRUE(web::fieldsOfOtherVariants(*catalog.templates, *fiche, "standard").empty());

    web::FormPageInput in;
    in.form = def.get();
    in.variant = "cotes-darmor";
    in.hiddenFields = web::fieldsOfOtherVariants(*catalog.templates, *def, in.variant);
    std::string html = renderFormHtml(web::buildFormPage(in));
    EXPECT_NE(html.find("name=\"/cotesDArmor/situationAdministrative/identiteSejour/niveau\""), std::string::npos);
    EXPECT_EQ(html.find("name=\"/affil/"), std::string::npos);
}

TEST(FormPage, QualifiedLabel) {
    auto def = passerelle::testing::repoCatalog().forms->find("fiche-navette");
    EXPECT_EQ(web::qualifiedLabel(*def, "/menage/composition/1/nom"), "Ménage › Composition du ménage, ligne 2 › Nom");
    EXPECT_EQ(web::qualifiedLabel(*def, "/date"), "Date de la fiche");
    EXPECT_EQ(web::qualifiedLabel(*def, "/inconnu"), "");
}

// A date that does not read: the typed text stays in its input, and the message names the field
// and the format the page asks for (never the ISO form of the API).
TEST(FormPage, InvalidDateNamesTheFieldAndTheFrenchFormat) {
    auto def = everyType();
    auto values = parse(R"({"nom": "X", "dateDebut": "31/02/2026"})");
    auto errors = forms::validate(*def, values);
    std::string html = renderFormHtml(page(*def, values, errors));
    EXPECT_NE(tagWithId(html, "f-dateDebut").find("value=\"31/02/2026\""), std::string::npos) << "as typed";
    EXPECT_NE(tagWithId(html, "f-dateDebut").find("aria-invalid=\"true\""), std::string::npos);
    const std::string message =
        "« Date de début » n’est pas une date valide : saisissez-la au format jj/mm/aaaa, par exemple 22/11/2026.";
    EXPECT_NE(html.find("<a href=\"#f-dateDebut\">" + message + "</a>"), std::string::npos) << html.substr(0, 1500);
    EXPECT_NE(html.find("id=\"f-dateDebut--error\"><span class=\"masque\">Erreur :</span> " + message), std::string::npos);
    EXPECT_EQ(html.find("AAAA-MM-JJ"), std::string::npos);
}
