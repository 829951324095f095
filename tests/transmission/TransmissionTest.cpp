// The consent gate end to end (issue 6), over a real HTTP server on SQLite
// and, when PASSERELLE_TEST_PG is set, on PostgreSQL:
//  - the acceptance path: refused without consent (403, audited); with
//    consent the bailleur lists and fetches a copy without the non-housing
//    values; after withdrawal 409; `passerelle audit verify` passes, then
//    reports an altered row and a removed row;
//  - canaries at API level: generated grilles and fiches navettes whose
//    excluded fields carry unique markers; no marker in the recipient PDF
//    text, the XLSX cells, the /v1/received JSON or the webhook payloads
//    received by a real HTTP receiver; every permitted value is there;
//  - restart during delivery: exactly once at a receiver deduplicating on
//    the idempotency key;
//  - withdrawal on one instance refuses the next transmission on another;
//  - isolation: a bailleur never sees the original document nor another
//    bailleur's copies; another association gets 404;
//  - the association's delivery status of a document (refusals, sends,
//    pending / delivered / dead pushes);
//  - the SIAO copy (seed 004): only with the partnership's SIAO AND the
//    household's agreement; the same redacted copy; another SIAO gets 404;
//  - the receipt's French labels, form titles and never-sent categories.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <ctime>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "api/ApiFixture.h"
#include "common/Date.h"
#include "consent/ConsentPolicy.h"
#include "http/ConsentRoutes.h"
#include "service/TransmissionService.h"
#include "storage/ApiKeys.h"
#include "support/WebhookReceiver.h"
#include "xlsx/XlsxSupport.h"

namespace passerelle::testing {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::string kMention = "Information non transmise";

std::string str(const Object::Ptr& o) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(o, out);
    return out.str();
}
Object::Ptr parse(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Object::Ptr>(); }

// A server with the render, stored-API and consent routes over `store`.
class Server {
public:
    explicit Server(std::shared_ptr<storage::PocoStore> store) : _store(std::move(store)) {
        auto renderer = std::make_shared<const service::RenderService>(repoCatalog());
        auto dossiers = std::make_shared<const service::DossierService>(_store, renderer);
        transmissions = std::make_shared<const service::TransmissionService>(_store, renderer);
        auto router = std::make_shared<http::Router>();
        http::addRenderRoutes(*router, renderer);
        http::addApiRoutes(*router, dossiers);
        http::addConsentRoutes(*router, transmissions);
        http::ServerConfig config;
        config.port = 0;
        _server = std::make_unique<http::Server>(config, router);
        _server->start();
    }
    ~Server() { _server->stop(); }
    HttpResult call(const std::string& method, const std::string& path, const std::string& key,
                    const std::string& body = "") const {
        return httpCall(_server->port(), method, path, key, body);
    }
    std::shared_ptr<const service::TransmissionService> transmissions;

private:
    std::shared_ptr<storage::PocoStore> _store;
    std::unique_ptr<http::Server> _server;
};

std::string created(const HttpResult& r) {
    if (r.status != 201) throw std::runtime_error("expected 201, got " + std::to_string(r.status) + ": " + r.body);
    return r.json()->getValue<std::string>("id");
}

std::string consentBody(const std::string& recipient, const std::set<std::string>& kinds,
                        const std::set<std::string>& categories, const std::string& how) {
    Object::Ptr o = new Object;
    o->set("kind", "consent");
    o->set("recipient", recipient);
    Object::Ptr by = new Object;
    by->set("name", "Yannick Le Gall");
    by->set("capacity", "household_member");
    o->set("givenBy", by);
    Object::Ptr scope = new Object;
    Array::Ptr k = new Array, c = new Array;
    for (const auto& x : kinds) k->add(x);
    for (const auto& x : categories) c->add(x);
    scope->set("documentKinds", k);
    scope->set("categories", c);
    o->set("scope", scope);
    o->set("purpose", "Préparer la commission d'attribution.");
    o->set("how", parse(how));
    return str(o);
}

const char* IN_PERSON = R"({"method":"in_person","recordedBy":"Gwenaëlle Le Bihan"})";

class TransmissionTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
        server = std::make_unique<Server>(store);
        keyA = createOrgWithKey(*store, "ADALEA", "association", &orgA);
        keyB = createOrgWithKey(*store, "Ensemble", "association", &orgB);
        keyBailleur = createOrgWithKey(*store, "Côtes d'Armor Habitat", "bailleur", &orgBailleur);
        keyOther = createOrgWithKey(*store, "Terre et Baie Habitat", "bailleur", &orgOther);
        keyFunder = createOrgWithKey(*store, "Conseil départemental 22", "financeur", &orgFunder);
        // ADALEA works with both landlords and accepts consents recorded in person (issue 11 item 6).
        // Ensemble's partnership is made by the SIAO test.
        for (const auto& b : {orgBailleur, orgOther}) {
            ASSERT_TRUE(store->createPartnership(orgA, b).isOk());
            ASSERT_TRUE(store->setInPersonConsentAllowed(orgA, b, true, {"partnership.in_person_consent", "system", b, "{}"}).isOk());
        }
    }
    HttpResult call(const std::string& method, const std::string& path, const std::string& key,
                    const std::string& body = "") const {
        return server->call(method, path, key, body);
    }
    std::string newDossier(const std::string& key, const std::string& reference) {
        return created(call("POST", "/v1/dossiers", key,
                            R"({"reference":")" + reference + R"(","menage":{"membres":[{"prenom":"Yannick","nom":"Le Gall"}]}})"));
    }
    std::string newDocument(const std::string& key, const std::string& form, const std::string& dossier,
                            const Object::Ptr& data) {
        Object::Ptr b = new Object;
        b->set("form", form);
        b->set("dossier", dossier);
        b->set("data", data);
        return created(call("POST", "/v1/documents", key, str(b)));
    }
    std::vector<audit::AuditEntry> auditEntries() {
        auto e = store->listAudit();
        EXPECT_TRUE(e.isOk());
        return e.isOk() ? e.value() : std::vector<audit::AuditEntry>{};
    }
    std::size_t countEvents(const std::string& event) {
        std::size_t n = 0;
        for (const auto& e : auditEntries()) n += e.event == event;
        return n;
    }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    std::unique_ptr<Server> server;
    std::string keyA, keyB, keyBailleur, keyOther, keyFunder;
    std::string orgA, orgB, orgBailleur, orgOther, orgFunder;
};

// ---------------------------------------------------------------------------
// Acceptance.

TEST_P(TransmissionTest, AcceptanceRefusedThenSentWithoutNonHousingThenWithdrawnAndAuditVerified) {
    // A Côtes-d'Armor grid with unique values in a non-housing field (santé) and in the
    // family composition (category "composition", left out of the consent below).
    Object::Ptr grille = readJson(sourceDir() + "/examples/grille-capacite-habiter-cotes-darmor-initiale.json");
    const std::string health = "CANARI-SANTE-7f3a";
    grille->getObject("cotesDArmor")->getObject("situationResidentielle")->getObject("santeAutonomie")->set("commentaire", health);
    const std::string housing = "Demande enregistrée sur Imhoweb le 12/01/2026";
    const std::string dossier = newDossier(keyA, "ADA-2026-0042");
    const std::string doc = newDocument(keyA, "grille-capacite-habiter", dossier, grille);
    const std::string transmit = "/v1/documents/" + doc + "/transmit";
    const std::string to = R"({"to":"Côtes d'Armor Habitat"})";

    // 1. Without consent: refused, audited, nothing received.
    auto refused = call("POST", transmit, keyA, to);
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_EQ(refused.error(), "no_consent");
    EXPECT_NE(refused.json()->getValue<std::string>("message").find("rien n'est transmis"), std::string::npos) << refused.body;
    EXPECT_EQ(countEvents("transmission.refused"), 1u);
    EXPECT_EQ(call("GET", "/v1/received", keyBailleur).json()->getValue<int>("total"), 0);

    // 2. The autorisation exists but is not signed: it is no evidence (issue 11 item 4, its
    //    derivation is tested in tests/sign/SigningEvidenceTest.cpp). The household agrees in
    //    person; the association records the consent with its scope.
    const std::string autorisation = newDocument(keyA, "autorisation-transmission", dossier,
                                                 readJson(sourceDir() + "/examples/autorisation-transmission-grille-cotes-darmor.json"));
    auto notEvidence = call("POST", "/v1/dossiers/" + dossier + "/consents", keyA,
                            consentBody(orgBailleur, {"grille-capacite-habiter"}, {"logement"},
                                        R"({"method":"signed_autorisation","documentId":")" + autorisation + R"("})"));
    EXPECT_EQ(notEvidence.status, 409) << notEvidence.body;
    EXPECT_EQ(notEvidence.error(), "autorisation_not_signed");
    auto consent = call("POST", "/v1/dossiers/" + dossier + "/consents", keyA,
                        consentBody(orgBailleur, {"grille-capacite-habiter"},
                                    {"logement", "administratif", "budget", "dette", "accompagnement", "identite", "partenaire",
                                     "vie-sociale"},
                                    IN_PERSON));
    ASSERT_EQ(consent.status, 201) << consent.body;
    const std::string consentId = consent.json()->getValue<std::string>("id");
    EXPECT_EQ(consent.json()->getValue<std::string>("state"), "en-vigueur");
    EXPECT_FALSE(consent.json()->get("expiresAt").isEmpty()) << "effective expiry stored at recording time";

    // 3. Allowed: the bailleur receives a copy without the non-housing values.
    auto sent = call("POST", transmit, keyA, to);
    ASSERT_EQ(sent.status, 201) << sent.body;
    const std::string trn = sent.json()->getValue<std::string>("id");
    EXPECT_EQ(sent.json()->getValue<std::string>("consent"), consentId);
    auto list = call("GET", "/v1/received", keyBailleur);
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.json()->getValue<int>("total"), 1);
    EXPECT_EQ(list.json()->getArray("received")->getObject(0)->getValue<std::string>("id"), trn);
    auto pdf = call("GET", "/v1/received/" + trn + "/pdf", keyBailleur);
    ASSERT_EQ(pdf.status, 200) << pdf.body;
    EXPECT_EQ(pdf.contentType, "application/pdf");
    const std::string text = normaliseSpaces(pdfToText(pdf.body));
    EXPECT_NE(text.find(housing), std::string::npos) << text;
    EXPECT_NE(text.find(kMention), std::string::npos) << text;
    // The copy says on its first page to whom, when and under which consent it went; its footer
    // shows the document's identifier; its running header never shows the mention.
    const std::size_t notice = text.find("Copie adressée à Côtes d'Armor Habitat le ");
    EXPECT_NE(notice, std::string::npos) << text;
    EXPECT_LT(notice, text.find("page 1 / ")) << "the notice is on the first page";
    EXPECT_NE(text.find(", avec l’autorisation du ménage du "), std::string::npos) << text;
    EXPECT_NE(text.find("(transmission " + trn + ")"), std::string::npos) << text;
    EXPECT_NE(text.find("Grille d’appréciation " + doc + "-r1 — page 1 / "), std::string::npos) << text;
    EXPECT_EQ(text.find(kMention + " " + kMention), std::string::npos) << "repeated mentions: " << text;
    EXPECT_EQ(text.find(health), std::string::npos) << "health comment in the landlord's PDF";
    EXPECT_EQ(text.find("Yannick"), std::string::npos) << "family composition (out of scope) in the landlord's PDF";
    auto xlsx = call("GET", "/v1/received/" + trn + "/xlsx", keyBailleur);
    ASSERT_EQ(xlsx.status, 200) << xlsx.body;
    const std::string cells = str(xlsx::inspect(xlsx.body).json());
    EXPECT_EQ(cells.find(health), std::string::npos) << "health comment in the landlord's XLSX";
    EXPECT_NE(cells.find("Imhoweb"), std::string::npos);
    auto meta = call("GET", "/v1/received/" + trn, keyBailleur);
    ASSERT_EQ(meta.status, 200);
    EXPECT_EQ(meta.body.find(health), std::string::npos);
    EXPECT_NE(meta.body.find("Imhoweb"), std::string::npos) << meta.body;
    EXPECT_EQ(meta.json()->getObject("excluded")->getValue<std::string>("cotesDArmor.situationResidentielle.santeAutonomie"),
              "not_housing");

    // The bailleur never sees the original, nor the dossier; another bailleur sees nothing;
    // another association cannot transmit or record consent; a funder cannot list received copies.
    EXPECT_EQ(call("GET", "/v1/documents/" + doc, keyBailleur).status, 404);
    EXPECT_EQ(call("GET", "/v1/documents/" + doc + "/pdf", keyBailleur).status, 404);
    EXPECT_EQ(call("GET", "/v1/dossiers/" + dossier, keyBailleur).status, 404);
    EXPECT_EQ(call("GET", "/v1/received/" + trn, keyOther).status, 404);
    EXPECT_EQ(call("GET", "/v1/received/" + trn + "/pdf", keyOther).status, 404);
    EXPECT_EQ(call("GET", "/v1/received", keyOther).json()->getValue<int>("total"), 0);
    EXPECT_EQ(call("GET", "/v1/received", keyFunder).status, 403);
    EXPECT_EQ(call("POST", transmit, keyB, to).status, 404);
    EXPECT_EQ(call("POST", transmit, keyBailleur, to).status, 404);
    EXPECT_EQ(call("POST", "/v1/dossiers/" + dossier + "/consents", keyB,
                   consentBody(orgBailleur, {"grille-capacite-habiter"}, {"logement"}, IN_PERSON)).status, 404);
    EXPECT_EQ(call("GET", "/v1/dossiers/" + dossier + "/consents", keyB).status, 404);
    EXPECT_EQ(call("POST", "/v1/consents/" + consentId + "/withdraw", keyB).status, 404);
    EXPECT_EQ(call("POST", "/v1/consents/" + consentId + "/withdraw", keyBailleur).status, 404);
    EXPECT_GE(countEvents("landlord.download"), 2u);
    EXPECT_GE(countEvents("landlord.fetch"), 1u);

    // 4. Withdrawal (one call), then the next transmission is refused with 409.
    auto withdrawn = call("POST", "/v1/consents/" + consentId + "/withdraw", keyA);
    ASSERT_EQ(withdrawn.status, 200) << withdrawn.body;
    EXPECT_EQ(withdrawn.json()->getValue<std::string>("state"), "retire");
    EXPECT_EQ(call("POST", "/v1/consents/" + consentId + "/withdraw", keyA).error(), "already_withdrawn");
    auto after = call("POST", transmit, keyA, to);
    EXPECT_EQ(after.status, 409) << after.body;
    EXPECT_EQ(after.error(), "withdrawn");
    EXPECT_EQ(call("GET", "/v1/received", keyBailleur).json()->getValue<int>("total"), 1) << "nothing new delivered";

    // The receipt lists the records for the household.
    auto receipt = call("GET", "/v1/dossiers/" + dossier + "/consents/receipt.pdf", keyA);
    ASSERT_EQ(receipt.status, 200) << receipt.body;
    const std::string receiptText = normaliseSpaces(pdfToText(receipt.body));
    EXPECT_NE(receiptText.find("Côtes d'Armor Habitat"), std::string::npos) << receiptText;
    EXPECT_NE(receiptText.find("Yannick Le Gall"), std::string::npos) << receiptText;
    EXPECT_EQ(call("GET", "/v1/dossiers/" + dossier + "/consents/receipt.pdf", keyBailleur).status, 404);

    // 5. The audit trail: intact, then altered, then a row removed.
    for (const auto& e : auditEntries()) {
        EXPECT_EQ(e.details.find(health), std::string::npos) << e.event;
        EXPECT_EQ(e.details.find("Yannick"), std::string::npos) << e.event << ": personal data in the audit trail";
    }
    auto verify = run({PASSERELLE_BINARY, "audit", "verify", "--db", db->url(), "--data-dir", db->dir() + "/var"});
    EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
    const std::size_t n = auditEntries().size();
    EXPECT_NE(verify.out.find("journal intègre : " + std::to_string(n) + " entrées"), std::string::npos) << verify.out;
    EXPECT_GE(n, 8u);
    const auto third = auditEntries().at(2);
    db->execute("UPDATE audit_log SET subject = 'trn_forged' WHERE seq = 3");
    auto altered = run({PASSERELLE_BINARY, "audit", "verify", "--db", db->url(), "--data-dir", db->dir() + "/var"});
    EXPECT_NE(altered.exitCode, 0);
    EXPECT_NE(altered.err.find("entrée n° 3 (altered)"), std::string::npos) << altered.err;
    db->execute("UPDATE audit_log SET subject = '" + third.subject + "' WHERE seq = 3");
    EXPECT_EQ(run({PASSERELLE_BINARY, "audit", "verify", "--db", db->url(), "--data-dir", db->dir() + "/var"}).exitCode, 0) << "restored";
    db->execute("DELETE FROM audit_log WHERE seq = 5");
    auto removed = run({PASSERELLE_BINARY, "audit", "verify", "--db", db->url(), "--data-dir", db->dir() + "/var"});
    EXPECT_NE(removed.exitCode, 0);
    EXPECT_NE(removed.err.find("entrée n° 5 (removed)"), std::string::npos) << removed.err;
}

