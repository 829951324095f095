// The stored API over HTTP: authentication, the role × endpoint × ownership
// matrix, revisions, restart, atomicity and two instances on one database.
// Every test runs on SQLite and, when PASSERELLE_TEST_PG is set, on PostgreSQL.
#include <functional>
#include <set>
#include <stdexcept>

#include <Poco/JSON/Array.h>
#include <gtest/gtest.h>

#include "api/ApiFixture.h"
#include "storage/ApiKeys.h"

namespace passerelle::testing {
namespace {

const char* FICHE = "fiche-navette-association-vers-bailleur.json";
const char* FICHE_ALERTE = "fiche-navette-alerte-bailleur.json";
const char* BUDGET = "budget-annexe-sarthe-plateformes.json";

std::set<std::string> idsOf(const HttpResult& r, const std::string& listName) {
    std::set<std::string> ids;
    auto arr = r.json()->getArray(listName);
    for (unsigned i = 0; arr && i < arr->size(); ++i) ids.insert(arr->getObject(i)->getValue<std::string>("id"));
    return ids;
}

class ApiTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
        server = std::make_unique<ApiServer>(store);
        keyA = createOrgWithKey(*store, "ADGESTI", "association", &orgA);
        keyB = createOrgWithKey(*store, "Ensemble", "association", &orgB);
        keyBailleur = createOrgWithKey(*store, "Sarthe Habitat", "bailleur", &orgBailleur);
        keyFunder = createOrgWithKey(*store, "DDCS de la Sarthe", "financeur", &orgFunder);
        keyOtherFunder = createOrgWithKey(*store, "ARS Pays de la Loire", "financeur", &orgOtherFunder);
        keySiao = createOrgWithKey(*store, "SIAO 72", "siao");
        keyRevoked = createOrgWithKey(*store, "Ancienne association", "association");
        ASSERT_TRUE(store->revokeApiKey(keyRevoked.substr(0, storage::API_KEY_PREFIX_CHARS)).isOk());
        ASSERT_TRUE(store->createPartnership(orgA, orgBailleur).isOk());

        // The world, built through the API by the associations.
        dossierA = created(call("POST", "/v1/dossiers", keyA,
                                R"({"reference":"ADG-2026-0147","menage":{"membres":[{"nom":"Benali","prenom":"Samira"}]},)"
                                R"("logement":{"adresse":"8 allée des Tilleuls","commune":"Le Mans"}})"));
        dossierB = created(call("POST", "/v1/dossiers", keyB, R"({"reference":"ENS-12"})"));
        docA = created(call("POST", "/v1/documents", keyA, documentBody("fiche-navette", dossierA, "", FICHE)));
        docB = created(call("POST", "/v1/documents", keyB, documentBody("fiche-navette", dossierB, "", FICHE_ALERTE)));
        actionA = created(call("POST", "/v1/actions", keyA,
                               R"({"title":"Plateformes territoriales – Sarthe","funders":[")" + orgFunder + R"("]})"));
        budgetA = created(call("POST", "/v1/documents", keyA, documentBody("budget-annexe", "", actionA, BUDGET)));
    }

    HttpResult call(const std::string& method, const std::string& path, const std::string& key,
                    const std::string& body = "") const {
        return server->call(method, path, key, body);
    }

    static std::string created(const HttpResult& r) {
        if (r.status != 201) throw std::runtime_error("expected 201, got " + std::to_string(r.status) + ": " + r.body);
        return r.json()->getValue<std::string>("id");
    }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    std::unique_ptr<ApiServer> server;
    std::string keyA, keyB, keyBailleur, keyFunder, keyOtherFunder, keySiao, keyRevoked;
    std::string orgA, orgB, orgBailleur, orgFunder, orgOtherFunder;
    std::string dossierA, dossierB, docA, docB, actionA, budgetA;
};

