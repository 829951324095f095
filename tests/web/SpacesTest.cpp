// The organisation admin's pages (API keys, partnerships, webhook) and the actions with their
// funders' documents (issue 12), through a real in-process server (port 0) on a SQLite store, with
// the API mounted too (a key created on the page opens /v1/me, then 401 once revoked); on
// PostgreSQL too when PASSERELLE_TEST_PG is set. Access rules:
// members and other organisations get the French 404; a funder sees the actions it funds and their
// budget annexes, never a dossier nor a household value (canary). HEAD on pages; 405 with Allow.
#include <regex>

#include <gtest/gtest.h>

#include <Poco/Data/Session.h>
#include <Poco/File.h>
#include <Poco/TemporaryFile.h>
#include <Poco/URI.h>

#include "http/ApiRoutes.h"
#include "http/HttpServer.h"
#include "service/AccountService.h"
#include "service/DossierService.h"
#include "service/DraftService.h"
#include "service/OrganisationService.h"
#include "service/TransmissionService.h"
#include "service/WebhookSigning.h"
#include "storage/ApiKeys.h"
#include "storage/DraftStore.h"
#include "storage/StoreBackends.h"
#include "support/HttpClient.h"
#include "support/WebBrowser.h"
#include "support/RawClient.h"
#include "support/TestSupport.h"
#include "support/WebhookReceiver.h"
#include "web/AdminPages.h"
#include "web/FunderPages.h"
#include "web/Views.h"
#include "web/WebApp.h"
#include "web/WebRoutes.h"
#include "web/form/FormRoutes.h"

namespace passerelle::web {
namespace {

using testing::HttpResult;

const std::string PASSWORD = "un mot de passe solide 2026";
const std::string CANARY = "CANARI-7731-Zéphyrine";

using Browser = testing::WebBrowser;

// `text` as the views print it (mstch escapes & < > " ' and /).
std::string esc(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        case '/': out += "&#x2F;"; break;
        default: out.push_back(c);
        }
    }
    return out;
}

std::string firstMatch(const std::string& text, const std::string& pattern) {
    std::smatch m;
    return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : std::string();
}

// One part of a zip (an XLSX) read back with Python's zipfile (python3 is a test package).
std::string zipPart(const std::string& bytes, const std::string& part) {
    Poco::TemporaryFile tmp;
    testing::writeFile(tmp.path(), bytes);
    auto r = testing::run({"python3", "-c",
                           "import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))",
                           tmp.path(), part});
    return r.exitCode == 0 ? r.out : std::string();
}

class SpacesTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<testing::TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
        renderer = std::make_shared<const service::RenderService>(testing::repoCatalog());
        dossiers = std::make_shared<const service::DossierService>(store, renderer);
        transmissions = std::make_shared<const service::TransmissionService>(store, renderer);
        accounts = std::make_shared<const service::AccountService>(store);
        drafts = std::make_shared<const service::DraftService>(std::make_shared<storage::PocoDraftStore>(store), dossiers);
        auto cipher = storage::SecretCipher::fromKey(std::string(storage::SecretCipher::KEY_BYTES, '\x2a'));
        ASSERT_TRUE(cipher.isOk());
        secrets = std::make_shared<storage::PocoWebhookSecretStore>(store, cipher.value());
        sender = std::make_shared<service::SignedWebhookSender>(secrets, 5);
        organisations = std::make_shared<const service::OrganisationService>(store, transmissions, secrets, sender);
        auto views = Views::load(testing::sourceDir() + "/web/views");
        ASSERT_TRUE(views.isOk()) << views.status().toString();
        WebSettings ws;
        ws.staticDir = testing::sourceDir() + "/web/static";
        app = std::make_unique<WebApp>(views.value(), accounts, ws);
        router = std::make_shared<http::Router>();
        http::addApiRoutes(*router, dossiers);
        addWebRoutes(*router, *app, WebServices{dossiers, transmissions});
        addFormRoutes(*router, *app, FormServices{dossiers, drafts});
        addAdminPages(*router, *app, AdminServices{organisations});
        addFunderPages(*router, *app, FunderServices{dossiers, drafts, organisations});
        addWebFallback(*router, *app);
        http::ServerConfig config;
        config.port = 0;
        server = std::make_unique<http::Server>(config, router);
        server->start();
        adgesti = store->createOrganisation("ADGESTI", storage::KIND_ASSOCIATION).value();
        other = store->createOrganisation("Habitat Solidaire", storage::KIND_ASSOCIATION).value();
        bailleur = store->createOrganisation("Sarthe Habitat", storage::KIND_BAILLEUR).value();
        siao = store->createOrganisation("SIAO de la Sarthe", storage::KIND_SIAO).value();
        ddcs = store->createOrganisation("DDCS Sarthe", storage::KIND_FINANCEUR).value();
        ars = store->createOrganisation("ARS Pays de la Loire", storage::KIND_FINANCEUR).value();
        addUser("ADGESTI", "claire@adgesti.fr", "Claire Lefèvre", "admin");
        addUser("ADGESTI", "marc@adgesti.fr", "Marc Durand", "membre");
        addUser("Habitat Solidaire", "ines@habitat-solidaire.fr", "Inès Martin", "admin");
        addUser("Sarthe Habitat", "dsi@sarthe-habitat.fr", "Paul Bernard", "admin");
        addUser("Sarthe Habitat", "cesf@sarthe-habitat.fr", "Anne Roux", "membre");
        addUser("DDCS Sarthe", "budget@ddcs.fr", "Hélène Petit", "membre");
        addUser("ARS Pays de la Loire", "suivi@ars.fr", "Yves Morel", "admin");
    }
    void TearDown() override {
        if (server) server->stop();
    }

    void addUser(const std::string& org, const std::string& email, const std::string& name, const std::string& role) {
        auto u = accounts->createUser(std::nullopt, service::NewUser{org, email, name, role, PASSWORD});
        ASSERT_TRUE(u.isOk()) << u.status().toString();
    }
    Browser signedIn(const std::string& email) {
        Browser b{server->port(), {}};
        auto r = b.signIn(email, PASSWORD);
        EXPECT_EQ(r.status, 303) << r.body;
        return b;
    }
    service::Caller callerOf(const storage::Organisation& o) {
        service::Caller c;
        c.organisationId = o.id;
        c.organisationName = o.name;
        c.kind = o.kind;
        return c;
    }
    // An action funded by DDCS with its budget annex (the Sarthe example), created through the pages.
    std::string createFundedAction(Browser& claire) {
        std::string token = claire.csrf("/actions/nouvelle");
        auto r = claire.post("/actions", {{"_csrf", token}, {"/title", "Plateformes territoriales Sarthe 2027"}, {"/funders", ddcs.id}});
        EXPECT_EQ(r.status, 303) << r.body;
        return firstMatch(r.header("location"), "/actions/(act_[0-9a-f]{16})");
    }
    std::string addBudgetAnnex(const std::string& actionId) {
        service::NewDocument in;
        in.form = "budget-annexe";
        in.actionId = actionId;
        in.data = testing::readJson(testing::sourceDir() + "/examples/budget-annexe-sarthe-plateformes.json");
        auto v = dossiers->createDocument(callerOf(adgesti), in);
        EXPECT_TRUE(v.isOk()) << v.status().toString();
        return v.isOk() ? v.value().document.id : std::string();
    }

    std::unique_ptr<testing::TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    std::shared_ptr<const service::RenderService> renderer;
    std::shared_ptr<const service::DossierService> dossiers;
    std::shared_ptr<const service::TransmissionService> transmissions;
    std::shared_ptr<const service::AccountService> accounts;
    std::shared_ptr<const service::DraftService> drafts;
    std::shared_ptr<storage::PocoWebhookSecretStore> secrets;
    std::shared_ptr<service::SignedWebhookSender> sender;
    std::shared_ptr<const service::OrganisationService> organisations;
    std::unique_ptr<WebApp> app;
    std::shared_ptr<http::Router> router;
    std::unique_ptr<http::Server> server;
    storage::Organisation adgesti, other, bailleur, siao, ddcs, ars;
};

// --- API keys --------------------------------------------------------------------------------------

TEST_P(SpacesTest, AnApiKeyIsShownOnceOpensTheApiAndStopsAtRevocation) {
    Browser claire = signedIn("claire@adgesti.fr");
    auto list = claire.get("/cles-api");
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_NE(list.body.find("Aucune clé pour l’instant."), std::string::npos);
    std::string token = firstMatch(list.body, "name=\"_csrf\" value=\"([0-9a-f]+)\"");

    auto created = claire.post("/cles-api", {{"_csrf", token}, {"/name", "Logiciel de suivi — Claire"}});
    ASSERT_EQ(created.status, 200) << created.body;
    const std::string secret = firstMatch(created.body, "data-cle-api>(psl_[0-9a-f]{64})<");
    ASSERT_FALSE(secret.empty()) << created.body;
    EXPECT_NE(created.body.find("elle ne sera plus jamais affichée"), std::string::npos);
    // Shown once: the list never shows it again, nor does the store keep it.
    auto again = claire.get("/cles-api");
    EXPECT_EQ(again.body.find(secret), std::string::npos);
    EXPECT_NE(again.body.find("Logiciel de suivi — Claire"), std::string::npos);
    EXPECT_NE(again.body.find(secret.substr(0, 12)), std::string::npos) << "the prefix is shown";
    auto keys = store->listApiKeys(adgesti.id);
    ASSERT_TRUE(keys.isOk());
    ASSERT_EQ(keys.value().size(), 1u);
    EXPECT_EQ(keys.value()[0].name, "Logiciel de suivi — Claire");

    // The key opens the API as ADGESTI.
    auto me = testing::httpCall(server->port(), "GET", "/v1/me", secret);
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(me.json()->getValue<std::string>("id"), adgesti.id);
    EXPECT_EQ(me.json()->getValue<std::string>("keyName"), "Logiciel de suivi — Claire");

    // Revocation asks first, then takes effect at once.
    const std::string keyId = keys.value()[0].id;
    auto confirm = claire.post("/cles-api/" + keyId + "/revoquer", {{"_csrf", token}});
    ASSERT_EQ(confirm.status, 200) << confirm.body;
    EXPECT_NE(confirm.body.find("Révoquer la clé " + secret.substr(0, 12) + " ?"), std::string::npos);
    EXPECT_EQ(testing::httpCall(server->port(), "GET", "/v1/me", secret).status, 200) << "not revoked before confirmation";
    auto revoked = claire.post("/cles-api/" + keyId + "/revoquer", {{"_csrf", token}, {"confirmer", "oui"}});
    ASSERT_EQ(revoked.status, 303) << revoked.body;
    EXPECT_EQ(revoked.header("location"), "/cles-api?message=revoquee");
    EXPECT_EQ(testing::httpCall(server->port(), "GET", "/v1/me", secret).status, 401);
    auto after = claire.get("/cles-api?message=revoquee");
    EXPECT_NE(after.body.find("La clé a été révoquée"), std::string::npos);
    EXPECT_NE(after.body.find("Révoquée le "), std::string::npos);
    EXPECT_EQ(after.body.find("/cles-api/" + keyId + "/revoquer"), std::string::npos) << "no second revocation button";

    // Both are in the audit trail, without the secret.
    auto audit = store->listAudit();
    ASSERT_TRUE(audit.isOk());
    int events = 0;
    for (const auto& e : audit.value()) {
        if (e.event == "apikey.created" || e.event == "apikey.revoked") ++events;
        EXPECT_EQ(e.details.find(secret), std::string::npos);
    }
    EXPECT_EQ(events, 2);
}

