// End to end for the contrat d'objectifs, the protocole de sous-location, the grille
// d'appréciation (AFFIL and Côtes-d'Armor variants) and the autorisation de
// transmission: each example renders to a sound PDF holding every input and
// computed value, through the service, the CLI and HTTP; templates show every
// field; a long objectives table repeats its header on each page.
#include <gtest/gtest.h>

#include <Poco/DirectoryIterator.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Path.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "http/HttpServer.h"
#include "service/RenderService.h"
#include "support/Expected.h"
#include "support/HttpClient.h"
#include "support/RenderServer.h"
#include "support/TestSupport.h"
#include "templates/Template.h"

using namespace passerelle;
using namespace passerelle::testing;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const char* const kForms[] = {"contrat-objectifs", "protocole-sous-location", "grille-capacite-habiter", "autorisation-transmission"};

struct Example {
    std::string file;    // name in examples/
    std::string form;
    std::string variant; // "" = default
};

// Every examples/<form>-*.json of the forms above; the variant is read from the name
// (grille-capacite-habiter-<variant>-…).
std::vector<Example> examples() {
    std::vector<Example> out;
    for (Poco::DirectoryIterator it(sourceDir() + "/examples"), end; it != end; ++it) {
        std::string name = Poco::Path(it->path()).getFileName();
        for (const char* form : kForms) {
            std::string prefix = std::string(form) + "-";
            if (name.rfind(prefix, 0) != 0) continue;
            Example e{name, form, ""};
            for (const auto& v : repoCatalog().forms->find(form)->variants)
                if (name.rfind(prefix + v.name + "-", 0) == 0) e.variant = v.name;
            out.push_back(e);
        }
    }
    std::sort(out.begin(), out.end(), [](const Example& a, const Example& b) { return a.file < b.file; });
    return out;
}

// Running headers of the documents checked so far (to strip them from extracted text).
std::set<std::string>& headerLines() {
    static std::set<std::string> lines;
    return lines;
}

// Remembers the running header a document carries (composed as the service does).
void rememberHeader(const std::string& form, const std::string& variant, const Object::Ptr& data) {
    auto def = repoCatalog().forms->find(form);
    auto tpl = repoCatalog().templates->find(form, variant.empty() ? def->variants.front().name : variant);
    auto filled = forms::fill(def, data);
    if (!tpl || !filled.isOk()) return;
    auto composed = templates::compose(*tpl, filled.value(), templates::ComposeOptions{});
    headerLines().insert(normaliseSpaces(composed.setup.headerLeft + " " + composed.setup.headerRight));
}

Object::Ptr load(const std::string& file) { return readJson(sourceDir() + "/examples/" + file); }

std::string stringify(const Object::Ptr& o) {
    std::ostringstream s;
    Poco::JSON::Stringifier::stringify(o, s);
    return s.str();
}

service::Rendered render(const std::string& form, const Object::Ptr& data, const std::string& variant = "") {
    service::RenderService svc(repoCatalog());
    service::RenderRequest req;
    req.form = form;
    req.variant = variant;
    req.data = data;
    auto r = svc.render(req);
    if (!r.isOk()) throw std::runtime_error(form + ": " + r.status().toString());
    return r.value();
}

// Every input and computed value, as the document shows it.
std::vector<std::string> expectedFor(const std::string& form, const Object::Ptr& data, const std::string& variant = "") {
    rememberHeader(form, variant, data);
    auto def = repoCatalog().forms->find(form);
    auto filled = forms::fill(def, data);
    if (!filled.isOk()) throw std::runtime_error(filled.status().toString());
    std::vector<std::string> values;
    expectedValues(def->fields, filled.value().data, values);
    return values;
}

// The body text of a document in drawing order (pdftotext -raw): table cells and paragraphs
// stay contiguous. The running header and footer, drawn after each page's body, are removed so
// that a paragraph continued on the next page reads as one.
void expectAllPresent(const std::string& pdf, const std::vector<std::string>& values, const std::string& what) {
    std::string text = pdfBodyText(pdf);
    for (const auto& v : values) EXPECT_NE(text.find(normaliseSpaces(v)), std::string::npos) << what << ": missing « " << v << " »";
}