TEST_P(ApiTest, AuthenticationIsRequiredOnV1ButNotOnHealthz) {
    EXPECT_EQ(call("GET", "/healthz", "").status, 200);
    for (const std::string& path : std::vector<std::string>{"/v1/forms", "/v1/me", "/v1/dossiers", "/v1/documents/" + docA, "/v1/nope"}) {
        auto none = call("GET", path, "");
        EXPECT_EQ(none.status, 401) << path;
        EXPECT_EQ(none.error(), "unauthenticated") << path;
        EXPECT_EQ(none.headers["www-authenticate"], "Bearer realm=\"passerelle\"") << path;
        EXPECT_EQ(call("GET", path, keyRevoked).status, 401) << path << " (revoked key)";
        EXPECT_EQ(call("GET", path, "Basic YWRtaW46YWRtaW4=").status, 401) << path << " (basic)";
        EXPECT_EQ(call("GET", path, "Bearer psl_" + std::string(64, '0')).status, 401) << path << " (unknown key)";
    }
    // Render-only routes too.
    auto render = call("POST", "/v1/render/fiche-navette", "", exampleJson(FICHE));
    EXPECT_EQ(render.status, 401);
    auto rendered = call("POST", "/v1/render/fiche-navette", keyBailleur, exampleJson(FICHE));
    EXPECT_EQ(rendered.status, 200) << rendered.body;
    EXPECT_EQ(rendered.contentType, "application/pdf");
    EXPECT_EQ(call("GET", "/v1/forms", keySiao).status, 200);
    EXPECT_EQ(call("GET", "/v1/nope", keyA).status, 404);

    auto me = call("GET", "/v1/me", keyFunder);
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(me.json()->getValue<std::string>("id"), orgFunder);
    EXPECT_EQ(me.json()->getValue<std::string>("kind"), "financeur");
    EXPECT_EQ(me.json()->getValue<std::string>("keyName"), "Testeur DDCS de la Sarthe");
}

