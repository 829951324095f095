// End to end: each fiche navette example renders to a sound PDF whose extracted
// text holds every input value; long text paginates without loss; names outside
// Windows-1252 go through the embedded font; the CLI behaves.
#include <gtest/gtest.h>

#include <Poco/File.h>

#include "common/Text.h"
#include "service/RenderService.h"
#include "support/Expected.h"
#include "support/TestSupport.h"
#include "templates/Template.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

const char* const kExamples[] = {"fiche-navette-association-vers-bailleur.json", "fiche-navette-alerte-bailleur.json"};

service::Rendered renderOrFail(const Poco::JSON::Object::Ptr& data, const std::string& form = "fiche-navette") {
    service::RenderService svc(repoCatalog());
    service::RenderRequest req;
    req.form = form;
    req.data = data;
    auto r = svc.render(req);
    if (!r.isOk()) throw std::runtime_error(r.status().toString());
    return r.value();
}

Poco::JSON::Object::Ptr example(const std::string& name) { return readJson(sourceDir() + "/examples/" + name); }

} // namespace

TEST(FicheNavette, TemplateShowsEveryFieldOfTheForm) {
    auto form = repoCatalog().forms->find("fiche-navette");
    auto tpl = repoCatalog().templates->find("fiche-navette", "standard");
    ASSERT_TRUE(form && tpl);
    auto missing = templates::uncoveredFields(*tpl, *form);
    std::string list;
    for (const auto& m : missing) list += m + " ";
    EXPECT_TRUE(missing.empty()) << "fields the template never shows: " << list;
}

TEST(FicheNavette, EachExampleRendersASoundPdfWithEveryValue) {
    auto form = repoCatalog().forms->find("fiche-navette");
    for (const char* name : kExamples) {
        auto data = example(name);
        auto r = renderOrFail(data);
        std::string qpdfOut;
        EXPECT_TRUE(qpdfCheck(r.bytes, &qpdfOut)) << name << "\n" << qpdfOut;
        EXPECT_EQ(r.contentType, "application/pdf");
        std::string text = normaliseSpaces(pdfToText(r.bytes));
        std::vector<std::string> values;
        expectedValues(form->fields, data, values);
        ASSERT_GT(values.size(), 30u) << name;
        for (const auto& v : values) EXPECT_NE(text.find(normaliseSpaces(v)), std::string::npos) << name << ": missing « " << v << " »";
        // Running footer with the document identifier and "page X / Y".
        int pages = pdfPageCount(r.bytes);
        ASSERT_GE(pages, 1);
        EXPECT_NE(text.find("Fiche navette " + r.documentId + " — page 1 / " + std::to_string(pages)), std::string::npos) << name;
        EXPECT_NE(text.find("page " + std::to_string(pages) + " / " + std::to_string(pages)), std::string::npos) << name;
    }
}

TEST(FicheNavette, FrenchFormatsAndTypography) {
    auto r = renderOrFail(example("fiche-navette-association-vers-bailleur.json"));
    std::string text = pdfToText(r.bytes);
    // The amount is drawn with no-break spaces (U+00A0, WinAnsi 0xA0); pdftotext gives them back as spaces.
    EXPECT_NE(normaliseSpaces(text).find("1 834,57 €"), std::string::npos);
    EXPECT_NE(text.find("22/11/2026"), std::string::npos);
    EXPECT_NE(text.find("Projet « Logement d'abord – Sarthe », action n° 3"), std::string::npos);
    EXPECT_NE(text.find("Marc Dubœuf"), std::string::npos);
    EXPECT_NE(text.find("X Point d’étape"), std::string::npos) << "the checked option is marked";
    // The common document needs no embedded font: small.
    EXPECT_LT(r.bytes.size(), 12000u);
    EXPECT_EQ(r.bytes.find("FontFile2"), std::string::npos);
}

TEST(FicheNavette, NamesOutsideWindows1252UseTheEmbeddedFont) {
    auto r = renderOrFail(example("fiche-navette-alerte-bailleur.json"));
    EXPECT_NE(r.bytes.find("FontFile2"), std::string::npos) << "Liberation Sans embedded";
    std::string text = pdfToText(r.bytes);
    for (const char* name : {"Łukasiewicz", "Łukasz", "Ştefan", "Popescu"}) EXPECT_NE(text.find(name), std::string::npos) << name;
    auto data = example("fiche-navette-association-vers-bailleur.json");
    data->getObject("menage")->getArray("composition")->getObject(0)->set("nom", "Nguyễn");
    auto viet = renderOrFail(data);
    EXPECT_NE(pdfToText(viet.bytes).find("Nguyễn"), std::string::npos);
}

