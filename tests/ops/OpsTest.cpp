// Operations against the real executable (issue 16). Every response received here goes
// through support/OpenApiCheck (docs/openapi.json), as in every other HTTP suite.
#include <atomic>
#include <fstream>
#include <thread>
#include <regex>
#include <set>
#include <sstream>

#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <gtest/gtest.h>

#include "api/ServeProcess.h"
#include "http/HttpServer.h"
#include "http/Observability.h"
#include "support/OpenApiCheck.h"
#include "support/TestSupport.h"

namespace passerelle::testing {
namespace {

std::string canary() { return "CANARI-7f3a9d-Zoé-Bénédicte"; }

// A `serve` on SQLite in a temporary directory with its own keys; extra options appended.
class OpsServe : public ::testing::Test {
protected:
    void SetUp() override { dataArgs = {"--data-dir", tmp.file("var")}; }

    CommandResult admin(std::vector<std::string> args) {
        args.insert(args.begin(), {PASSERELLE_BINARY, "admin"});
        args.insert(args.end(), dataArgs.begin(), dataArgs.end());
        return run(args);
    }
    std::string createKey(const std::string& org, const std::string& kind) {
        EXPECT_EQ(admin({"create-org", org, "--kind", kind}).exitCode, 0);
        auto r = admin({"create-key", org, "--name", "Claire Lefèvre"});
        EXPECT_EQ(r.exitCode, 0) << r.err;
        std::istringstream in(r.out);
        std::string line, key;
        while (std::getline(in, line))
            if (line.rfind("psl_", 0) == 0) key = line;
        return key;
    }
    std::unique_ptr<ServeProcess> serve(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = dataArgs;
        args.insert(args.end(), extra.begin(), extra.end());
        return std::make_unique<ServeProcess>(args);
    }