TEST_P(TransmissionTest, ConsentRecordsAreValidatedAndNeverEdited) {
    const std::string dossier = newDossier(keyA, "ADA-V");
    const std::string path = "/v1/dossiers/" + dossier + "/consents";
    // Recipient must be a bailleur; signed autorisation must be one of this dossier; in person needs the référent.
    auto funder = call("POST", path, keyA, consentBody(orgFunder, {"fiche-navette"}, {"logement"}, IN_PERSON));
    EXPECT_EQ(funder.status, 400);
    EXPECT_NE(funder.body.find("recipient_not_landlord"), std::string::npos) << funder.body;
    auto noDoc = call("POST", path, keyA,
                      consentBody(orgBailleur, {"fiche-navette"}, {"logement"}, R"({"method":"signed_autorisation","documentId":"doc_0000"})"));
    EXPECT_EQ(noDoc.status, 400);
    EXPECT_NE(noDoc.body.find("autorisation_not_found"), std::string::npos) << noDoc.body;
    auto noReferent = call("POST", path, keyA, consentBody(orgBailleur, {"fiche-navette"}, {"logement"}, R"({"method":"in_person"})"));
    EXPECT_EQ(noReferent.status, 400) << noReferent.body;
    auto unknownCategory = call("POST", path, keyA, consentBody(orgBailleur, {"fiche-navette"}, {"astrologie"}, IN_PERSON));
    EXPECT_EQ(unknownCategory.status, 400) << unknownCategory.body;
    // A refusal is recorded too, and governs: 403 refused_by_household.
    Object::Ptr refusal = parse(consentBody(orgBailleur, {}, {}, IN_PERSON));
    refusal->set("kind", "refusal");
    auto r = call("POST", path, keyA, str(refusal));
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()->getValue<std::string>("state"), "refus");
    EXPECT_EQ(call("POST", "/v1/consents/" + r.json()->getValue<std::string>("id") + "/withdraw", keyA).error(), "not_a_consent");
    const std::string doc = newDocument(keyA, "fiche-navette", dossier, readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json"));
    auto t = call("POST", "/v1/documents/" + doc + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
    EXPECT_EQ(t.status, 403);
    EXPECT_EQ(t.error(), "refused_by_household");
    // No route edits or deletes a record.
    EXPECT_EQ(call("PATCH", "/v1/consents/" + r.json()->getValue<std::string>("id"), keyA, "{}").status, 404);
    EXPECT_EQ(call("DELETE", "/v1/consents/" + r.json()->getValue<std::string>("id"), keyA).status, 404);
    EXPECT_EQ(call("GET", "/v1/dossiers/" + dossier + "/consents", keyA).json()->getArray("consents")->size(), 1u);
    EXPECT_EQ(countEvents("consent.refused"), 1u);
}

// ---------------------------------------------------------------------------
// Withdrawal across instances, and one audit chain for two writers.

TEST_P(TransmissionTest, WithdrawalOnOneInstanceRefusesTheNextTransmissionOnAnother) {
    auto store2 = db->open();
    Server second(store2);
    const std::string dossier = newDossier(keyA, "ADA-X");
    const std::string doc = newDocument(keyA, "fiche-navette", dossier,
                                        readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json"));
    auto c = call("POST", "/v1/dossiers/" + dossier + "/consents", keyA,
                  consentBody(orgBailleur, {"fiche-navette"}, {"logement", "identite", "partenaire", "dette"}, IN_PERSON));
    ASSERT_EQ(c.status, 201) << c.body;
    const std::string to = R"({"to":")" + orgBailleur + R"("})";
    ASSERT_EQ(second.call("POST", "/v1/documents/" + doc + "/transmit", keyA, to).status, 201);
    ASSERT_EQ(call("POST", "/v1/consents/" + c.json()->getValue<std::string>("id") + "/withdraw", keyA).status, 200);
    auto t = second.call("POST", "/v1/documents/" + doc + "/transmit", keyA, to);
    EXPECT_EQ(t.status, 409) << t.body;
    EXPECT_EQ(t.error(), "withdrawn");
}

TEST_P(TransmissionTest, TwoInstancesAppendingConcurrentlyKeepOneChain) {
    auto store2 = db->open();
    const std::size_t before = auditEntries().size(); // the fixture's own entries (partnership settings)
    const int perWriter = 25;
    auto writer = [&](storage::PocoStore* s, const std::string& who) {
        for (int i = 0; i < perWriter; ++i)
            EXPECT_TRUE(s->appendAudit({"test.event", who, who + "-" + std::to_string(i), "{}"}).isOk());
    };
    std::thread a(writer, store.get(), "a"), b(writer, store2.get(), "b");
    a.join();
    b.join();
    auto entries = auditEntries();
    EXPECT_EQ(entries.size() - before, static_cast<std::size_t>(2 * perWriter));
    auto v = audit::verify(entries);
    EXPECT_TRUE(v.ok) << v.message;
}

// ---------------------------------------------------------------------------
// Delivery: the outbox in the database, a crash between sending and recording.

// Forwards to the real store but "crashes" (fails) when recording a delivery.
struct CrashingOutbox : delivery::OutboxStore {
    explicit CrashingOutbox(delivery::OutboxStore& s) : inner(s) {}
    delivery::OutboxStore& inner;
    Result<std::vector<delivery::OutboxMessage>> claimDue(std::int64_t now, int max, std::int64_t lease) override {
        return inner.claimDue(now, max, lease);
    }
    Status markDelivered(const std::string&, std::int64_t, int) override {
        return Status::internal("crash", "process died after sending");
    }
    Status markFailed(const std::string& id, int a, std::int64_t n, bool d, const std::string& e) override {
        return inner.markFailed(id, a, n, d, e);
    }
};

TEST_P(TransmissionTest, RestartDuringDeliveryDeliversExactlyOnce) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    EXPECT_EQ(call("PUT", "/v1/me/webhook", keyA, R"({"url":")" + rx.url() + R"("})").status, 403);
    EXPECT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":"ftp://x"})").error(), "bad_webhook_url");
    const std::string dossier = newDossier(keyA, "ADA-R");
    const std::string doc = newDocument(keyA, "fiche-navette", dossier,
                                        readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json"));
    ASSERT_EQ(call("POST", "/v1/dossiers/" + dossier + "/consents", keyA,
                   consentBody(orgBailleur, {"fiche-navette"}, {"logement", "identite"}, IN_PERSON)).status, 201);
    auto t = call("POST", "/v1/documents/" + doc + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
    ASSERT_EQ(t.status, 201) << t.body;
    const std::string trn = t.json()->getValue<std::string>("id");
    auto queued = store->listOutbox(trn);
    ASSERT_TRUE(queued.isOk());
    ASSERT_EQ(queued.value().size(), 1u) << "the transmission enqueued its message in the same transaction";
    const std::string msg = queued.value().front().id;

    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count() + 1000;
    const std::int64_t lease = 60000;
    // Instance 1 sends, then dies before recording the delivery.
    {
        CrashingOutbox crashing(*store);
        delivery::HttpSender sender(5);
        delivery::OutboxWorker worker(crashing, sender);
        auto r = worker.runOnce(now, 20, lease);
        EXPECT_FALSE(r.isOk());
        EXPECT_EQ(rx.requests(), 1u);
    }
    // Instance 2 (a new store on the same database) restarts: the lease keeps it off until it expires.
    auto restarted = db->open();
    service::DeliveryLoop loop(restarted, restarted, std::make_shared<delivery::HttpSender>(5), repoCatalog().forms);
    EXPECT_EQ(loop.runOnce(now + 1000).value(), 0);
    EXPECT_EQ(rx.requests(), 1u) << "leased: not sent twice at once";
    EXPECT_EQ(loop.runOnce(now + lease + 1).value(), 1);
    EXPECT_EQ(rx.requests(), 2u) << "re-sent after the lease, with the same idempotency key";
    EXPECT_EQ(loop.runOnce(now + 10 * lease).value(), 0);
    EXPECT_EQ(rx.requests(), 2u);
    auto bodies = rx.bodies();
    ASSERT_EQ(bodies.size(), 1u) << "the receiver accepted exactly once";
    EXPECT_EQ(bodies.begin()->first, msg);
    auto status = restarted->findOutboxMessage(msg);
    ASSERT_TRUE(status.isOk());
    EXPECT_TRUE(status.value().delivered);
    auto payload = parse(bodies.begin()->second);
    EXPECT_EQ(payload->getValue<std::string>("transmission"), trn);
    EXPECT_EQ(countEvents("delivery.delivered"), 1u);
}

// ---------------------------------------------------------------------------
// Canaries at API level.

bool covered(const std::string& path, const std::set<std::string>& redacted) {
    for (const auto& r : redacted)
        if (path == r || (path.size() > r.size() && path.compare(0, r.size(), r) == 0 && path[r.size()] == '.')) return true;
    return false;
}

void formCategories(const std::vector<forms::FieldDef>& fields, std::set<std::string>& acc) {
    for (const auto& f : fields) {
        if (!f.category.empty()) acc.insert(f.category);
        formCategories(f.fields, acc);
    }
}

struct Generated {
    Object::Ptr data;
    std::map<std::string, std::string> canaries; // marker -> path (excluded)
    std::map<std::string, std::string> kept;     // marker -> path (permitted)
};

// Fills every text field present in the input with a unique marker: "C…X" when
// excluded, "K…X" when permitted (groups absent from the input stay absent).
class Generator {
public:
    Generator(int n, const std::set<std::string>& excluded) : _n(n), _excluded(excluded) {}
    Generated run(const forms::FormDef& form, const Object::Ptr& base) {
        Generated g;
        g.data = parse(str(base));
        _g = &g;
        walk(form.fields, "", g.data);
        return g;
    }

private:
    int _n;
    const std::set<std::string>& _excluded;
    int _k = 0;
    Generated* _g = nullptr;

    void walk(const std::vector<forms::FieldDef>& fields, const std::string& prefix, Object::Ptr obj) {
        for (const auto& f : fields) {
            const std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
            if (f.type == forms::FieldType::Table) {
                auto rows = obj->getArray(f.name);
                for (unsigned r = 0; rows && r < rows->size(); ++r) walk(f.fields, path, rows->getObject(r));
            } else if (!f.fields.empty()) {
                if (auto child = obj->getObject(f.name)) walk(f.fields, path, child);
            } else if ((f.type == forms::FieldType::Text || f.type == forms::FieldType::LongText) && obj->has(f.name) &&
                       f.name != "codePostal" && f.name != "telephone" && f.name != "email") {
                const bool excluded = covered(path, _excluded);
                char buf[32];
                std::snprintf(buf, sizeof buf, "%c%03d%03dX", excluded ? 'C' : 'K', _n, ++_k);
                obj->set(f.name, std::string(buf));
                (excluded ? _g->canaries : _g->kept)[buf] = path;
            }
        }
    }
};

TEST_P(TransmissionTest, CanariesNeverReachAnythingALandlordCanObtain) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    service::DeliveryLoop loop(store, store, std::make_shared<delivery::HttpSender>(5), repoCatalog().forms);
    struct Kind {
        std::string form;
        std::string example;
    };
    const std::vector<Kind> kinds = {
        {"grille-capacite-habiter", "grille-capacite-habiter-cotes-darmor-initiale.json"},
        {"grille-capacite-habiter", "grille-capacite-habiter-affil-suivi-6-mois.json"},
        {"fiche-navette", "fiche-navette-association-vers-bailleur.json"},
    };
    const int kDossiers = GetParam() == "sqlite" ? 18 : 12;
    std::mt19937 rng(20261123);
    int allowed = 0, refused = 0, xlsxChecked = 0;
    std::map<std::string, std::set<std::string>> canariesOf; // transmission -> canaries
    std::set<std::string> allCanaries;
    for (int n = 0; n < kDossiers; ++n) {
        const Kind& kind = kinds[n % kinds.size()];
        auto def = repoCatalog().forms->find(kind.form);
        ASSERT_TRUE(def);
        std::set<std::string> categories;
        formCategories(def->fields, categories);
        // A scope never names a category that never goes (issue 11 item 6: refused at recording).
        for (auto it = categories.begin(); it != categories.end();)
            it = consent::isTransmissibleCategory(*it) ? std::next(it) : categories.erase(it);
        std::set<std::string> scope;
        if (n < 3) scope = categories; // everything the form has: only the non-housing fields stay out
        else
            for (const auto& c : categories)
                if (rng() % 3 != 0) scope.insert(c);
        consent::Decision split;
        consent::splitFields(*def, consent::ConsentScope{{kind.form}, scope}, split);
        Generated g = Generator(n, split.excludedFields).run(*def, readJson(sourceDir() + "/examples/" + kind.example));
        const std::string label = "dossier " + std::to_string(n) + " (" + kind.example + ")";
        for (const auto& [c, p] : g.canaries) allCanaries.insert(c);

        const std::string dossier = newDossier(keyA, "CAN-" + std::to_string(n));
        const std::string doc = newDocument(keyA, kind.form, dossier, g.data);
        auto c = call("POST", "/v1/dossiers/" + dossier + "/consents", keyA, consentBody(orgBailleur, {kind.form}, scope, IN_PERSON));
        ASSERT_EQ(c.status, 201) << label << c.body;
        auto t = call("POST", "/v1/documents/" + doc + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
        if (t.status != 201) {
            ++refused;
            EXPECT_EQ(t.status, 403) << label << t.body;
            continue;
        }
        ++allowed;
        const std::string trn = t.json()->getValue<std::string>("id");
        canariesOf[trn].insert(g.canaries.size() ? g.canaries.begin()->first : "");

        const std::string text = normaliseSpaces(pdfToText(call("GET", "/v1/received/" + trn + "/pdf", keyBailleur).body));
        const std::string meta = call("GET", "/v1/received/" + trn, keyBailleur).body;
        std::string cells;
        if (kind.form == "grille-capacite-habiter") {
            auto x = call("GET", "/v1/received/" + trn + "/xlsx", keyBailleur);
            ASSERT_EQ(x.status, 200) << label;
            cells = str(xlsx::inspect(x.body).json());
            ++xlsxChecked;
        }
        for (const auto& [m, path] : g.canaries) {
            EXPECT_EQ(text.find(m), std::string::npos) << label << ": excluded " << path << " in the PDF";
            EXPECT_EQ(meta.find(m), std::string::npos) << label << ": excluded " << path << " in /v1/received JSON";
            EXPECT_EQ(cells.find(m), std::string::npos) << label << ": excluded " << path << " in the XLSX";
        }
        for (const auto& [m, path] : g.kept) {
            EXPECT_NE(meta.find(m), std::string::npos) << label << ": permitted " << path << " missing from the JSON";
            EXPECT_NE(text.find(m), std::string::npos) << label << ": permitted " << path << " missing from the PDF";
        }
        if (!g.canaries.empty()) {
            EXPECT_NE(text.find(kMention), std::string::npos) << label;
        }
    }
    // The list, and every webhook payload actually received over HTTP.
    const std::string listing = call("GET", "/v1/received?limit=500", keyBailleur).body;
    for (int pass = 0; pass < 3 && loop.runOnce(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                     std::chrono::system_clock::now().time_since_epoch()).count() + 1000)
                                           .value() > 0;
         ++pass) {
    }
    auto bodies = rx.bodies();
    EXPECT_EQ(bodies.size(), static_cast<std::size_t>(allowed)) << "one webhook per allowed transmission";
    for (const auto& m : allCanaries) EXPECT_EQ(listing.find(m), std::string::npos) << m << " in /v1/received";
    for (const auto& [key, body] : bodies) {
        auto payload = parse(body);
        const std::string trn = payload->getValue<std::string>("transmission");
        for (const auto& m : allCanaries) EXPECT_EQ(body.find(m), std::string::npos) << m << " in the webhook for " << trn;
        EXPECT_TRUE(canariesOf.count(trn)) << trn;
    }
    EXPECT_GE(allowed, kDossiers / 2);
    EXPECT_GE(xlsxChecked, 2);
    std::printf("canaries: %d dossiers, %d sent, %d refused, %zu markers, %zu webhooks\n", kDossiers, allowed, refused,
                allCanaries.size(), bodies.size());
}

// ---------------------------------------------------------------------------
// Delivery status for the association (GET /v1/documents/{id}/transmissions).

TEST_P(TransmissionTest, DocumentTransmissionsListRefusalsSendsAndPushStatus) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    // The other landlord's receiver is unreachable (nothing listens on port 1).
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyOther, R"({"url":"http://127.0.0.1:1/webhook"})").status, 200);
    const std::string dossier = newDossier(keyA, "ADA-S");
    const std::string doc = newDocument(keyA, "fiche-navette", dossier,
                                        readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json"));
    const std::string transmit = "/v1/documents/" + doc + "/transmit";
    const std::string status = "/v1/documents/" + doc + "/transmissions";
    EXPECT_EQ(call("GET", status, keyA).json()->getArray("transmissions")->size(), 0u);

    ASSERT_EQ(call("POST", transmit, keyA, R"({"to":")" + orgBailleur + R"("})").status, 403);
    for (const auto& org : {orgBailleur, orgOther})
        ASSERT_EQ(call("POST", "/v1/dossiers/" + dossier + "/consents", keyA,
                       consentBody(org, {"fiche-navette"}, {"logement", "identite", "partenaire"}, IN_PERSON)).status, 201);
    auto sent = call("POST", transmit, keyA, R"({"to":")" + orgBailleur + R"("})");
    ASSERT_EQ(sent.status, 201) << sent.body;
    const std::string trn = sent.json()->getValue<std::string>("id");

    auto byId = [&](const HttpResult& r, const std::string& id) -> Object::Ptr {
        auto arr = r.json()->getArray("transmissions");
        for (unsigned i = 0; arr && i < arr->size(); ++i)
            if (arr->getObject(i)->getValue<std::string>("id") == id) return arr->getObject(i);
        return nullptr;
    };
    auto list = call("GET", status, keyA);
    ASSERT_EQ(list.status, 200) << list.body;
    auto items = list.json()->getArray("transmissions");
    ASSERT_EQ(items->size(), 2u) << list.body;
    EXPECT_EQ(list.json()->getValue<int>("total"), 2);
    Object::Ptr refusal = items->getObject(1); // newest first
    EXPECT_FALSE(refusal->getValue<bool>("allowed"));
    EXPECT_EQ(refusal->getValue<std::string>("decision"), "no_consent");
    EXPECT_EQ(refusal->getObject("recipient")->getValue<std::string>("name"), "Côtes d'Armor Habitat");
    EXPECT_TRUE(refusal->get("push").isEmpty()) << "a refusal is never pushed";
    EXPECT_FALSE(refusal->getValue<std::string>("createdAt").empty());
    Object::Ptr allowed = byId(list, trn);
    ASSERT_TRUE(allowed);
    EXPECT_TRUE(allowed->getValue<bool>("allowed"));
    EXPECT_EQ(allowed->getValue<std::string>("decision"), "allowed");
    EXPECT_EQ(allowed->getObject("recipient")->getValue<std::string>("kind"), "bailleur");
    EXPECT_EQ(allowed->getObject("push")->getValue<std::string>("status"), "pending");
    EXPECT_EQ(allowed->getObject("push")->getValue<int>("attempts"), 0);

    // Delivered: the date and the attempts.
    service::DeliveryLoop loop(store, store, std::make_shared<delivery::HttpSender>(5), repoCatalog().forms);
    const auto nowMs = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 1000;
    };
    ASSERT_EQ(loop.runOnce(nowMs()).value(), 1);
    auto push = byId(call("GET", status, keyA), trn)->getObject("push");
    EXPECT_EQ(push->getValue<std::string>("status"), "delivered");
    EXPECT_EQ(push->getValue<int>("attempts"), 1);
    EXPECT_EQ(push->getValue<int>("httpStatus"), 200);
    EXPECT_EQ(push->getValue<std::string>("deliveredAt").substr(0, 2), "20") << push->getValue<std::string>("deliveredAt");
    EXPECT_FALSE(push->has("lastError"));

    // Pending after a failed attempt, with the error; then dead once the policy gives up.
    auto toOther = call("POST", transmit, keyA, R"({"to":")" + orgOther + R"("})");
    ASSERT_EQ(toOther.status, 201) << toOther.body;
    const std::string trnOther = toOther.json()->getValue<std::string>("id");
    EXPECT_EQ(loop.runOnce(nowMs()).value(), 0);
    push = byId(call("GET", status, keyA), trnOther)->getObject("push");
    EXPECT_EQ(push->getValue<std::string>("status"), "pending");
    EXPECT_EQ(push->getValue<int>("attempts"), 1);
    EXPECT_FALSE(push->getValue<std::string>("lastError").empty());
    EXPECT_FALSE(push->getValue<std::string>("nextAttemptAt").empty());
    delivery::RetryPolicy giveUp;
    giveUp.maxAttempts = 2;
    service::DeliveryLoop last(store, store, std::make_shared<delivery::HttpSender>(5), repoCatalog().forms, giveUp);
    EXPECT_EQ(last.runOnce(nowMs() + 24 * 3600 * 1000LL).value(), 0);
    push = byId(call("GET", status, keyA), trnOther)->getObject("push");
    EXPECT_EQ(push->getValue<std::string>("status"), "dead");
    EXPECT_EQ(push->getValue<int>("attempts"), 2);
    EXPECT_FALSE(push->getValue<std::string>("lastError").empty());
    EXPECT_FALSE(push->has("nextAttemptAt"));

    // Nobody else: another association, the landlords, a funder.
    for (const auto& key : {keyB, keyBailleur, keyOther, keyFunder}) {
        auto r = call("GET", status, key);
        EXPECT_EQ(r.status, 404) << r.body;
        EXPECT_EQ(r.error(), "document_not_found");
    }
    EXPECT_EQ(call("GET", "/v1/documents/doc_0000000000000000/transmissions", keyA).status, 404);
}

// ---------------------------------------------------------------------------
// SIAO copy (seed 004: "le SIAO est mis en copie de l'envoi").

TEST_P(TransmissionTest, SiaoGetsTheRedactedCopyOnlyWhenPartnershipAndConsentSaySo) {
    std::string orgSiao, orgSiao35;
    const std::string keySiao = createOrgWithKey(*store, "SIAO 22", "siao", &orgSiao);
    const std::string keySiao35 = createOrgWithKey(*store, "SIAO 35", "siao", &orgSiao35);
    // The partnership names the SIAO through the admin CLI (create, clear, set again).
    auto adminCli = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {PASSERELLE_BINARY, "admin"});
        args.insert(args.end(), {"--db", db->url()});
        return run(args);
    };
    auto bad = adminCli({"create-partnership", "ADALEA", "Côtes d'Armor Habitat", "--siao", "Terre et Baie Habitat"});
    EXPECT_EQ(bad.exitCode, 65) << bad.out << bad.err;
    EXPECT_NE(bad.err.find("n'est pas un SIAO"), std::string::npos) << bad.err;
    auto made = adminCli({"set-partnership-siao", "ADALEA", "Côtes d'Armor Habitat", "SIAO 22"});
    ASSERT_EQ(made.exitCode, 0) << made.out << made.err;
    EXPECT_NE(made.out.find("SIAO en copie : SIAO 22"), std::string::npos) << made.out;
    ASSERT_EQ(adminCli({"set-partnership-siao", "ADALEA", "Côtes d'Armor Habitat", "aucun"}).exitCode, 0);
    EXPECT_EQ(store->findPartnership(orgA, orgBailleur).value().siaoId, "");
    ASSERT_EQ(adminCli({"set-partnership-siao", "ADALEA", "Côtes d'Armor Habitat", "SIAO 22"}).exitCode, 0);
    EXPECT_EQ(store->findPartnership(orgA, orgBailleur).value().siaoId, orgSiao);
    EXPECT_EQ(adminCli({"set-partnership-siao", "Ensemble", "Côtes d'Armor Habitat", "SIAO 22"}).exitCode, 66)
        << "no such partnership";
    ASSERT_TRUE(store->createPartnership(orgB, orgBailleur).isOk());
    ASSERT_TRUE(store->setInPersonConsentAllowed(orgB, orgBailleur, true, {"partnership.in_person_consent", "system", orgB, "{}"}).isOk());

    WebhookReceiver rxSiao;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keySiao, R"({"url":")" + rxSiao.url() + R"("})").status, 200);

    // A grille with a health comment (never goes) and a family composition (out of the consent's scope).
    Object::Ptr grille = readJson(sourceDir() + "/examples/grille-capacite-habiter-cotes-darmor-initiale.json");
    const std::string health = "CANARI-SIAO-SANTE-31c9";
    grille->getObject("cotesDArmor")->getObject("situationResidentielle")->getObject("santeAutonomie")->set("commentaire", health);
    const std::set<std::string> scope = {"logement", "administratif", "budget", "dette", "accompagnement", "partenaire"};
    const std::string to = R"({"to":")" + orgBailleur + R"("})";

    // 1. The household agreed to the copy: the SIAO receives the same redacted copy.
    const std::string dossier = newDossier(keyA, "ADA-SIAO-1");
    const std::string doc = newDocument(keyA, "grille-capacite-habiter", dossier, grille);
    Object::Ptr withCopy = parse(consentBody(orgBailleur, {"grille-capacite-habiter"}, scope, IN_PERSON));
    withCopy->set("copieSiao", true);
    auto c1 = call("POST", "/v1/dossiers/" + dossier + "/consents", keyA, str(withCopy));
    ASSERT_EQ(c1.status, 201) << c1.body;
    EXPECT_TRUE(c1.json()->getValue<bool>("copieSiao"));
    Object::Ptr wrongType = parse(consentBody(orgBailleur, {"grille-capacite-habiter"}, scope, IN_PERSON));
    wrongType->set("copieSiao", "oui");
    EXPECT_EQ(call("POST", "/v1/dossiers/" + dossier + "/consents", keyA, str(wrongType)).status, 400);

    auto sent = call("POST", "/v1/documents/" + doc + "/transmit", keyA, to);
    ASSERT_EQ(sent.status, 201) << sent.body;
    const std::string trn = sent.json()->getValue<std::string>("id");
    auto received = call("GET", "/v1/received", keySiao);
    ASSERT_EQ(received.status, 200) << received.body;
    ASSERT_EQ(received.json()->getValue<int>("total"), 1) << received.body;
    Object::Ptr item = received.json()->getArray("received")->getObject(0);
    const std::string copy = item->getValue<std::string>("id");
    EXPECT_NE(copy, trn);
    EXPECT_EQ(item->getValue<std::string>("copyOf"), trn);
    EXPECT_EQ(item->getValue<std::string>("recipient"), orgSiao);

    auto landlordPdf = call("GET", "/v1/received/" + trn + "/pdf", keyBailleur);
    auto siaoPdf = call("GET", "/v1/received/" + copy + "/pdf", keySiao);
    ASSERT_EQ(siaoPdf.status, 200) << siaoPdf.body;
    EXPECT_EQ(siaoPdf.body, landlordPdf.body) << "the same recipient copy, never more";
    const std::string text = normaliseSpaces(pdfToText(siaoPdf.body));
    EXPECT_EQ(text.find(health), std::string::npos) << "health comment in the SIAO's PDF";
    EXPECT_EQ(text.find("Yannick"), std::string::npos) << "family composition (out of scope) in the SIAO's PDF";
    EXPECT_NE(text.find(kMention), std::string::npos);
    EXPECT_NE(text.find("Imhoweb"), std::string::npos) << text;
    auto siaoXlsx = call("GET", "/v1/received/" + copy + "/xlsx", keySiao);
    ASSERT_EQ(siaoXlsx.status, 200);
    EXPECT_EQ(str(xlsx::inspect(siaoXlsx.body).json()).find(health), std::string::npos);
    auto meta = call("GET", "/v1/received/" + copy, keySiao);
    ASSERT_EQ(meta.status, 200) << meta.body;
    EXPECT_EQ(meta.body.find(health), std::string::npos);
    EXPECT_EQ(meta.body.find("Yannick"), std::string::npos);

    // Another SIAO, the landlord (for the copy) and the first SIAO (for the original) get 404.
    EXPECT_EQ(call("GET", "/v1/received/" + copy, keySiao35).status, 404);
    EXPECT_EQ(call("GET", "/v1/received/" + copy + "/pdf", keySiao35).status, 404);
    EXPECT_EQ(call("GET", "/v1/received", keySiao35).json()->getValue<int>("total"), 0);
    EXPECT_EQ(call("GET", "/v1/received/" + copy, keyBailleur).status, 404);
    EXPECT_EQ(call("GET", "/v1/received/" + trn, keySiao).status, 404);
    EXPECT_EQ(call("GET", "/v1/documents/" + doc, keySiao).status, 404);
    EXPECT_EQ(call("GET", "/v1/received", keyBailleur).json()->getValue<int>("total"), 1) << "the landlord gets its own only";

    // Audited with ids and hashes only; pushed to the SIAO's webhook.
    std::size_t copied = 0;
    for (const auto& e : auditEntries()) {
        EXPECT_EQ(e.details.find(health), std::string::npos) << e.event;
        EXPECT_EQ(e.details.find("Yannick"), std::string::npos) << e.event;
        if (e.event != "transmission.copied") continue;
        ++copied;
        EXPECT_EQ(e.subject, copy);
        EXPECT_NE(e.details.find(trn), std::string::npos) << e.details;
        EXPECT_NE(e.details.find(storage::sha256Hex(siaoPdf.body)), std::string::npos) << e.details;
    }
    EXPECT_EQ(copied, 1u);
    service::DeliveryLoop loop(store, store, std::make_shared<delivery::HttpSender>(5), repoCatalog().forms);
    EXPECT_EQ(loop.runOnce(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count() + 1000).value(), 1);
    auto bodies = rxSiao.bodies();
    ASSERT_EQ(bodies.size(), 1u);
    auto payload = parse(bodies.begin()->second);
    EXPECT_EQ(payload->getValue<std::string>("event"), "transmission.copy");
    EXPECT_EQ(payload->getValue<std::string>("transmission"), copy);
    EXPECT_EQ(payload->getValue<std::string>("copyOf"), trn);
    EXPECT_EQ(bodies.begin()->second.find(health), std::string::npos);

    // The association sees both lines of the document's status.
    auto status = call("GET", "/v1/documents/" + doc + "/transmissions", keyA).json()->getArray("transmissions");
    ASSERT_EQ(status->size(), 2u);
    bool sawCopy = false;
    for (unsigned i = 0; i < status->size(); ++i) {
        auto t = status->getObject(i);
        if (t->getValue<std::string>("id") != copy) continue;
        sawCopy = true;
        EXPECT_EQ(t->getObject("recipient")->getValue<std::string>("kind"), "siao");
        EXPECT_EQ(t->getValue<std::string>("copyOf"), trn);
        EXPECT_EQ(t->getObject("push")->getValue<std::string>("status"), "delivered");
    }
    EXPECT_TRUE(sawCopy);

    // 2. Without the household's agreement to the copy: the SIAO receives nothing.
    const std::string dossier2 = newDossier(keyA, "ADA-SIAO-2");
    const std::string doc2 = newDocument(keyA, "grille-capacite-habiter", dossier2, grille);
    auto c2 = call("POST", "/v1/dossiers/" + dossier2 + "/consents", keyA,
                   consentBody(orgBailleur, {"grille-capacite-habiter"}, scope, IN_PERSON));
    ASSERT_EQ(c2.status, 201) << c2.body;
    EXPECT_FALSE(c2.json()->getValue<bool>("copieSiao")) << "default: no copy";
    ASSERT_EQ(call("POST", "/v1/documents/" + doc2 + "/transmit", keyA, to).status, 201);
    EXPECT_EQ(call("GET", "/v1/received", keySiao).json()->getValue<int>("total"), 1) << "no copy without consent";
    EXPECT_EQ(call("GET", "/v1/received", keyBailleur).json()->getValue<int>("total"), 2);
    EXPECT_EQ(countEvents("transmission.copied"), 1u);

    // 3. A consent with the copy, but the partnership of that association names no SIAO: nothing either.
    const std::string dossier3 = newDossier(keyB, "ENS-SIAO-3");
    const std::string doc3 = newDocument(keyB, "grille-capacite-habiter", dossier3, grille);
    ASSERT_EQ(call("POST", "/v1/dossiers/" + dossier3 + "/consents", keyB, str(withCopy)).status, 201);
    ASSERT_EQ(call("POST", "/v1/documents/" + doc3 + "/transmit", keyB, to).status, 201);
    EXPECT_EQ(call("GET", "/v1/received", keySiao).json()->getValue<int>("total"), 1);
    EXPECT_EQ(call("GET", "/v1/received", keySiao35).json()->getValue<int>("total"), 0);
}