std::vector<std::string> pages(const std::string& pdf) {
    std::vector<std::string> out;
    std::string text = pdfToText(pdf);
    std::size_t start = 0;
    for (std::size_t ff = text.find('\f'); ff != std::string::npos; ff = text.find('\f', start)) {
        out.push_back(text.substr(start, ff - start));
        start = ff + 1;
    }
    if (start < text.size() && text.find_first_not_of(" \n", start) != std::string::npos) out.push_back(text.substr(start));
    return out;
}

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
    return n;
}

} // namespace

TEST(Documents, EveryFormHasExamplesAndEveryGrilleVariantToo) {
    auto all = examples();
    for (const char* form : kForms) {
        auto def = repoCatalog().forms->find(form);
        ASSERT_TRUE(def) << form;
        for (const auto& v : def->variants) {
            ASSERT_TRUE(repoCatalog().templates->find(form, v.name)) << form << "." << v.name;
            bool found = std::any_of(all.begin(), all.end(), [&](const Example& e) {
                return e.form == form && (e.variant == v.name || (def->variants.size() == 1 && e.variant.empty()));
            });
            EXPECT_TRUE(found) << "no example for " << form << " variant " << v.name;
        }
    }
    EXPECT_GE(all.size(), 8u);
}

TEST(Documents, TemplatesShowEveryFieldOfTheirForm) {
    for (const char* form : kForms) {
        auto def = repoCatalog().forms->find(form);
        for (const auto& v : def->variants) {
            auto tpl = repoCatalog().templates->find(form, v.name);
            ASSERT_TRUE(tpl);
            auto missing = templates::uncoveredFields(*tpl, *def);
            std::string list;
            for (const auto& m : missing) list += m + " ";
            // The grille templates also reproduce the other territory's grid (guarded by "when"),
            // so a grid filled with the other referential never loses a value.
            EXPECT_TRUE(missing.empty()) << form << "." << v.name << " never shows: " << list;
        }
    }
}

TEST(Documents, EachExampleRendersASoundPdfWithEveryValue) {
    for (const auto& e : examples()) {
        SCOPED_TRACE(e.file);
        auto data = load(e.file);
        auto r = render(e.form, data, e.variant);
        std::string qpdfOut;
        EXPECT_TRUE(qpdfCheck(r.bytes, &qpdfOut)) << qpdfOut;
        EXPECT_EQ(r.contentType, "application/pdf");
        auto values = expectedFor(e.form, data, e.variant);
        EXPECT_GT(values.size(), 15u);
        expectAllPresent(r.bytes, values, e.file);
        int n = pdfPageCount(r.bytes);
        std::string text = normaliseSpaces(pdfToText(r.bytes));
        EXPECT_NE(text.find("page " + std::to_string(n) + " / " + std::to_string(n)), std::string::npos);
        EXPECT_NE(text.find(r.documentId), std::string::npos);
    }
}