    TempDir tmp;
    std::vector<std::string> dataArgs;
};

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
}

// --- OpenAPI --------------------------------------------------------------------------------

TEST_F(OpsServe, EveryRegisteredV1RouteIsDescribedInOpenApi) {
    auto r = run({PASSERELLE_BINARY, "serve", "--list-routes", "--data-dir", tmp.file("var")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto api = http::ApiDescription::load(sourceDir() + "/docs/openapi.json");
    ASSERT_TRUE(api.isOk()) << api.status().toString();
    std::vector<std::string> missing;
    std::set<std::string> registered;
    int v1 = 0;
    for (const auto& line : lines(r.out)) {
        auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        std::string method = line.substr(0, sp), templ = line.substr(sp + 1);
        if (templ.rfind("/v1/", 0) != 0) continue;
        ++v1;
        registered.insert(method + " " + templ);
        if (!api.value()->describes(method, templ)) missing.push_back(line);
    }
    EXPECT_GT(v1, 30) << r.out; // the router really was enumerated
    std::string list;
    for (const auto& m : missing) list += "\n  " + m;
    EXPECT_TRUE(missing.empty()) << "routes /v1 absentes de docs/openapi.json :" << list;
    // And nothing described that the server does not serve.
    std::vector<std::string> stale;
    for (const auto& [path, item] : *api.value()->document()->getObject("paths"))
        for (const auto& [m, op] : *item.extract<Poco::JSON::Object::Ptr>()) {
            (void)op;
            std::string key = Poco::toUpper(m) + " " + http::normalisedPath(path);
            if (!registered.count(key)) stale.push_back(key);
        }
    std::string staleList;
    for (const auto& s : stale) staleList += "\n  " + s;
    EXPECT_TRUE(stale.empty()) << "décrites mais non servies :" << staleList;
}

TEST(OpenApiCheck, TheValidatorRejectsWhatTheSchemaForbids) {
    // The check is not vacuous: a wrong type, a missing property and a wrong status are caught.
    EXPECT_FALSE(responseProblems("GET", "/v1/dossiers/dos_1", 200, "application/json",
                                  R"({"id":"dos_1","association":"a","reference":7,"statut":"x","menage":{},"logement":null,)"
                                  R"("version":1,"createdAt":"t","updatedAt":"t"})")
                     .empty());
    EXPECT_FALSE(responseProblems("GET", "/v1/me", 200, "application/json", R"({"id":"o","name":"n"})").empty());
    EXPECT_FALSE(responseProblems("GET", "/v1/me", 200, "application/json", R"({"id":"o","name":"n","kind":"pirate"})").empty());
    EXPECT_FALSE(responseProblems("GET", "/v1/documents/d/pdf", 200, "text/plain", "x").empty());
    EXPECT_FALSE(responseProblems("POST", "/v1/validate/fiche-navette", 200, "application/json", R"({"valid":false})").empty());
    EXPECT_TRUE(responseProblems("GET", "/v1/me", 200, "application/json", R"({"id":"o","name":"n","kind":"bailleur"})").empty());
    EXPECT_TRUE(responseProblems("GET", "/v1/me", 404, "application/json", R"({"error":"e","message":"m","details":[]})").empty());
}

TEST_F(OpsServe, RealResponsesValidateAndTheDescriptionIsServedWithoutAKey) {
    const std::string asso = createKey("ADGESTI", "association");
    const std::string bailleur = createKey("Sarthe Habitat", "bailleur");
    ASSERT_EQ(admin({"create-partnership", "ADGESTI", "Sarthe Habitat"}).exitCode, 0);
    ASSERT_EQ(admin({"set-partnership-in-person", "ADGESTI", "Sarthe Habitat", "on"}).exitCode, 0);
    auto s = serve();
    const int before = openApiCheckedResponses();

    auto spec = s->call("GET", "/v1/openapi.json", "");
    ASSERT_EQ(spec.status, 200) << spec.body;
    EXPECT_EQ(spec.body, readFile(sourceDir() + "/docs/openapi.json"));
    auto docs = s->call("GET", "/v1/docs", "");
    ASSERT_EQ(docs.status, 200);
    EXPECT_NE(docs.contentType.find("text/html"), std::string::npos);
    EXPECT_NE(docs.body.find("/v1/documents/{id}/transmit"), std::string::npos);
    EXPECT_EQ(docs.body.find("<script"), std::string::npos);
    EXPECT_EQ(s->call("GET", "/v1/forms", "").status, 401); // the rest still needs a key

    EXPECT_EQ(s->call("GET", "/v1/me", asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/forms", asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/forms/fiche-navette", asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/forms/inconnu", asso).status, 404);
    const std::string fiche = exampleJson("fiche-navette-association-vers-bailleur.json");
    EXPECT_EQ(s->call("POST", "/v1/validate/fiche-navette", asso, fiche).status, 200);
    EXPECT_EQ(s->call("POST", "/v1/validate/fiche-navette", asso, R"({"menage":1})").status, 400);
    EXPECT_EQ(s->call("POST", "/v1/render/fiche-navette", asso, fiche).status, 200);
    EXPECT_EQ(s->call("POST", "/v1/render/fiche-navette?format=docx", asso, fiche).status, 404);
    auto dossier = s->call("POST", "/v1/dossiers", asso, R"({"reference":"ADG-2026-0147","menage":{"membres":[{"prenom":"Yannick","nom":"Le Gall"}]},"logement":{}})");
    ASSERT_EQ(dossier.status, 201) << dossier.body;
    const std::string d = dossier.json()->getValue<std::string>("id");
    EXPECT_EQ(s->call("GET", "/v1/dossiers", asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/dossiers/" + d, asso).status, 200);
    EXPECT_EQ(s->call("PATCH", "/v1/dossiers/" + d, asso, R"({"reference":"ADG-2026-0148"})").status, 200);
    const std::string grille = exampleJson("grille-capacite-habiter-cotes-darmor-initiale.json");
    auto doc = s->call("POST", "/v1/documents", asso, R"({"form":"grille-capacite-habiter","dossier":")" + d + R"(","data":)" + grille + "}");
    ASSERT_EQ(doc.status, 201) << doc.body;
    const std::string g = doc.json()->getValue<std::string>("id");
    EXPECT_EQ(s->call("GET", "/v1/documents", asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/documents/" + g, asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/documents/" + g + "/revisions", asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/documents/" + g + "/pdf", asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/documents/" + g + "/xlsx", asso).status, 200);
    EXPECT_EQ(s->call("POST", "/v1/documents/" + g + "/revisions", asso, "{\"data\":" + grille + "}").status, 201);
    EXPECT_EQ(s->call("POST", "/v1/documents/" + g + "/transmit", asso, R"({"to":"Sarthe Habitat"})").status, 403);
    auto consent = s->call("POST", "/v1/dossiers/" + d + "/consents", asso, R"({
      "kind":"consent", "recipient":"Sarthe Habitat",
      "givenBy":{"name":"Yannick Le Gall","capacity":"household_member"},
      "scope":{"documentKinds":["grille-capacite-habiter"],"categories":["logement","administratif","budget","dette","accompagnement"]},
      "purpose":"Préparer la commission d'attribution.",
      "how":{"method":"in_person","recordedBy":"Gwenaëlle Le Bihan"}})");
    ASSERT_EQ(consent.status, 201) << consent.body;
    EXPECT_EQ(s->call("GET", "/v1/dossiers/" + d + "/consents", asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/dossiers/" + d + "/consents/receipt.pdf", asso).status, 200);
    auto trn = s->call("POST", "/v1/documents/" + g + "/transmit", asso, R"({"to":"Sarthe Habitat"})");
    ASSERT_EQ(trn.status, 201) << trn.body;
    const std::string t = trn.json()->getValue<std::string>("id");
    EXPECT_EQ(s->call("GET", "/v1/documents/" + g + "/transmissions", asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/received", bailleur).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/received/" + t, bailleur).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/received/" + t + "/pdf", bailleur).status, 200);
    // https:// to a public name (not resolvable here: accepted, checked again at each delivery).
    EXPECT_EQ(s->call("PUT", "/v1/me/webhook", bailleur, R"({"url":"https://reception.sarthe-habitat.fr/passerelle"})").status, 200);
    EXPECT_EQ(s->call("POST", "/v1/consents/" + consent.json()->getValue<std::string>("id") + "/withdraw", asso).status, 200);
    EXPECT_EQ(s->call("POST", "/v1/documents/" + g + "/transmit", asso, R"({"to":"Sarthe Habitat"})").status, 409);
    auto action = s->call("POST", "/v1/actions", asso, R"({"title":"Plateforme logement d'abord","funders":[]})");
    EXPECT_TRUE(action.status == 201 || action.status == 400) << action.body;
    EXPECT_EQ(s->call("GET", "/v1/actions", asso).status, 200);
    EXPECT_EQ(s->call("GET", "/v1/documents/" + g + "/signing", asso).status / 100, 4);
    auto verify = httpCall(s->port(), "POST", "/v1/verify", asso, "%PDF-1.4 pas vraiment un PDF", "application/pdf");
    EXPECT_EQ(verify.status, 200) << verify.body;
    // Every response above was checked against the description (failures are reported where they happen).
    EXPECT_GE(openApiCheckedResponses() - before, 35);
}

// --- #15 leftovers: exact JSON media type on render and validate ------------------------------

TEST_F(OpsServe, RenderAndValidateAcceptOnlyApplicationJson) {
    const std::string key = createKey("ADGESTI", "association");
    auto s = serve();
    const std::string fiche = exampleJson("fiche-navette-association-vers-bailleur.json");
    for (const std::string path : {"/v1/render/fiche-navette", "/v1/validate/fiche-navette"}) {
        HttpOptions o;
        o.headers["Authorization"] = "Bearer " + key;
        for (const std::string bad : {"application/jsonx", "application/json-patch+json", "text/plain", "application/jsonl; charset=utf-8"}) {
            auto r = httpRequest(s->port(), "POST", path, fiche, bad, o);
            EXPECT_EQ(r.status, 415) << path << " " << bad << " " << r.body;
            EXPECT_EQ(r.error(), "unsupported_media_type");
        }
        for (const std::string good : {"application/json", "application/json; charset=utf-8", "Application/JSON ; charset=UTF-8"}) {
            auto r = httpRequest(s->port(), "POST", path, fiche, good, o);
            EXPECT_EQ(r.status, 200) << path << " " << good << " " << r.body.substr(0, 200);
        }
    }
}

// --- /metrics --------------------------------------------------------------------------------

double sample(const std::string& text, const std::string& series) {
    for (const auto& l : lines(text))
        if (l.compare(0, series.size(), series) == 0 && l.size() > series.size() && l[series.size()] == ' ')
            return std::stod(l.substr(series.size() + 1));
    return -1;
}

TEST_F(OpsServe, MetricsAreOffWithoutATokenAndScrapedWithIt) {
    const std::string asso = createKey("ADGESTI", "association");
    createKey("Sarthe Habitat", "bailleur");
    ASSERT_EQ(admin({"create-partnership", "ADGESTI", "Sarthe Habitat"}).exitCode, 0);
    {
        auto off = serve();
        EXPECT_EQ(off->call("GET", "/metrics", "Bearer n-importe-quoi").status, 404);
    }
    const std::string token = "jeton-de-metriques-0123456789";
    auto s = serve({"--metrics-token", token});
    EXPECT_EQ(s->call("GET", "/metrics", "").status, 401);
    EXPECT_EQ(s->call("GET", "/metrics", "Bearer mauvais").status, 401);
    EXPECT_EQ(s->call("GET", "/metrics", asso).status, 401); // an API key is not the metrics token

    const std::string fiche = exampleJson("fiche-navette-association-vers-bailleur.json");
    for (int i = 0; i < 3; ++i) ASSERT_EQ(s->call("POST", "/v1/render/fiche-navette", asso, fiche).status, 200);
    ASSERT_EQ(s->call("POST", "/v1/render/fiche-navette", asso, R"({"menage":1})").status, 400);
    auto d = s->call("POST", "/v1/dossiers", asso, R"({"reference":"M-1"})").json()->getValue<std::string>("id");
    auto g = s->call("POST", "/v1/documents", asso,
                     R"({"form":"fiche-navette","dossier":")" + d + R"(","data":)" + fiche + "}");
    ASSERT_EQ(g.status, 201) << g.body;
    ASSERT_EQ(s->call("POST", "/v1/documents/" + g.json()->getValue<std::string>("id") + "/transmit", asso,
                      R"({"to":"Sarthe Habitat"})").status, 403);
    EXPECT_EQ(s->call("GET", "/v1/dossiers/" + d, asso).status, 200);

    auto m = s->call("GET", "/metrics", "Bearer " + token);
    ASSERT_EQ(m.status, 200) << m.body;
    EXPECT_NE(m.contentType.find("text/plain"), std::string::npos);
    const std::string& t = m.body;
    EXPECT_EQ(sample(t, R"(passerelle_http_requests_total{method="POST",route="/v1/render/{form}",status="200"})"), 3) << t;
    EXPECT_EQ(sample(t, R"(passerelle_http_requests_total{method="POST",route="/v1/render/{form}",status="400"})"), 1);
    EXPECT_EQ(sample(t, R"(passerelle_http_requests_total{method="GET",route="/v1/dossiers/{id}",status="200"})"), 1);
    EXPECT_GE(sample(t, R"(passerelle_http_requests_total{method="GET",route="/metrics",status="401"})"), 3);
    EXPECT_EQ(sample(t, R"(passerelle_http_request_duration_seconds_count{method="POST",route="/v1/render/{form}"})"), 4);
    EXPECT_EQ(sample(t, R"(passerelle_http_request_duration_seconds_bucket{method="POST",route="/v1/render/{form}",le="+Inf"})"), 4);
    EXPECT_GE(sample(t, R"(passerelle_renders_total{form="fiche-navette",format="pdf",outcome="ok"})"), 4); // 3 + the stored one
    EXPECT_EQ(sample(t, R"(passerelle_renders_total{form="fiche-navette",format="pdf",outcome="invalid"})"), 1);
    EXPECT_GE(sample(t, R"(passerelle_render_duration_seconds_count{form="fiche-navette",format="pdf"})"), 4);
    EXPECT_EQ(sample(t, R"(passerelle_consent_decisions_total{code="no_consent"})"), 1);
    EXPECT_GE(sample(t, R"(passerelle_db_pool_sessions{state="capacity"})"), 1);
    EXPECT_GE(sample(t, R"(passerelle_db_session_wait_seconds_count)"), 1);
    EXPECT_EQ(sample(t, R"(passerelle_outbox_messages{state="pending"})"), 0);
    EXPECT_EQ(sample(t, R"(passerelle_web_sessions)"), 0);
    EXPECT_GE(sample(t, R"(passerelle_http_connections)"), 1);
    EXPECT_EQ(sample(t, R"(passerelle_http_refused_total{reason="saturated"})"), 0);
    EXPECT_NE(t.find("# TYPE passerelle_http_request_duration_seconds histogram"), std::string::npos);
    EXPECT_NE(t.find("# TYPE passerelle_delivery_attempts_total counter"), std::string::npos);
    // Every line is a comment or "name{labels} value".
    std::regex line(R"(^(#.*|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [-+0-9.eEInfNa]+)$)");
    for (const auto& l : lines(t)) EXPECT_TRUE(std::regex_match(l, line)) << l;
    // No identifier of a dossier or document in a label.
    EXPECT_EQ(t.find(d), std::string::npos);
}

TEST_F(OpsServe, SaturationShowsIn429Metrics) {
    const std::string key = createKey("ADGESTI", "association");
    auto s = serve({"--metrics-token", "t0k3n-metriques", "--workers", "1", "--queue-length", "1"});
    const std::string fiche = exampleJson("fiche-navette-association-vers-bailleur.json");
    std::vector<std::thread> threads;
    std::atomic<int> throttled{0};
    for (int i = 0; i < 24; ++i)
        threads.emplace_back([&] {
            if (s->call("POST", "/v1/render/fiche-navette", key, fiche).status == 429) ++throttled;
        });
    for (auto& th : threads) th.join();
    auto m = s->call("GET", "/metrics", "Bearer t0k3n-metriques").body;
    if (throttled == 0) GTEST_SKIP() << "no 429 on this machine with 24 concurrent renders";
    EXPECT_EQ(sample(m, R"(passerelle_http_requests_total{method="POST",route="/v1/render/{form}",status="429"})"), throttled.load())
        << m;
    EXPECT_GE(sample(m, R"(passerelle_http_refused_total{reason="saturated"})"), throttled.load());
}

// --- Access log and request ids -------------------------------------------------------------

TEST_F(OpsServe, AccessLogHasOneJsonLinePerRequestAndNoPersonalData) {
    const std::string key = createKey("ADGESTI", "association");
    const std::string log = tmp.file("access.log");
    auto s = serve({"--access-log", log});
    // A canary in bodies, query, cookie and a household name.
    const std::string body = R"({"reference":")" + canary() + R"(","menage":{"nom":"Benali )" + canary() + R"("}})";
    HttpOptions o;
    o.headers["Authorization"] = "Bearer " + key;
    o.headers["Cookie"] = "psl_session=" + canary();
    o.headers["X-Request-Id"] = "req-from-proxy-0042";
    auto created = httpRequest(s->port(), "POST", "/v1/dossiers?note=" + canary(), body, "application/json", o);
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.header("X-Request-Id"), "req-from-proxy-0042");
    o.headers["X-Request-Id"] = "pas valide\x01<script>";
    auto bad = httpRequest(s->port(), "POST", "/v1/validate/fiche-navette", R"({"menage":{"nom":")" + canary() + R"("}})",
                           "application/json", o);
    EXPECT_EQ(bad.status, 400);
    const std::string generated = bad.header("X-Request-Id");
    EXPECT_TRUE(std::regex_match(generated, std::regex("[0-9a-f]{32}"))) << generated;
    auto anonymous = httpCall(s->port(), "GET", "/v1/me", "");
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_FALSE(anonymous.header("X-Request-Id").empty());
    EXPECT_EQ(httpCall(s->port(), "GET", "/healthz", "").status, 200);
    const std::string out = s->stop(); // flushes the asynchronous channel

    const std::string text = readFile(log);
    EXPECT_EQ(text.find(canary()), std::string::npos) << text;
    EXPECT_EQ(text.find("Benali"), std::string::npos);
    EXPECT_EQ(text.find(key), std::string::npos);
    EXPECT_EQ(text.find(key.substr(0, 12)), std::string::npos);
    EXPECT_EQ(out.find(canary()), std::string::npos) << out;
    auto ls = lines(text);
    // The fixture's /healthz probe (waiting for the start), then the four requests above.
    ASSERT_EQ(ls.size(), 5u) << text;
    ls.erase(ls.begin());
    std::set<std::string> ids;
    for (const auto& l : ls) {
        auto j = Poco::JSON::Parser().parse(l).extract<Poco::JSON::Object::Ptr>();
        for (const char* k : {"time", "requestId", "method", "route", "status", "durationMs", "organisation"})
            EXPECT_TRUE(j->has(k)) << k << " in " << l;
        ids.insert(j->getValue<std::string>("requestId"));
    }
    EXPECT_TRUE(ids.count("req-from-proxy-0042"));
    EXPECT_TRUE(ids.count(generated));
    auto first = Poco::JSON::Parser().parse(ls[0]).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(first->getValue<std::string>("route"), "/v1/dossiers");
    EXPECT_EQ(first->getValue<int>("status"), 201);
    EXPECT_EQ(first->getValue<std::string>("method"), "POST");
    EXPECT_EQ(first->getValue<std::string>("organisation").rfind("org_", 0), 0u) << ls[0];
    auto third = Poco::JSON::Parser().parse(ls[2]).extract<Poco::JSON::Object::Ptr>();
    EXPECT_TRUE(third->isNull("organisation"));
    EXPECT_EQ(third->getValue<int>("status"), 401);
}

TEST(AccessLogLine, NamesTheRouteTemplateNeverThePath) {
    http::RequestRecord r;
    r.requestId = "abc";
    r.method = "GET";
    r.route = "/v1/dossiers/{}";
    r.status = 200;
    r.durationSeconds = 0.0123;
    r.organisationId = "org_1";
    std::string line = http::accessLogLine(r, "/v1/dossiers/{id}");
    auto j = Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(j->getValue<std::string>("route"), "/v1/dossiers/{id}");
    EXPECT_DOUBLE_EQ(j->getValue<double>("durationMs"), 12.3);
    EXPECT_EQ(http::routeTemplate("/v1/documents/([A-Za-z0-9_-]{1,64})/signed\\.pdf"), "/v1/documents/{}/signed.pdf");
    EXPECT_EQ(http::routeTemplate("/v1/received/([A-Za-z0-9_-]{1,64})/(pdf|xlsx)"), "/v1/received/{}/{}");
    EXPECT_EQ(http::routeTemplate("/(?!v1/|v1$|healthz$).*"), "/{}");
}

// --- Configuration, help, exit codes ---------------------------------------------------------

std::string configLine(const std::string& out, const std::string& key) {
    for (const auto& l : lines(out))
        if (l.rfind(key + " = ", 0) == 0) return l;
    return "";
}

TEST(Configuration, CommandLineBeatsEnvironmentBeatsFileBeatsDefault) {
    TempDir tmp;
    writeFile(tmp.file("p.properties"), "passerelle.port = 7001\npasserelle.workers = 3\npasserelle.host = 127.0.0.2\n");
    const std::string props = tmp.file("p.properties");
    auto both = run({"/usr/bin/env", "PASSERELLE_PORT=7002", "PASSERELLE_WORKERS=5", PASSERELLE_BINARY, "config", "check",
                     "--config", props, "--port", "7003", "--data-dir", tmp.file("var")});
    ASSERT_EQ(both.exitCode, 0) << both.out << both.err;
    EXPECT_EQ(configLine(both.out, "passerelle.port"), "passerelle.port = 7003  [ligne de commande, PASSERELLE_PORT]");
    EXPECT_EQ(configLine(both.out, "passerelle.workers"), "passerelle.workers = 5  [environnement, PASSERELLE_WORKERS]");
    EXPECT_EQ(configLine(both.out, "passerelle.host"), "passerelle.host = 127.0.0.2  [fichier, PASSERELLE_HOST]");
    EXPECT_EQ(configLine(both.out, "passerelle.queue-length"), "passerelle.queue-length = 32 × threads  [défaut, PASSERELLE_QUEUE_LENGTH]");
    // The file itself from the environment.
    auto fromEnv = run({"/usr/bin/env", "PASSERELLE_CONFIG=" + props, PASSERELLE_BINARY, "config", "check"});
    EXPECT_EQ(configLine(fromEnv.out, "passerelle.port"), "passerelle.port = 7001  [fichier, PASSERELLE_PORT]") << fromEnv.out;
}

TEST(Configuration, ServeTakesItsPortAndDataDirectoryFromTheEnvironment) {
    TempDir tmp;
    const unsigned short port = freePort();
    Poco::Process::Env env{{"PASSERELLE_PORT", std::to_string(port)}, {"PASSERELLE_DATA_DIR", tmp.file("donnees")}};
    Poco::Pipe out;
    auto h = Poco::Process::launch(PASSERELLE_BINARY, {"serve"}, "", nullptr, &out, &out, env);
    bool up = false;
    for (int i = 0; i < 200 && !up; ++i) {
        try {
            up = httpCall(port, "GET", "/healthz", "").status == 200;
        } catch (...) {
        }
        if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    Poco::Process::requestTermination(h.id());
    h.wait();
    EXPECT_TRUE(up);
    EXPECT_TRUE(Poco::File(tmp.file("donnees/passerelle.db")).exists());
}

TEST(Configuration, ConfigCheckNeverPrintsASecret) {
    TempDir tmp;
    auto r = run({"/usr/bin/env", "PASSERELLE_METRICS_TOKEN=secret-jeton-" + canary(), "PASSERELLE_SEAL_PASSWORD=mdp-" + canary(),
                  "PASSERELLE_AUDIT_KEY=cle-" + canary(), PASSERELLE_BINARY, "config", "check", "--db",
                  "postgresql://passerelle:motdepasse-" + canary() + "@127.0.0.1:5432/passerelle", "--data-dir", tmp.file("var")});
    EXPECT_EQ((r.out + r.err).find(canary()), std::string::npos) << r.out << r.err;
    EXPECT_NE(configLine(r.out, "passerelle.metrics-token").find("(défini, masqué)"), std::string::npos);
    EXPECT_NE(configLine(r.out, "passerelle.db").find("postgresql://passerelle:***@127.0.0.1:5432/passerelle"), std::string::npos);
    auto bad = run({PASSERELLE_BINARY, "config", "check", "--port", "quatre-vingt", "--data-dir", tmp.file("var")});
    EXPECT_EQ(bad.exitCode, 78);
    EXPECT_NE(bad.err.find("passerelle.port"), std::string::npos) << bad.err;
}

TEST(Help, FrenchGroupedWithExamplesAndNoWordBroken) {
    auto r = run({PASSERELLE_BINARY, "--help"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    for (const char* s : {"Usage : passerelle", "Service (serve) :", "Observation (serve) :", "Options du démon", "--daemon",
                          "--pidfile=FICHIER", "Exemples :", "Codes de sortie :", "PASSERELLE_PORT", "PASSERELLE_DATA_DIR",
                          "PASSERELLE_DB", "--metrics-token=JETON", "config check"})
        EXPECT_NE(r.out.find(s), std::string::npos) << s;
    // 80 columns at most (examples' command lines excepted: they are meant to be copied whole).
    for (const auto& l : lines(r.out)) {
        int cols = 0;
        for (unsigned char c : l) cols += (c & 0xC0) != 0x80;
        if (l.rfind("    passerelle", 0) == 0 || l.rfind("    PASSERELLE_", 0) == 0) continue;
        EXPECT_LE(cols, 80) << l;
    }
    // No word cut: every word of every line is a whole word of the text the help was made from.
    const std::string flat = normaliseSpaces(r.out);
    for (const char* sentence : {"Répertoire des données : base SQLite, clés d’audit, cachet de développement, journal des accès.",
                                 "Active GET /metrics (format Prometheus), qui exige alors « Authorization: Bearer JETON ».",
                                 "Connexions ouvertes au plus par adresse cliente ; 0 : sans limite (derrière un mandataire inverse)."})
        EXPECT_NE(flat.find(sentence), std::string::npos) << sentence;
    for (const auto& l : lines(r.out)) {
        EXPECT_FALSE(!l.empty() && l.back() == '-' && l.size() > 1 && std::isalpha(static_cast<unsigned char>(l[l.size() - 2])))
            << "coupure : " << l;
    }
    auto none = run({PASSERELLE_BINARY});
    EXPECT_EQ(none.exitCode, 64);
    auto unknown = run({PASSERELLE_BINARY, "fabriquer"});
    EXPECT_EQ(unknown.exitCode, 64);
    EXPECT_NE(unknown.err.find("commande inconnue"), std::string::npos);
}

TEST(ExitCodes, AsDocumented) {
    TempDir tmp;
    const std::string ex = sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json";
    EXPECT_EQ(run({PASSERELLE_BINARY, "render", "fiche-navette", ex, "-o", tmp.file("f.pdf")}).exitCode, 0);
    auto fmt = run({PASSERELLE_BINARY, "render", "fiche-navette", ex, "-o", tmp.file("f.docx")});
    EXPECT_EQ(fmt.exitCode, 64) << fmt.err; // an unsupported format is a usage error, not an unknown form
    EXPECT_NE(fmt.err.find("docx"), std::string::npos);
    EXPECT_EQ(run({PASSERELLE_BINARY, "render", "formulaire-inconnu", ex, "-o", tmp.file("g.pdf")}).exitCode, 66);
    EXPECT_EQ(run({PASSERELLE_BINARY, "render", "fiche-navette", tmp.file("absent.json"), "-o", tmp.file("h.pdf")}).exitCode, 66);
    writeFile(tmp.file("bad.json"), R"({"menage": 1})");
    EXPECT_EQ(run({PASSERELLE_BINARY, "validate", "fiche-navette", tmp.file("bad.json")}).exitCode, 65);
    EXPECT_EQ(run({PASSERELLE_BINARY, "render", "fiche-navette", ex}).exitCode, 64);
    EXPECT_EQ(run({PASSERELLE_BINARY, "render", "fiche-navette", ex, "-o", tmp.file("nope/dir/x.pdf")}).exitCode, 73);
    EXPECT_FALSE(Poco::File(tmp.file("f.docx")).exists());
}

} // namespace
} // namespace passerelle::testing