// ---------------------------------------------------------------------------
// The household's receipt: labels, form titles, what never goes.

TEST_P(TransmissionTest, ReceiptShowsCategoryLabelsFormTitlesAndWhatNeverGoes) {
    const std::string dossier = newDossier(keyA, "ADA-RECU");
    Object::Ptr consent = parse(consentBody(orgBailleur, {"grille-capacite-habiter", "fiche-navette"},
                                            {"logement", "dette", "vie-sociale"}, IN_PERSON));
    consent->set("copieSiao", true);
    ASSERT_EQ(call("POST", "/v1/dossiers/" + dossier + "/consents", keyA, str(consent)).status, 201);
    auto receipt = call("GET", "/v1/dossiers/" + dossier + "/consents/receipt.pdf", keyA);
    ASSERT_EQ(receipt.status, 200) << receipt.body;
    const std::string text = normaliseSpaces(pdfToText(receipt.body));
    for (const char* expected : {"Logement", "Dette locative", "Voisinage et vie sociale",
                                 "Grille d’appréciation de la capacité à habiter", "Fiche navette",
                                 "Informations qui ne sont jamais transmises au bailleur", "Santé",
                                 "ne sont jamais transmises au bailleur, même avec votre accord", "Copie au SIAO"})
        EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
    // The codes themselves never show.
    for (const char* code : {"vie-sociale", "grille-capacite-habiter", "fiche-navette", "dette ;", "; dette"})
        EXPECT_EQ(text.find(code), std::string::npos) << code << "\n" << text;
    // Every non-housing category of these two forms is named.
    std::set<std::string> never;
    std::function<void(const std::vector<forms::FieldDef>&, bool)> walk = [&](const std::vector<forms::FieldDef>& fields, bool in) {
        for (const auto& f : fields) {
            if (in || !f.housing) never.insert(f.category);
            walk(f.fields, in || !f.housing);
        }
    };
    for (const char* form : {"grille-capacite-habiter", "fiche-navette"}) walk(repoCatalog().forms->find(form)->fields, false);
    EXPECT_FALSE(never.empty());
    for (const auto& c : never)
        EXPECT_NE(text.find(forms::categoryLabel(c)), std::string::npos) << c << "\n" << text;
}