TEST_P(SpacesTest, AKeyNeedsANameAndCsrf) {
    Browser claire = signedIn("claire@adgesti.fr");
    std::string token = claire.csrf("/cles-api");
    auto empty = claire.post("/cles-api", {{"_csrf", token}, {"/name", "   "}});
    EXPECT_EQ(empty.status, 400);
    EXPECT_NE(empty.body.find("<a href=\"#name\">Indiquez la personne ou le logiciel qui utilisera la clé.</a>"), std::string::npos)
        << empty.body;
    EXPECT_NE(empty.body.find("aria-invalid=\"true\""), std::string::npos);
    EXPECT_EQ(empty.body.find("data-cle-api"), std::string::npos);
    auto forged = claire.post("/cles-api", {{"/name", "Sans jeton"}});
    EXPECT_EQ(forged.status, 403);
    auto wrong = claire.post("/cles-api", {{"_csrf", std::string(token.size(), '0')}, {"/name", "Mauvais jeton"}});
    EXPECT_EQ(wrong.status, 403);
    EXPECT_TRUE(store->listApiKeys(adgesti.id).value().empty());
}

TEST_P(SpacesTest, AdminPagesAreTheFrench404ForMembersAndOtherOrganisations) {
    Browser marc = signedIn("marc@adgesti.fr");
    std::string token = marc.csrf("/dossiers");
    for (const std::string path : {"/cles-api", "/partenariats", "/webhook"}) {
        auto r = marc.get(path);
        EXPECT_EQ(r.status, 404) << path;
        EXPECT_NE(r.body.find("Page introuvable"), std::string::npos) << path;
    }
    EXPECT_EQ(marc.post("/cles-api", {{"_csrf", token}, {"/name", "Marc"}}).status, 404);
    EXPECT_TRUE(store->listApiKeys(adgesti.id).value().empty());
    // The menu does not offer them.
    auto home = marc.get("/dossiers");
    EXPECT_NE(home.body.find("href=\"" + esc("/dossiers") + "\""), std::string::npos);
    EXPECT_EQ(home.body.find("Clés d’API"), std::string::npos);

    // Another organisation's key: not found, and still valid.
    auto g = storage::generateApiKey();
    auto theirs = store->createApiKey(other.id, "Inès", g.prefix, g.hash).value();
    Browser claire = signedIn("claire@adgesti.fr");
    std::string ctoken = claire.csrf("/cles-api");
    EXPECT_EQ(claire.post("/cles-api/" + theirs.id + "/revoquer", {{"_csrf", ctoken}}).status, 404);
    EXPECT_EQ(claire.post("/cles-api/" + theirs.id + "/revoquer", {{"_csrf", ctoken}, {"confirmer", "oui"}}).status, 404);
    EXPECT_EQ(testing::httpCall(server->port(), "GET", "/v1/me", g.secret).status, 200);
    EXPECT_EQ(claire.get("/cles-api").body.find(theirs.prefix), std::string::npos);
    // An association has no webhook page.
    EXPECT_EQ(claire.get("/webhook").status, 404);
    EXPECT_NE(claire.get("/cles-api").body.find("href=\"" + esc("/partenariats") + "\">Partenariats</a>"), std::string::npos);
}

// --- Partnerships ----------------------------------------------------------------------------------