TEST(Documents, ComputedFiguresAppearFormatted) {
    auto text = [](const std::string& form, const std::string& file) {
        return normaliseSpaces(pdfToText(render(form, load(file)).bytes, /*layout=*/true));
    };
    std::string protocole = text("protocole-sous-location", "protocole-sous-location-amli-maintien.json");
    EXPECT_NE(protocole.find("1 30/09/2026 150,00 € 3 332,17 €"), std::string::npos);
    EXPECT_NE(protocole.find("6 28/02/2027 150,00 € 2 582,17 €"), std::string::npos);
    EXPECT_NE(protocole.find("18 29/02/2028 150,00 € 782,17 €"), std::string::npos);
    EXPECT_NE(protocole.find("24 30/08/2028 32,17 € 0,00 €"), std::string::npos);
    EXPECT_NE(protocole.find("Total des échéances 3 482,17 €"), std::string::npos);
    EXPECT_NE(protocole.find("Loyer résiduel dû par le ménage"), std::string::npos);
    EXPECT_NE(protocole.find("296,00 €"), std::string::npos);
    EXPECT_NE(protocole.find("28/02/2027"), std::string::npos);
    EXPECT_NE(protocole.find("Ştefan Popescu"), std::string::npos);
    EXPECT_EQ(protocole.find("Point d’attention"), std::string::npos) << "20 % is below the threshold";

    std::string april = text("protocole-sous-location", "protocole-sous-location-april-epernay.json");
    EXPECT_NE(april.find("17 05/02/2029 70,86 € 70,88 €"), std::string::npos);
    EXPECT_NE(april.find("18 05/03/2029 70,88 € 0,00 €"), std::string::npos);
    EXPECT_NE(april.find("29/02/2028"), std::string::npos);

    std::string revision = text("contrat-objectifs", "contrat-objectifs-revision-bail-glissant.json");
    EXPECT_NE(revision.find("Version 2 du 18/01/2027, qui remplace la version du 06/07/2026"), std::string::npos);
    EXPECT_NE(revision.find("Taux d’effort 29,82 %"), std::string::npos);
    EXPECT_NE(revision.find("Le taux d’effort (29,82 %) dépasse le seuil de 25 % fixé par le partenariat."), std::string::npos);
    EXPECT_NE(revision.find("Thị Lan Nguyễn"), std::string::npos);
    EXPECT_NE(revision.find("« Lu et approuvé »"), std::string::npos);
    EXPECT_NE(revision.find("Il est distinct du bail ou du contrat d’occupation"), std::string::npos);

    std::string first = text("contrat-objectifs", "contrat-objectifs-amli-acces.json");
    EXPECT_NE(first.find("Version 1 du 16/03/2026 (version initiale)"), std::string::npos);
    EXPECT_NE(first.find("20,67 %"), std::string::npos);
    EXPECT_EQ(first.find("dépasse le seuil"), std::string::npos);
    EXPECT_NE(first.find("Fin de l’accompagnement 15/03/2027"), std::string::npos);
    // Three signature blocks: each party signs "Lu et approuvé"; place and date once, above the boxes.
    EXPECT_EQ(count(first, "« Lu et approuvé »"), 3u);
    EXPECT_EQ(count(first, "Fait à Thionville, le 16/03/2026"), 1u);
}