INSTANTIATE_TEST_SUITE_P(Backends, TransmissionTest, ::testing::ValuesIn(storeBackends()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return backendName(i.param); });


// Issue 11, item 1: an objective under « Santé et soins », « Emploi, formation »
// or « Parentalité » sits in a housing-related table, but its row never reaches
// the bailleur — neither the PDF nor the JSON — in the contrat d'objectifs and in
// the protocole's embedded contrat; the housing-related rows still go.
TEST_P(TransmissionTest, HealthEmploymentAndParentingObjectivesNeverReachTheLandlord) {
    struct Case {
        const char* form;
        const char* example;
        std::vector<std::string> tablePath; // objects down to the objectives table
    };
    const std::vector<Case> cases = {
        {"contrat-objectifs", "contrat-objectifs-amli-acces.json", {}},
        {"protocole-sous-location", "protocole-sous-location-amli-maintien.json", {"contratObjectifs"}},
    };
    int n = 0;
    for (const auto& c : cases) {
        Object::Ptr data = readJson(sourceDir() + "/examples/" + c.example);
        Object::Ptr parent = data;
        for (const auto& k : c.tablePath) parent = parent->getObject(k);
        auto objectifs = parent->getArray("objectifs");
        const std::string housingObjective = objectifs->getObject(0)->getValue<std::string>("objectif");
        auto add = [&](const std::string& domaine, const std::string& objectif) {
            Object::Ptr row = new Object;
            row->set("domaine", domaine);
            row->set("objectif", objectif);
            row->set("indicateur", "Indicateur " + objectif);
            row->set("echeance", "2027-03-31");
            row->set("responsable", "Mme Kaddouri");
            objectifs->add(row);
        };
        add("sante", "Reprendre le suivi au CMP");
        add("emploi", "CANARI-EMPLOI-inscription France Travail");
        add("parentalite", "CANARI-PARENT-suivi PMI");
        const std::string dossier = newDossier(keyA, "CO-" + std::to_string(++n));
        const std::string doc = newDocument(keyA, c.form, dossier, data);
        auto consent = call("POST", "/v1/dossiers/" + dossier + "/consents", keyA,
                            consentBody(orgBailleur, {c.form},
                                        {"logement", "administratif", "budget", "dette", "accompagnement", "identite",
                                         "partenaire", "composition"},
                                        IN_PERSON));
        ASSERT_EQ(consent.status, 201) << consent.body;
        auto sent = call("POST", "/v1/documents/" + doc + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
        ASSERT_EQ(sent.status, 201) << c.form << sent.body;
        const std::string trn = sent.json()->getValue<std::string>("id");
        auto pdf = call("GET", "/v1/received/" + trn + "/pdf", keyBailleur);
        ASSERT_EQ(pdf.status, 200) << pdf.body;
        const std::string text = normaliseSpaces(pdfToText(pdf.body));
        auto json = call("GET", "/v1/received/" + trn, keyBailleur);
        ASSERT_EQ(json.status, 200) << json.body;
        for (const std::string canary : {"CMP", "CANARI-EMPLOI", "CANARI-PARENT"}) {
            EXPECT_EQ(text.find(canary), std::string::npos) << c.form << ": " << canary << " in the landlord's PDF";
            EXPECT_EQ(json.body.find(canary), std::string::npos) << c.form << ": " << canary << " in the landlord's JSON";
        }
        EXPECT_NE(text.find(housingObjective.substr(0, 20)), std::string::npos) << c.form << ": " << text;
        EXPECT_NE(json.body.find(housingObjective), std::string::npos) << c.form;
        // The association's own document keeps everything.
        auto own = call("GET", "/v1/documents/" + doc + "/pdf", keyA);
        EXPECT_NE(normaliseSpaces(pdfToText(own.body)).find("Reprendre le suivi au CMP"), std::string::npos) << c.form;
    }
}

// ---------------------------------------------------------------------------
// Issue 11, item 7: withdrawal stops what is still on its way. The gate is re-checked
// inside the delivery transaction; a push queued under a consent withdrawn, expired or
// superseded since is cancelled (state "cancelled" with the gate's code, audited as
// "delivery.cancelled") and never reaches the receiver; `audit verify` stays green.

std::int64_t epochMsNow() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string isoAt(std::int64_t epochSeconds) { return consent::Instant{epochSeconds}.iso(); }

class QueuedPush : public TransmissionTest {
protected:
    // A fiche navette with a consent (optional extra JSON members), transmitted: its push is queued.
    struct Sent {
        std::string dossier, doc, consent, trn, msg;
    };
    Sent queue(const std::string& ref, const std::string& consentExtra = "") {
        Sent s;
        s.dossier = newDossier(keyA, ref);
        s.doc = newDocument(keyA, "fiche-navette", s.dossier,
                            readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json"));
        std::string body = consentBody(orgBailleur, {"fiche-navette"}, {"logement", "identite"}, IN_PERSON);
        if (!consentExtra.empty()) body = body.substr(0, body.size() - 1) + "," + consentExtra + "}";
        auto c = call("POST", "/v1/dossiers/" + s.dossier + "/consents", keyA, body);
        EXPECT_EQ(c.status, 201) << c.body;
        s.consent = c.status == 201 ? c.json()->getValue<std::string>("id") : "";
        auto t = call("POST", "/v1/documents/" + s.doc + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
        EXPECT_EQ(t.status, 201) << t.body;
        if (t.status != 201) return s;
        s.trn = t.json()->getValue<std::string>("id");
        auto queued = store->listOutbox(s.trn);
        EXPECT_TRUE(queued.isOk() && queued.value().size() == 1u);
        if (queued.isOk() && !queued.value().empty()) s.msg = queued.value().front().id;
        return s;
    }
    // The push as the association sees it (GET /v1/documents/{id}/transmissions).
    Object::Ptr pushOf(const std::string& doc, const std::string& trn) {
        auto r = call("GET", "/v1/documents/" + doc + "/transmissions", keyA);
        EXPECT_EQ(r.status, 200) << r.body;
        auto items = r.json()->getArray("transmissions");
        for (unsigned i = 0; items && i < items->size(); ++i)
            if (items->getObject(i)->getValue<std::string>("id") == trn) return items->getObject(i)->getObject("push");
        return nullptr;
    }
    void expectAuditVerifies() {
        auto verify = run({PASSERELLE_BINARY, "audit", "verify", "--db", db->url(), "--data-dir", db->dir() + "/var"});
        EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
    }
    std::unique_ptr<service::DeliveryLoop> loop() {
        return std::make_unique<service::DeliveryLoop>(store, store, std::make_shared<delivery::HttpSender>(5),
                                                       repoCatalog().forms);
    }
};

TEST_P(QueuedPush, APushQueuedBeforeAWithdrawalIsNeverDelivered) {
    std::string orgSiao;
    const std::string keySiao = createOrgWithKey(*store, "SIAO 22", "siao", &orgSiao);
    auto made = run({PASSERELLE_BINARY, "admin", "set-partnership-siao", "ADALEA", "Côtes d'Armor Habitat", "SIAO 22",
                     "--db", db->url()});
    ASSERT_EQ(made.exitCode, 0) << made.out << made.err;
    WebhookReceiver rx, rxSiao;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keySiao, R"({"url":")" + rxSiao.url() + R"("})").status, 200);

    // Delivered while the consent holds: the control case.
    Sent kept = queue("ADA-W-0", R"("copieSiao":true)");
    auto l = loop();
    ASSERT_EQ(l->runOnce(epochMsNow() + 1000).value(), 2);
    EXPECT_EQ(rx.requests(), 1u);
    EXPECT_EQ(rxSiao.requests(), 1u);

    // Queued (landlord and SIAO copy), then withdrawn before the worker's pass.
    Sent s = queue("ADA-W-1", R"("copieSiao":true)");
    std::string siaoTrn, siaoMsg;
    {
        storage::TransmissionQuery q;
        q.copyOf = s.trn;
        q.allowedOnly = true;
        auto copies = store->listTransmissions(q); // kept alive while iterating its value
        ASSERT_TRUE(copies.isOk());
        for (const auto& t : copies.value().items)
            if (t.recipientOrgId == orgSiao) siaoTrn = t.id;
        ASSERT_FALSE(siaoTrn.empty());
        siaoMsg = store->listOutbox(siaoTrn).value().front().id;
    }
    ASSERT_EQ(call("POST", "/v1/consents/" + s.consent + "/withdraw", keyA).status, 200);
    EXPECT_EQ(l->runOnce(epochMsNow() + 1000).value(), 0);
    EXPECT_EQ(l->runOnce(epochMsNow() + 3600 * 1000).value(), 0) << "cancelled for good: never claimed again";
    EXPECT_EQ(rx.requests(), 1u) << "the landlord got nothing after the withdrawal";
    EXPECT_EQ(rxSiao.requests(), 1u) << "the SIAO got nothing after the withdrawal";

    auto push = pushOf(s.doc, s.trn);
    ASSERT_TRUE(push);
    EXPECT_EQ(push->getValue<std::string>("status"), "cancelled");
    EXPECT_EQ(push->getValue<std::string>("cancelReason"), "withdrawn");
    EXPECT_TRUE(push->has("cancelledAt"));
    auto siaoStatus = store->findOutboxMessage(siaoMsg);
    ASSERT_TRUE(siaoStatus.isOk());
    EXPECT_TRUE(siaoStatus.value().cancelled);
    EXPECT_FALSE(siaoStatus.value().delivered);
    EXPECT_EQ(siaoStatus.value().cancelReason, "withdrawn");
    // Audited once per message, identifiers only.
    std::set<std::string> cancelled;
    for (const auto& e : auditEntries())
        if (e.event == "delivery.cancelled") {
            cancelled.insert(e.subject);
            EXPECT_NE(e.details.find(R"("reason":"withdrawn")"), std::string::npos) << e.details;
            EXPECT_NE(e.details.find(s.consent), std::string::npos) << e.details;
        }
    EXPECT_EQ(cancelled, (std::set<std::string>{s.msg, siaoMsg}));
    EXPECT_EQ(countEvents("delivery.cancelled"), 2u);

    // The copy the landlord holds stays readable, marked withdrawn (JSON list and item).
    auto one = call("GET", "/v1/received/" + s.trn, keyBailleur);
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_FALSE(one.json()->isNull("consentWithdrawnAt")) << one.body;
    auto list = call("GET", "/v1/received", keyBailleur);
    EXPECT_NE(list.body.find("consentWithdrawnAt"), std::string::npos);
    auto keptOne = call("GET", "/v1/received/" + kept.trn, keyBailleur);
    EXPECT_TRUE(keptOne.json()->isNull("consentWithdrawnAt")) << keptOne.body;
    expectAuditVerifies();

    // The journal and the base must agree: a cancellation erased from the base is found.
    db->execute("UPDATE outbox SET cancelled_at = NULL, cancel_reason = '' WHERE id = '" + s.msg + "'");
    auto broken = run({PASSERELLE_BINARY, "audit", "verify", "--db", db->url(), "--data-dir", db->dir() + "/var"});
    EXPECT_NE(broken.exitCode, 0) << broken.out;
    EXPECT_NE((broken.out + broken.err).find(s.msg), std::string::npos) << broken.out << broken.err;
}

TEST_P(QueuedPush, APushQueuedUnderAConsentThatExpiresMeanwhileIsCancelled) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    const std::int64_t nowS = epochMsNow() / 1000;
    Sent s = queue("ADA-E-1", R"("expiresAt":")" + isoAt(nowS + 2 * 86400) + R"(")");
    auto l = loop();
    // The receiver is down until after the expiry: the first attempt fails, the retry comes too late.
    rx.answer(503);
    EXPECT_EQ(l->runOnce(epochMsNow() + 1000).value(), 0);
    EXPECT_EQ(rx.requests(), 1u);
    rx.answer(200);
    EXPECT_EQ(l->runOnce((nowS + 3 * 86400) * 1000).value(), 0);
    EXPECT_EQ(rx.hitsFor(s.trn, 200).size(), 0u) << "never delivered after the consent expired";
    EXPECT_EQ(rx.requests(), 1u);
    auto push = pushOf(s.doc, s.trn);
    ASSERT_TRUE(push);
    EXPECT_EQ(push->getValue<std::string>("status"), "cancelled");
    EXPECT_EQ(push->getValue<std::string>("cancelReason"), "expired");
    EXPECT_EQ(countEvents("delivery.cancelled"), 1u);
    expectAuditVerifies();
}