TEST(FicheNavette, SixThousandCharacterCommentWrapsOverPagesWithoutLoss) {
    auto data = example("fiche-navette-association-vers-bailleur.json");
    std::string comment;
    for (int i = 0; text::length(comment) < 6000; ++i) comment += "observation" + std::to_string(i) + " du référent, ";
    while (text::length(comment) > 6000) comment.pop_back();
    while (!text::isValidUtf8(comment)) comment.pop_back();
    ASSERT_GE(text::length(comment), 5995u);
    data->set("observations", comment);
    auto base = renderOrFail(example("fiche-navette-association-vers-bailleur.json"));
    auto r = renderOrFail(data);
    EXPECT_GT(pdfPageCount(r.bytes), pdfPageCount(base.bytes));
    EXPECT_TRUE(qpdfCheck(r.bytes));
    // Running headers and footers sit between the pages' parts: check every word, in order.
    std::string text = normaliseSpaces(pdfToText(r.bytes));
    std::size_t pos = text.find("Observations");
    ASSERT_NE(pos, std::string::npos);
    std::istringstream words(comment);
    std::string word;
    int count = 0;
    while (words >> word) {
        std::size_t at = text.find(word, pos);
        ASSERT_NE(at, std::string::npos) << "word " << count << " « " << word << " » missing or out of order";
        pos = at + word.size();
        ++count;
    }
    EXPECT_GT(count, 600);
}

TEST(FicheNavette, ManyActionsContinueWithTheTableHeaderRepeated) {
    auto data = example("fiche-navette-association-vers-bailleur.json");
    auto actions = data->getArray("actions");
    for (int i = 0; i < 80; ++i) {
        Poco::JSON::Object::Ptr a = new Poco::JSON::Object;
        a->set("action", "Action de suivi numéro " + std::to_string(i));
        a->set("porteur", "ADGESTI");
        a->set("etat", "prevue");
        actions->add(a);
    }
    auto r = renderOrFail(data);
    int pages = pdfPageCount(r.bytes);
    ASSERT_GE(pages, 3);
    std::string text = pdfToText(r.bytes);
    // pdftotext separates pages with a form feed: the header row is on every page the table spans.
    std::vector<std::string> pageTexts;
    std::size_t start = 0;
    for (std::size_t ff; (ff = text.find('\f', start)) != std::string::npos; start = ff + 1) pageTexts.push_back(text.substr(start, ff - start));
    int pagesWithRows = 0;
    for (const auto& p : pageTexts) {
        if (p.find("Action de suivi numéro") == std::string::npos) continue;
        ++pagesWithRows;
        EXPECT_NE(p.find("Porteur"), std::string::npos) << "table header repeated";
        EXPECT_NE(p.find("Échéance"), std::string::npos) << "table header repeated";
    }
    EXPECT_GE(pagesWithRows, 2);
    std::string flat = normaliseSpaces(text);
    for (int i = 0; i < 80; ++i) EXPECT_NE(flat.find("Action de suivi numéro " + std::to_string(i) + " "), std::string::npos) << i;
}

TEST(FicheNavette, RenderingIsReproducible) {
    auto a = renderOrFail(example("fiche-navette-association-vers-bailleur.json"));
    auto b = renderOrFail(example("fiche-navette-association-vers-bailleur.json"));
    EXPECT_EQ(a.documentId, b.documentId);
    EXPECT_EQ(a.bytes.size(), b.bytes.size());
}

TEST(FicheNavetteCli, RendersValidatesAndReportsErrorsWithPaths) {
    TempDir dir;
    const std::string bin = PASSERELLE_BINARY;
    auto ok = run({bin, "render", "fiche-navette", sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json", "-o", dir.file("x.pdf")});
    ASSERT_EQ(ok.exitCode, 0) << ok.err;
    std::string pdf = readFile(dir.file("x.pdf"));
    EXPECT_TRUE(qpdfCheck(pdf));
    EXPECT_NE(pdfToText(pdf).find("Samira"), std::string::npos);

    auto valid = run({bin, "validate", "fiche-navette", sourceDir() + "/examples/fiche-navette-alerte-bailleur.json"});
    EXPECT_EQ(valid.exitCode, 0) << valid.err;

    auto data = example("fiche-navette-association-vers-bailleur.json");
    data->remove("date");
    data->getObject("logement")->set("codePostal", 72100);
    std::ostringstream out;
    data->stringify(out);
    writeFile(dir.file("bad.json"), out.str());
    auto bad = run({bin, "render", "fiche-navette", dir.file("bad.json"), "-o", dir.file("bad.pdf")});
    EXPECT_NE(bad.exitCode, 0);
    EXPECT_NE(bad.err.find("/date : Champ obligatoire manquant. [required]"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("/logement/codePostal : Doit être un texte. [type]"), std::string::npos) << bad.err;
    EXPECT_FALSE(Poco::File(dir.file("bad.pdf")).exists()) << "nothing half-written";
    EXPECT_FALSE(Poco::File(dir.file("bad.pdf.part")).exists());

    auto unknown = run({bin, "render", "../../etc/passwd", dir.file("bad.json"), "-o", dir.file("u.pdf")});
    EXPECT_NE(unknown.exitCode, 0);
    EXPECT_NE(unknown.err.find("form_not_found"), std::string::npos) << unknown.err;

    auto notJson = run({bin, "validate", "fiche-navette", sourceDir() + "/CMakeLists.txt"});
    EXPECT_NE(notJson.exitCode, 0);
    EXPECT_NE(notJson.err.find("json_invalid"), std::string::npos) << notJson.err;
}