// Role × endpoint × ownership. Each row names the caller, the request, the
// expected status and what the body must say.
TEST_P(ApiTest, AuthorizationMatrix) {
    struct Case {
        std::string role;
        std::string method;
        std::string path;
        std::string body;
        int status;
        std::function<void(const HttpResult&, const std::string& label)> check;
    };
    const std::map<std::string, std::string> keys = {
        {"none", ""}, {"revoked", keyRevoked}, {"assoA", keyA}, {"assoB", keyB}, {"bailleur", keyBailleur},
        {"financeur", keyFunder}, {"autreFinanceur", keyOtherFunder}, {"siao", keySiao}};
    auto err = [](const std::string& code) {
        return [code](const HttpResult& r, const std::string& label) { EXPECT_EQ(r.error(), code) << label << r.body; };
    };
    auto field = [](const std::string& name, const std::string& value) {
        return [name, value](const HttpResult& r, const std::string& label) {
            EXPECT_EQ(r.json()->getValue<std::string>(name), value) << label << r.body;
        };
    };
    auto list = [](const std::string& listName, std::set<std::string> expected) {
        return [listName, expected](const HttpResult& r, const std::string& label) {
            EXPECT_EQ(idsOf(r, listName), expected) << label << r.body;
            EXPECT_EQ(r.json()->getValue<int>("total"), static_cast<int>(expected.size())) << label;
        };
    };
    auto pdfOf = [](const std::string& text) {
        return [text](const HttpResult& r, const std::string& label) {
            EXPECT_EQ(r.contentType, "application/pdf") << label;
            EXPECT_NE(normaliseSpaces(pdfToText(r.body)).find(text), std::string::npos) << label;
        };
    };
    auto xlsx = [](const HttpResult& r, const std::string& label) {
        EXPECT_EQ(r.body.substr(0, 2), "PK") << label;
        EXPECT_EQ(r.contentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") << label;
    };
    const std::string patch = R"({"statut":"suspendu"})";
    const std::string revise = "{\"data\":" + exampleJson(FICHE) + "}";
    const std::string newDoc = documentBody("fiche-navette", dossierA, "", FICHE);
    const std::string newBudget = documentBody("budget-annexe", "", actionA, BUDGET);
    const std::string dA = "/v1/dossiers/" + dossierA, docPath = "/v1/documents/" + docA,
                      budPath = "/v1/documents/" + budgetA, actPath = "/v1/actions/" + actionA;

    std::vector<Case> cases = {
        // Dossier of association A.
        {"none", "GET", dA, "", 401, err("unauthenticated")},
        {"revoked", "GET", dA, "", 401, err("unauthenticated")},
        {"assoA", "GET", dA, "", 200, field("reference", "ADG-2026-0147")},
        {"assoB", "GET", dA, "", 404, err("dossier_not_found")},
        {"bailleur", "GET", dA, "", 404, err("dossier_not_found")},
        {"financeur", "GET", dA, "", 404, err("dossier_not_found")},
        {"siao", "GET", dA, "", 404, err("dossier_not_found")},
        {"assoB", "PATCH", dA, patch, 404, err("dossier_not_found")},
        {"bailleur", "PATCH", dA, patch, 404, err("dossier_not_found")},
        {"financeur", "PATCH", dA, patch, 404, err("dossier_not_found")},
        {"none", "PATCH", dA, patch, 401, err("unauthenticated")},
        // An unknown dossier answers exactly like another's.
        {"assoB", "GET", "/v1/dossiers/dos_0000000000000000", "", 404, err("dossier_not_found")},
        // Dossier lists: each association its own, nobody else anything.
        {"assoA", "GET", "/v1/dossiers", "", 200, list("dossiers", {dossierA})},
        {"assoB", "GET", "/v1/dossiers", "", 200, list("dossiers", {dossierB})},
        {"bailleur", "GET", "/v1/dossiers", "", 200, list("dossiers", {})},
        {"financeur", "GET", "/v1/dossiers", "", 200, list("dossiers", {})},
        {"siao", "GET", "/v1/dossiers", "", 200, list("dossiers", {})},
        // Creating dossiers: associations only.
        {"bailleur", "POST", "/v1/dossiers", "{}", 403, err("forbidden_role")},
        {"financeur", "POST", "/v1/dossiers", "{}", 403, err("forbidden_role")},
        {"siao", "POST", "/v1/dossiers", "{}", 403, err("forbidden_role")},
        // A fiche navette of association A (personal data).
        {"assoA", "GET", docPath, "", 200, field("form", "fiche-navette")},
        {"assoB", "GET", docPath, "", 404, err("document_not_found")},
        {"bailleur", "GET", docPath, "", 404, err("document_not_found")}, // nothing transmitted yet
        {"financeur", "GET", docPath, "", 404, err("document_not_found")},
        {"siao", "GET", docPath, "", 404, err("document_not_found")},
        {"assoA", "GET", docPath + "/pdf", "", 200, pdfOf("Benali")},
        {"assoB", "GET", docPath + "/pdf", "", 404, err("document_not_found")},
        {"bailleur", "GET", docPath + "/pdf", "", 404, err("document_not_found")},
        {"financeur", "GET", docPath + "/pdf", "", 404, err("document_not_found")},
        {"none", "GET", docPath + "/pdf", "", 401, err("unauthenticated")},
        {"assoA", "GET", docPath + "/xlsx", "", 404, err("rendition_not_found")},
        {"assoB", "GET", docPath + "/revisions", "", 404, err("document_not_found")},
        {"assoB", "POST", docPath + "/revisions", revise, 404, err("document_not_found")},
        {"bailleur", "POST", docPath + "/revisions", revise, 404, err("document_not_found")},
        {"financeur", "POST", docPath + "/revisions", revise, 404, err("document_not_found")},
        // Creating documents in A's dossier.
        {"assoB", "POST", "/v1/documents", newDoc, 404, err("dossier_not_found")},
        {"bailleur", "POST", "/v1/documents", newDoc, 403, err("forbidden_role")},
        {"financeur", "POST", "/v1/documents", newBudget, 403, err("forbidden_role")},
        {"assoB", "POST", "/v1/documents", newBudget, 404, err("action_not_found")},
        // The budget annex of A's action, funded by "financeur" only.
        {"assoA", "GET", budPath, "", 200, field("form", "budget-annexe")},
        {"financeur", "GET", budPath, "", 200, field("action", actionA)},
        {"autreFinanceur", "GET", budPath, "", 404, err("document_not_found")},
        {"assoB", "GET", budPath, "", 404, err("document_not_found")},
        {"bailleur", "GET", budPath, "", 404, err("document_not_found")},
        {"siao", "GET", budPath, "", 404, err("document_not_found")},
        {"financeur", "GET", budPath + "/xlsx", "", 200, xlsx},
        {"financeur", "GET", budPath + "/pdf", "", 200, pdfOf("Plateformes territoriales")},
        {"autreFinanceur", "GET", budPath + "/xlsx", "", 404, err("document_not_found")},
        {"financeur", "GET", budPath + "/revisions", "", 200, nullptr},
        {"financeur", "POST", budPath + "/revisions", "{\"data\":" + exampleJson(BUDGET) + "}", 403, err("forbidden")},
        // Document lists.
        {"assoA", "GET", "/v1/documents", "", 200, list("documents", {docA, budgetA})},
        {"assoA", "GET", "/v1/documents?dossier=" + dossierA, "", 200, list("documents", {docA})},
        {"assoB", "GET", "/v1/documents", "", 200, list("documents", {docB})},
        {"financeur", "GET", "/v1/documents", "", 200, list("documents", {budgetA})},
        {"financeur", "GET", "/v1/documents?form=fiche-navette", "", 200, list("documents", {})},
        {"financeur", "GET", "/v1/documents?dossier=" + dossierA, "", 200, list("documents", {})},
        {"autreFinanceur", "GET", "/v1/documents", "", 200, list("documents", {})},
        {"bailleur", "GET", "/v1/documents", "", 200, list("documents", {})},
        {"siao", "GET", "/v1/documents", "", 200, list("documents", {})},
        // Actions.
        {"assoA", "GET", actPath, "", 200, field("title", "Plateformes territoriales – Sarthe")},
        {"financeur", "GET", actPath, "", 200, field("association", orgA)},
        {"autreFinanceur", "GET", actPath, "", 404, err("action_not_found")},
        {"assoB", "GET", actPath, "", 404, err("action_not_found")},
        {"bailleur", "GET", actPath, "", 404, err("action_not_found")},
        {"financeur", "GET", "/v1/actions", "", 200, [&](const HttpResult& r, const std::string& label) {
             EXPECT_EQ(idsOf(r, "actions"), std::set<std::string>{actionA}) << label;
         }},
        {"autreFinanceur", "GET", "/v1/actions", "", 200, [](const HttpResult& r, const std::string& label) {
             EXPECT_TRUE(idsOf(r, "actions").empty()) << label;
         }},
        {"financeur", "POST", "/v1/actions", R"({"title":"x"})", 403, err("forbidden_role")},
    };
    for (const auto& c : cases) {
        const std::string label = c.role + " " + c.method + " " + c.path + " → ";
        auto r = call(c.method, c.path, keys.at(c.role), c.body);
        EXPECT_EQ(r.status, c.status) << label << r.body;
        if (r.status == c.status && c.check) c.check(r, label);
    }
    // None of the refused writes changed anything.
    auto d = call("GET", dA, keyA);
    EXPECT_EQ(d.json()->getValue<std::string>("statut"), "ouvert");
    EXPECT_EQ(d.json()->getValue<int>("version"), 1);
    EXPECT_EQ(call("GET", docPath, keyA).json()->getValue<int>("currentRevision"), 1);
    EXPECT_EQ(call("GET", budPath, keyA).json()->getValue<int>("currentRevision"), 1);
}

TEST_P(ApiTest, DossiersAreValidatedUpdatedAndPaginated) {
    auto bad = call("POST", "/v1/dossiers", keyA, R"({"statut":"perdu","menage":{"membres":[{"prenom":"X"}]},"x":1})");
    ASSERT_EQ(bad.status, 400) << bad.body;
    EXPECT_EQ(bad.error(), "invalid_dossier");
    std::set<std::string> paths;
    auto details = bad.json()->getArray("details");
    for (unsigned i = 0; i < details->size(); ++i) paths.insert(details->getObject(i)->getValue<std::string>("path"));
    EXPECT_EQ(paths, (std::set<std::string>{"/statut", "/menage/membres/0/nom", "/x"}));
    EXPECT_EQ(call("POST", "/v1/dossiers", keyA, "pas du JSON").status, 400);

    auto up = call("PATCH", "/v1/dossiers/" + dossierA, keyA, R"({"statut":"clos","version":1})");
    ASSERT_EQ(up.status, 200) << up.body;
    EXPECT_EQ(up.json()->getValue<std::string>("statut"), "clos");
    EXPECT_EQ(up.json()->getValue<int>("version"), 2);
    EXPECT_EQ(up.json()->getObject("logement")->getValue<std::string>("commune"), "Le Mans"); // untouched
    auto stale = call("PATCH", "/v1/dossiers/" + dossierA, keyA, R"({"statut":"ouvert","version":1})");
    EXPECT_EQ(stale.status, 409);
    EXPECT_EQ(stale.error(), "dossier_conflict");

    for (int i = 0; i < 4; ++i) created(call("POST", "/v1/dossiers", keyA, R"({"reference":"P-)" + std::to_string(i) + "\"}"));
    auto page = call("GET", "/v1/dossiers?limit=2&offset=1", keyA);
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.json()->getValue<int>("total"), 5);
    EXPECT_EQ(page.json()->getArray("dossiers")->size(), 2u);
    auto closed = call("GET", "/v1/dossiers?statut=clos", keyA);
    EXPECT_EQ(idsOf(closed, "dossiers"), std::set<std::string>{dossierA});
    EXPECT_EQ(call("GET", "/v1/dossiers?limit=0", keyA).error(), "bad_query");
}