TEST_P(QueuedPush, APushQueuedUnderASupersededConsentIsCancelledAndTheNewOneDelivered) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    Sent s = queue("ADA-S-1");
    // A new record supersedes the consent (a narrower scope) before the worker's pass.
    std::string narrower = consentBody(orgBailleur, {"fiche-navette"}, {"logement"}, IN_PERSON);
    narrower = narrower.substr(0, narrower.size() - 1) + R"(,"supersedes":")" + s.consent + R"("})";
    auto next = call("POST", "/v1/dossiers/" + s.dossier + "/consents", keyA, narrower);
    ASSERT_EQ(next.status, 201) << next.body;
    auto l = loop();
    EXPECT_EQ(l->runOnce(epochMsNow() + 1000).value(), 0);
    EXPECT_EQ(rx.requests(), 0u);
    auto push = pushOf(s.doc, s.trn);
    ASSERT_TRUE(push);
    EXPECT_EQ(push->getValue<std::string>("status"), "cancelled");
    EXPECT_EQ(push->getValue<std::string>("cancelReason"), "superseded");
    // A refusal recorded after a transmission cancels its push as well.
    Sent r = queue("ADA-S-2");
    Object::Ptr refusal = parse(consentBody(orgBailleur, {"fiche-navette"}, {"logement"}, IN_PERSON));
    refusal->set("kind", "refusal");
    ASSERT_EQ(call("POST", "/v1/dossiers/" + r.dossier + "/consents", keyA, str(refusal)).status, 201);
    // A transmission made under the new consent goes.
    auto again = call("POST", "/v1/documents/" + s.doc + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(l->runOnce(epochMsNow() + 2000).value(), 1);
    EXPECT_EQ(rx.requests(), 1u);
    EXPECT_EQ(rx.hitsFor(again.json()->getValue<std::string>("id"), 200).size(), 1u);
    EXPECT_EQ(pushOf(r.doc, r.trn)->getValue<std::string>("cancelReason"), "superseded");
    EXPECT_EQ(countEvents("delivery.cancelled"), 2u);
    expectAuditVerifies();
}

// Issue 11, item 8: the URL current at delivery time is used, not the one copied at enqueue;
// the API and the CLI refuse an internal or plain-http target (422 naming "url").
TEST_P(QueuedPush, TheWebhookUrlCurrentAtDeliveryIsUsedAndInternalTargetsAreRefused) {
    WebhookReceiver before, after;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + before.url() + R"("})").status, 200);
    Sent s = queue("ADA-U-1");
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + after.url() + R"("})").status, 200);
    auto l = loop();
    EXPECT_EQ(l->runOnce(epochMsNow() + 1000).value(), 1);
    EXPECT_EQ(before.requests(), 0u) << "the old URL gets nothing";
    EXPECT_EQ(after.hitsFor(s.trn, 200).size(), 1u);

    for (const std::string url : {"http://10.0.0.5/passerelle", "https://10.0.0.5/passerelle", "https://169.254.169.254/",
                                  "https://[::1]/p", "https://[fc00::1]/p", "http://hooks.bailleur.example/p"}) {
        auto bad = call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + url + R"("})");
        EXPECT_EQ(bad.status, 422) << url << " " << bad.body;
        EXPECT_EQ(bad.error(), "bad_webhook_url");
        auto details = bad.json()->getArray("details");
        ASSERT_TRUE(details && details->size() == 1u) << bad.body;
        EXPECT_EQ(details->getObject(0)->getValue<std::string>("path"), "/url");
        EXPECT_NE(bad.body.find("Adresse de webhook invalide"), std::string::npos) << bad.body;
    }
    EXPECT_EQ(store->findWebhook(orgBailleur).value().url, after.url()) << "nothing half-written";
    auto cli = run({PASSERELLE_BINARY, "admin", "set-webhook", "Côtes d'Armor Habitat", "https://192.168.1.20/hook", "--db", db->url()});
    EXPECT_NE(cli.exitCode, 0) << cli.out;
    EXPECT_NE(cli.err.find("adresse interne"), std::string::npos) << cli.err;
    EXPECT_EQ(store->findWebhook(orgBailleur).value().url, after.url());
}

