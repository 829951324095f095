// The signing page shows the document to sign as page images (issue 10), through a real in-process
// server on SQLite: /documents/{id}/signature/pages/{n}.svg answers SVG for the owner association
// (its headers: type, nosniff, strict policy, private cache), 404 for another organisation and for
// pages 0 and N+1; the tablet page lists every page as an <img> and no longer embeds the PDF; a
// stored PDF whose bytes are not what a fresh render gives shows no pages (the PDF link instead).
#include <regex>

#include <Poco/Timestamp.h>

#include <gtest/gtest.h>

#include "http/HttpServer.h"
#include "service/AccountService.h"
#include "service/DossierService.h"
#include "service/PageRenditions.h"
#include "service/SigningService.h"
#include "service/TransmissionService.h"
#include "storage/ApiKeys.h"
#include "storage/StoreBackends.h"
#include "support/HttpClient.h"
#include "support/TestSupport.h"
#include "support/WebBrowser.h"
#include "web/Views.h"
#include "web/WebApp.h"
#include "web/WebRoutes.h"
#include "web/sign/SigningPages.h"

namespace passerelle::web {
namespace {

using testing::HttpResult;
using Browser = testing::WebBrowser;

const std::string PASSWORD = "un mot de passe solide 2026";

// Records what would be sent (the signing link's secret).
struct RecordingNotifier : service::Notifier {
    std::vector<service::Notification> sent;
    void notify(const service::Notification& n) override { sent.push_back(n); }
};

class SigningPagesTest : public ::testing::Test {
protected:
    void SetUp() override {
        db = std::make_unique<testing::TestDatabase>("sqlite");
        store = db->open();
        renderer = std::make_shared<const service::RenderService>(testing::repoCatalog());
        dossiers = std::make_shared<const service::DossierService>(store, renderer);
        transmissions = std::make_shared<const service::TransmissionService>(store, renderer);
        auto key = sign::SealKey::development(seal.path());
        ASSERT_TRUE(key.isOk()) << key.status().toString();
        service::SigningOptions options;
        options.notifier = notifier;
        options.linkLifetimeMinutes = 30;
        options.nowMs = [this] { return clockMs; };
        signing = std::make_shared<const service::SigningService>(dossiers, key.value(), options);
        pages = std::make_shared<const service::PageRenditions>(renderer);
        accounts = std::make_shared<const service::AccountService>(store, service::AccountSettings{});
        auto views = Views::load(testing::sourceDir() + "/web/views");
        ASSERT_TRUE(views.isOk()) << views.status().toString();
        WebSettings ws;
        ws.staticDir = testing::sourceDir() + "/web/static";
        app = std::make_unique<WebApp>(views.value(), accounts, ws);
        router = std::make_shared<http::Router>();
        addWebRoutes(*router, *app, WebServices{dossiers, transmissions});
        addSigningPages(*router, *app, SigningPageServices{dossiers, signing, transmissions, pages});
        addWebFallback(*router, *app);
        http::ServerConfig config;
        config.port = 0;
        server = std::make_unique<http::Server>(config, router);
        server->start();
        adgesti = store->createOrganisation("ADGESTI", storage::KIND_ASSOCIATION).value();
        other = store->createOrganisation("Habitat Solidaire", storage::KIND_ASSOCIATION).value();
        addUser("ADGESTI", "claire@adgesti.fr", "Claire Lefèvre");
        addUser("Habitat Solidaire", "ines@habitat-solidaire.fr", "Inès Martin");
        caller = {adgesti.id, adgesti.name, storage::KIND_ASSOCIATION, "", "", "", "Claire Lefèvre", "admin"};
        Poco::JSON::Object::Ptr dossier = new Poco::JSON::Object;
        dossier->set("reference", "ADG-2026-0147");
        auto d = dossiers->createDossier(caller, dossier);
        ASSERT_TRUE(d.isOk()) << d.status().toString();
        dossierId = d.value().id;
    }
    void TearDown() override {
        if (server) server->stop();
    }
    // Présence Habitat, a partner allowing in-person consents, with its CESF; a contrat d'objectifs
    // of the dossier sent for signature with it as the landlord: its organisation and the document id.
    void tripartiteSentForSignature(storage::Organisation& bailleurOut, std::string& id) {
        auto bailleur = store->createOrganisation("Présence Habitat", storage::KIND_BAILLEUR);
        ASSERT_TRUE(bailleur.isOk());
        ASSERT_TRUE(store->createPartnership(adgesti.id, bailleur.value().id).isOk());
        ASSERT_TRUE(store->setInPersonConsentAllowed(adgesti.id, bailleur.value().id, true,
                                                     {"partnership.in_person_consent", "system", bailleur.value().id, "{}"}).isOk());
        addUser("Présence Habitat", "cesf@presence-habitat.fr", "Paul Bernard");
        bailleurOut = bailleur.value();
        service::NewDocument in;
        in.form = "contrat-objectifs";
        in.dossierId = dossierId;
        in.data = testing::readJson(testing::sourceDir() + "/examples/contrat-objectifs-amli-acces.json");
        auto doc = dossiers->createDocument(caller, in);
        ASSERT_TRUE(doc.isOk()) << doc.status().toString();
        id = doc.value().document.id;
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("bailleur", "Présence Habitat");
        ASSERT_TRUE(signing->start(caller, id, body).isOk());
    }
    void addUser(const std::string& org, const std::string& email, const std::string& name) {
        auto u = accounts->createUser(std::nullopt, service::NewUser{org, email, name, "admin", PASSWORD});
        ASSERT_TRUE(u.isOk()) << u.status().toString();
    }
    Browser signedIn(const std::string& email) {
        Browser b{server->port(), {}, {}};
        auto r = b.signIn(email, PASSWORD);
        EXPECT_EQ(r.status, 303) << r.body;
        return b;
    }
    // A fiche navette whose long situation runs over several pages.
    std::string newFiche() {
        auto data = testing::readJson(testing::sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
        std::string longText;
        for (int i = 0; i < 20; ++i)
            longText += "Le ménage a repris le paiement du loyer résiduel ; un plan d’apurement sur dix-huit mois est proposé "
                        "au bailleur, avec un point d’étape mensuel. ";
        data->getObject("situation")->set("loyerDette", longText);
        service::NewDocument in;
        in.form = "fiche-navette";
        in.dossierId = dossierId;
        in.data = data;
        auto doc = dossiers->createDocument(caller, in);
        EXPECT_TRUE(doc.isOk()) << doc.status().toString();
        return doc.isOk() ? doc.value().document.id : "";
    }
    // The tripartite contract with Présence Habitat, links enabled for that partnership, its signing
    // started; the document's id ("" on failure) and the signing.
    std::pair<std::string, service::SigningView> contractOutForSigningByLink() {
        auto bailleur = store->createOrganisation("Présence Habitat", storage::KIND_BAILLEUR);
        EXPECT_TRUE(bailleur.isOk());
        if (!bailleur.isOk()) return {};
        EXPECT_TRUE(store->createPartnership(adgesti.id, bailleur.value().id).isOk());
        EXPECT_TRUE(signing->setLinksEnabled(adgesti.id, bailleur.value().id, true).isOk());
        service::NewDocument in;
        in.form = "contrat-objectifs";
        in.dossierId = dossierId;
        in.data = testing::readJson(testing::sourceDir() + "/examples/contrat-objectifs-amli-acces.json");
        auto doc = dossiers->createDocument(caller, in);
        EXPECT_TRUE(doc.isOk()) << doc.status().toString();
        if (!doc.isOk()) return {};
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("bailleur", "Présence Habitat");
        auto started = signing->start(caller, doc.value().document.id, body);
        EXPECT_TRUE(started.isOk()) << started.status().toString();
        if (!started.isOk()) return {};
        return {doc.value().document.id, started.value()};
    }
    // Starts the signing; returns the first signatory's id.
    std::string startSigning(const std::string& doc) {
        auto started = signing->start(caller, doc, new Poco::JSON::Object);
        EXPECT_TRUE(started.isOk()) << started.status().toString();
        if (!started.isOk() || started.value().record.signatories.empty()) return "";
        return started.value().record.signatories.front().id;
    }
    int storedPages(const std::string& doc, std::int64_t revision) {
        auto pdf = store->fetchArtefact(doc, revision, "pdf");
        EXPECT_TRUE(pdf.isOk());
        return pdf.isOk() ? testing::pdfPageCount(pdf.value().bytes) : 0;
    }

    std::unique_ptr<testing::TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    testing::TempDir seal;
    std::shared_ptr<const service::RenderService> renderer;
    std::shared_ptr<const service::DossierService> dossiers;
    std::shared_ptr<const service::TransmissionService> transmissions;
    std::shared_ptr<RecordingNotifier> notifier = std::make_shared<RecordingNotifier>();
    std::int64_t clockMs = Poco::Timestamp().epochMicroseconds() / 1000;
    std::shared_ptr<const service::SigningService> signing;
    std::shared_ptr<const service::PageRenditions> pages;
    std::shared_ptr<const service::AccountService> accounts;
    std::unique_ptr<WebApp> app;
    std::shared_ptr<http::Router> router;
    std::unique_ptr<http::Server> server;
    storage::Organisation adgesti, other;
    service::Caller caller;
    std::string dossierId;
};

// Mustache escapes '/' in attribute values as "&#x2F;".
std::string unescaped(std::string html) {
    for (std::size_t pos; (pos = html.find("&#x2F;")) != std::string::npos;) html.replace(pos, 6, "/");
    return html;
}

std::vector<std::string> imageSources(const std::string& html) {
    std::vector<std::string> out;
    static const std::regex img("<img class=\"signature__page\" src=\"([^\"]+)\" alt=\"([^\"]+)\" width=\"595\" height=\"842\" loading=\"lazy\">");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator(); ++it) out.push_back((*it)[1]);
    return out;
}

TEST_F(SigningPagesTest, TheOwnerSeesEveryPageAsSvgAnotherOrganisationNone) {
    const std::string doc = newFiche();
    const std::string sgr = startSigning(doc);
    ASSERT_FALSE(sgr.empty());
    const int n = storedPages(doc, 1);
    ASSERT_GE(n, 2) << "the long situation runs over several pages";

    Browser claire = signedIn("claire@adgesti.fr");
    auto tablet = claire.get("/documents/" + doc + "/signature/" + sgr);
    ASSERT_EQ(tablet.status, 200) << tablet.body;
    tablet.body = unescaped(tablet.body);
    EXPECT_EQ(tablet.body.find("<iframe"), std::string::npos) << "the PDF is no longer embedded";
    const auto sources = imageSources(tablet.body);
    ASSERT_EQ(static_cast<int>(sources.size()), n) << tablet.body;
    for (int i = 1; i <= n; ++i) {
        const std::string path = "/documents/" + doc + "/signature/pages/" + std::to_string(i) + ".svg";
        EXPECT_EQ(sources[i - 1], path);
        EXPECT_NE(tablet.body.find("alt=\"Page " + std::to_string(i) + " sur " + std::to_string(n) + " du document « Fiche navette"),
                  std::string::npos)
            << i;
        auto r = claire.get(path);
        ASSERT_EQ(r.status, 200) << path << ": " << r.body;
        EXPECT_EQ(r.header("content-type"), "image/svg+xml; charset=utf-8") << path;
        EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << path;
        EXPECT_EQ(r.header("cache-control"), "private") << path;
        const std::string csp = r.header("content-security-policy");
        EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
        EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
        EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
        EXPECT_EQ(r.body.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << path;
        EXPECT_NE(r.body.find("page " + std::to_string(i) + " sur " + std::to_string(n)), std::string::npos) << path;
    }
    EXPECT_NE(tablet.body.find("region\" tabindex=\"0\" aria-label=\"Pages du document « Fiche navette"), std::string::npos)
        << "a scrollable region named for screen readers";
    EXPECT_NE(tablet.body.find("href=\"/documents/" + doc + "/signature/document.pdf\" download>Télécharger le PDF"), std::string::npos);
    // Outside the document: not found.
    for (const std::string& page : std::vector<std::string>{"0", std::to_string(n + 1), "99999"}) {
        auto r = claire.get("/documents/" + doc + "/signature/pages/" + page + ".svg");
        EXPECT_EQ(r.status, 404) << "page " << page;
        EXPECT_EQ(r.body.find("<svg"), std::string::npos) << page;
    }
    // Another organisation: not found, no page.
    Browser ines = signedIn("ines@habitat-solidaire.fr");
    for (const std::string page : {"1", "2"}) {
        auto r = ines.get("/documents/" + doc + "/signature/pages/" + page + ".svg");
        EXPECT_EQ(r.status, 404) << page;
        EXPECT_EQ(r.body.find("<svg"), std::string::npos) << page;
    }
    // Not signed in: never the pages.
    Browser anonymous{server->port(), {}, {}};
    auto r = anonymous.get("/documents/" + doc + "/signature/pages/1.svg");
    EXPECT_NE(r.status, 200);
    EXPECT_EQ(r.body.find("<svg"), std::string::npos);
    // Rendered once for the page and its images (the cache holds the verified set).
    EXPECT_EQ(pages->renders(), 1u);
    EXPECT_GT(pages->cachedBytes(), 0u);
}

TEST_F(SigningPagesTest, AStoredPdfThatIsNotTheFreshRenderShowsNoPages) {
    const std::string doc = newFiche();
    // Revision 2: the same input, but stored bytes a fresh render does not give (one byte more).
    auto first = store->findRevision(doc, 1);
    auto pdf = store->fetchArtefact(doc, 1, "pdf");
    ASSERT_TRUE(first.isOk() && pdf.isOk());
    storage::Revision rev = first.value();
    rev.number = 2;
    rev.artefacts.clear();
    storage::Artefact a = pdf.value();
    a.bytes += "%\n";
    a.sha256 = storage::sha256Hex(a.bytes);
    a.size = static_cast<std::int64_t>(a.bytes.size());
    rev.artefacts.push_back(a);
    ASSERT_TRUE(store->addRevision(doc, 1, rev).isOk());
    const std::string sgr = startSigning(doc);
    ASSERT_FALSE(sgr.empty());

    Browser claire = signedIn("claire@adgesti.fr");
    auto tablet = claire.get("/documents/" + doc + "/signature/" + sgr);
    ASSERT_EQ(tablet.status, 200) << tablet.body;
    tablet.body = unescaped(tablet.body);
    EXPECT_TRUE(imageSources(tablet.body).empty()) << "no page shown";
    EXPECT_EQ(tablet.body.find("/signature/pages/"), std::string::npos);
    EXPECT_NE(tablet.body.find(service::PAGES_UNAVAILABLE_MESSAGE), std::string::npos) << tablet.body;
    EXPECT_NE(tablet.body.find("href=\"/documents/" + doc + "/signature/document.pdf\" download>Télécharger le PDF"), std::string::npos);
    for (const std::string page : {"1", "2"}) {
        auto r = claire.get("/documents/" + doc + "/signature/pages/" + page + ".svg");
        EXPECT_EQ(r.status, 404) << page;
        EXPECT_EQ(r.body.find("<svg"), std::string::npos) << page;
    }
    // The PDF itself is still there to download.
    auto r = claire.get("/documents/" + doc + "/signature/document.pdf");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, a.bytes);
    EXPECT_EQ(pages->renders(), 1u) << "the mismatch is remembered: the images did not render again";
}

TEST_F(SigningPagesTest, ThePersonalLinkShowsThePagesWhileValidWithoutSpendingIt) {
    auto [id, startedView] = contractOutForSigningByLink();
    ASSERT_FALSE(id.empty());
    ASSERT_FALSE(startedView.record.signatories.empty());
    auto sent = signing->sendSigningLink(caller, id, startedView.record.signatories.front().id, "aicha@exemple.fr");
    ASSERT_TRUE(sent.isOk()) << sent.status().toString();
    ASSERT_EQ(notifier->sent.size(), 1u);
    const std::string secret = notifier->sent.back().link.substr(std::string("/signature/").size());
    ASSERT_EQ(secret.size(), 64u);
    const int n = storedPages(id, 1);
    ASSERT_GE(n, 2);

    Browser household{server->port(), {}, {}}; // no account
    auto tablet = household.get("/signature/" + secret);
    ASSERT_EQ(tablet.status, 200) << tablet.body;
    tablet.body = unescaped(tablet.body);
    EXPECT_EQ(tablet.body.find("<iframe"), std::string::npos);
    const auto sources = imageSources(tablet.body);
    ASSERT_EQ(static_cast<int>(sources.size()), n);
    for (int i = 1; i <= n; ++i) {
        EXPECT_EQ(sources[i - 1], "/signature/" + secret + "/pages/" + std::to_string(i) + ".svg");
        auto r = household.get(sources[i - 1]);
        EXPECT_EQ(r.status, 200) << sources[i - 1];
        EXPECT_EQ(r.header("content-type"), "image/svg+xml; charset=utf-8");
        EXPECT_EQ(r.header("cache-control"), "private");
        EXPECT_NE(r.body.find("<svg"), std::string::npos);
    }
    EXPECT_EQ(household.get("/signature/" + secret + "/pages/0.svg").status, 404);
    EXPECT_EQ(household.get("/signature/" + secret + "/pages/" + std::to_string(n + 1) + ".svg").status, 404);
    EXPECT_EQ(household.get("/signature/" + std::string(64, '0') + "/pages/1.svg").status, 404) << "an unknown link";
    // Reading spent nothing: the link still opens and signs.
    EXPECT_TRUE(signing->openLink(secret).isOk());
    // Expired: no more pages.
    clockMs += 31 * 60000;
    auto late = household.get("/signature/" + secret + "/pages/1.svg");
    EXPECT_NE(late.status, 200);
    EXPECT_EQ(late.body.find("<svg"), std::string::npos);
}

// Sending a household member a new link from the follow-up page replaces the one still out: the page
// says a link is out and until when, and only the newest e-mail's link opens the signing.
TEST_F(SigningPagesTest, ANewLinkFromThePageReplacesTheOneStillOut) {
    auto [id, startedView] = contractOutForSigningByLink();
    ASSERT_FALSE(id.empty());
    ASSERT_FALSE(startedView.record.signatories.empty());
    const std::string member = startedView.record.signatories.front().id;

    Browser claire = signedIn("claire@adgesti.fr");
    const std::string overview = "/documents/" + id + "/signature";
    auto before = claire.get(overview);
    ASSERT_EQ(before.status, 200);
    EXPECT_EQ(testing::pageText(before.body).find("Un lien personnel a été envoyé"), std::string::npos);
    EXPECT_NE(testing::pageText(before.body).find("Envoyer le lien"), std::string::npos);

    const std::string action = overview + "/" + member + "/lien";
    auto first = claire.post(action, {{"_csrf", claire.csrf(overview)}, {"email", "aicha@exemple.fr"}});
    ASSERT_EQ(first.status, 303) << first.body;
    ASSERT_EQ(notifier->sent.size(), 1u);
    const std::string secret1 = notifier->sent.back().link.substr(std::string("/signature/").size());
    auto out = claire.get(overview);
    const std::string text = testing::pageText(out.body);
    EXPECT_NE(text.find("Un lien personnel a été envoyé le "), std::string::npos) << text;
    EXPECT_NE(text.find("En envoyer un nouveau annule celui-ci."), std::string::npos);
    EXPECT_NE(text.find("Envoyer un nouveau lien"), std::string::npos);

    auto second = claire.post(action, {{"_csrf", claire.csrf(overview)}, {"email", "aicha@exemple.fr"}});
    ASSERT_EQ(second.status, 303) << second.body;
    ASSERT_EQ(notifier->sent.size(), 2u);
    const std::string secret2 = notifier->sent.back().link.substr(std::string("/signature/").size());
    ASSERT_NE(secret1, secret2);

    Browser household{server->port(), {}, {}};
    auto old = household.get("/signature/" + secret1);
    EXPECT_NE(old.status, 200);
    EXPECT_NE(testing::pageText(old.body).find("remplacé par un lien plus récent"), std::string::npos) << old.body;
    EXPECT_EQ(old.body.find("<form"), std::string::npos) << "no signing form on a replaced link";
    EXPECT_NE(household.get("/signature/" + secret1 + "/pages/1.svg").status, 200);
    EXPECT_EQ(household.get("/signature/" + secret2).status, 200);
    auto open = signing->linksStillOpen(startedView.record.signing.id);
    ASSERT_TRUE(open.isOk());
    ASSERT_EQ(open.value().size(), 1u) << "one link out, the newest";
    EXPECT_EQ(open.value().front().tokenHash, storage::sha256Hex(secret2));
}

// The landlord signs a tripartite document from its own account, reading the copy the consent gate
// transmitted to it (fields withheld, dated notice): that copy too is shown page by page, drawn from
// the rendering transmit() made of it and served only because a fresh render gives its very bytes.
TEST_F(SigningPagesTest, TheLandlordSeesItsTransmittedCopyAsPages) {
    auto otherBailleur = store->createOrganisation("Habitat 76", storage::KIND_BAILLEUR);
    ASSERT_TRUE(otherBailleur.isOk());
    addUser("Habitat 76", "cesf@habitat76.fr", "Lina Roche");
    storage::Organisation bailleurOrg;
    std::string id;
    ASSERT_NO_FATAL_FAILURE(tripartiteSentForSignature(bailleurOrg, id));
    // The household's consent (recorded in person), housing and support only: the budget stays out.
    storage::StoredConsent c;
    c.id = storage::newId("cns_");
    c.dossierId = dossierId;
    c.kind = "consent";
    c.givenByName = "Aïcha Diallo";
    c.givenByCapacity = "household_member";
    c.recipientOrgId = bailleurOrg.id;
    c.documentKinds = {"contrat-objectifs"};
    c.categories = {"logement", "accompagnement", "administratif", "identite"};
    c.purpose = "Signer le contrat d’objectifs.";
    c.givenAt = clockMs / 1000 - 3600;
    c.howMethod = "in_person";
    c.recordedBy = "Claire Lefèvre";
    c.createdByOrganisationId = adgesti.id;
    ASSERT_TRUE(store->recordConsent(c, {"consent.given", adgesti.id, c.id, "{}"}).isOk());
    auto sent = transmissions->transmit(caller, id, bailleurOrg.id);
    ASSERT_TRUE(sent.isOk()) << sent.status().toString();
    auto copy = store->fetchTransmissionArtefact(sent.value().id, "pdf");
    ASSERT_TRUE(copy.isOk());
    ASSERT_NE(sent.value().excludedJson, "{}") << "the copy withholds something: it is not the document's own rendering";
    const int n = testing::pdfPageCount(copy.value().bytes);
    ASSERT_GE(n, 1);

    Browser paul = signedIn("cesf@presence-habitat.fr");
    auto tablet = paul.get("/signatures/" + id);
    ASSERT_EQ(tablet.status, 200) << tablet.body;
    tablet.body = unescaped(tablet.body);
    EXPECT_EQ(tablet.body.find(service::PAGES_UNAVAILABLE_MESSAGE), std::string::npos) << "the fallback is not shown";
    EXPECT_EQ(tablet.body.find("<iframe"), std::string::npos);
    const auto sources = imageSources(tablet.body);
    ASSERT_EQ(static_cast<int>(sources.size()), n) << tablet.body;
    for (int i = 1; i <= n; ++i) {
        const std::string path = "/signatures/" + id + "/copie/pages/" + std::to_string(i) + ".svg";
        EXPECT_EQ(sources[i - 1], path);
        auto r = paul.get(path);
        ASSERT_EQ(r.status, 200) << path << ": " << r.body;
        EXPECT_EQ(r.header("content-type"), "image/svg+xml; charset=utf-8") << path;
        EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << path;
        EXPECT_EQ(r.header("cache-control"), "private") << path;
        EXPECT_NE(r.header("content-security-policy").find("default-src 'none'"), std::string::npos) << path;
        EXPECT_NE(r.body.find("<svg"), std::string::npos) << path;
    }
    // The pages are those of the PDF the page's link downloads, byte for byte.
    EXPECT_NE(tablet.body.find("href=\"/signatures/" + id + "/copie.pdf\" download>Télécharger le PDF"), std::string::npos);
    auto pdf = paul.get("/signatures/" + id + "/copie.pdf");
    ASSERT_EQ(pdf.status, 200);
    EXPECT_EQ(pdf.body, copy.value().bytes);
    auto verified = pages->find(pdf.body);
    ASSERT_TRUE(verified) << "the pages shown were checked against the downloaded PDF";
    EXPECT_EQ(static_cast<int>(verified->pages.size()), n);
    EXPECT_NE(verified->pages.front().find("Présence Habitat"), std::string::npos) << "the copy's notice is on its first page";
    // Outside the copy: not found.
    for (const std::string& page : std::vector<std::string>{"0", std::to_string(n + 1)})
        EXPECT_EQ(paul.get("/signatures/" + id + "/copie/pages/" + page + ".svg").status, 404) << page;
    // Another landlord, the association itself, another association: not found, no page.
    Browser lina = signedIn("cesf@habitat76.fr");
    Browser claire = signedIn("claire@adgesti.fr");
    Browser ines = signedIn("ines@habitat-solidaire.fr");
    for (Browser* b : {&lina, &claire, &ines}) {
        auto r = b->get("/signatures/" + id + "/copie/pages/1.svg");
        EXPECT_EQ(r.status, 404);
        EXPECT_EQ(r.body.find("<svg"), std::string::npos);
    }
}

// The proof holds for the landlord's copy too: a copy whose notice is dated another day than its record
// (here, transmitted under a clock two days behind) is not what the rebuilt rendering gives, so no page
// is shown — the fallback message and the PDF link instead — and no page image is served.
TEST_F(SigningPagesTest, TheLandlordsCopyThatARenderDoesNotGiveAgainShowsNoPages) {
    storage::Organisation bailleurOrg;
    std::string id;
    ASSERT_NO_FATAL_FAILURE(tripartiteSentForSignature(bailleurOrg, id));
    const std::int64_t twoDaysAgo = clockMs / 1000 - 2 * 86400;
    storage::StoredConsent c;
    c.id = storage::newId("cns_");
    c.dossierId = dossierId;
    c.kind = "consent";
    c.givenByName = "Aïcha Diallo";
    c.givenByCapacity = "household_member";
    c.recipientOrgId = bailleurOrg.id;
    c.documentKinds = {"contrat-objectifs"};
    c.categories = {"logement", "accompagnement", "administratif", "identite"};
    c.purpose = "Signer le contrat d’objectifs.";
    c.givenAt = twoDaysAgo - 3600;
    c.howMethod = "in_person";
    c.recordedBy = "Claire Lefèvre";
    c.createdByOrganisationId = adgesti.id;
    ASSERT_TRUE(store->recordConsent(c, {"consent.given", adgesti.id, c.id, "{}"}).isOk());
    service::TransmissionService behind(store, renderer, [twoDaysAgo] { return twoDaysAgo; });
    auto sent = behind.transmit(caller, id, bailleurOrg.id);
    ASSERT_TRUE(sent.isOk()) << sent.status().toString();

    Browser paul = signedIn("cesf@presence-habitat.fr");
    auto tablet = paul.get("/signatures/" + id);
    ASSERT_EQ(tablet.status, 200) << tablet.body;
    tablet.body = unescaped(tablet.body);
    EXPECT_TRUE(imageSources(tablet.body).empty());
    EXPECT_NE(tablet.body.find(service::PAGES_UNAVAILABLE_MESSAGE), std::string::npos) << "the fallback is shown";
    EXPECT_NE(tablet.body.find("href=\"/signatures/" + id + "/copie.pdf\""), std::string::npos) << "the PDF still is";
    auto r = paul.get("/signatures/" + id + "/copie/pages/1.svg");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body.find("<svg"), std::string::npos);
    EXPECT_EQ(paul.get("/signatures/" + id + "/copie.pdf").status, 200);
}

} // namespace
} // namespace passerelle::web