TEST(Documents, GrilleVariantFollowsItsReferential) {
    // Without a variant, each grid comes out with the template of the référentiel it fills (its
    // title, its introduction, its numbering); a contradicting variant is refused, in French,
    // naming it; the document id depends on the variant.
    struct Case { const char* file; const char* own; const char* other; const char* title; const char* otherTitle; };
    const Case cases[] = {{"grille-capacite-habiter-cotes-darmor-initiale.json", "cotes-darmor", "affil",
                           "Outil d’appréciation de la capacité à habiter", "Grille d’évaluation partagée AFFIL"},
                          {"grille-capacite-habiter-affil-suivi-6-mois.json", "affil", "cotes-darmor",
                           "Grille d’évaluation partagée AFFIL", "Outil d’appréciation de la capacité à habiter"}};
    service::RenderService svc(repoCatalog());
    for (const auto& c : cases) {
        auto data = load(c.file);
        auto chosen = render("grille-capacite-habiter", data);
        auto explicitly = render("grille-capacite-habiter", data, c.own);
        expectAllPresent(chosen.bytes, expectedFor("grille-capacite-habiter", data, c.own), c.file);
        std::string text = normaliseSpaces(pdfToText(chosen.bytes));
        EXPECT_NE(text.find(c.title), std::string::npos) << c.file;
        EXPECT_EQ(text.find(c.otherTitle), std::string::npos) << c.file;
        EXPECT_EQ(chosen.documentId, explicitly.documentId) << c.file;
        EXPECT_EQ(normaliseSpaces(pdfToText(explicitly.bytes)), text) << c.file;

        service::RenderRequest req;
        req.form = "grille-capacite-habiter";
        req.variant = c.other;
        req.data = data;
        auto refused = svc.render(req);
        ASSERT_FALSE(refused.isOk()) << c.file;
        EXPECT_EQ(refused.status().code(), Status::Code::InvalidArgument) << c.file;
        ASSERT_EQ(refused.status().details().size(), 1u) << c.file;
        // The path names what the data fills, the message both variants.
        EXPECT_EQ(refused.status().details()[0].path, std::string("/") + (std::string(c.own) == "affil" ? "affil" : "cotesDArmor"));
        EXPECT_EQ(refused.status().details()[0].rule, "variante_contradictoire");
        EXPECT_NE(refused.status().details()[0].message.find(std::string("La variante « ") + c.other + " »"), std::string::npos)
            << refused.status().details()[0].message;
        EXPECT_NE(refused.status().details()[0].message.find(std::string("« ") + c.own + " »"), std::string::npos)
            << refused.status().details()[0].message;

        EXPECT_NE(service::contentDocumentId("grille-capacite-habiter", c.own, data),
                  service::contentDocumentId("grille-capacite-habiter", c.other, data)) << c.file;
        EXPECT_EQ(chosen.documentId, service::contentDocumentId("grille-capacite-habiter", c.own, data)) << c.file;
    }
    // The primary rubriques come in the territory's order.
    std::string affil = normaliseSpaces(pdfToText(render("grille-capacite-habiter", load("grille-capacite-habiter-affil-suivi-6-mois.json"), "affil").bytes));
    std::size_t a = affil.find("3. Pouvoir louer"), b = affil.find("4. Savoir louer"), c = affil.find("5. Savoir habiter"),
                d = affil.find("6. Savoir s’adapter à son environnement"), e = affil.find("7. Évaluer le besoin en accompagnement du ménage"),
                f = affil.find("8. Synthèse");
    EXPECT_TRUE(a < b && b < c && c < d && d < e && e < f && f != std::string::npos);
    std::string cotes = normaliseSpaces(pdfToText(render("grille-capacite-habiter", load("grille-capacite-habiter-cotes-darmor-initiale.json"), "cotes-darmor").bytes));
    a = cotes.find("3. Situation administrative"), b = cotes.find("4. Situation budgétaire"), c = cotes.find("5. Situation résidentielle"),
    f = cotes.find("6. Synthèse");
    EXPECT_TRUE(a < b && b < c && c < f && f != std::string::npos);
    EXPECT_NE(cotes.find("X Prêt à accéder à un logement avec un accompagnement"), std::string::npos);
}

TEST(Documents, AutorisationFitsOnOnePageAndStatesTheRights) {
    for (const auto& e : examples()) {
        if (e.form != "autorisation-transmission") continue;
        auto r = render(e.form, load(e.file));
        EXPECT_EQ(pdfPageCount(r.bytes), 1) << e.file;
        std::string text = normaliseSpaces(pdfToText(r.bytes));
        EXPECT_NE(text.find("Vous êtes libre de refuser"), std::string::npos) << e.file;
        EXPECT_NE(text.find("Vous pouvez retirer votre accord à tout moment"), std::string::npos) << e.file;
        EXPECT_NE(text.find("Ce qui ne sera jamais transmis"), std::string::npos) << e.file;
        EXPECT_NE(text.find("« J’autorise cette transmission »"), std::string::npos) << e.file;
    }
}