// Property-style: generated dossiers with random scopes and expiries; withdrawals,
// supersessions and refusals while their pushes wait (the receiver failing some
// attempts so that they wait longer), passes at random later times. After every pass,
// each push is delivered only if its consent was valid at that pass (independent
// oracle), cancelled with the reason the oracle expects otherwise, or still pending
// after a failed attempt under a valid consent; at the end none is left pending.
TEST_P(QueuedPush, NoDeliveryWithoutAValidConsentAtDeliveryTime) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    const int kDossiers = GetParam() == "sqlite" ? 200 : 80;
    std::mt19937 rng(20261202);
    const std::vector<std::string> cats = {"identite", "administratif", "budget", "dette", "accompagnement", "partenaire"};
    const std::int64_t t0 = epochMsNow() / 1000;
    struct Case {
        Sent sent;
        std::int64_t expiresAt = 0; // epoch seconds
        std::string expected;       // "" while valid; else the cancel reason the oracle expects
        bool done = false;
    };
    std::vector<Case> cases;
    for (int n = 0; n < kDossiers; ++n) {
        Case c;
        std::set<std::string> scope = {"logement"};
        for (const auto& x : cats)
            if (rng() % 2) scope.insert(x);
        c.expiresAt = t0 + 3600 * (2 + static_cast<std::int64_t>(rng() % 120)); // 2 h to 5 days
        c.sent.dossier = newDossier(keyA, "PROP-" + std::to_string(n));
        c.sent.doc = newDocument(keyA, "fiche-navette", c.sent.dossier,
                                 readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json"));
        std::string body = consentBody(orgBailleur, {"fiche-navette"}, scope, IN_PERSON);
        body = body.substr(0, body.size() - 1) + R"(,"expiresAt":")" + isoAt(c.expiresAt) + R"("})";
        auto cr = call("POST", "/v1/dossiers/" + c.sent.dossier + "/consents", keyA, body);
        ASSERT_EQ(cr.status, 201) << cr.body;
        c.sent.consent = cr.json()->getValue<std::string>("id");
        auto t = call("POST", "/v1/documents/" + c.sent.doc + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
        ASSERT_EQ(t.status, 201) << t.body;
        c.sent.trn = t.json()->getValue<std::string>("id");
        c.sent.msg = store->listOutbox(c.sent.trn).value().front().id;
        cases.push_back(c);
    }
    auto l = loop();
    std::map<std::string, int> events;
    int delivered = 0, cancelled = 0, wrong = 0;
    std::int64_t when = t0;
    const int kPasses = 5;
    for (int pass = 0; pass < kPasses; ++pass) {
        const bool last = pass == kPasses - 1;
        for (auto& c : cases) {
            if (c.done || !c.expected.empty() || last) continue;
            const unsigned roll = rng() % 12;
            if (roll == 0) {
                ASSERT_EQ(call("POST", "/v1/consents/" + c.sent.consent + "/withdraw", keyA).status, 200);
                c.expected = "withdrawn", ++events["withdrawn"];
            } else if (roll == 1) {
                std::string b = consentBody(orgBailleur, {"fiche-navette"}, {"logement"}, IN_PERSON);
                b = b.substr(0, b.size() - 1) + R"(,"supersedes":")" + c.sent.consent + R"("})";
                ASSERT_EQ(call("POST", "/v1/dossiers/" + c.sent.dossier + "/consents", keyA, b).status, 201);
                c.expected = "superseded", ++events["superseded"];
            } else if (roll == 2) {
                Object::Ptr refusal = parse(consentBody(orgBailleur, {"fiche-navette"}, {"logement"}, IN_PERSON));
                refusal->set("kind", "refusal");
                ASSERT_EQ(call("POST", "/v1/dossiers/" + c.sent.dossier + "/consents", keyA, str(refusal)).status, 201);
                c.expected = "superseded", ++events["refused"];
            }
        }
        when += 3600 * (1 + static_cast<std::int64_t>(rng() % 36));
        for (auto& c : cases)
            if (!c.done && c.expected.empty() && when >= c.expiresAt) c.expected = "expired", ++events["expired"];
        rx.failNext(last ? 0 : static_cast<int>(rng() % 8));
        // Batches of 20: drain every due message at this instant (a failed one is next due 5 s later).
        for (std::size_t i = 0; i < cases.size() / 20 + 3; ++i) ASSERT_TRUE(l->runOnce(when * 1000).isOk());
        for (auto& c : cases) {
            if (c.done) continue;
            auto st = store->findOutboxMessage(c.sent.msg);
            ASSERT_TRUE(st.isOk());
            if (st.value().delivered) {
                c.done = true, ++delivered;
                if (!c.expected.empty()) {
                    ++wrong;
                    ADD_FAILURE() << c.sent.trn << " delivered at pass " << pass << " although " << c.expected;
                }
            } else if (st.value().cancelled) {
                c.done = true, ++cancelled;
                if (st.value().cancelReason != c.expected) {
                    ++wrong;
                    ADD_FAILURE() << c.sent.trn << " cancelled as " << st.value().cancelReason << ", expected « "
                                  << c.expected << " » at pass " << pass;
                }
            } else if (!c.expected.empty() || last) {
                ++wrong;
                ADD_FAILURE() << c.sent.trn << " still pending at pass " << pass << " (expected " << c.expected << ")";
            }
        }
    }
    // The receiver's side: no accepted request for a push whose consent had stopped.
    std::map<std::string, const Case*> byTrn;
    for (const auto& c : cases) byTrn[c.sent.trn] = &c;
    for (const auto& h : rx.hits())
        if (h.answered == 200 && byTrn.count(h.transmission) && !store->findOutboxMessage(byTrn[h.transmission]->sent.msg).value().delivered)
            ADD_FAILURE() << "accepted but not a delivered push: " << h.transmission;
    EXPECT_EQ(rx.bodies().size(), static_cast<std::size_t>(delivered));
    EXPECT_EQ(wrong, 0);
    EXPECT_GT(delivered, 0);
    EXPECT_GT(cancelled, 0);
    EXPECT_EQ(delivered + cancelled, static_cast<int>(cases.size()));
    std::cout << "[ property ] " << cases.size() << " pushes over " << kPasses << " passes: " << delivered << " delivered, "
              << cancelled << " cancelled (withdrawn " << events["withdrawn"] << ", superseded " << events["superseded"]
              << ", refused " << events["refused"] << ", expired " << events["expired"] << "); " << wrong
              << " delivered without a valid consent or wrongly cancelled" << std::endl;
    expectAuditVerifies();
}

// ---------------------------------------------------------------------------
// Lease → send → record (delivery/Outbox.h): the HTTP send holds no transaction.

// Sends through HttpSender and says when its send has returned.
struct WatchedSender : delivery::Sender {
    explicit WatchedSender(int timeoutSeconds) : inner(timeoutSeconds) {}
    delivery::SendResult send(const delivery::OutboxMessage& m) override {
        auto r = inner.send(m);
        returned = true;
        return r;
    }
    delivery::HttpSender inner;
    std::atomic<bool> returned{false};
};

// A receiver that hangs (held until the test releases it) while the worker sends: recording a
// consent on another dossier and withdrawing the consent of the push being sent both complete
// before the send has returned. With the send inside the delivery transaction (the old code),
// both waited for it, i.e. for the sender's timeout: `returned` was then true. The push, already
// past the gate, fails: it is cancelled as withdrawn, not retried.
TEST_P(QueuedPush, AHangingReceiverDoesNotHoldOtherWritesAndAWithdrawalDuringTheSendCancelsItsRetry) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    Sent s = queue("ADA-H-1");
    const std::string other = newDossier(keyA, "ADA-H-2");
    auto sender = std::make_shared<WatchedSender>(/*timeoutSeconds=*/4);
    service::DeliveryLoop l(store, store, sender, repoCatalog().forms);
    rx.hold();
    rx.answer(503);
    std::thread worker([&] { EXPECT_TRUE(l.runOnce(epochMsNow() + 1000).isOk()); });
    ASSERT_TRUE(rx.waitHeld(1)) << "the push reached the receiver";
    auto c = call("POST", "/v1/dossiers/" + other + "/consents", keyA,
                  consentBody(orgBailleur, {"fiche-navette"}, {"logement"}, IN_PERSON));
    EXPECT_EQ(c.status, 201) << c.body;
    EXPECT_FALSE(sender->returned.load()) << "recording a consent waited for the hanging send";
    auto w = call("POST", "/v1/consents/" + s.consent + "/withdraw", keyA);
    EXPECT_EQ(w.status, 200) << w.body;
    EXPECT_FALSE(sender->returned.load()) << "the withdrawal waited for the hanging send";
    auto during = store->findOutboxMessage(s.msg);
    ASSERT_TRUE(during.isOk());
    EXPECT_FALSE(during.value().cancelled) << "being sent (leased): left to its worker";
    rx.release();
    worker.join();
    EXPECT_TRUE(sender->returned.load());
    EXPECT_EQ(rx.requests(), 1u);
    auto after = store->findOutboxMessage(s.msg);
    ASSERT_TRUE(after.isOk());
    EXPECT_TRUE(after.value().cancelled) << "the failed send is not retried after the withdrawal";
    EXPECT_EQ(after.value().cancelReason, "withdrawn");
    EXPECT_FALSE(after.value().delivered);
    EXPECT_EQ(l.runOnce(epochMsNow() + 3600 * 1000).value(), 0);
    EXPECT_EQ(rx.requests(), 1u);
    EXPECT_EQ(countEvents("delivery.cancelled"), 1u);
    expectAuditVerifies();
}

