// Validation: every rule, each reported with its JSON pointer path.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include <chrono>

#include "forms/FormDef.h"
#include "forms/FormRegistry.h"
#include "forms/Validator.h"
#include "support/TestSupport.h"

using namespace passerelle;

namespace {

Poco::JSON::Object::Ptr json(const std::string& text) {
    Poco::JSON::Parser p;
    return p.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::shared_ptr<const forms::FormDef> testForm() {
    static auto def = [] {
        auto r = forms::parseFormDef(json(R"({
          "id": "essai", "version": "1", "derivations": ["tauxEffort"], "fields": [
            {"name": "nom", "type": "text", "required": true, "maxLength": 10, "minLength": 2, "category": "identite", "housing": true},
            {"name": "note", "type": "longtext", "category": "accompagnement", "housing": true},
            {"name": "date", "type": "date", "category": "administratif", "housing": true},
            {"name": "montant", "type": "amount", "min": 0, "max": "1000.00", "category": "budget", "housing": true},
            {"name": "nombre", "type": "integer", "min": 1, "max": 12, "category": "composition", "housing": true},
            {"name": "taux", "type": "percent", "category": "budget", "housing": true},
            {"name": "actif", "type": "boolean", "category": "administratif", "housing": true},
            {"name": "choix", "type": "enum", "category": "logement", "housing": true, "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
            {"name": "cases", "type": "enum", "multiple": true, "category": "logement", "housing": true, "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]},
            {"name": "titulaire", "type": "person", "category": "identite", "housing": true},
            {"name": "lignes", "type": "table", "minItems": 1, "maxItems": 2, "category": "accompagnement", "housing": true, "fields": [
              {"name": "action", "type": "text", "required": true}]},
            {"name": "calcul", "type": "amount", "computed": "tauxEffort", "category": "budget", "housing": true}
          ]})"));
        if (!r.isOk()) throw std::runtime_error(r.status().toString());
        return r.value();
    }();
    return def;
}

std::vector<FieldError> check(const std::string& data) { return forms::validate(*testForm(), json(data)); }

bool has(const std::vector<FieldError>& errors, const std::string& path, const std::string& rule) {
    for (const auto& e : errors)
        if (e.path == path && e.rule == rule) return true;
    return false;
}

std::string dump(const std::vector<FieldError>& errors) {
    std::string s;
    for (const auto& e : errors) s += e.path + " " + e.rule + " : " + e.message + "\n";
    return s;
}

} // namespace

TEST(Validator, ValidInputHasNoError) {
    auto errors = check(R"({"nom": "Benali", "note": "ligne 1\nligne 2", "date": "2026-11-22", "montant": "12,50",
        "nombre": 3, "taux": 27.5, "actif": false, "choix": "a", "cases": ["x", "y"],
        "titulaire": {"nom": "Benali", "prenom": "Samira"}, "lignes": [{"action": "Appeler"}]})");
    EXPECT_TRUE(errors.empty()) << dump(errors);
}

TEST(Validator, EveryRuleReportsItsPathAndCode) {
    struct Case { const char* input; const char* path; const char* rule; } cases[] = {
        {R"({"lignes": [{"action": "x"}]})", "/nom", "required"},
        {R"({"nom": "   ", "lignes": [{"action": "x"}]})", "/nom", "required"},
        {R"({"nom": 12, "lignes": [{"action": "x"}]})", "/nom", "type"},
        {R"({"nom": "Abcdefghijk", "lignes": [{"action": "x"}]})", "/nom", "max_length"},
        {R"({"nom": "A", "lignes": [{"action": "x"}]})", "/nom", "min_length"},
        {R"({"nom": "Ab\ncd", "lignes": [{"action": "x"}]})", "/nom", "control_character"},
        {R"({"nom": "Abc", "date": "22/11/2026", "lignes": [{"action": "x"}]})", "/date", "date_format"},
        {R"({"nom": "Abc", "date": "2026-02-30", "lignes": [{"action": "x"}]})", "/date", "date_format"},
        {R"({"nom": "Abc", "montant": "12.345", "lignes": [{"action": "x"}]})", "/montant", "amount_format"},
        {R"({"nom": "Abc", "montant": "douze", "lignes": [{"action": "x"}]})", "/montant", "amount_format"},
        {R"({"nom": "Abc", "montant": -1, "lignes": [{"action": "x"}]})", "/montant", "min"},
        {R"({"nom": "Abc", "montant": "1000.01", "lignes": [{"action": "x"}]})", "/montant", "max"},
        {R"({"nom": "Abc", "nombre": 2.5, "lignes": [{"action": "x"}]})", "/nombre", "integer"},
        {R"({"nom": "Abc", "nombre": 0, "lignes": [{"action": "x"}]})", "/nombre", "min"},
        {R"({"nom": "Abc", "nombre": 13, "lignes": [{"action": "x"}]})", "/nombre", "max"},
        {R"({"nom": "Abc", "taux": "vingt", "lignes": [{"action": "x"}]})", "/taux", "percent"},
        {R"({"nom": "Abc", "actif": "oui", "lignes": [{"action": "x"}]})", "/actif", "boolean"},
        {R"({"nom": "Abc", "choix": "c", "lignes": [{"action": "x"}]})", "/choix", "enum"},
        {R"({"nom": "Abc", "cases": "x", "lignes": [{"action": "x"}]})", "/cases", "array"},
        {R"({"nom": "Abc", "cases": ["x", "z"], "lignes": [{"action": "x"}]})", "/cases/1", "enum"},
        {R"({"nom": "Abc", "cases": ["x", "x"], "lignes": [{"action": "x"}]})", "/cases/1", "duplicate"},
        {R"({"nom": "Abc", "titulaire": "Benali", "lignes": [{"action": "x"}]})", "/titulaire", "object"},
        {R"({"nom": "Abc", "titulaire": {"nom": "Benali"}, "lignes": [{"action": "x"}]})", "/titulaire/prenom", "required"},
        {R"({"nom": "Abc", "titulaire": {"nom": "B", "prenom": "S", "age": 3}, "lignes": [{"action": "x"}]})", "/titulaire/age", "unknown_field"},
        {R"({"nom": "Abc", "lignes": {}})", "/lignes", "array"},
        {R"({"nom": "Abc", "lignes": []})", "/lignes", "min_items"},
        {R"({"nom": "Abc", "lignes": [{"action": "x"}, {"action": "y"}, {"action": "z"}]})", "/lignes", "max_items"},
        {R"({"nom": "Abc", "lignes": [{"action": "x"}, {}]})", "/lignes/1/action", "required"},
        {R"({"nom": "Abc", "lignes": [{"action": "x"}, 3]})", "/lignes/1", "object"},
        {R"({"nom": "Abc", "lignes": [{"action": "x"}], "inconnu": 1})", "/inconnu", "unknown_field"},
        {R"({"nom": "Abc", "lignes": [{"action": "x"}], "a/b": 1})", "/a~1b", "unknown_field"},
        {R"({"nom": "Abc", "lignes": [{"action": "x"}], "calcul": "12"})", "/calcul", "computed_field"},
    };
    for (const auto& c : cases) {
        auto errors = check(c.input);
        EXPECT_TRUE(has(errors, c.path, c.rule)) << "input " << c.input << " expected " << c.path << " " << c.rule << "\n got:\n" << dump(errors);
        for (const auto& e : errors) EXPECT_FALSE(e.message.empty()) << c.input;
    }
}

TEST(Validator, ReportsAllErrorsAtOnce) {
    auto errors = check(R"({"date": "hier", "montant": "x", "choix": "z", "lignes": []})");
    EXPECT_TRUE(has(errors, "/nom", "required")) << dump(errors);
    EXPECT_TRUE(has(errors, "/date", "date_format")) << dump(errors);
    EXPECT_TRUE(has(errors, "/montant", "amount_format")) << dump(errors);
    EXPECT_TRUE(has(errors, "/choix", "enum")) << dump(errors);
    EXPECT_TRUE(has(errors, "/lignes", "min_items")) << dump(errors);
    EXPECT_EQ(errors.size(), 5u) << dump(errors);
}

TEST(Validator, MessagesAreFrench) {
    auto errors = check(R"({"lignes": [{"action": "x"}], "date": "x"})");
    ASSERT_EQ(errors.size(), 2u) << dump(errors);
    EXPECT_EQ(errors[0].message, "Champ obligatoire manquant.");
    EXPECT_NE(errors[1].message.find("AAAA-MM-JJ"), std::string::npos);
}

TEST(Validator, FillRefusesInvalidDataWithEveryDetail) {
    auto filled = forms::fill(testForm(), json(R"({"nom": 3, "lignes": []})"));
    ASSERT_FALSE(filled.isOk());
    EXPECT_EQ(filled.status().errorCode(), "validation_failed");
    EXPECT_EQ(filled.status().details().size(), 2u);
}

TEST(Validator, FicheNavetteExamplesAreValidAndABrokenOneListsEveryProblem) {
    auto def = passerelle::testing::repoCatalog().forms->find("fiche-navette");
    ASSERT_TRUE(def);
    for (const char* ex : {"fiche-navette-association-vers-bailleur.json", "fiche-navette-alerte-bailleur.json"}) {
        auto errors = forms::validate(*def, passerelle::testing::readJson(passerelle::testing::sourceDir() + "/examples/" + ex));
        EXPECT_TRUE(errors.empty()) << ex << "\n" << dump(errors);
    }
    auto data = passerelle::testing::readJson(passerelle::testing::sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
    data->remove("date");
    data->getObject("menage")->set("composition", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    data->getObject("logement")->set("codePostal", "721");
    data->set("objet", "convocation");
    auto errors = forms::validate(*def, data);
    EXPECT_TRUE(has(errors, "/date", "required")) << dump(errors);
    EXPECT_TRUE(has(errors, "/menage/composition", "min_items")) << dump(errors);
    EXPECT_TRUE(has(errors, "/logement/codePostal", "min_length")) << dump(errors);
    EXPECT_TRUE(has(errors, "/objet", "enum")) << dump(errors);
}

// ---- Hardening (issue 15 §2, §3) ----------------------------------------------------------------

TEST(Validator, NullInsideAMultipleChoiceIsAnErrorNotAnException) {
    std::vector<FieldError> errors;
    ASSERT_NO_THROW(errors = check(R"({"nom": "Ab", "lignes": [{"action": "x"}], "cases": [null, 3]})"));
    EXPECT_TRUE(has(errors, "/cases/0", "enum"));
    EXPECT_TRUE(has(errors, "/cases/1", "enum"));
    ASSERT_NO_THROW(errors = check(R"({"nom": "Ab", "lignes": [{"action": "x"}], "choix": [null]})"));
    EXPECT_TRUE(has(errors, "/choix", "enum"));
}

TEST(Validator, UnsignedIntegerAboveInt64IsOutOfBoundsNotAnException) {
    // Poco's own parser hands such a literal over as a UInt64; the validator must not convert it blindly.
    std::vector<FieldError> errors;
    ASSERT_NO_THROW(errors = check(R"({"nom": "Ab", "lignes": [{"action": "x"}], "nombre": 9223372036854775808})"));
    EXPECT_TRUE(has(errors, "/nombre", "max")) << errors.size();
    ASSERT_NO_THROW(errors = check(R"({"nom": "Ab", "lignes": [{"action": "x"}], "nombre": 18446744073709551615})"));
    EXPECT_TRUE(has(errors, "/nombre", "max"));
}

TEST(Validator, NegativeZeroAmountsAreRefused) {
    auto errors = forms::validate(*testForm(), forms::parseJsonObject(R"({"nom": "Ab", "lignes": [{"action": "x"}], "montant": -0})").value());
    EXPECT_TRUE(has(errors, "/montant", "amount_format"));
    errors = forms::validate(*testForm(), forms::parseJsonObject(R"({"nom": "Ab", "lignes": [{"action": "x"}], "montant": -0.0})").value());
    EXPECT_TRUE(has(errors, "/montant", "amount_format"));
    errors = check(R"({"nom": "Ab", "lignes": [{"action": "x"}], "montant": "-0,00"})");
    EXPECT_TRUE(has(errors, "/montant", "amount_format"));
    errors = check(R"({"nom": "Ab", "lignes": [{"action": "x"}], "montant": "0,00"})");
    EXPECT_FALSE(has(errors, "/montant", "amount_format"));
}

TEST(Validator, RowsPastMaxItemsAreNotValidated) {
    // 650 000 empty rows: one max_items error, not 650 000 "required" errors.
    std::string rows = "[";
    for (int i = 0; i < 650000; ++i) rows += i ? ",{}" : "{}";
    rows += "]";
    auto data = json(R"({"nom": "Ab", "lignes": )" + rows + "}");
    auto started = std::chrono::steady_clock::now();
    auto errors = forms::validate(*testForm(), data);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_TRUE(has(errors, "/lignes", "max_items"));
    EXPECT_FALSE(has(errors, "/lignes/0/action", "required"));
    EXPECT_LT(errors.size(), 5u);
    EXPECT_LT(seconds, 1.0); // validation only; it used to check every row
}

TEST(Validator, ErrorDetailsAreCappedWithTheTotal) {
    // 300 unknown keys: the first 100 are detailed, then one line gives the total.
    std::string body = R"({"nom": "Ab", "lignes": [{"action": "x"}])";
    for (int i = 0; i < 300; ++i) body += ", \"inconnu" + std::to_string(i) + "\": 1";
    body += "}";
    auto errors = check(body);
    ASSERT_EQ(errors.size(), forms::kMaxErrorDetails + 1);
    EXPECT_EQ(errors.back().rule, "too_many_errors");
    EXPECT_NE(errors.back().message.find("300 erreurs"), std::string::npos) << errors.back().message;
    EXPECT_NE(errors.back().message.find("200 autres"), std::string::npos) << errors.back().message;
}