TEST_P(ApiTest, RevisionsKeepEveryEarlierVersion) {
    auto first = call("GET", "/v1/documents/" + docA + "/pdf", keyA);
    ASSERT_EQ(first.status, 200);
    auto input = exampleJson(FICHE);
    const std::string changed = "Point d'étape révisé : le plan d'apurement est signé.";
    std::string revised = input;
    const std::string from = "\"objetPrecision\": \"";
    auto at = revised.find(from);
    ASSERT_NE(at, std::string::npos);
    revised.replace(at + from.size(), revised.find('"', at + from.size()) - at - from.size(), changed);

    auto r2 = call("POST", "/v1/documents/" + docA + "/revisions", keyA, "{\"data\":" + revised + ",\"expectedRevision\":1}");
    ASSERT_EQ(r2.status, 201) << r2.body;
    EXPECT_EQ(r2.json()->getValue<int>("currentRevision"), 2);
    auto late = call("POST", "/v1/documents/" + docA + "/revisions", keyA, "{\"data\":" + revised + ",\"expectedRevision\":1}");
    EXPECT_EQ(late.status, 409);
    EXPECT_EQ(late.error(), "revision_conflict");
    auto invalid = call("POST", "/v1/documents/" + docA + "/revisions", keyA, R"({"data":{"date":"hier"}})");
    EXPECT_EQ(invalid.status, 400);

    auto v1 = call("GET", "/v1/documents/" + docA + "/pdf?revision=1", keyA);
    auto v2 = call("GET", "/v1/documents/" + docA + "/pdf", keyA);
    ASSERT_EQ(v1.status, 200);
    ASSERT_EQ(v2.status, 200);
    EXPECT_EQ(v1.body, first.body); // the first version is never overwritten
    EXPECT_EQ(v2.headers["x-revision"], "2");
    EXPECT_EQ(normaliseSpaces(pdfToText(v1.body)).find("plan d'apurement est signé"), std::string::npos);
    EXPECT_NE(normaliseSpaces(pdfToText(v2.body)).find("plan d'apurement est signé"), std::string::npos);

    auto meta1 = call("GET", "/v1/documents/" + docA + "?revision=1", keyA).json();
    EXPECT_EQ(meta1->getObject("revision")->getValue<int>("number"), 1);
    EXPECT_NE(meta1->getObject("revision")->getObject("data")->getValue<std::string>("objetPrecision"), changed);
    auto revs = call("GET", "/v1/documents/" + docA + "/revisions", keyA).json()->getArray("revisions");
    ASSERT_EQ(revs->size(), 2u);
    EXPECT_EQ(revs->getObject(0)->getArray("artefacts")->getObject(0)->getValue<std::string>("sha256"),
              storage::sha256Hex(v1.body));
    EXPECT_EQ(call("GET", "/v1/documents/" + docA + "/pdf?revision=3", keyA).error(), "revision_not_found");
}