// The same while the receiver accepts: the push past the gate when the withdrawal came arrives and is
// recorded as delivered (the window of docs/consent.md, « La fenêtre »), nothing is sent afterwards.
TEST_P(QueuedPush, APushAlreadyLeasedWhenTheConsentIsWithdrawnIsRecordedAsDelivered) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    Sent s = queue("ADA-H-3");
    auto sender = std::make_shared<WatchedSender>(/*timeoutSeconds=*/4);
    service::DeliveryLoop l(store, store, sender, repoCatalog().forms);
    rx.hold();
    std::thread worker([&] { EXPECT_EQ(l.runOnce(epochMsNow() + 1000).value(), 1); });
    ASSERT_TRUE(rx.waitHeld(1));
    EXPECT_EQ(call("POST", "/v1/consents/" + s.consent + "/withdraw", keyA).status, 200);
    EXPECT_FALSE(sender->returned.load());
    rx.release();
    worker.join();
    auto st = store->findOutboxMessage(s.msg);
    ASSERT_TRUE(st.isOk());
    EXPECT_TRUE(st.value().delivered);
    EXPECT_FALSE(st.value().cancelled);
    EXPECT_EQ(countEvents("delivery.delivered"), 1u);
    EXPECT_EQ(countEvents("delivery.cancelled"), 0u);
    expectAuditVerifies();
}

// A withdrawal cancels the consent's queued pushes in its own transaction — a retry waiting after a
// failed attempt and a first attempt not made yet (the landlord's and the SIAO copy's) — without
// waiting for a worker's pass. Before, they were cancelled only when next attempted.
TEST_P(QueuedPush, AWithdrawalCancelsQueuedRetriesAtOnce) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    Sent failed = queue("ADA-Q-1");
    auto l = loop();
    rx.answer(503);
    EXPECT_EQ(l->runOnce(epochMsNow() + 1000).value(), 0);
    EXPECT_EQ(rx.requests(), 1u);
    auto retry = store->findOutboxMessage(failed.msg);
    ASSERT_TRUE(retry.isOk());
    ASSERT_FALSE(retry.value().cancelled);
    ASSERT_EQ(retry.value().attempts, 1);
    // A second push of the same consent, never attempted; and one of another dossier's consent.
    auto again = call("POST", "/v1/documents/" + failed.doc + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
    ASSERT_EQ(again.status, 201) << again.body;
    const std::string secondMsg = store->listOutbox(again.json()->getValue<std::string>("id")).value().front().id;
    Sent unrelated = queue("ADA-Q-2");

    ASSERT_EQ(call("POST", "/v1/consents/" + failed.consent + "/withdraw", keyA).status, 200);
    for (const auto& id : {failed.msg, secondMsg}) {
        auto st = store->findOutboxMessage(id);
        ASSERT_TRUE(st.isOk());
        EXPECT_TRUE(st.value().cancelled) << id << ": cancelled by the withdrawal itself";
        EXPECT_EQ(st.value().cancelReason, "withdrawn") << id;
    }
    EXPECT_FALSE(store->findOutboxMessage(unrelated.msg).value().cancelled) << "another consent's push stays queued";
    std::set<std::string> cancelled;
    for (const auto& e : auditEntries())
        if (e.event == "delivery.cancelled") {
            cancelled.insert(e.subject);
            EXPECT_NE(e.details.find(R"("reason":"withdrawn")"), std::string::npos) << e.details;
            EXPECT_NE(e.details.find(failed.consent), std::string::npos) << e.details;
            EXPECT_NE(e.details.find(failed.trn.substr(0, 4)), std::string::npos) << e.details;
        }
    EXPECT_EQ(cancelled, (std::set<std::string>{failed.msg, secondMsg}));
    EXPECT_EQ(pushOf(failed.doc, failed.trn)->getValue<std::string>("status"), "cancelled");
    rx.answer(200);
    EXPECT_EQ(l->runOnce(epochMsNow() + 3600 * 1000).value(), 1) << "only the unrelated push goes";
    EXPECT_EQ(rx.hitsFor(unrelated.trn, 200).size(), 1u);
    EXPECT_EQ(rx.hitsFor(failed.trn, 200).size(), 0u);
    expectAuditVerifies();
}

// Forwards to the real store but "crashes" (fails) when recording the outcome of a guarded send.
struct CrashingRecord : delivery::OutboxStore {
    explicit CrashingRecord(storage::PocoStore& s) : inner(s) {}
    storage::PocoStore& inner;
    Result<std::vector<delivery::OutboxMessage>> claimDue(std::int64_t now, int max, std::int64_t lease) override {
        return inner.claimDue(now, max, lease);
    }
    Status markDelivered(const std::string& id, std::int64_t at, int status) override { return inner.markDelivered(id, at, status); }
    Status markFailed(const std::string& id, int a, std::int64_t n, bool d, const std::string& e) override {
        return inner.markFailed(id, a, n, d, e);
    }
    Result<std::vector<delivery::OutboxMessage>> listDue(std::int64_t now, int max) override { return inner.listDue(now, max); }
    Result<delivery::Leased> leaseForSend(const delivery::OutboxMessage& m, const std::string& owner, std::int64_t now,
                                          std::int64_t lease, const delivery::RetryPolicy& p,
                                          const delivery::Guard& g) override {
        return inner.leaseForSend(m, owner, now, lease, p, g);
    }
    Result<bool> recordOutcome(const delivery::OutboxMessage&, const std::string&, std::int64_t, const delivery::RetryPolicy&,
                               const delivery::SendResult&) override {
        return Status::internal("crash", "process died after sending");
    }
};

// A worker that leased and sent a push, then died before recording it: its lease keeps every other
// instance off until it expires; then the push is sent once more (same idempotency key) and recorded,
// and the dead worker's late record is refused (the lease is no longer its own).
TEST_P(QueuedPush, AnExpiredLeaseIsSentOnceMoreAndOnlyItsHolderRecords) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    Sent s = queue("ADA-L-1");
    const std::int64_t now = epochMsNow() + 1000, lease = 60000;
    CrashingRecord crashing(*store);
    delivery::HttpSender sender(5);
    delivery::OutboxWorker dying(crashing, sender);
    dying.setGuard([&](const delivery::OutboxMessage& current, std::int64_t nowMs) {
        return service::recheckDelivery(*store, *repoCatalog().forms, current, nowMs / 1000);
    });
    EXPECT_FALSE(dying.runOnce(now, 20, lease).isOk());
    EXPECT_EQ(rx.requests(), 1u);
    EXPECT_FALSE(store->findOutboxMessage(s.msg).value().delivered);

    auto restarted = db->open();
    service::DeliveryLoop other(restarted, restarted, std::make_shared<delivery::HttpSender>(5), repoCatalog().forms);
    EXPECT_EQ(other.runOnce(now + 1000).value(), 0);
    EXPECT_EQ(rx.requests(), 1u) << "leased: not sent again while the lease runs";
    EXPECT_EQ(other.runOnce(now + lease + 1).value(), 1);
    EXPECT_EQ(rx.requests(), 2u) << "re-sent once the lease expired";
    EXPECT_EQ(other.runOnce(now + 10 * lease).value(), 0);
    EXPECT_EQ(rx.requests(), 2u) << "and only once";
    EXPECT_EQ(rx.keys(), (std::vector<std::string>{s.msg, s.msg})) << "the same idempotency key";
    delivery::OutboxMessage m;
    m.id = s.msg;
    m.transmissionId = s.trn;
    auto late = store->recordOutcome(m, dying.owner(), now + 10 * lease, {}, delivery::SendResult{true, 200, "", false});
    ASSERT_TRUE(late.isOk());
    EXPECT_FALSE(late.value()) << "the dead worker's lease is gone: its record is refused";
    auto st = store->findOutboxMessage(s.msg).value();
    EXPECT_TRUE(st.delivered);
    EXPECT_EQ(st.attempts, 1) << "recorded once, by the lease's holder";
    EXPECT_EQ(countEvents("delivery.delivered"), 1u);
}

// Two stores (two service instances) on one database, their workers passing at the same instant over
// the same due pushes: each push is sent exactly once (PostgreSQL: FOR UPDATE SKIP LOCKED and the
// lease; SQLite: the write lock).
TEST_P(QueuedPush, TwoInstancesNeverSendOnePushTwice) {
    WebhookReceiver rx;
    ASSERT_EQ(call("PUT", "/v1/me/webhook", keyBailleur, R"({"url":")" + rx.url() + R"("})").status, 200);
    const int kPushes = 24;
    std::vector<Sent> sent;
    for (int i = 0; i < kPushes; ++i) sent.push_back(queue("ADA-2I-" + std::to_string(i)));
    auto second = db->open();
    service::DeliveryLoop a(store, store, std::make_shared<delivery::HttpSender>(5), repoCatalog().forms);
    service::DeliveryLoop b(second, second, std::make_shared<delivery::HttpSender>(5), repoCatalog().forms);
    const std::int64_t now = epochMsNow() + 1000;
    std::atomic<int> delivered{0};
    auto pass = [&](service::DeliveryLoop* l) {
        for (int i = 0; i < 4; ++i) {
            auto r = l->runOnce(now);
            EXPECT_TRUE(r.isOk()) << r.status().toString();
            if (r.isOk()) delivered += r.value();
        }
    };
    std::thread ta(pass, &a), tb(pass, &b);
    ta.join();
    tb.join();
    EXPECT_EQ(delivered.load(), kPushes);
    EXPECT_EQ(rx.requests(), static_cast<std::size_t>(kPushes)) << "no push sent twice";
    for (const auto& s : sent) {
        EXPECT_EQ(rx.hitsFor(s.trn, 200).size(), 1u) << s.trn;
        EXPECT_TRUE(store->findOutboxMessage(s.msg).value().delivered) << s.msg;
    }
    EXPECT_EQ(countEvents("delivery.delivered"), static_cast<std::size_t>(kPushes));
}

INSTANTIATE_TEST_SUITE_P(Backends, QueuedPush, ::testing::ValuesIn(storeBackends()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return backendName(i.param); });

// ---------------------------------------------------------------------------
// Issue 11 item 6: the rules of a consent record, each breach refused with its field.

namespace {
// The paths named by an error body's details.
std::set<std::string> errorPaths(const HttpResult& r) {
    std::set<std::string> out;
    auto o = r.json();
    auto d = o ? o->getArray("details") : nullptr;
    for (unsigned i = 0; d && i < d->size(); ++i) out.insert(d->getObject(i)->getValue<std::string>("path") + ":" +
                                                              d->getObject(i)->getValue<std::string>("rule"));
    return out;
}
} // namespace