TEST_P(SpacesTest, EachSideSeesItsPartnershipsAndPartners) {
    ASSERT_TRUE(store->createPartnership(adgesti.id, bailleur.id, siao.id).isOk());
    Browser claire = signedIn("claire@adgesti.fr");
    auto a = claire.get("/partenariats");
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_NE(a.body.find("<th scope=\"row\">Sarthe Habitat</th><td>Bailleur social</td><td>SIAO de la Sarthe</td>"),
              std::string::npos) << a.body;
    EXPECT_NE(a.body.find("passerelle admin create-partnership"), std::string::npos);
    Browser paul = signedIn("dsi@sarthe-habitat.fr");
    auto b = paul.get("/partenariats");
    EXPECT_NE(b.body.find("<th scope=\"row\">ADGESTI</th><td>Association</td>"), std::string::npos) << b.body;
    Browser ines = signedIn("ines@habitat-solidaire.fr");
    auto c = ines.get("/partenariats");
    EXPECT_EQ(c.status, 200);
    EXPECT_NE(c.body.find("aucun partenariat"), std::string::npos);
    EXPECT_EQ(c.body.find("Sarthe Habitat"), std::string::npos);
    // No page creates one (a partnership binds two organisations): POST is not a route.
    EXPECT_EQ(claire.post("/partenariats", {{"_csrf", claire.csrf("/partenariats")}, {"bailleur", bailleur.id}}).status, 404);
    EXPECT_EQ(store->listPartnerships(other.id).value().size(), 0u);
}

// --- The landlord's webhook --------------------------------------------------------------------------

TEST_P(SpacesTest, TheLandlordsAdminSetsItsWebhookThroughTheSameUseCaseAsTheApi) {
    Browser paul = signedIn("dsi@sarthe-habitat.fr");
    auto page = paul.get("/webhook");
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.body.find("Aucun webhook n’est déclaré"), std::string::npos);
    EXPECT_NE(page.body.find("Aucun envoi pour l’instant."), std::string::npos);
    std::string token = firstMatch(page.body, "name=\"_csrf\" value=\"([0-9a-f]+)\"");
    auto bad = paul.post("/webhook", {{"_csrf", token}, {"/url", "ftp://reception"}});
    EXPECT_EQ(bad.status, 422) << "as the API answers (PUT /v1/me/webhook)";
    // The error summary carries the API's French message, word for word.
    const std::string apiMessage = service::checkWebhookUrl("ftp://reception").message();
    ASSERT_EQ(apiMessage.rfind("Adresse de webhook invalide", 0), 0u) << apiMessage;
    EXPECT_NE(bad.body.find("<a href=\"#url\">" + esc(apiMessage) + "</a>"), std::string::npos) << bad.body;
    EXPECT_NE(bad.body.find("value=\"" + esc("ftp://reception") + "\""), std::string::npos) << "what was typed stays";
    EXPECT_FALSE(store->findWebhook(bailleur.id).isOk());
    // Issue 11 item 8: an internal address, or plain http to a host not allowed, is refused on the page too.
    for (const std::string url : {"https://192.168.1.5/passerelle", "https://169.254.169.254/", "http://reception.sarthe-habitat.fr/p"}) {
        auto internal = paul.post("/webhook", {{"_csrf", token}, {"/url", url}});
        EXPECT_EQ(internal.status, 422) << url;
        EXPECT_NE(internal.body.find("<a href=\"#url\">" + esc(service::checkWebhookUrl(url).message()) + "</a>"),
                  std::string::npos) << url << internal.body;
    }
    EXPECT_FALSE(store->findWebhook(bailleur.id).isOk());
    auto ok = paul.post("/webhook", {{"_csrf", token}, {"/url", "https://reception.sarthe-habitat.fr/passerelle"}});
    ASSERT_EQ(ok.status, 303) << ok.body;
    auto w = store->findWebhook(bailleur.id);
    ASSERT_TRUE(w.isOk());
    EXPECT_EQ(w.value().url, "https://reception.sarthe-habitat.fr/passerelle");
    auto shown = paul.get("/webhook?message=enregistre");
    EXPECT_NE(shown.body.find("L’adresse du webhook est enregistrée."), std::string::npos);
    EXPECT_NE(shown.body.find("<span class=\"code\">" + esc("https://reception.sarthe-habitat.fr/passerelle") + "</span>"), std::string::npos);
    // The same audit event as PUT /v1/me/webhook.
    bool audited = false;
    const auto audit1 = store->listAudit(); // keep the Result alive: value() is a reference into it
    ASSERT_TRUE(audit1.isOk());
    for (const auto& e : audit1.value()) audited = audited || e.event == "webhook.set";
    EXPECT_TRUE(audited);
    // The landlord's member: 404; without the token: 403.
    Browser anne = signedIn("cesf@sarthe-habitat.fr");
    EXPECT_EQ(anne.get("/webhook").status, 404);
    EXPECT_EQ(paul.post("/webhook", {{"/url", "http://ailleurs.example/x"}}).status, 403);
    EXPECT_EQ(store->findWebhook(bailleur.id).value().url, "https://reception.sarthe-habitat.fr/passerelle");
}