TEST_P(ApiTest, DocumentsNeedTheRightAttachment) {
    auto noDossier = call("POST", "/v1/documents", keyA, documentBody("fiche-navette", "", actionA, FICHE));
    EXPECT_EQ(noDossier.status, 400);
    EXPECT_EQ(noDossier.error(), "dossier_required");
    auto budgetOnDossier = call("POST", "/v1/documents", keyA, documentBody("budget-annexe", dossierA, "", BUDGET));
    EXPECT_EQ(budgetOnDossier.error(), "action_required");
    EXPECT_EQ(call("POST", "/v1/documents", keyA, documentBody("inconnu", dossierA, "", FICHE)).error(), "form_not_found");
    auto invalid = call("POST", "/v1/documents", keyA,
                        "{\"form\":\"fiche-navette\",\"dossier\":\"" + dossierA + "\",\"data\":{\"sens\":\"nulle-part\"}}");
    EXPECT_EQ(invalid.status, 400);
    EXPECT_FALSE(invalid.json()->getArray("details")->size() == 0);
    // Nothing was stored by the refused requests.
    EXPECT_EQ(call("GET", "/v1/documents", keyA).json()->getValue<int>("total"), 2);
}

// Stop the service, reopen the database, start again: the same bytes come back.
TEST_P(ApiTest, RestartKeepsEverything) {
    auto before = call("GET", "/v1/documents/" + docA + "/pdf", keyA);
    ASSERT_EQ(before.status, 200);
    auto meta = call("GET", "/v1/documents/" + docA, keyA).json();
    const std::string sha = meta->getObject("revision")->getArray("artefacts")->getObject(0)->getValue<std::string>("sha256");
    EXPECT_EQ(sha, storage::sha256Hex(before.body));

    server.reset();
    store.reset();
    store = db->open();
    server = std::make_unique<ApiServer>(store);

    auto after = call("GET", "/v1/documents/" + docA + "/pdf", keyA);
    ASSERT_EQ(after.status, 200) << after.body;
    EXPECT_EQ(storage::sha256Hex(after.body), sha);
    EXPECT_EQ(after.headers["etag"], "\"" + sha + "\"");
    EXPECT_NE(normaliseSpaces(pdfToText(after.body)).find("Samira"), std::string::npos);
    EXPECT_EQ(call("GET", "/v1/documents/" + docA + "/pdf", keyB).status, 404);
    EXPECT_EQ(idsOf(call("GET", "/v1/dossiers", keyA), "dossiers"), std::set<std::string>{dossierA});
    EXPECT_EQ(call("GET", "/v1/documents/" + budgetA + "/xlsx", keyFunder).status, 200);
}

