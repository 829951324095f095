// The web pages through a real in-process server (port 0) on a SQLite store: security headers on
// every page, CSRF (403 without the session's token), session expiry (idle and absolute, with a fake
// clock), sign-out, sign-in throttling and lock, access rules (another organisation's dossier: 404),
// and HTML escaping of what users typed.
#include <atomic>
#include <map>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "app/UserCommand.h"

#include <Poco/URI.h>

#include "http/HttpServer.h"
#include "service/AccountService.h"
#include "service/DossierService.h"
#include "service/TransmissionService.h"
#include "storage/StoreBackends.h"
#include "support/HttpClient.h"
#include "support/WebBrowser.h"
#include "support/TestSupport.h"
#include "web/Views.h"
#include "web/WebApp.h"
#include "web/WebRoutes.h"

namespace passerelle::web {
namespace {

using testing::HttpResult;

const std::string PASSWORD = "un mot de passe solide 2026";

using Browser = testing::WebBrowser;

// Failures from one address before it waits (above the 6 failures of the per-account test).
constexpr int kAddressDelayAfter = 8;
constexpr int kAddressLockAfter = 12;

class WebTest : public ::testing::Test {
protected:
    void SetUp() override {
        db = std::make_unique<testing::TestDatabase>("sqlite");
        store = db->open();
        renderer = std::make_shared<const service::RenderService>(testing::repoCatalog());
        dossiers = std::make_shared<const service::DossierService>(store, renderer);
        transmissions = std::make_shared<const service::TransmissionService>(store, renderer);
        service::AccountSettings settings;
        settings.clock = [this] { return nowMs.load(); };
        settings.delayAfterFailures = 3;
        settings.lockAfterFailures = 5;
        settings.maxDelaySeconds = 60;
        settings.lockMinutes = 15;
        settings.addressDelayAfterFailures = kAddressDelayAfter;
        settings.addressLockAfterFailures = kAddressLockAfter;
        accounts = std::make_shared<const service::AccountService>(store, settings);
        auto views = Views::load(testing::sourceDir() + "/web/views");
        ASSERT_TRUE(views.isOk()) << views.status().toString();
        WebSettings ws;
        ws.staticDir = testing::sourceDir() + "/web/static";
        ws.trustProxy = true;
        app = std::make_unique<WebApp>(views.value(), accounts, ws);
        router = std::make_shared<http::Router>();
        addWebRoutes(*router, *app, WebServices{dossiers, transmissions});
        addWebFallback(*router, *app);
        http::ServerConfig config;
        config.port = 0;
        server = std::make_unique<http::Server>(config, router);
        server->start();
        adgesti = store->createOrganisation("ADGESTI", storage::KIND_ASSOCIATION).value();
        other = store->createOrganisation("Habitat Solidaire", storage::KIND_ASSOCIATION).value();
        bailleur = store->createOrganisation("Sarthe Habitat", storage::KIND_BAILLEUR).value();
        addUser("ADGESTI", "claire@adgesti.fr", "Claire Lefèvre", "admin");
        addUser("ADGESTI", "marc@adgesti.fr", "Marc Durand", "membre");
        addUser("Habitat Solidaire", "ines@habitat-solidaire.fr", "Inès Martin", "membre");
        addUser("Sarthe Habitat", "cesf@sarthe-habitat.fr", "Paul Bernard", "membre");
    }
    void TearDown() override {
        if (server) server->stop();
    }

    void addUser(const std::string& org, const std::string& email, const std::string& name, const std::string& role) {
        auto u = accounts->createUser(std::nullopt, service::NewUser{org, email, name, role, PASSWORD});
        ASSERT_TRUE(u.isOk()) << u.status().toString();
    }
    Browser browser() { return Browser{server->port(), {}, {}}; }
    Browser signedIn(const std::string& email) {
        Browser b = browser();
        auto r = b.signIn(email, PASSWORD);
        EXPECT_EQ(r.status, 303) << r.body;
        return b;
    }
    // Creates a dossier through the page; returns its id.
    std::string createDossier(Browser& b, const std::string& nom, const std::string& reference = "ADG-2026-0147") {
        std::string token = b.csrf("/dossiers/nouveau");
        auto r = b.post("/dossiers", {{"_csrf", token}, {"/reference", reference}, {"/menage/membres/0/nom", nom}});
        EXPECT_EQ(r.status, 303) << r.body;
        std::smatch m;
        std::string loc = r.header("location");
        if (!std::regex_search(loc, m, std::regex("/dossiers/(dos_[0-9a-f]{16})"))) return {};
        return m[1];
    }