TEST_P(SpacesTest, TheWebhookSecretIsShownOnceAndSignsTheTestPushAndEveryPush) {
    testing::WebhookReceiver receiver;
    Browser paul = signedIn("dsi@sarthe-habitat.fr");
    std::string token = paul.csrf("/webhook");
    EXPECT_EQ(paul.get("/webhook").body.find("Envoyer un essai"), std::string::npos) << "no test before a URL";
    ASSERT_EQ(paul.post("/webhook", {{"_csrf", token}, {"/url", receiver.url()}}).status, 303);
    EXPECT_NE(paul.get("/webhook").body.find("Aucun secret : les envois ne sont pas signés."), std::string::npos);

    // A test push without a secret: received, unsigned.
    auto unsignedTest = paul.post("/webhook/essai", {{"_csrf", token}});
    ASSERT_EQ(unsignedTest.status, 200) << unsignedTest.body;
    EXPECT_NE(unsignedTest.body.find("Essai reçu : votre serveur a répondu HTTP 200. L’envoi n’était pas signé."),
              std::string::npos) << unsignedTest.body;
    ASSERT_EQ(receiver.hits().size(), 1u);
    EXPECT_TRUE(receiver.hits()[0].signature.empty());
    EXPECT_NE(receiver.hits()[0].body.find("\"type\":\"essai\""), std::string::npos) << receiver.hits()[0].body;

    // The secret: shown once.
    auto made = paul.post("/webhook/secret", {{"_csrf", token}});
    ASSERT_EQ(made.status, 200) << made.body;
    const std::string secret = firstMatch(made.body, "data-secret-webhook>(whsec_[0-9a-f]{64})<");
    ASSERT_FALSE(secret.empty()) << made.body;
    auto later = paul.get("/webhook");
    EXPECT_EQ(later.body.find(secret), std::string::npos);
    EXPECT_NE(later.body.find("Un secret est en place depuis le "), std::string::npos);
    EXPECT_NE(later.body.find("Remplacer le secret"), std::string::npos);
    const auto audit2 = store->listAudit(); // keep the Result alive: value() is a reference into it
    ASSERT_TRUE(audit2.isOk());
    for (const auto& e : audit2.value()) EXPECT_EQ(e.details.find(secret), std::string::npos) << e.event;
    // Encrypted at rest (issue 12): the row holds a "v1:" value, not the secret.
    {
        std::vector<std::string> rows;
        Status st = store->readSession("test", [&](Poco::Data::Session& s) {
            s << "SELECT secret FROM webhook_secrets", Poco::Data::Keywords::into(rows), Poco::Data::Keywords::now;
            return Status::ok();
        });
        ASSERT_TRUE(st.isOk());
        ASSERT_EQ(rows.size(), 1u);
        EXPECT_EQ(rows[0].rfind("v1:", 0), 0u) << "encrypted";
        EXPECT_EQ(rows[0].find(secret.substr(6)), std::string::npos);
    }

    // The test push is signed: HMAC-SHA256 of the body received, under that secret.
    auto signedTest = paul.post("/webhook/essai", {{"_csrf", token}});
    EXPECT_NE(signedTest.body.find("L’envoi était signé (X-Passerelle-Signature)."), std::string::npos) << signedTest.body;
    ASSERT_EQ(receiver.hits().size(), 2u);
    const auto hit = receiver.hits()[1];
    EXPECT_EQ(hit.signature, service::webhookSignature(secret, hit.body));
    EXPECT_EQ(hit.signature.substr(0, 7), "sha256=");
    EXPECT_EQ(hit.signature.size(), 7u + 64u);
    EXPECT_NE(hit.signature, service::webhookSignature(secret + "x", hit.body));
    // A push of the outbox, to this organisation: signed the same way; to another, not.
    delivery::OutboxMessage m;
    m.id = "out_0123456789abcdef";
    m.recipientOrgId = bailleur.id;
    m.url = receiver.url();
    m.transmissionId = "trn_0123456789abcdef";
    m.body = R"({"transmission":"trn_0123456789abcdef"})";
    EXPECT_TRUE(sender->send(m).delivered);
    EXPECT_EQ(receiver.hits().back().signature, service::webhookSignature(secret, m.body));
    m.recipientOrgId = siao.id;
    EXPECT_TRUE(sender->send(m).delivered);
    EXPECT_TRUE(receiver.hits().back().signature.empty());

    // A failing webhook: the page says what it answered.
    receiver.answer(503);
    auto refused = paul.post("/webhook/essai", {{"_csrf", token}});
    EXPECT_NE(refused.body.find("Essai refusé : votre serveur a répondu HTTP 503."), std::string::npos) << refused.body;
    // A new secret replaces the old one at once.
    auto again = paul.post("/webhook/secret", {{"_csrf", token}});
    const std::string second = firstMatch(again.body, "data-secret-webhook>(whsec_[0-9a-f]{64})<");
    ASSERT_FALSE(second.empty());
    EXPECT_NE(second, secret);
    EXPECT_EQ(secrets->findWebhookSecret(bailleur.id).value().secret, second);
    // Members and other kinds: 404; no token: 403.
    Browser anne = signedIn("cesf@sarthe-habitat.fr");
    EXPECT_EQ(anne.post("/webhook/secret", {{"_csrf", anne.csrf("/accueil")}}).status, 404);
    Browser claire = signedIn("claire@adgesti.fr");
    EXPECT_EQ(claire.post("/webhook/essai", {{"_csrf", claire.csrf("/dossiers")}}).status, 404);
    EXPECT_EQ(paul.post("/webhook/secret", {}).status, 403);
    EXPECT_EQ(secrets->findWebhookSecret(bailleur.id).value().secret, second);
}