// A storage failure in the middle of the write: 500, and nothing half-written.
TEST_P(ApiTest, AFailureMidRequestLeavesNoPartialDocument) {
    for (const std::string step : {"document.revision", "document.artefact"}) {
        store->setFaultHook([step](const std::string& s) {
            if (s == step) throw std::runtime_error("disk full");
        });
        auto r = call("POST", "/v1/documents", keyA, documentBody("fiche-navette", dossierA, "", FICHE));
        EXPECT_EQ(r.status, 500) << step;
        EXPECT_EQ(r.error(), "storage_error") << step;
        auto rev = call("POST", "/v1/documents/" + docA + "/revisions", keyA, "{\"data\":" + exampleJson(FICHE) + "}");
        EXPECT_EQ(rev.status, 500) << step;
    }
    store->setFaultHook([](const std::string& s) {
        if (s == "dossier.committed") throw std::runtime_error("power cut");
    });
    EXPECT_EQ(call("POST", "/v1/dossiers", keyA, R"({"reference":"PERDU"})").status, 500);
    store->setFaultHook({});
    EXPECT_EQ(idsOf(call("GET", "/v1/documents", keyA), "documents"), (std::set<std::string>{docA, budgetA}));
    EXPECT_EQ(idsOf(call("GET", "/v1/dossiers", keyA), "dossiers"), std::set<std::string>{dossierA});
    auto revs = call("GET", "/v1/documents/" + docA + "/revisions", keyA);
    EXPECT_EQ(revs.json()->getArray("revisions")->size(), 1u);
    // And a real crash of another process mid-transaction leaves nothing either.
    auto crash = run({PASSERELLE_CRASH_HELPER, db->url(), dossierA, orgA, "document.artefact"});
    EXPECT_EQ(crash.exitCode, 42) << crash.err;
    EXPECT_EQ(call("GET", "/v1/documents?dossier=" + dossierA, keyA).json()->getValue<int>("total"), 1);
}