    std::atomic<std::int64_t> nowMs{1'800'000'000'000};
    std::unique_ptr<testing::TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    std::shared_ptr<const service::RenderService> renderer;
    std::shared_ptr<const service::DossierService> dossiers;
    std::shared_ptr<const service::TransmissionService> transmissions;
    std::shared_ptr<const service::AccountService> accounts;
    std::unique_ptr<WebApp> app;
    std::shared_ptr<http::Router> router;
    std::unique_ptr<http::Server> server;
    storage::Organisation adgesti, other, bailleur;
};

void expectSecurityHeaders(const HttpResult& r, const std::string& what) {
    std::string csp = r.header("content-security-policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << what << ": " << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << what;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << what;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << what;
    EXPECT_EQ(r.header("referrer-policy"), "same-origin") << what;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << what;
    EXPECT_EQ(r.header("x-frame-options"), "DENY") << what;
}

TEST_F(WebTest, EveryPageCarriesTheSecurityHeadersAndIsFrench) {
    Browser anon = browser();
    for (const std::string path : {"/connexion", "/", "/dossiers", "/nulle-part", "/static/passerelle.css", "/static/../x.css"}) {
        auto r = anon.get(path);
        expectSecurityHeaders(r, "anonymous " + path);
    }
    Browser claire = signedIn("claire@adgesti.fr");
    std::string id = createDossier(claire, "Benali");
    for (const std::string& path : std::vector<std::string>{"/dossiers", "/dossiers/nouveau", "/dossiers/" + id, "/utilisateurs", "/mot-de-passe",
                                   "/dossiers/dos_0000000000000000", "/inconnu"}) {
        auto r = claire.get(path);
        expectSecurityHeaders(r, path);
        EXPECT_EQ(r.contentType, "text/html; charset=utf-8") << path;
        EXPECT_NE(r.body.find("<html lang=\"fr\">"), std::string::npos) << path;
        EXPECT_NE(r.body.find("<main id=\"contenu\""), std::string::npos) << path;
        EXPECT_NE(r.body.find("href=\"#contenu\""), std::string::npos) << path << ": skip link";
        EXPECT_EQ(r.body.find("<script>"), std::string::npos) << path << ": no inline script";
        EXPECT_EQ(r.body.find(" style=\""), std::string::npos) << path << ": no inline style";
    }
    auto post = claire.post("/dossiers", {});
    expectSecurityHeaders(post, "POST /dossiers (refused)");
}

TEST_F(WebTest, UnknownPathsAre404InFrenchButTheApiKeepsItsJson) {
    Browser b = browser();
    auto r = b.get("/nulle-part");
    EXPECT_EQ(r.status, 404);
    EXPECT_NE(r.body.find("Page introuvable"), std::string::npos);
    EXPECT_EQ(b.get("/static/../passerelle.css").status, 404);
    EXPECT_EQ(b.get("/static/.hidden.css").status, 404);
    EXPECT_EQ(b.get("/static/passerelle.exe").status, 404);
    auto css = b.get("/static/passerelle.css");
    EXPECT_EQ(css.status, 200);
    EXPECT_EQ(css.contentType, "text/css; charset=utf-8");
    EXPECT_NE(css.header("cache-control").find("max-age="), std::string::npos);
    b.headers["If-None-Match"] = css.header("etag");
    EXPECT_EQ(b.get("/static/passerelle.css").status, 304);
}

TEST_F(WebTest, PostsWithoutTheSessionsCsrfTokenAre403) {
    Browser marc = signedIn("marc@adgesti.fr");
    std::string token = marc.csrf("/dossiers/nouveau");
    ASSERT_EQ(token.size(), 48u);
    auto none = marc.post("/dossiers", {{"/menage/membres/0/nom", "Benali"}});
    EXPECT_EQ(none.status, 403);
    EXPECT_NE(none.body.find("Le formulaire a expiré"), std::string::npos);
    auto wrong = marc.post("/dossiers", {{"_csrf", std::string(48, 'a')}, {"/menage/membres/0/nom", "Benali"}});
    EXPECT_EQ(wrong.status, 403);
    // Another session's token is not this session's.
    Browser claire = signedIn("claire@adgesti.fr");
    auto foreign = marc.post("/dossiers", {{"_csrf", claire.csrf("/dossiers/nouveau")}, {"/menage/membres/0/nom", "Benali"}});
    EXPECT_EQ(foreign.status, 403);
    auto none2 = marc.post("/deconnexion", {});
    EXPECT_EQ(none2.status, 403) << "sign-out is a state change too";
    // Nothing was created by the refused posts.
    EXPECT_EQ(dossiers->searchDossiers(accounts->resolveSession(marc.cookies[SESSION_COOKIE]).value().caller, {}).value().total, 0);
    auto ok = marc.post("/dossiers", {{"_csrf", token}, {"/menage/membres/0/nom", "Benali"}});
    EXPECT_EQ(ok.status, 303);
    // The sign-in form has its own double-submit token.
    Browser anon = browser();
    auto bare = anon.post("/connexion", {{"email", "marc@adgesti.fr"}, {"password", PASSWORD}});
    EXPECT_EQ(bare.status, 403);
    EXPECT_TRUE(anon.cookies.find(SESSION_COOKIE) == anon.cookies.end());
}

TEST_F(WebTest, SessionCookieFlagsAndSecureBehindATlsProxy) {
    Browser b = browser();
    std::string token = b.csrf("/connexion");
    auto r = b.post("/connexion", {{"_csrf", token}, {"email", "marc@adgesti.fr"}, {"password", PASSWORD}});
    ASSERT_EQ(r.status, 303);
    EXPECT_EQ(r.header("location"), "/dossiers");
    std::string cookie = r.header("set-cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos) << cookie;
    EXPECT_EQ(cookie.find("Secure"), std::string::npos) << cookie;
    // The database keeps the token's hash only.
    std::string session = b.cookies[SESSION_COOKIE];
    ASSERT_EQ(session.size(), 64u);
    EXPECT_FALSE(store->findWebSession(session).isOk());
    Browser proxied = browser();
    proxied.headers["X-Forwarded-Proto"] = "https";
    auto s = proxied.signIn("marc@adgesti.fr", PASSWORD);
    EXPECT_NE(s.header("set-cookie").find("; Secure"), std::string::npos) << s.header("set-cookie");
}

TEST_F(WebTest, SessionsExpireWhenIdleAndAtTheirAbsoluteEndAndAtSignOut) {
    Browser marc = signedIn("marc@adgesti.fr");
    EXPECT_EQ(marc.get("/dossiers").status, 200);
    nowMs += 29 * 60 * 1000; // 29 minutes idle: still valid, and the visit renews it
    EXPECT_EQ(marc.get("/dossiers").status, 200);
    nowMs += 29 * 60 * 1000;
    EXPECT_EQ(marc.get("/dossiers").status, 200);
    nowMs += 31 * 60 * 1000; // 31 minutes idle: over
    auto expired = marc.get("/dossiers");
    EXPECT_EQ(expired.status, 303);
    EXPECT_EQ(expired.header("location").rfind("/connexion", 0), 0u) << expired.header("location");
    // Absolute lifetime (12 h): even an active session ends.
    Browser claire = signedIn("claire@adgesti.fr");
    for (int i = 0; i < 12 * 3; ++i) {
        nowMs += 20 * 60 * 1000;
        auto r = claire.get("/dossiers");
        if (i < 12 * 3 - 1) ASSERT_EQ(r.status, 200) << "after " << (i + 1) * 20 << " min";
        else EXPECT_EQ(r.status, 303) << "12 h after sign-in";
    }
    // Sign-out ends the session on the server: the old cookie no longer works.
    Browser ines = signedIn("ines@habitat-solidaire.fr");
    std::string old = ines.cookies[SESSION_COOKIE];
    auto out = ines.post("/deconnexion", {{"_csrf", ines.csrf("/dossiers")}});
    EXPECT_EQ(out.status, 303);
    EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
    Browser replay = browser();
    replay.cookies[SESSION_COOKIE] = old;
    EXPECT_EQ(replay.get("/dossiers").status, 303);
    EXPECT_FALSE(accounts->resolveSession(old).isOk());
}

TEST_F(WebTest, SignInIsThrottledThenLockedPerAccountWithOneGenericMessage) {
    Browser b = browser();
    const std::string generic = "Adresse électronique ou mot de passe incorrect.";
    for (int i = 0; i < 3; ++i) {
        auto r = b.signIn("marc@adgesti.fr", "mauvais");
        EXPECT_EQ(r.status, 200);
        EXPECT_NE(r.body.find(generic), std::string::npos) << i;
    }
    // An unknown account answers exactly the same.
    auto unknown = b.signIn("personne@adgesti.fr", "mauvais");
    EXPECT_NE(unknown.body.find(generic), std::string::npos);
    // Growing delay: the 4th attempt right away is refused without checking the password.
    auto early = b.signIn("marc@adgesti.fr", PASSWORD);
    EXPECT_EQ(early.status, 429);
    EXPECT_NE(early.body.find("patientez 1 seconde"), std::string::npos) << early.body;
    nowMs += 1000;
    EXPECT_EQ(b.signIn("marc@adgesti.fr", "mauvais").status, 200); // 4th failure
    auto early2 = b.signIn("marc@adgesti.fr", "mauvais");
    EXPECT_NE(early2.body.find("patientez 2 secondes"), std::string::npos) << "the delay doubles";
    nowMs += 2000;
    auto locked = b.signIn("marc@adgesti.fr", "mauvais"); // 5th failure: locked
    EXPECT_EQ(locked.status, 429);
    EXPECT_NE(locked.body.find("bloquée pendant 15 minutes"), std::string::npos) << locked.body;
    nowMs += 5 * 60 * 1000;
    auto stillLocked = b.signIn("marc@adgesti.fr", PASSWORD);
    EXPECT_EQ(stillLocked.status, 429);
    EXPECT_NE(stillLocked.body.find("bloquée pendant 10 minutes"), std::string::npos);
    EXPECT_TRUE(b.cookies.find(SESSION_COOKIE) == b.cookies.end());
    // Others are not affected; after the lock, the right password works and clears the counter.
    EXPECT_EQ(browser().signIn("claire@adgesti.fr", PASSWORD).status, 303);
    nowMs += 11 * 60 * 1000;
    EXPECT_EQ(b.signIn("marc@adgesti.fr", PASSWORD).status, 303);
    // Audited: sign-ins, failures and refusals, never with the e-mail or password.
    auto audit = store->listAudit();
    ASSERT_TRUE(audit.isOk());
    int failed = 0, signedInCount = 0, refused = 0;
    for (const auto& e : audit.value()) {
        failed += e.event == "user.signin_failed";
        signedInCount += e.event == "user.signed_in";
        refused += e.event == "user.signin_refused";
        EXPECT_EQ(e.details.find("@"), std::string::npos) << e.details;
        EXPECT_EQ(e.details.find("mauvais"), std::string::npos) << e.details;
        EXPECT_EQ(e.subject.find("@"), std::string::npos);
    }
    EXPECT_EQ(failed, 6); // 5 for marc, 1 unknown
    EXPECT_EQ(signedInCount, 2);
    EXPECT_GE(refused, 3);
}

TEST_F(WebTest, SignInIsThrottledPerAddressBehindATrustedProxy) {
    Browser b = browser();
    b.headers["X-Forwarded-For"] = "203.0.113.7";
    // Failures spread over many accounts from one address.
    for (int i = 0; i < kAddressDelayAfter; ++i) EXPECT_EQ(b.signIn("inconnu" + std::to_string(i) + "@x.fr", "mauvais").status, 200);
    auto r = b.signIn("marc@adgesti.fr", PASSWORD);
    EXPECT_EQ(r.status, 429) << "the address waits too";
    Browser elsewhere = browser();
    elsewhere.headers["X-Forwarded-For"] = "198.51.100.1";
    EXPECT_EQ(elsewhere.signIn("marc@adgesti.fr", PASSWORD).status, 303);
    // Failing on, once each delay has passed: at kAddressLockAfter failures the address is locked,
    // for every account, the right password included; other addresses are not.
    for (int i = kAddressDelayAfter; i < kAddressLockAfter; ++i) {
        nowMs += 61'000;
        b.signIn("inconnu" + std::to_string(i) + "@x.fr", "mauvais");
    }
    nowMs += 61'000;
    auto locked = b.signIn("claire@adgesti.fr", PASSWORD);
    EXPECT_EQ(locked.status, 429);
    EXPECT_NE(locked.body.find("la connexion est bloquée pendant 1"), std::string::npos) << locked.body;
    EXPECT_EQ(browser().signIn("claire@adgesti.fr", PASSWORD).status, 303) << "without the proxy's address: another client";
    nowMs += 16 * 60'000;
    EXPECT_EQ(b.signIn("claire@adgesti.fr", PASSWORD).status, 303) << "the lock ends";
}

// An organisation's admin manages its people from /utilisateurs: create (one-time password shown
// once), disable (their sessions end), re-enable, reset (a new one-time password to change); audited.
TEST_F(WebTest, AnAdminCreatesDisablesReenablesAndResetsUsersFromThePages) {
    Browser claire = signedIn("claire@adgesti.fr");
    auto created = claire.post("/utilisateurs", {{"_csrf", claire.csrf("/utilisateurs")}, {"name", "Lucie Petit"},
                                                 {"email", "lucie@adgesti.fr"}, {"role", "membre"}});
    ASSERT_EQ(created.status, 200) << created.body;
    std::smatch m;
    const std::regex oneTime("Mot de passe provisoire de Lucie Petit : <strong class=\"code\">([a-z0-9-]{19})</strong>");
    ASSERT_TRUE(std::regex_search(created.body, m, oneTime)) << created.body;
    const std::string first = m[1];
    EXPECT_EQ(claire.get("/utilisateurs").body.find(first), std::string::npos) << "shown once";
    Browser lucie = browser();
    EXPECT_EQ(lucie.signIn("lucie@adgesti.fr", first).header("location"), "/mot-de-passe");
    std::string token = lucie.csrf("/mot-de-passe");
    ASSERT_EQ(lucie.post("/mot-de-passe", {{"_csrf", token}, {"current", first}, {"password", PASSWORD}, {"confirmation", PASSWORD}}).status, 303);
    EXPECT_EQ(lucie.get("/dossiers").status, 200);

    const std::string id = store->findUserByEmail("lucie@adgesti.fr").value().id;
    auto disabled = claire.post("/utilisateurs/" + id + "/desactiver", {{"_csrf", claire.csrf("/utilisateurs")}});
    EXPECT_EQ(disabled.status, 303);
    EXPECT_NE(lucie.get("/dossiers").header("location").find("/connexion"), std::string::npos) << "her session ended";
    EXPECT_EQ(browser().signIn("lucie@adgesti.fr", PASSWORD).status, 200) << "refused, with the generic message";
    EXPECT_NE(claire.get("/utilisateurs?message=desactive").body.find("Désactivé"), std::string::npos);

    EXPECT_EQ(claire.post("/utilisateurs/" + id + "/reactiver", {{"_csrf", claire.csrf("/utilisateurs")}}).status, 303);
    EXPECT_EQ(browser().signIn("lucie@adgesti.fr", PASSWORD).status, 303);

    auto reset = claire.post("/utilisateurs/" + id + "/reinitialiser", {{"_csrf", claire.csrf("/utilisateurs")}});
    ASSERT_EQ(reset.status, 200);
    ASSERT_TRUE(std::regex_search(reset.body, m, oneTime)) << reset.body;
    EXPECT_NE(m[1].str(), first);
    EXPECT_EQ(browser().signIn("lucie@adgesti.fr", PASSWORD).status, 200) << "the old password no longer works";
    EXPECT_EQ(browser().signIn("lucie@adgesti.fr", m[1]).header("location"), "/mot-de-passe");

    auto audit = store->listAudit();
    ASSERT_TRUE(audit.isOk());
    std::map<std::string, int> events;
    const std::string claireId = store->findUserByEmail("claire@adgesti.fr").value().id;
    for (const auto& e : audit.value()) {
        if (e.event.rfind("user.", 0) != 0 || e.subject != id) continue;
        ++events[e.event];
        EXPECT_EQ(e.details.find("@"), std::string::npos) << e.details;
        EXPECT_EQ(e.details.find(first), std::string::npos) << "no password in the journal";
        if (e.event != "user.signed_in" && e.event != "user.signin_failed" && e.event != "user.password_changed") {
            EXPECT_EQ(e.actor, claireId) << e.event;
        }
    }
    EXPECT_EQ(events["user.created"], 1);
    EXPECT_EQ(events["user.disabled"], 1);
    EXPECT_EQ(events["user.enabled"], 1);
    EXPECT_EQ(events["user.password_reset"], 1);
}

// The dossier list pages by 20; its links keep the search and the filters.
TEST_F(WebTest, TheDossierListPagesAndItsLinksKeepTheSearchAndFilters) {
    Browser marc = signedIn("marc@adgesti.fr");
    for (int i = 0; i < 22; ++i) {
        char ref[32];
        std::snprintf(ref, sizeof ref, "ADG-2026-%04d", 100 + i);
        ASSERT_FALSE(createDossier(marc, "Benali", ref).empty());
    }
    ASSERT_FALSE(createDossier(marc, "Martin", "ADG-2026-0999").empty());
    auto first = marc.get("/dossiers?q=benali&statut=ouvert");
    ASSERT_EQ(first.status, 200);
    EXPECT_NE(first.body.find("22 dossiers correspondant à votre recherche"), std::string::npos);
    EXPECT_NE(first.body.find("Page 1 sur 2"), std::string::npos);
    EXPECT_NE(first.body.find("dossiers?page=2&amp;q=benali&amp;statut=ouvert\" rel=\"next\""), std::string::npos) << first.body;
    auto second = marc.get("/dossiers?page=2&q=benali&statut=ouvert");
    EXPECT_NE(second.body.find("Page 2 sur 2"), std::string::npos);
    EXPECT_NE(second.body.find("dossiers?page=1&amp;q=benali&amp;statut=ouvert\" rel=\"prev\""), std::string::npos);
    std::size_t rows = 0;
    for (std::size_t at = second.body.find("ADG-2026-01"); at != std::string::npos; at = second.body.find("ADG-2026-01", at + 1)) ++rows;
    EXPECT_GE(rows, 2u);
    EXPECT_EQ(second.body.find("ADG-2026-0999"), std::string::npos) << "the search still applies on page 2";
}

TEST_F(WebTest, WhatIsNotYoursAnswers404) {
    Browser marc = signedIn("marc@adgesti.fr");
    std::string id = createDossier(marc, "Benali");
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(marc.get("/dossiers/" + id).status, 200);
    Browser ines = signedIn("ines@habitat-solidaire.fr");
    auto theirs = ines.get("/dossiers/" + id);
    EXPECT_EQ(theirs.status, 404);
    auto unknown = ines.get("/dossiers/dos_0000000000000000");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(theirs.body, unknown.body) << "an existing dossier of another organisation looks like none";
    EXPECT_EQ(ines.get("/dossiers").body.find("ADG-2026-0147"), std::string::npos);
    Browser cesf = signedIn("cesf@sarthe-habitat.fr");
    EXPECT_EQ(cesf.get("/dossiers/" + id).status, 404);
    EXPECT_EQ(cesf.get("/dossiers").header("location"), "/accueil");
    EXPECT_EQ(cesf.get("/accueil").status, 200);
    // Members do not administer users.
    EXPECT_EQ(marc.get("/utilisateurs").status, 404);
    auto forged = marc.post("/utilisateurs", {{"_csrf", marc.csrf("/dossiers")}, {"email", "x@adgesti.fr"}, {"name", "X"}, {"role", "admin"}});
    EXPECT_EQ(forged.status, 404);
    EXPECT_FALSE(store->findUserByEmail("x@adgesti.fr").isOk());
    // An admin cannot touch another organisation's user.
    auto inesUser = store->findUserByEmail("ines@habitat-solidaire.fr").value();
    Browser claire = signedIn("claire@adgesti.fr");
    auto cross = claire.post("/utilisateurs/" + inesUser.id + "/desactiver", {{"_csrf", claire.csrf("/dossiers")}});
    EXPECT_EQ(cross.status, 404);
    EXPECT_TRUE(store->findUser(inesUser.id).value().disabledAt.empty());
}

// The household's rights on the dossier page (issue 11, item 12; docs/rgpd.md): the export link,
// the ZIP (audited, the association's users only), closing, and an archived dossier shown read-only.
TEST_F(WebTest, DossierPageOffersTheExportAndShowsAnArchivedDossierReadOnly) {
    Browser marc = signedIn("marc@adgesti.fr");
    std::string id = createDossier(marc, "Benali");
    ASSERT_FALSE(id.empty());
    auto page = marc.get("/dossiers/" + id);
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("href=\"/dossiers/" + id + "/export.zip\" download>Exporter les données du ménage (droit d’accès)</a>"),
              std::string::npos)
        << page.body;
    EXPECT_NE(page.body.find("Clore le dossier"), std::string::npos);
    auto zip = marc.get("/dossiers/" + id + "/export.zip");
    ASSERT_EQ(zip.status, 200) << zip.body;
    EXPECT_EQ(zip.contentType, "application/zip");
    EXPECT_EQ(zip.body.substr(0, 2), "PK");
    EXPECT_NE(zip.header("content-disposition").find("donnees-menage-" + id + ".zip"), std::string::npos);
    int exported = 0;
    auto audit = store->listAudit(); // kept alive while iterating its value
    ASSERT_TRUE(audit.isOk());
    for (const auto& e : audit.value()) exported += e.event == "household.exported" && e.subject == id;
    EXPECT_EQ(exported, 1);
    Browser ines = signedIn("ines@habitat-solidaire.fr");
    EXPECT_EQ(ines.get("/dossiers/" + id + "/export.zip").status, 404);
    Browser cesf = signedIn("cesf@sarthe-habitat.fr");
    EXPECT_EQ(cesf.get("/dossiers/" + id + "/export.zip").status, 404);

    // Closing asks first: « Clore le dossier » leads to a confirmation page that explains the retention.
    EXPECT_NE(page.body.find("<a class=\"bouton bouton--secondaire\" href=\"/dossiers/" + id + "/clore\">Clore le dossier</a>"),
              std::string::npos) << "a link to the confirmation, not a form that closes at once";
    auto confirm = marc.get("/dossiers/" + id + "/clore");
    ASSERT_EQ(confirm.status, 200) << confirm.body;
    EXPECT_NE(confirm.body.find("Clore le dossier "), std::string::npos);
    EXPECT_NE(confirm.body.find("les durées de conservation des données du ménage commencent à courir"), std::string::npos);
    EXPECT_NE(confirm.body.find("<strong>2 ans</strong> après la clôture, le dossier est archivé"), std::string::npos) << confirm.body;
    EXPECT_NE(confirm.body.find("<strong>5 ans</strong> après la clôture, les données personnelles du ménage sont effacées"),
              std::string::npos);
    EXPECT_NE(confirm.body.find("action=\"/dossiers/" + id + "/clore\""), std::string::npos);
    EXPECT_NE(confirm.body.find(">Annuler</a>"), std::string::npos);
    EXPECT_EQ(store->findDossier(id).value().statut, "ouvert") << "showing the confirmation changes nothing";
    EXPECT_EQ(ines.get("/dossiers/" + id + "/clore").status, 404) << "another association";
    // Closing (CSRF-protected), then reopening, then archiving by the retention: read-only page, 409 on a new document.
    EXPECT_EQ(marc.post("/dossiers/" + id + "/clore", {}).status, 403);
    auto closed = marc.post("/dossiers/" + id + "/clore", {{"_csrf", marc.csrf("/dossiers/" + id + "/clore")}});
    ASSERT_EQ(closed.status, 303) << closed.body;
    auto d = store->findDossier(id).value();
    EXPECT_EQ(d.statut, "clos");
    EXPECT_FALSE(d.closedAt.empty());
    page = marc.get("/dossiers/" + id + "?message=clos");
    EXPECT_NE(page.body.find("Le dossier a été clos"), std::string::npos);
    EXPECT_NE(page.body.find(">Rouvrir le dossier</button>"), std::string::npos) << page.body;
    EXPECT_EQ(page.body.find(">Clore le dossier</a>"), std::string::npos);
    auto reopened = marc.post("/dossiers/" + id + "/rouvrir", {{"_csrf", marc.csrf("/dossiers/" + id)}});
    ASSERT_EQ(reopened.status, 303) << reopened.body;
    d = store->findDossier(id).value();
    EXPECT_EQ(d.statut, "ouvert");
    EXPECT_TRUE(d.closedAt.empty());
    page = marc.get("/dossiers/" + id + "?message=rouvert");
    EXPECT_NE(page.body.find("Le dossier a été rouvert"), std::string::npos);
    EXPECT_EQ(page.body.find(">Rouvrir le dossier</button>"), std::string::npos);
    {
        std::vector<std::string> events;
        auto entries = store->listAudit();
        ASSERT_TRUE(entries.isOk());
        for (const auto& e : entries.value())
            if (e.subject == id && (e.event == "dossier.closed" || e.event == "dossier.reopened")) {
                events.push_back(e.event);
                EXPECT_NE(e.details.find("\"user\""), std::string::npos) << e.details;
            }
        EXPECT_EQ(events, (std::vector<std::string>{"dossier.closed", "dossier.reopened"}));
    }
    ASSERT_EQ(marc.post("/dossiers/" + id + "/clore", {{"_csrf", marc.csrf("/dossiers/" + id + "/clore")}}).status, 303);
    ASSERT_TRUE(store->archiveDossier(id, {"dossier.archived", "system", id, "{}"}).isOk());
    page = marc.get("/dossiers/" + id);
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("Ce dossier est archivé (durée de conservation)"), std::string::npos) << page.body;
    EXPECT_EQ(page.body.find("Nouveau document"), std::string::npos);
    EXPECT_EQ(page.body.find("Enregistrer un consentement ou un refus"), std::string::npos);
    EXPECT_EQ(page.body.find("Clore le dossier"), std::string::npos);
    EXPECT_EQ(page.body.find("Rouvrir le dossier"), std::string::npos) << "archived: not reopened";
    EXPECT_NE(page.body.find("Exporter les données du ménage"), std::string::npos);
    auto refused = marc.post("/dossiers/" + id + "/rouvrir", {{"_csrf", marc.csrf("/dossiers/" + id)}});
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_NE(refused.body.find("archivé"), std::string::npos);
    EXPECT_EQ(store->findDossier(id).value().statut, "clos");
    EXPECT_NE(marc.get("/dossiers/" + id + "/clore").body.find("Ce dossier est archivé depuis le"), std::string::npos);
}

TEST_F(WebTest, ViewsEscapeWhatUsersTyped) {
    Browser marc = signedIn("marc@adgesti.fr");
    const std::string evil = "<script>alert(\"x\")</script> & 'co'";
    std::string id = createDossier(marc, evil, "<b>REF</b>");
    ASSERT_FALSE(id.empty());
    for (const std::string& path : std::vector<std::string>{"/dossiers/" + id, "/dossiers", "/dossiers?q=%3Cscript%3E"}) {
        auto r = marc.get(path);
        EXPECT_EQ(r.body.find("<script>alert"), std::string::npos) << path;
        EXPECT_EQ(r.body.find("<b>REF</b>"), std::string::npos) << path;
        EXPECT_NE(r.body.find("&lt;script&gt;"), std::string::npos) << path;
    }
    // A typed value comes back escaped in the form after an error, too.
    auto again = marc.post("/dossiers", {{"_csrf", marc.csrf("/dossiers/nouveau")}, {"/reference", "\"><script>x</script>"}});
    EXPECT_EQ(again.status, 400);
    EXPECT_EQ(again.body.find("\"><script>x"), std::string::npos);
    EXPECT_NE(again.body.find("aria-invalid=\"true\""), std::string::npos);
    EXPECT_NE(again.body.find("href=\"#menage-membres-0-nom\""), std::string::npos);
}

TEST_F(WebTest, FirstSignInWithAOneTimePasswordMustChangeIt) {
    auto created = accounts->createUser(std::nullopt, service::NewUser{"ADGESTI", "lucie@adgesti.fr", "Lucie Petit", "membre", ""});
    ASSERT_TRUE(created.isOk());
    const std::string oneTime = created.value().oneTimePassword;
    ASSERT_EQ(oneTime.size(), 19u);
    Browser b = browser();
    auto r = b.signIn("lucie@adgesti.fr", oneTime);
    EXPECT_EQ(r.header("location"), "/mot-de-passe");
    EXPECT_EQ(b.get("/dossiers").header("location"), "/mot-de-passe");
    std::string token = b.csrf("/mot-de-passe");
    auto mismatch = b.post("/mot-de-passe", {{"_csrf", token}, {"current", oneTime}, {"password", "une phrase assez longue"}, {"confirmation", "autre chose"}});
    EXPECT_EQ(mismatch.status, 400);
    EXPECT_NE(mismatch.body.find("href=\"#confirmation\""), std::string::npos);
    auto ok = b.post("/mot-de-passe", {{"_csrf", token}, {"current", oneTime}, {"password", "une phrase assez longue"}, {"confirmation", "une phrase assez longue"}});
    EXPECT_EQ(ok.status, 303);
    EXPECT_EQ(ok.header("location"), "/dossiers");
    EXPECT_EQ(b.get("/dossiers").status, 200);
    EXPECT_FALSE(store->findUserByEmail("lucie@adgesti.fr").value().mustChangePassword);
    EXPECT_NE(store->findUserByEmail("lucie@adgesti.fr").value().passwordHash.rfind("$argon2id$", 0), std::string::npos);
}

// `passerelle admin create-user`: a password given on standard input is also to be changed at the
// first sign-in, unless --keep-password says the person keeps it; wrong uses exit with the sysexits codes.
TEST_F(WebTest, APasswordGivenToCreateUserIsChangedAtTheFirstSignInUnlessKept) {
    auto run = [&](const std::vector<std::string>& args, app::UserOptions o, const std::string& stdinText, std::string* errText = nullptr) {
        std::istringstream in(stdinText);
        std::ostringstream out, err;
        int rc = app::runUserAdmin(*store, args, o, in, out, err);
        if (errText) *errText = err.str();
        return rc;
    };
    const std::string chosen = "une phrase de passe solide";
    EXPECT_EQ(run({"create-user", "ADGESTI", "lea@adgesti.fr"}, {"Léa Martin", "membre", true, false}, chosen + "\n"), 0);
    EXPECT_EQ(browser().signIn("lea@adgesti.fr", chosen).header("location"), "/mot-de-passe");
    EXPECT_TRUE(store->findUserByEmail("lea@adgesti.fr").value().mustChangePassword);

    EXPECT_EQ(run({"create-user", "ADGESTI", "yanis@adgesti.fr"}, {"Yanis Benali", "membre", true, true}, chosen + "\r\n"), 0);
    EXPECT_EQ(browser().signIn("yanis@adgesti.fr", chosen).header("location"), "/dossiers");
    EXPECT_FALSE(store->findUserByEmail("yanis@adgesti.fr").value().mustChangePassword);

    std::string err;
    EXPECT_EQ(run({"create-user", "ADGESTI", "x@adgesti.fr"}, {"X", "membre", false, true}, "", &err), 64);
    EXPECT_NE(err.find("--keep-password"), std::string::npos) << err;
    EXPECT_EQ(run({"create-user", "ADGESTI", "x@adgesti.fr"}, {"X", "membre", true, false}, "", &err), 65);
    EXPECT_NE(err.find("aucun mot de passe"), std::string::npos) << err;
    EXPECT_EQ(run({"create-user", "Inconnue", "x@adgesti.fr"}, {"X", "membre", false, false}, "", &err), 66);
    EXPECT_FALSE(store->findUserByEmail("x@adgesti.fr").isOk());
}

} // namespace
} // namespace passerelle::web