// --- Actions and the funder's space -------------------------------------------------------------------

TEST_P(SpacesTest, TheAssociationCreatesAnActionAndStartsItsBudgetAnnex) {
    Browser marc = signedIn("marc@adgesti.fr");
    auto form = marc.get("/actions/nouvelle");
    ASSERT_EQ(form.status, 200) << form.body;
    EXPECT_NE(form.body.find("DDCS Sarthe"), std::string::npos);
    EXPECT_NE(form.body.find("ARS Pays de la Loire"), std::string::npos);
    std::string token = firstMatch(form.body, "name=\"_csrf\" value=\"([0-9a-f]+)\"");
    auto missing = marc.post("/actions", {{"_csrf", token}, {"/title", " "}});
    EXPECT_EQ(missing.status, 400);
    EXPECT_NE(missing.body.find("<a href=\"#title\">" + esc("L'intitulé de l'action est obligatoire.") + "</a>"), std::string::npos) << missing.body;
    auto notFunder = marc.post("/actions", {{"_csrf", token}, {"/title", "X"}, {"/funders", bailleur.id}});
    EXPECT_EQ(notFunder.status, 400);
    EXPECT_NE(notFunder.body.find("<a href=\"#funders\">"), std::string::npos) << notFunder.body;
    auto created = marc.post("/actions", {{"_csrf", token}, {"/title", "Diagnostics AVDL 2027"}, {"/funders", ddcs.id},
                                          {"/funders", ars.id}});
    ASSERT_EQ(created.status, 303) << created.body;
    const std::string actionId = firstMatch(created.header("location"), "/actions/(act_[0-9a-f]{16})");
    ASSERT_FALSE(actionId.empty());
    auto action = store->findAction(actionId).value();
    EXPECT_EQ(action.funderIds.size(), 2u);
    auto page = marc.get("/actions/" + actionId + "?message=creee");
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("<h1>Diagnostics AVDL 2027</h1>"), std::string::npos);
    EXPECT_NE(page.body.find("ARS Pays de la Loire et DDCS Sarthe"), std::string::npos) << page.body;
    EXPECT_NE(marc.get("/actions").body.find("href=\"/actions/" + actionId + "\""), std::string::npos);

    // "Annexe budgétaire": a draft on the action, filled in the generated form page.
    auto start = marc.post("/actions/" + actionId + "/brouillons", {{"_csrf", token}, {"_formulaire", "budget-annexe"}});
    ASSERT_EQ(start.status, 303) << start.body;
    const std::string draftUrl = start.header("location");
    ASSERT_TRUE(std::regex_match(draftUrl, std::regex("/brouillons/brl_[0-9a-f]{16}"))) << draftUrl;
    auto draft = marc.get(draftUrl);
    ASSERT_EQ(draft.status, 200) << draft.body;
    EXPECT_NE(draft.body.find("href=\"/actions/" + actionId + "\">Retour à l’action</a>"), std::string::npos);
    EXPECT_NE(draft.body.find("name=\"" + esc("/charges/0/libelle") + "\""), std::string::npos);
    // The date of the annex, typed the French way, is stored as ISO and shown back as typed.
    auto saved = marc.post(draftUrl, {{"_csrf", token}, {"_action", "enregistrer"}, {"/date", "30/09/2026"}});
    EXPECT_EQ(saved.status, 303);
    auto d = drafts->listForAction(callerOf(adgesti), actionId);
    ASSERT_TRUE(d.isOk());
    ASSERT_EQ(d.value().size(), 1u);
    EXPECT_NE(d.value()[0].valuesJson.find("\"2026-09-30\""), std::string::npos) << d.value()[0].valuesJson;
    EXPECT_NE(marc.get(draftUrl).body.find("value=\"" + esc("30/09/2026") + "\""), std::string::npos);
    EXPECT_NE(marc.get("/actions/" + actionId).body.find("Brouillons en cours"), std::string::npos);
    // A form with personal data is never started on an action.
    EXPECT_EQ(marc.post("/actions/" + actionId + "/brouillons", {{"_csrf", token}, {"_formulaire", "fiche-navette"}}).status, 404);
    // Another association: the action does not exist for it.
    Browser ines = signedIn("ines@habitat-solidaire.fr");
    EXPECT_EQ(ines.get("/actions/" + actionId).status, 404);
    EXPECT_EQ(ines.post("/actions/" + actionId + "/brouillons", {{"_csrf", ines.csrf("/actions")}, {"_formulaire", "budget-annexe"}}).status,
              404);
    EXPECT_EQ(ines.get("/actions").body.find(actionId), std::string::npos);
}