TEST_P(TransmissionTest, ConsentRecordRulesRefuseEachBreachNamingTheField) {
    const std::string dossier = newDossier(keyA, "ADA-REGLES");
    const std::string path = "/v1/dossiers/" + dossier + "/consents";
    auto body = [&] { return parse(consentBody(orgBailleur, {"fiche-navette"}, {"logement", "composition"}, IN_PERSON)); };
    auto refused = [&](const Object::Ptr& b, const std::string& expected) {
        auto r = call("POST", path, keyA, str(b));
        EXPECT_EQ(r.status, 400) << expected << " " << r.body;
        EXPECT_EQ(r.error(), "consent_record_invalid") << r.body;
        EXPECT_TRUE(errorPaths(r).count(expected)) << expected << " " << r.body;
        return r;
    };
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));

    // givenAt: more than 24 h before its recording is refused; within the window it is accepted.
    auto old = body();
    old->set("givenAt", consent::Instant{now - 2 * 86400}.iso());
    auto tooOld = refused(old, "/givenAt:too_old");
    EXPECT_NE(tooOld.body.find("24 h"), std::string::npos) << tooOld.body;
    auto future = body();
    future->set("givenAt", consent::Instant{now + 3600}.iso());
    refused(future, "/givenAt:future");
    // A later entry needs a paper autorisation with its scan: not in person.
    auto late = body();
    late->set("givenAt", consent::Instant{now - 2 * 86400}.iso());
    late->getObject("how")->set("lateEntry", true);
    refused(late, "/how/lateEntry:late_entry_without_scan");
    // Expiry: at most one year, and at most the end of the measure.
    auto long1 = body();
    long1->set("expiresAt", consent::Instant{now + 400 * 86400}.iso());
    auto tooLong = refused(long1, "/expiresAt:too_long");
    EXPECT_NE(tooLong.body.find("un an au plus"), std::string::npos) << tooLong.body;
    auto pastMeasure = body();
    pastMeasure->set("measureEnd", Date::fromDays(static_cast<long>(now / 86400) + 30).iso());
    pastMeasure->set("expiresAt", consent::Instant{now + 90 * 86400}.iso());
    refused(pastMeasure, "/expiresAt:too_long");
    // Purpose required.
    auto noPurpose = body();
    noPurpose->remove("purpose");
    refused(noPurpose, "/purpose:required");
    // Categories that never go: refused in a scope, each named.
    for (const char* never : {"sante", "famille", "emploi", "justice"}) {
        auto b = parse(consentBody(orgBailleur, {"fiche-navette"}, {"logement", never}, IN_PERSON));
        auto r = refused(b, "/scope/categories:not_housing");
        EXPECT_NE(r.body.find(forms::categoryLabel(never)), std::string::npos) << never << r.body;
    }
    // The giver: a member of the household named in the dossier, or its legal representative.
    auto stranger = body();
    stranger->getObject("givenBy")->set("name", "Jean Inconnu");
    refused(stranger, "/givenBy/name:not_household_member");
    auto notRepresentative = body();
    notRepresentative->getObject("givenBy")->set("capacity", "legal_representative");
    refused(notRepresentative, "/givenBy/name:not_household_member");
    const std::string tutelle = created(call("POST", "/v1/dossiers", keyA,
                                             R"({"reference":"ADA-TUTELLE","menage":{"membres":[{"prenom":"Yannick","nom":"Le Gall"}],)"
                                             R"("representantsLegaux":[{"prenom":"Anne","nom":"Mandataire"}]}})"));
    auto representative = body();
    representative->getObject("givenBy")->set("name", "Anne Mandataire");
    representative->getObject("givenBy")->set("capacity", "legal_representative");
    EXPECT_EQ(call("POST", "/v1/dossiers/" + tutelle + "/consents", keyA, str(representative)).status, 201);
    // Names as people type them: case and accents do not count.
    auto typed = body();
    typed->getObject("givenBy")->set("name", "yannick  LE GALL");
    EXPECT_EQ(call("POST", "/v1/dossiers/" + tutelle + "/consents", keyA, str(typed)).status, 201);
    // A landlord without a partnership with the association.
    std::string orgLoner;
    createOrgWithKey(*store, "Habitat Sans Partenaire", "bailleur", &orgLoner);
    refused(parse(consentBody(orgLoner, {"fiche-navette"}, {"logement"}, IN_PERSON)), "/recipient:no_partnership");
    // In person, where the partnership does not accept it (the default).
    ASSERT_TRUE(store->setInPersonConsentAllowed(orgA, orgOther, false, {"partnership.in_person_consent", "system", orgOther, "{}"}).isOk());
    auto inPerson = refused(parse(consentBody(orgOther, {"fiche-navette"}, {"logement"}, IN_PERSON)), "/how/method:in_person_not_allowed");
    EXPECT_NE(inPerson.body.find("autorisation"), std::string::npos) << inPerson.body;

    // Nothing was stored by the refusals; the valid record goes through; a refusal needs no partnership rule.
    auto list = call("GET", path, keyA);
    EXPECT_EQ(list.json()->getArray("consents")->size(), 0u) << list.body;
    auto ok = call("POST", path, keyA, str(body()));
    EXPECT_EQ(ok.status, 201) << ok.body;
}

TEST_P(TransmissionTest, NothingGoesToALandlordWithoutAPartnershipAndTheRefusalIsAudited) {
    std::string orgLoner;
    const std::string keyLoner = createOrgWithKey(*store, "Habitat Sans Partenaire", "bailleur", &orgLoner);
    const std::string dossier = newDossier(keyA, "ADA-SANS-PART");
    const std::string doc = newDocument(keyA, "fiche-navette", dossier,
                                        readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json"));
    // A consent for that landlord, as an older version recorded it (the recording rules now refuse it).
    storage::StoredConsent c;
    c.id = storage::newId("cns_");
    c.dossierId = dossier;
    c.kind = "consent";
    c.givenByName = "Yannick Le Gall";
    c.givenByCapacity = "household_member";
    c.recipientOrgId = orgLoner;
    c.documentKinds = {"fiche-navette"};
    c.categories = {"logement", "identite", "partenaire", "dette", "accompagnement", "administratif"};
    c.purpose = "Essai.";
    c.givenAt = static_cast<std::int64_t>(std::time(nullptr)) - 60;
    c.expiresAt = c.givenAt + 86400 * 30;
    c.howMethod = "in_person";
    c.recordedBy = "Gwenaëlle Le Bihan";
    c.createdByOrganisationId = orgA;
    ASSERT_TRUE(store->recordConsent(c, {"consent.given", orgA, c.id, "{}"}).isOk());
    auto sent = call("POST", "/v1/documents/" + doc + "/transmit", keyA, R"({"to":")" + orgLoner + R"("})");
    EXPECT_EQ(sent.status, 403) << sent.body;
    EXPECT_EQ(sent.error(), "no_partnership") << sent.body;
    EXPECT_EQ(call("GET", "/v1/received", keyLoner).json()->getValue<int>("total"), 0);
    std::size_t refusedNoPartnership = 0;
    for (const auto& e : auditEntries())
        if (e.event == "transmission.refused" && e.details.find("no_partnership") != std::string::npos) ++refusedNoPartnership;
    EXPECT_EQ(refusedNoPartnership, 1u);
    // With a partnership, the same consent lets the document go.
    ASSERT_TRUE(store->createPartnership(orgA, orgLoner).isOk());
    EXPECT_EQ(call("POST", "/v1/documents/" + doc + "/transmit", keyA, R"({"to":")" + orgLoner + R"("})").status, 201);
}

TEST_P(TransmissionTest, SetPartnershipInPersonCommandTurnsTheSettingOnAndOff) {
    auto adminCli = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {PASSERELLE_BINARY, "admin"});
        args.insert(args.end(), {"--db", db->url()});
        return run(args);
    };
    ASSERT_EQ(adminCli({"set-partnership-in-person", "ADALEA", "Terre et Baie Habitat", "off"}).exitCode, 0);
    EXPECT_FALSE(store->inPersonConsentAllowed(orgA, orgOther).value());
    auto on = adminCli({"set-partnership-in-person", "ADALEA", "Terre et Baie Habitat", "on"});
    ASSERT_EQ(on.exitCode, 0) << on.err;
    EXPECT_NE(on.out.find("accepté"), std::string::npos) << on.out;
    EXPECT_TRUE(store->inPersonConsentAllowed(orgA, orgOther).value());
    EXPECT_NE(adminCli({"set-partnership-in-person", "ADALEA", "Terre et Baie Habitat", "oui"}).exitCode, 0);
    EXPECT_NE(adminCli({"set-partnership-in-person", "Ensemble", "Terre et Baie Habitat", "on"}).exitCode, 0) << "no partnership";
    EXPECT_FALSE(store->inPersonConsentAllowed(orgB, orgOther).value()) << "default: refused";
}

// ---------------------------------------------------------------------------
// Issue 11 items 3 and 11: the receipt names the controller, the SIAO, the rights and what
// was sent, and its « transmissible » / « never transmitted » lists are the gate's.

namespace {
// The text between `from` and the first of `ends` after it.
std::string between(const std::string& text, const std::string& from, const std::vector<std::string>& ends, std::size_t start = 0) {
    std::size_t a = text.find(from, start);
    if (a == std::string::npos) return "";
    a += from.size();
    std::size_t b = std::string::npos;
    for (const auto& e : ends) b = std::min(b, text.find(e, a));
    return text.substr(a, b == std::string::npos ? std::string::npos : b - a);
}
} // namespace

TEST_P(TransmissionTest, ReceiptListsAgreeWithTheGateAndNameControllerSiaoRightsAndWhatWasSent) {
    std::string orgSiao;
    createOrgWithKey(*store, "SIAO 22", "siao", &orgSiao);
    ASSERT_TRUE(store->setPartnershipSiao(orgA, orgBailleur, orgSiao).isOk());
    ASSERT_TRUE(store->setOrganisationContact(orgA, {"4 rue Léquyer, 22000 Saint-Brieuc", "02 96 00 58 41", "contact@adalea.example"},
                                              {"organisation.contact", "system", orgA, "{}"}).isOk());
    const std::string dossier = newDossier(keyA, "ADA-2026-0051");
    const std::string fiche = newDocument(keyA, "fiche-navette", dossier,
                                          readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json"));
    Object::Ptr c = parse(consentBody(orgBailleur, {"fiche-navette"},
                                      {"logement", "identite", "composition", "partenaire", "dette", "accompagnement"}, IN_PERSON));
    c->set("copieSiao", true);
    auto consentR = call("POST", "/v1/dossiers/" + dossier + "/consents", keyA, str(c));
    ASSERT_EQ(consentR.status, 201) << consentR.body;
    const std::string consentId = consentR.json()->getValue<std::string>("id");
    auto sent = call("POST", "/v1/documents/" + fiche + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
    ASSERT_EQ(sent.status, 201) << sent.body;
    const std::string trn = sent.json()->getValue<std::string>("id");

    auto receipt = call("GET", "/v1/dossiers/" + dossier + "/consents/receipt.pdf", keyA);
    ASSERT_EQ(receipt.status, 200) << receipt.body;
    const std::string text = normaliseSpaces(pdfToText(receipt.body));

    // The two lists of the accord, cut out of the text, against the gate's own table.
    const std::string mayGo = between(text, "Informations qui peuvent être transmises", {"Informations qui ne sont jamais"});
    const std::string never = between(text, "Informations qui ne sont jamais transmises au bailleur", {"Dans quel but", "Copie au SIAO"});
    ASSERT_FALSE(mayGo.empty()) << text;
    ASSERT_FALSE(never.empty()) << text;
    int transmissible = 0, neverSent = 0;
    for (const auto& rule : consent::categoryTable()) {
        const bool inMayGo = mayGo.find(rule.label) != std::string::npos;
        const bool inNever = never.find(rule.label) != std::string::npos;
        EXPECT_FALSE(inMayGo && inNever) << rule.code << " listed both as transmissible and as never transmitted\n" << text;
        if (!rule.transmissible) {
            EXPECT_TRUE(inNever) << rule.code << " never goes: the receipt must say so\n" << never;
            EXPECT_FALSE(inMayGo) << rule.code;
            ++neverSent;
        }
        if (inMayGo) {
            EXPECT_TRUE(rule.transmissible) << rule.code;
            ++transmissible;
        }
    }
    EXPECT_GE(transmissible, 5) << mayGo;
    EXPECT_EQ(neverSent, 4);
    EXPECT_NE(mayGo.find("Composition du ménage"), std::string::npos) << mayGo;
    EXPECT_NE(never.find("Vie familiale"), std::string::npos) << never;

    // Item 11: the controller with its contact, the SIAO, the rights, what was sent, to whom and when.
    for (const char* expected : {"Responsable du traitement", "ADALEA", "4 rue Léquyer, 22000 Saint-Brieuc", "02 96 00 58 41",
                                 "contact@adalea.example", "SIAO 22", "Accès et rectification", "Retrait", "CNIL", "www.cnil.fr",
                                 "Documents transmis", "Fiche navette", "copie à SIAO 22", "preuve plus faible",
                                 "Recueilli en personne par Gwenaëlle Le Bihan"})
        EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
    auto today = Date::parseIso(consent::Instant{static_cast<std::int64_t>(std::time(nullptr))}.iso().substr(0, 10));
    const std::string sentLine = between(text, "Documents transmis", {"Pour toute question"}, text.find("Vos accords"));
    EXPECT_NE(sentLine.find("Côtes d'Armor Habitat"), std::string::npos) << sentLine;
    EXPECT_TRUE(sentLine.find(today->french()) != std::string::npos || sentLine.find(today->addDays(1).french()) != std::string::npos)
        << sentLine;
    // No internal identifiers: dates and names only.
    for (const std::string& id : {dossier, fiche, consentId, trn, orgA, orgBailleur, std::string("cns_"), std::string("trn_"),
                                  std::string("dos_"), std::string("RECU-")})
        EXPECT_EQ(text.find(id), std::string::npos) << id << "\n" << text;

    // Without any transmission, the receipt says nothing was sent.
    const std::string other = newDossier(keyA, "ADA-2026-0052");
    ASSERT_EQ(call("POST", "/v1/dossiers/" + other + "/consents", keyA,
                   consentBody(orgBailleur, {"fiche-navette"}, {"logement"}, IN_PERSON)).status, 201);
    const std::string none = normaliseSpaces(pdfToText(call("GET", "/v1/dossiers/" + other + "/consents/receipt.pdf", keyA).body));
    EXPECT_NE(none.find("Aucun document vous concernant n’a été transmis"), std::string::npos) << none;
}

} // namespace
} // namespace passerelle::testing