// Two service instances, each with its own store, on one database.
TEST_P(ApiTest, TwoInstancesServeTheSameData) {
    auto otherStore = db->open();
    ApiServer other(otherStore);
    ASSERT_NE(other.port(), server->port());
    auto pdf1 = call("GET", "/v1/documents/" + docA + "/pdf", keyA);
    auto pdf2 = other.call("GET", "/v1/documents/" + docA + "/pdf", keyA);
    ASSERT_EQ(pdf2.status, 200) << pdf2.body;
    EXPECT_EQ(pdf1.body, pdf2.body);
    auto d = other.call("POST", "/v1/dossiers", keyA, R"({"reference":"VIA-INSTANCE-2"})");
    ASSERT_EQ(d.status, 201);
    auto seen = call("GET", "/v1/dossiers?reference=VIA-INSTANCE-2", keyA);
    EXPECT_EQ(seen.json()->getValue<int>("total"), 1);
    auto rev = other.call("POST", "/v1/documents/" + docA + "/revisions", keyA, "{\"data\":" + exampleJson(FICHE) + "}");
    ASSERT_EQ(rev.status, 201) << rev.body;
    EXPECT_EQ(call("GET", "/v1/documents/" + docA, keyA).json()->getValue<int>("currentRevision"), 2);
    // A key revoked through one instance is refused by the other at once.
    ASSERT_TRUE(otherStore->revokeApiKey(keyB.substr(0, storage::API_KEY_PREFIX_CHARS)).isOk());
    EXPECT_EQ(call("GET", "/v1/me", keyB).status, 401);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::ValuesIn(storeBackends()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return backendName(i.param); });

} // namespace
} // namespace passerelle::testing