TEST_P(SpacesTest, TheFunderOpensTheBudgetAnnexOfTheActionsItFundsAndNeverSeesADossier) {
    Browser claire = signedIn("claire@adgesti.fr");
    const std::string actionId = createFundedAction(claire);
    ASSERT_FALSE(actionId.empty());
    const std::string annexId = addBudgetAnnex(actionId);
    ASSERT_FALSE(annexId.empty());
    // A dossier and a fiche navette carrying the canary.
    Poco::JSON::Object::Ptr body = testing::readJson(testing::sourceDir() + "/examples/fiche-navette-alerte-bailleur.json");
    Poco::JSON::Object::Ptr dossierBody = new Poco::JSON::Object;
    dossierBody->set("reference", "ADG-2026-0999");
    Poco::JSON::Object::Ptr menage = new Poco::JSON::Object;
    Poco::JSON::Array::Ptr membres = new Poco::JSON::Array;
    Poco::JSON::Object::Ptr membre = new Poco::JSON::Object;
    membre->set("nom", CANARY);
    membres->add(membre);
    menage->set("membres", membres);
    dossierBody->set("menage", menage);
    auto dossier = dossiers->createDossier(callerOf(adgesti), dossierBody);
    ASSERT_TRUE(dossier.isOk()) << dossier.status().toString();
    body->getObject("menage")->getArray("composition")->getObject(0)->set("nom", CANARY);
    service::NewDocument fiche;
    fiche.form = "fiche-navette";
    fiche.dossierId = dossier.value().id;
    fiche.data = body;
    auto ficheDoc = dossiers->createDocument(callerOf(adgesti), fiche);
    ASSERT_TRUE(ficheDoc.isOk()) << ficheDoc.status().toString();

    // The funder lands on the actions it funds.
    Browser helene{server->port(), {}};
    auto signin = helene.signIn("budget@ddcs.fr", PASSWORD);
    EXPECT_EQ(signin.header("location"), "/actions");
    auto list = helene.get("/actions");
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_NE(list.body.find("Actions financées"), std::string::npos);
    EXPECT_NE(list.body.find("href=\"/actions/" + actionId + "\">Plateformes territoriales Sarthe 2027</a>"), std::string::npos);
    EXPECT_NE(list.body.find("href=\"" + esc("/actions") + "\" aria-current=\"page\">Actions financées</a>"), std::string::npos);
    EXPECT_EQ(list.body.find(">Dossiers</a>"), std::string::npos) << "no dossiers in a funder's menu";
    auto page = helene.get("/actions/" + actionId);
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.body.find("Annexe budgétaire"), std::string::npos);
    EXPECT_EQ(page.body.find("Remplir un document"), std::string::npos) << "a funder fills nothing";
    const std::string xlsxHref = "/documents/" + annexId + "/revisions/1.xlsx";
    EXPECT_NE(page.body.find("href=\"" + esc(xlsxHref) + "\""), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("href=\"" + esc("/documents/" + annexId + "/revisions/1.pdf") + "\""), std::string::npos);

    // The XLSX opens, and its cells hold the annex's lines.
    auto xlsx = helene.get(xlsxHref);
    ASSERT_EQ(xlsx.status, 200) << xlsx.body.substr(0, 300);
    EXPECT_EQ(xlsx.header("content-type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    EXPECT_EQ(xlsx.body.substr(0, 2), "PK");
    std::string strings = zipPart(xlsx.body, "xl/sharedStrings.xml");
    EXPECT_NE(strings.find("Temps d'évaluation par ADGESTI (300 € par diagnostic × 50 situations)"), std::string::npos)
        << strings.substr(0, 500);
    auto pdf = helene.get("/documents/" + annexId + "/revisions/1.pdf");
    ASSERT_EQ(pdf.status, 200);
    EXPECT_NE(testing::pdfToText(pdf.body).find("DDCS Sarthe"), std::string::npos);
    // The activity figures of the action: beside the annex, with their workbook.
    service::NewDocument activite;
    activite.form = "activite";
    activite.actionId = actionId;
    activite.data = testing::readJson(testing::sourceDir() + "/examples/activite-ille-et-vilaine-2016.json");
    auto act = dossiers->createDocument(callerOf(adgesti), activite);
    ASSERT_TRUE(act.isOk()) << act.status().toString();
    auto withActivity = helene.get("/actions/" + actionId);
    EXPECT_NE(withActivity.body.find("Bilan d’activité</a></h3>"), std::string::npos) << withActivity.body;
    auto activityXlsx = helene.get("/documents/" + act.value().document.id + "/revisions/1.xlsx");
    EXPECT_EQ(activityXlsx.status, 200);
    EXPECT_EQ(activityXlsx.body.substr(0, 2), "PK");
    // Revisions: a second one shows beside the first, both downloadable.
    service::DocumentRevisionInput rev;
    rev.data = testing::readJson(testing::sourceDir() + "/examples/budget-annexe-sarthe-plateformes.json");
    ASSERT_TRUE(dossiers->reviseDocument(callerOf(adgesti), annexId, rev).isOk());
    auto revised = helene.get("/actions/" + actionId);
    EXPECT_NE(revised.body.find("Révision n° 2</strong> (en cours)"), std::string::npos) << revised.body;
    EXPECT_NE(revised.body.find("href=\"" + esc("/documents/" + annexId + "/revisions/1.xlsx") + "\""), std::string::npos);
    auto docPage = helene.get("/documents/" + annexId);
    EXPECT_EQ(docPage.status, 200);
    EXPECT_NE(docPage.body.find("Retour à l’action"), std::string::npos);
    EXPECT_EQ(docPage.body.find("Commencer une nouvelle révision"), std::string::npos) << "read only";

    // Never a dossier, never a household value (canary), whatever the path.
    const std::string dossierId = dossier.value().id, ficheId = ficheDoc.value().document.id;
    for (const std::string path : {"/dossiers/" + dossierId, "/documents/" + ficheId, "/documents/" + ficheId + "/revisions/1.pdf",
                                   "/dossiers/" + dossierId + "/brouillons",
                                   "/dossiers/" + dossierId + "/documents/nouveau?formulaire=fiche-navette"}) {
        auto r = helene.get(path);
        EXPECT_EQ(r.status, 404) << path;
        EXPECT_EQ(r.body.find(CANARY), std::string::npos) << path;
    }
    for (const std::string& path : std::vector<std::string>{"/actions", "/actions/" + actionId, "/documents/" + annexId, "/accueil", "/dossiers", "/"}) {
        auto r = helene.get(path);
        EXPECT_EQ(r.body.find(CANARY), std::string::npos) << path;
        EXPECT_EQ(r.body.find("ADG-2026-0999"), std::string::npos) << path;
        EXPECT_EQ(r.body.find(dossierId), std::string::npos) << path;
    }
    EXPECT_EQ(strings.find(CANARY), std::string::npos);
    // A funder may not create an action nor start a document.
    std::string htoken = helene.csrf("/actions");
    EXPECT_EQ(helene.get("/actions/nouvelle").status, 404);
    EXPECT_EQ(helene.post("/actions", {{"_csrf", htoken}, {"/title", "X"}}).status, 404);
    EXPECT_EQ(helene.post("/actions/" + actionId + "/brouillons", {{"_csrf", htoken}, {"_formulaire", "budget-annexe"}}).status, 404);
    // Another funder: the action does not exist for it.
    Browser yves = signedIn("suivi@ars.fr");
    EXPECT_EQ(yves.get("/actions/" + actionId).status, 404);
    EXPECT_EQ(yves.get(xlsxHref).status, 404);
    EXPECT_EQ(yves.get("/actions").body.find(actionId), std::string::npos);
    // A landlord: no action pages at all.
    Browser paul = signedIn("dsi@sarthe-habitat.fr");
    EXPECT_EQ(paul.get("/actions").status, 404);
    EXPECT_EQ(paul.get("/actions/" + actionId).status, 404);
}

// --- HEAD and 405 -------------------------------------------------------------------------------------

TEST_P(SpacesTest, HeadAnswersLikeGetWithoutABodyAndOtherMethodsGet405WithAllow) {
    Browser anon{server->port(), {}};
    auto get = anon.get("/connexion");
    auto head = anon.send("HEAD", "/connexion");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(head.header("content-type"), get.header("content-type"));
    EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size()));
    EXPECT_EQ(head.header("content-security-policy"), get.header("content-security-policy"));
    EXPECT_EQ(anon.send("HEAD", "/dossiers").status, 303) << "signed out: as GET";
    EXPECT_EQ(anon.send("HEAD", "/static/passerelle.css").status, 200);
    EXPECT_EQ(anon.send("HEAD", "/nulle-part").status, 404) << "as GET";
    Browser claire = signedIn("claire@adgesti.fr");
    auto h = claire.send("HEAD", "/cles-api");
    EXPECT_EQ(h.status, 200);
    EXPECT_TRUE(h.body.empty());
    EXPECT_EQ(claire.send("HEAD", "/actions").status, 200);
    // On the wire: the head only, Content-Length of the GET's body, and not one byte after it.
    int fd = testing::connectFrom("127.0.0.1", server->port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(testing::sendAll(fd, "HEAD /connexion HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    const std::string wire = testing::readFor(fd, 5.0); // until the server closes
    ::close(fd);
    EXPECT_EQ(testing::statusOf(wire), 200) << wire;
    const std::size_t end = wire.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos) << wire;
    EXPECT_EQ(wire.size(), end + 4) << "no body after the head: " << wire.substr(end);
    EXPECT_NE(wire.find("Content-Length: " + std::to_string(get.body.size()) + "\r\n"), std::string::npos) << wire;
    // A method the path does not answer: 405 and the methods it does.
    auto put = anon.send("PUT", "/connexion", "x=1");
    EXPECT_EQ(put.status, 405);
    EXPECT_EQ(put.header("allow"), "GET, HEAD, POST");
}

INSTANTIATE_TEST_SUITE_P(Backends, SpacesTest, ::testing::ValuesIn(testing::storeBackends()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return testing::backendName(p.param); });

} // namespace
} // namespace passerelle::web