TEST(Documents, FortyObjectivesContinueOverPagesWithTheHeaderRepeated) {
    auto data = load("contrat-objectifs-amli-acces.json");
    Array::Ptr objectifs = new Array;
    const char* domaines[] = {"budget", "appropriation", "droits", "sante", "emploi", "voisinage", "parentalite", "autre"};
    for (int i = 1; i <= 40; ++i) {
        Object::Ptr o = new Object;
        o->set("domaine", domaines[i % 8]);
        o->set("objectif", "Objectif n° " + std::to_string(i) + " : une démarche précise, décrite avec le ménage, et assez longue pour occuper deux lignes");
        o->set("indicateur", "Indicateur n° " + std::to_string(i) + " constaté ensemble au point d’étape");
        o->set("echeance", "2026-12-31");
        o->set("responsable", "Mme Kaddouri");
        objectifs->add(o);
    }
    data->set("objectifs", objectifs);
    auto r = render("contrat-objectifs", data);
    EXPECT_TRUE(qpdfCheck(r.bytes));
    auto byPage = pages(r.bytes);
    ASSERT_EQ(static_cast<int>(byPage.size()), pdfPageCount(r.bytes));
    int pagesWithRows = 0;
    int seen = 0;
    for (std::size_t p = 0; p < byPage.size(); ++p) {
        std::string page = normaliseSpaces(byPage[p]);
        std::size_t rows = count(page, "Indicateur n° ");
        if (rows == 0) continue;
        ++pagesWithRows;
        seen += static_cast<int>(rows);
        // The header row (its last columns are unique to it) once on every page the table occupies.
        EXPECT_EQ(count(page, "Indicateur de réussite"), 1u) << "page " << p + 1;
        EXPECT_EQ(count(page, "Qui s’en charge"), 1u) << "page " << p + 1;
    }
    EXPECT_GE(pagesWithRows, 3);
    EXPECT_EQ(seen, 40);
    std::string all = normaliseSpaces(pdfToText(r.bytes));
    for (int i = 1; i <= 40; ++i) EXPECT_NE(all.find("Objectif n° " + std::to_string(i) + " :"), std::string::npos) << i;
}

// A document's id comes from its content: the same content gives the same id in every release
// (stored documents, receipts and audit lines name it), whatever the order of its keys; any
// changed value gives another. The value pinned is the one the code gave before the id's bytes
// were hashed by OpenSSL instead of Poco's SHA2Engine.
TEST(Documents, TheIdOfAContentIsStableAcrossReleasesAndKeyOrders) {
    auto data = load("fiche-navette-association-vers-bailleur.json");
    EXPECT_EQ(service::contentDocumentId("fiche-navette", data), "FN-1a34bc1b0a");
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(data, text);
    auto again = forms::parseJsonObject(text.str()).value();
    EXPECT_EQ(service::contentDocumentId("fiche-navette", again), "FN-1a34bc1b0a");
    // The same members inserted in reverse order.
    Object::Ptr reversed = new Object;
    auto names = data->getNames();
    for (auto it = names.rbegin(); it != names.rend(); ++it) reversed->set(*it, data->get(*it));
    EXPECT_EQ(service::contentDocumentId("fiche-navette", reversed), "FN-1a34bc1b0a");
    auto changed = forms::parseJsonObject(text.str()).value();
    changed->getObject("menage")->set("telephone", "06 00 00 00 00");
    EXPECT_NE(service::contentDocumentId("fiche-navette", changed), "FN-1a34bc1b0a");
    // A string "12" and a number 12 are not the same content.
    Object::Ptr asText = new Object, asNumber = new Object;
    asText->set("n", std::string("12"));
    asNumber->set("n", 12);
    EXPECT_NE(service::contentDocumentId("fiche-navette", asText), service::contentDocumentId("fiche-navette", asNumber));
}

TEST(Documents, CliRendersEveryExample) {
    TempDir dir;
    for (const auto& e : examples()) {
        std::string out = dir.file(e.file + ".pdf");
        std::vector<std::string> argv = {PASSERELLE_BINARY, "render", e.form, sourceDir() + "/examples/" + e.file, "-o", out,
                                         "--forms=" + sourceDir() + "/forms", "--templates=" + sourceDir() + "/templates",
                                         "--fonts=" + sourceDir() + "/fonts"};
        if (!e.variant.empty()) argv.push_back("--variant=" + e.variant);
        auto res = run(argv);
        ASSERT_EQ(res.exitCode, 0) << e.file << "\n" << res.err;
        std::string pdf = readFile(out);
        EXPECT_EQ(pdf.rfind("%PDF-", 0), 0u) << e.file;
        EXPECT_TRUE(qpdfCheck(pdf)) << e.file;
        expectAllPresent(pdf, expectedFor(e.form, load(e.file), e.variant), "CLI " + e.file);
    }
}

TEST(Documents, CliRejectsAnImpossiblePlanNamingTheField) {
    TempDir dir;
    auto data = load("protocole-sous-location-amli-maintien.json");
    data->getObject("dette")->set("mensualite", "5000.00");
    writeFile(dir.file("in.json"), stringify(data));
    auto res = run({PASSERELLE_BINARY, "render", "protocole-sous-location", dir.file("in.json"), "-o", dir.file("out.pdf"),
                    "--forms=" + sourceDir() + "/forms", "--templates=" + sourceDir() + "/templates", "--fonts=" + sourceDir() + "/fonts"});
    EXPECT_NE(res.exitCode, 0);
    EXPECT_NE((res.out + res.err).find("/dette/mensualite"), std::string::npos) << res.out << res.err;
}

// ---- HTTP -----------------------------------------------------------------------------------------

namespace {

class DocumentsHttp : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        http::ServerConfig config;
        config.maxBodyBytes = 1024 * 1024;
        server = startRenderServer(config).release();
    }
    static void TearDownTestSuite() {
        delete server;
        server = nullptr;
    }

    std::pair<int, std::string> request(const std::string& method, const std::string& uri, const std::string& body = "") {
        auto r = httpRequest(server->port(), method, uri, body);
        return {r.status, r.body};
    }

    static http::Server* server;
};

http::Server* DocumentsHttp::server = nullptr;

} // namespace

TEST_F(DocumentsHttp, FormsListTheDocumentsWithTheirVariants) {
    auto [status, body] = request("GET", "/v1/forms");
    ASSERT_EQ(status, 200);
    auto list = Poco::JSON::Parser().parse(body).extract<Object::Ptr>()->getArray("forms");
    std::map<std::string, std::vector<std::string>> variants;
    for (unsigned i = 0; i < list->size(); ++i) {
        auto f = list->getObject(i);
        auto vs = f->getArray("variants");
        for (unsigned k = 0; k < vs->size(); ++k) variants[f->getValue<std::string>("id")].push_back(vs->getObject(k)->getValue<std::string>("name"));
    }
    EXPECT_EQ(variants["contrat-objectifs"], std::vector<std::string>{"standard"});
    EXPECT_EQ(variants["protocole-sous-location"], std::vector<std::string>{"standard"});
    EXPECT_EQ(variants["autorisation-transmission"], std::vector<std::string>{"standard"});
    EXPECT_EQ(variants["grille-capacite-habiter"], (std::vector<std::string>{"affil", "cotes-darmor"}));
}

TEST_F(DocumentsHttp, RendersEveryExample) {
    for (const auto& e : examples()) {
        std::string uri = "/v1/render/" + e.form + (e.variant.empty() ? "" : "?variant=" + e.variant);
        auto [status, body] = request("POST", uri, readFile(sourceDir() + "/examples/" + e.file));
        ASSERT_EQ(status, 200) << e.file << "\n" << body;
        EXPECT_TRUE(qpdfCheck(body)) << e.file;
        expectAllPresent(body, expectedFor(e.form, load(e.file), e.variant), "HTTP " + e.file);
    }
}

TEST_F(DocumentsHttp, ValidationErrorsNameTheField) {
    auto data = load("contrat-objectifs-revision-bail-glissant.json");
    data->remove("remplaceVersionDu");
    auto [status, body] = request("POST", "/v1/render/contrat-objectifs", stringify(data));
    EXPECT_EQ(status, 400);
    EXPECT_NE(body.find("/remplaceVersionDu"), std::string::npos) << body;
    EXPECT_NE(body.find("revision_date_manquante"), std::string::npos) << body;
}
