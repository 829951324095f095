// The service rules of the browser signing work (SQLite and PostgreSQL):
//  - personal single-use signing links: only where the partnership enables
//    them, the secret goes to the notifier only (the store keeps its hash),
//    one use, expiry, French refusals, household signatories only;
//  - the landlord's list of documents awaiting its signature;
//  - issue 11 item 4: a consent on a signed autorisation is derived from it;
//    before the signature it is no evidence; a contradicting request is refused
//    naming the field; a signed paper scan (PDF or image, hashed) is evidence;
//  - issue 11 item 5: the recipient copy shown before the household signs is
//    the gate's copy (« Information non transmise », nothing excluded in it)
//    and its hash is recorded with the consent.
#include <algorithm>
#include <functional>

#include <ctime>
#include <set>

#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include "api/ApiFixture.h"
#include "http/ConsentRoutes.h"
#include "http/SigningRoutes.h"
#include "consent/ConsentPolicy.h"
#include "service/AutorisationEvidence.h"
#include "sign/SignTestSupport.h"
#include "storage/ApiKeys.h"

namespace passerelle::testing {
namespace {

using Poco::JSON::Object;

// Records what would be sent.
struct RecordingNotifier : service::Notifier {
    std::vector<service::Notification> sent;
    void notify(const service::Notification& n) override { sent.push_back(n); }
};

Object::Ptr parse(const std::string& s) { return Poco::JSON::Parser().parse(s).extract<Object::Ptr>(); }

class SigningEvidenceTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
        auto k = sign::SealKey::development(seal.path());
        ASSERT_TRUE(k.isOk()) << k.status().toString();
        renderer = std::make_shared<const service::RenderService>(repoCatalog());
        auto dossiers = std::make_shared<const service::DossierService>(store, renderer);
        notifier = std::make_shared<RecordingNotifier>();
        service::SigningOptions options;
        options.notifier = notifier;
        options.linkLifetimeMinutes = 30;
        options.nowMs = [this] { return clockMs; };
        signing = std::make_shared<const service::SigningService>(dossiers, k.value(), options);
        transmissions = std::make_shared<const service::TransmissionService>(store, renderer);
        auto router = std::make_shared<http::Router>();
        http::addApiRoutes(*router, dossiers);
        http::addSigningRoutes(*router, signing);
        http::addConsentRoutes(*router, transmissions);
        http::ServerConfig config;
        config.port = 0;
        server = std::make_unique<http::Server>(config, router);
        server->start();
        keyA = createOrgWithKey(*store, "ADALEA", "association", &orgA);
        keyBailleur = createOrgWithKey(*store, "Terre et Baie Habitat", "bailleur", &orgBailleur);
        createOrgWithKey(*store, "Côtes d'Armor Habitat", "bailleur", &orgOther);
        ASSERT_TRUE(store->createPartnership(orgA, orgBailleur).isOk());
        ASSERT_TRUE(store->createPartnership(orgA, orgOther).isOk());
        assoc = {orgA, "ADALEA", "association", "", "", "usr_test", "Gwenaëlle Le Bihan", "membre"};
        dossier = created(call("POST", "/v1/dossiers", keyA, R"({"reference":"ADA-2026-0042","menage":{"membres":[{"prenom":"Yannick","nom":"Le Gall"}]}})"));
        clockMs = Poco::Timestamp().epochMicroseconds() / 1000;
    }
    void TearDown() override {
        if (server) server->stop();
    }
    HttpResult call(const std::string& method, const std::string& path, const std::string& k, const std::string& body = "") const {
        return httpCall(server->port(), method, path, k, body);
    }
    static std::string created(const HttpResult& r) {
        EXPECT_EQ(r.status, 201) << r.body;
        return r.status == 201 ? r.json()->getValue<std::string>("id") : "";
    }
    std::string newDocument(const std::string& form, const std::string& example,
                            const std::function<void(Object::Ptr&)>& edit = {}) {
        Object::Ptr data = readJson(sourceDir() + "/examples/" + example);
        if (edit) edit(data);
        Object::Ptr b = new Object;
        b->set("form", form);
        b->set("dossier", dossier);
        b->set("data", data);
        std::ostringstream out;
        b->stringify(out);
        return created(call("POST", "/v1/documents", keyA, out.str()));
    }
    Object::Ptr inPerson(int seed) {
        return parse(std::string(R"({"method":"in_person","witness":"Gwenaëlle Le Bihan","accepted":true,"image":")") +
                     signatureDataUrl(seed) + "\"}");
    }
    // The tripartite contract example, its signing started with "Terre et Baie Habitat" signing for the landlord.
    struct StartedContract {
        std::string doc;
        storage::SigningRecord record;
    };
    StartedContract startedContract() {
        StartedContract out{newDocument("contrat-objectifs", "contrat-objectifs-revision-bail-glissant.json"), {}};
        Object::Ptr body = new Object;
        body->set("bailleur", "Terre et Baie Habitat");
        auto started = signing->start(assoc, out.doc, body);
        EXPECT_TRUE(started.isOk()) << started.status().toString();
        if (started.isOk()) out.record = started.value().record;
        return out;
    }
    // The autorisation example names "Terre et Baie Habitat" and the grille.
    std::string newAutorisation() {
        return newDocument("autorisation-transmission", "autorisation-transmission-grille-cotes-darmor.json");
    }
    void signAll(const std::string& doc) {
        auto started = signing->start(assoc, doc, new Object);
        ASSERT_TRUE(started.isOk()) << started.status().toString();
        int seed = 1;
        for (const auto& s : started.value().record.signatories) {
            auto r = signing->sign(assoc, doc, s.id, inPerson(seed++), {"192.0.2.7", "test", ""});
            ASSERT_TRUE(r.isOk()) << r.status().toString();
        }
    }
    Result<service::ConsentView> consentFrom(const std::string& autorisation, const std::string& extra = "") {
        return transmissions->recordConsent(assoc, dossier,
                                            parse(R"({"how":{"method":"signed_autorisation","documentId":")" + autorisation +
                                                  "\"}" + extra + "}"));
    }
    std::vector<audit::AuditEntry> events(const std::string& name) {
        std::vector<audit::AuditEntry> out;
        auto all = store->listAudit();
        if (all.isOk())
            for (const auto& e : all.value())
                if (e.event == name) out.push_back(e);
        return out;
    }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    TempDir seal;
    std::shared_ptr<const service::RenderService> renderer;
    std::shared_ptr<RecordingNotifier> notifier;
    std::shared_ptr<const service::SigningService> signing;
    std::shared_ptr<const service::TransmissionService> transmissions;
    std::unique_ptr<http::Server> server;
    std::int64_t clockMs = 0;
    service::Caller assoc;
    std::string keyA, keyBailleur, orgA, orgBailleur, orgOther, dossier;
};

TEST_P(SigningEvidenceTest, SigningLinkIsPersonalSingleUseAndExpires) {
    const auto started = startedContract();
    const std::string& doc = started.doc;
    const auto sig = started.record.signatories;
    ASSERT_GE(sig.size(), 4u);
    const std::string first = sig[0].id, second = sig[1].id;

    // Links are off until the partnership enables them.
    auto off = signing->sendSigningLink(assoc, doc, first, "lan.nguyen@exemple.fr");
    ASSERT_FALSE(off.isOk());
    EXPECT_EQ(off.status().errorCode(), "links_disabled");
    EXPECT_NE(off.status().message().find("ne prévoit pas la signature par lien"), std::string::npos);
    EXPECT_TRUE(notifier->sent.empty());
    ASSERT_TRUE(signing->setLinksEnabled(orgA, orgBailleur, true).isOk());

    // A bad address names the field; the association's representative gets no link.
    auto bad = signing->sendSigningLink(assoc, doc, first, "pas-une-adresse");
    ASSERT_FALSE(bad.isOk());
    EXPECT_EQ(bad.status().details().at(0).path, "/email");
    auto assocLink = signing->sendSigningLink(assoc, doc, sig[2].id, "eric@exemple.fr");
    ASSERT_FALSE(assocLink.isOk());
    EXPECT_EQ(assocLink.status().errorCode(), "link_not_for_party");
    // Another organisation: as if the document did not exist.
    service::Caller other{orgBailleur, "Terre et Baie Habitat", "bailleur", "", "", "", "", ""};
    EXPECT_EQ(signing->sendSigningLink(other, doc, first, "a@b.fr").status().code(), Status::Code::NotFound);

    // Sent: the notifier gets the kind, the address and the path with the secret; the store only its hash.
    auto sent = signing->sendSigningLink(assoc, doc, first, " Lan.Nguyen@Exemple.fr ");
    ASSERT_TRUE(sent.isOk()) << sent.status().toString();
    ASSERT_EQ(notifier->sent.size(), 1u);
    const auto& n = notifier->sent.front();
    EXPECT_EQ(n.kind, "signing_link");
    EXPECT_EQ(n.email, "lan.nguyen@exemple.fr");
    EXPECT_EQ(n.documentKind, "contrat-objectifs");
    ASSERT_EQ(n.link.size(), std::string("/signature/").size() + 64) << n.link;
    const std::string secret = n.link.substr(std::string("/signature/").size());
    EXPECT_TRUE(store->findSigningLink(storage::sha256Hex(secret)).isOk());
    EXPECT_EQ(store->findSigningLink(secret).status().code(), Status::Code::NotFound) << "the secret itself is not stored";
    const auto audit1 = store->listAudit(); // keep the Result alive: value() is a reference into it
    ASSERT_TRUE(audit1.isOk());
    for (const auto& e : audit1.value()) {
        EXPECT_EQ(e.details.find(secret), std::string::npos) << e.event;
        EXPECT_EQ(e.details.find("exemple.fr"), std::string::npos) << "no address in the audit: " << e.event;
    }
    EXPECT_EQ(sent.value().expiresAtMs, clockMs + 30 * 60000);

    // Opened: the signing and the one signatory; the PDF of the revision being signed.
    auto open = signing->openLink(secret);
    ASSERT_TRUE(open.isOk()) << open.status().toString();
    EXPECT_EQ(open.value().signatory.id, first);
    auto pdf = signing->linkDocumentPdf(secret);
    ASSERT_TRUE(pdf.isOk());
    EXPECT_EQ(pdf.value().sha256, started.record.signing.revisionSha256);

    // A body without accepted is refused and does not spend the link.
    auto invalid = signing->signByLink(secret, parse(R"({"typedName":"Thị Lan Nguyễn"})"), {"198.51.100.4", "Firefox", ""});
    ASSERT_FALSE(invalid.isOk());
    EXPECT_EQ(invalid.status().details().at(0).path, "/accepted");
    EXPECT_TRUE(signing->openLink(secret).isOk());

    // Signed through the link: method "link", no witness; the link is spent.
    auto signed_ = signing->signByLink(secret, parse(R"({"accepted":true,"typedName":"Thị Lan Nguyễn"})"),
                                       {"198.51.100.4", "Firefox", ""});
    ASSERT_TRUE(signed_.isOk()) << signed_.status().toString();
    const auto& s0 = signed_.value().record.signatories[0];
    EXPECT_EQ(s0.state, "signe");
    EXPECT_EQ(s0.method, "link");
    EXPECT_EQ(s0.witness, "");
    EXPECT_EQ(s0.ip, "198.51.100.4");
    EXPECT_EQ(s0.typedName, "Thị Lan Nguyễn");
    auto reused = signing->signByLink(secret, parse(R"({"accepted":true,"typedName":"X"})"), {"203.0.113.9", "curl", ""});
    ASSERT_FALSE(reused.isOk());
    EXPECT_EQ(reused.status().errorCode(), "link_used");
    EXPECT_NE(reused.status().message().find("a déjà servi"), std::string::npos) << reused.status().message();
    EXPECT_EQ(signing->openLink(secret).status().errorCode(), "link_used");

    // Expired: a second member's link, past its lifetime.
    ASSERT_TRUE(signing->sendSigningLink(assoc, doc, second, "minh@exemple.fr").isOk());
    const std::string secret2 = notifier->sent.back().link.substr(std::string("/signature/").size());
    EXPECT_NE(secret2, secret);
    clockMs += 31 * 60000;
    auto expired = signing->signByLink(secret2, parse(R"({"accepted":true,"typedName":"Minh"})"), {"", "", ""});
    ASSERT_FALSE(expired.isOk());
    EXPECT_EQ(expired.status().errorCode(), "link_expired");
    EXPECT_NE(expired.status().message().find("a expiré"), std::string::npos);
    auto stillPending = signing->status(assoc, doc);
    ASSERT_TRUE(stillPending.isOk());
    EXPECT_EQ(stillPending.value().record.signatories[1].state, "en-attente") << "an expired link records nothing";
    // Unknown or malformed secrets.
    EXPECT_EQ(signing->openLink(std::string(64, 'a')).status().errorCode(), "link_not_found");
    EXPECT_EQ(signing->openLink("../../etc").status().errorCode(), "link_not_found");
    // The store's guard itself refuses a second use (no check in the service involved).
    storage::Signatory again = signed_.value().record.signatories[1];
    again.state = "signe";
    EXPECT_EQ(store->recordLinkSignature(storage::sha256Hex(secret), clockMs, again, {"x", "system", "", "{}"}).status().errorCode(),
              "link_used");
}

// A new link for the same signatory replaces the one still out, in the service and in the store's
// own guard; another signatory's link is left alone.
TEST_P(SigningEvidenceTest, ANewLinkReplacesTheOneStillOutForTheSameSignatory) {
    const auto started = startedContract();
    const std::string& doc = started.doc;
    const auto sig = started.record.signatories;
    ASSERT_GE(sig.size(), 2u);
    const std::string first = sig[0].id, second = sig[1].id, signingId = started.record.signing.id;
    ASSERT_TRUE(signing->setLinksEnabled(orgA, orgBailleur, true).isOk());
    auto secretOf = [&] { return notifier->sent.back().link.substr(std::string("/signature/").size()); };

    ASSERT_TRUE(signing->sendSigningLink(assoc, doc, first, "lan.nguyen@exemple.fr").isOk());
    const std::string old = secretOf();
    ASSERT_TRUE(signing->sendSigningLink(assoc, doc, second, "minh@exemple.fr").isOk());
    const std::string other = secretOf();
    clockMs += 60000;
    ASSERT_TRUE(signing->sendSigningLink(assoc, doc, first, "lan.nguyen@exemple.fr").isOk());
    const std::string latest = secretOf();

    auto replaced = signing->openLink(old);
    ASSERT_FALSE(replaced.isOk());
    EXPECT_EQ(replaced.status().errorCode(), "link_replaced");
    EXPECT_NE(replaced.status().message().find("remplacé par un lien plus récent"), std::string::npos);
    EXPECT_EQ(signing->signByLink(old, parse(R"({"accepted":true,"typedName":"X"})"), {"", "", ""}).status().errorCode(), "link_replaced");
    storage::Signatory s0 = sig[0];
    s0.state = "signe";
    EXPECT_EQ(store->recordLinkSignature(storage::sha256Hex(old), clockMs, s0, {"x", "system", "", "{}"}).status().errorCode(),
              "link_replaced")
        << "the store's guard refuses a replaced link by itself";
    EXPECT_TRUE(signing->openLink(other).isOk()) << "another signatory's link is not replaced";
    EXPECT_TRUE(signing->openLink(latest).isOk());

    auto open = signing->linksStillOpen(signingId);
    ASSERT_TRUE(open.isOk()) << open.status().toString();
    std::vector<std::string> hashes;
    for (const auto& l : open.value()) hashes.push_back(l.tokenHash);
    EXPECT_EQ(hashes, (std::vector<std::string>{storage::sha256Hex(other), storage::sha256Hex(latest)}));

    // Signing with the latest link spends it; the list no longer has it.
    ASSERT_TRUE(signing->signByLink(latest, parse(R"({"accepted":true,"typedName":"Thị Lan Nguyễn"})"), {"", "", ""}).isOk());
    open = signing->linksStillOpen(signingId);
    ASSERT_TRUE(open.isOk());
    ASSERT_EQ(open.value().size(), 1u);
    EXPECT_EQ(open.value().front().tokenHash, storage::sha256Hex(other));
}

TEST_P(SigningEvidenceTest, LandlordListsTheSigningsAwaitingItsSignature) {
    const std::string doc = newDocument("contrat-objectifs", "contrat-objectifs-revision-bail-glissant.json");
    service::Caller landlord{orgBailleur, "Terre et Baie Habitat", "bailleur", "", "", "usr_x", "Inès", "membre"};
    service::Caller otherLandlord{orgOther, "Côtes d'Armor Habitat", "bailleur", "", "", "usr_y", "Yves", "membre"};
    EXPECT_TRUE(signing->awaitingSignature(landlord).value().empty());
    Object::Ptr body = new Object;
    body->set("bailleur", "Terre et Baie Habitat");
    ASSERT_TRUE(signing->start(assoc, doc, body).isOk());
    auto mine = signing->awaitingSignature(landlord);
    ASSERT_TRUE(mine.isOk());
    ASSERT_EQ(mine.value().size(), 1u);
    EXPECT_EQ(mine.value()[0].record.signing.documentId, doc);
    EXPECT_TRUE(signing->awaitingSignature(otherLandlord).value().empty());
    EXPECT_TRUE(signing->awaitingSignature(assoc).value().empty());
}

TEST_P(SigningEvidenceTest, ConsentIsDerivedFromTheSignedAutorisationAndContradictionsAreRefused) {
    const std::string aut = newAutorisation();
    // Unsigned: not evidence.
    auto unsignedConsent = consentFrom(aut);
    ASSERT_FALSE(unsignedConsent.isOk());
    EXPECT_EQ(unsignedConsent.status().errorCode(), "autorisation_not_signed");
    EXPECT_NE(unsignedConsent.status().message().find("n’est pas encore signée"), std::string::npos);
    EXPECT_EQ(http::errorToHttpStatus(unsignedConsent.status()), 409);
    EXPECT_TRUE(transmissions->listConsents(assoc, dossier).value().empty());

    signAll(aut);
    auto signedPdf = signing->signedPdf(assoc, aut);
    ASSERT_TRUE(signedPdf.isOk()) << signedPdf.status().toString();

    // A request that says otherwise than the autorisation: refused, naming the field.
    struct Case {
        std::string extra, path;
    };
    const std::vector<Case> cases = {
        {R"(,"recipient":"Côtes d'Armor Habitat")", "/recipient"},
        {R"(,"scope":{"documentKinds":["fiche-navette"]})", "/scope/documentKinds"},
        {R"(,"scope":{"categories":["logement","sante"]})", "/scope/categories"},
        {R"(,"copieSiao":true)", "/copieSiao"},
        {R"(,"expiresAt":"2027-12-31T00:00:00Z")", "/expiresAt"},
        {R"(,"purpose":"Autre chose.")", "/purpose"},
        {R"(,"givenBy":{"name":"Quelqu'un d'autre"})", "/givenBy/name"},
        {R"(,"kind":"refusal")", "/kind"},
    };
    for (const auto& c : cases) {
        auto r = consentFrom(aut, c.extra);
        ASSERT_FALSE(r.isOk()) << c.path;
        EXPECT_EQ(r.status().errorCode(), "contradicts_autorisation") << c.path;
        ASSERT_FALSE(r.status().details().empty()) << c.path;
        EXPECT_EQ(r.status().details()[0].path, c.path) << r.status().toString();
        EXPECT_EQ(http::errorToHttpStatus(r.status()), 400) << c.path;
    }
    EXPECT_TRUE(transmissions->listConsents(assoc, dossier).value().empty()) << "nothing recorded on a contradiction";

    // The same values as signed are accepted; everything else comes from the autorisation.
    auto terms = service::readAutorisation(*store, *renderer, store->findDocument(aut).value(), 1);
    ASSERT_TRUE(terms.isOk());
    auto ok = consentFrom(aut, R"(,"recipient":"Terre et Baie Habitat","copieSiao":false,"scope":{"documentKinds":["grille-capacite-habiter"]})");
    ASSERT_TRUE(ok.isOk()) << ok.status().toString();
    const auto& rec = ok.value().record;
    EXPECT_EQ(rec.recipientOrgId, orgBailleur);
    EXPECT_EQ(rec.documentKinds, std::vector<std::string>{"grille-capacite-habiter"});
    EXPECT_EQ(rec.categories, terms.value().categories);
    EXPECT_FALSE(rec.categories.empty());
    for (const char* never : {"sante", "emploi", "justice"})
        EXPECT_EQ(std::count(rec.categories.begin(), rec.categories.end(), never), 0) << never;
    EXPECT_FALSE(rec.copieSiao) << "the example autorisation does not tick the SIAO copy";
    EXPECT_EQ(rec.purpose.rfind("Permettre au bailleur d'étudier votre demande", 0), 0u) << rec.purpose;
    ASSERT_TRUE(rec.expiresAt.has_value());
    EXPECT_EQ(consent::Instant{*rec.expiresAt}.iso(), "2027-02-08T23:00:00Z") << "end of 08/02/2027, Paris";
    EXPECT_EQ(rec.givenByName, "Yannick Le Gall");
    EXPECT_EQ(rec.howMethod, "signed_autorisation");
    EXPECT_EQ(rec.proofDocumentId, aut);
    EXPECT_EQ(rec.proofSha256, signedPdf.value().sha256) << "the proof is the sealed signed PDF, not the unsigned one";
    auto given = events("consent.given");
    ASSERT_EQ(given.size(), 1u);
    EXPECT_NE(given[0].details.find("\"evidence\":\"signed_pdf\""), std::string::npos) << given[0].details;
    // Through the API as well: the same rule (a contradiction is a 400 naming the field).
    auto apiBad = call("POST", "/v1/dossiers/" + dossier + "/consents", keyA,
                       R"({"recipient":"Côtes d'Armor Habitat","how":{"method":"signed_autorisation","documentId":")" + aut + "\"}}");
    EXPECT_EQ(apiBad.status, 400) << apiBad.body;
    EXPECT_NE(apiBad.body.find("/recipient"), std::string::npos) << apiBad.body;
}

TEST_P(SigningEvidenceTest, SignedPaperScanIsEvidenceOnceAttached) {
    const std::string aut = newAutorisation();
    EXPECT_EQ(consentFrom(aut).status().errorCode(), "autorisation_not_signed");
    // Not a PDF nor an image; an announced type that lies; another document: refused.
    auto text = call("POST", "/v1/documents/" + aut + "/scan", keyA, "bonjour");
    EXPECT_EQ(text.status, 400) << text.body;
    auto lying = signing->attachAutorisationScan(assoc, aut, "image/png", "%PDF-1.4\n%%EOF\n");
    ASSERT_FALSE(lying.isOk());
    EXPECT_EQ(lying.status().details().at(0).rule, "content_type");
    const std::string grille = newDocument("grille-capacite-habiter", "grille-capacite-habiter-cotes-darmor-initiale.json");
    EXPECT_EQ(signing->attachAutorisationScan(assoc, grille, "application/pdf", "%PDF-1.4\n").status().errorCode(),
              "not_an_autorisation");
    service::Caller landlord{orgBailleur, "Terre et Baie Habitat", "bailleur", "", "", "", "", ""};
    EXPECT_EQ(signing->attachAutorisationScan(landlord, aut, "application/pdf", "%PDF-1.4\n").status().code(),
              Status::Code::NotFound);
    // A PNG scan of the signed paper: hashed, stored, evidence.
    const std::string png = signaturePng(400, 300, 5);
    auto scan = signing->attachAutorisationScan(assoc, aut, "image/png", png);
    ASSERT_TRUE(scan.isOk()) << scan.status().toString();
    EXPECT_EQ(scan.value().sha256, storage::sha256Hex(png));
    EXPECT_EQ(scan.value().contentType, "image/png");
    auto latest = store->latestAutorisationScan(aut, 1);
    ASSERT_TRUE(latest.isOk());
    EXPECT_EQ(latest.value().sha256, storage::sha256Hex(png));
    auto c = consentFrom(aut);
    ASSERT_TRUE(c.isOk()) << c.status().toString();
    EXPECT_EQ(c.value().record.proofSha256, storage::sha256Hex(png));
    EXPECT_NE(events("consent.given").at(0).details.find("\"evidence\":\"scan\""), std::string::npos);
    EXPECT_EQ(events("autorisation.scan_attached").size(), 1u);
    // Over the API: a PDF announced as JSON is refused (the type must match the bytes); a PDF is accepted.
    auto pdf = call("POST", "/v1/documents/" + aut + "/scan", keyA, "%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n");
    EXPECT_EQ(pdf.status, 400) << pdf.body;
    EXPECT_NE(pdf.body.find("content_type"), std::string::npos) << pdf.body;
    auto asPdf = signing->attachAutorisationScan(assoc, aut, "application/pdf", "%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n");
    ASSERT_TRUE(asPdf.isOk()) << asPdf.status().toString();
    EXPECT_EQ(asPdf.value().contentType, "application/pdf");
    EXPECT_EQ(store->latestAutorisationScan(aut, 1).value().id, asPdf.value().id) << "the latest scan is the evidence";
}

TEST_P(SigningEvidenceTest, HouseholdIsShownTheGatesRecipientCopyAndItsHashIsRecorded) {
    // A grille with a health comment (housing: false) and the autorisation that concerns it.
    const std::string health = "CANARI-SANTE-91b2";
    const std::string grille = newDocument("grille-capacite-habiter", "grille-capacite-habiter-cotes-darmor-initiale.json",
                                           [&](Object::Ptr& d) {
                                               d->getObject("cotesDArmor")->getObject("situationResidentielle")
                                                   ->getObject("santeAutonomie")->set("commentaire", health);
                                           });
    const std::string aut = newAutorisation();
    auto terms = service::readAutorisation(*store, *renderer, store->findDocument(aut).value(), 1);
    ASSERT_TRUE(terms.isOk()) << terms.status().toString();
    storage::StoredConsent t;
    t.recipientOrgId = terms.value().recipientOrgId;
    t.documentKinds = terms.value().documentKinds;
    t.categories = terms.value().categories;
    t.copieSiao = terms.value().copieSiao;
    t.purpose = terms.value().purpose;
    t.proofDocumentId = aut;
    t.proofSha256 = std::string(64, 'a');
    auto copy = transmissions->previewRecipientCopy(assoc, grille, t);
    ASSERT_TRUE(copy.isOk()) << copy.status().toString();
    const std::string text = pdfToText(copy.value().pdf);
    EXPECT_EQ(text.find(health), std::string::npos) << "the health comment is not shown as going";
    EXPECT_NE(text.find("Information non transmise"), std::string::npos);
    EXPECT_NE(text.find("Imhoweb"), std::string::npos) << "housing values are shown";
    EXPECT_NE(text.find("Terre et Baie Habitat"), std::string::npos);
    EXPECT_FALSE(copy.value().withheld.empty());
    EXPECT_EQ(copy.value().sha256, storage::sha256Hex(copy.value().pdf));
    // Nothing was transmitted nor recorded by the preview.
    EXPECT_TRUE(events("transmission.sent").empty());
    service::Caller landlord{orgBailleur, "Terre et Baie Habitat", "bailleur", "", "", "", "", ""};
    EXPECT_EQ(transmissions->listReceived(landlord, 10, 0).value().total, 0);
    EXPECT_EQ(transmissions->previewRecipientCopy(landlord, grille, t).status().code(), Status::Code::NotFound);

    // Shown on the tablet (stored), confirmed by the household's signature: the consent's audit carries the hash.
    storage::AutorisationPreview p;
    p.documentId = aut;
    p.revision = 1;
    p.shownDocumentId = grille;
    p.shownRevision = 1;
    p.recipientOrgId = t.recipientOrgId;
    p.sha256 = copy.value().sha256;
    p.bytes = copy.value().pdf;
    auto stored = store->storeAutorisationPreview(p);
    ASSERT_TRUE(stored.isOk()) << stored.status().toString();
    EXPECT_EQ(store->findAutorisationPreview(stored.value().id).value().bytes, copy.value().pdf);
    EXPECT_EQ(store->confirmedAutorisationPreview(aut, 1).status().code(), Status::Code::NotFound);
    auto started = signing->start(assoc, aut, new Object);
    ASSERT_TRUE(started.isOk());
    const std::string sgr = started.value().record.signatories.at(0).id;
    ASSERT_TRUE(signing->sign(assoc, aut, sgr, inPerson(4), {"192.0.2.1", "tablette", copy.value().sha256}).isOk());
    ASSERT_TRUE(store->confirmAutorisationPreview(stored.value().id, sgr).isOk());
    EXPECT_NE(events("signature.recorded").at(0).details.find(copy.value().sha256), std::string::npos);
    auto c = consentFrom(aut);
    ASSERT_TRUE(c.isOk()) << c.status().toString();
    const auto given = events("consent.given");
    ASSERT_EQ(given.size(), 1u);
    EXPECT_NE(given[0].details.find("\"shownSha256\":\"" + copy.value().sha256 + "\""), std::string::npos) << given[0].details;
    // The record keeps it too (migration 18), read back by the store.
    EXPECT_EQ(c.value().record.shownSha256, copy.value().sha256);
    EXPECT_EQ(store->findConsent(c.value().record.id).value().shownSha256, copy.value().sha256);
}

// Issue 11 item 6: a paper autorisation signed days ago is entered later only as such — the scan
// attached and « lateEntry » said — and then carries the paper's date; otherwise the date is the
// scan's, and a later entry without a scan (or in person) is refused naming the field.
TEST_P(SigningEvidenceTest, APaperAutorisationEnteredLaterCarriesItsDateOnlyWithItsScan) {
    const std::string aut = newAutorisation();
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    const std::string tenDaysAgo = consent::Instant{now - 10 * 86400}.iso();
    auto late = [&](const std::string& givenAt) {
        return transmissions->recordConsent(assoc, dossier,
                                            parse(R"({"how":{"method":"signed_autorisation","lateEntry":true,"documentId":")" + aut +
                                                  R"("},"givenAt":")" + givenAt + R"("})"));
    };
    // No scan yet: not evidence at all.
    EXPECT_EQ(late(tenDaysAgo).status().errorCode(), "autorisation_not_signed");
    ASSERT_TRUE(signing->attachAutorisationScan(assoc, aut, "image/png", signaturePng(400, 300, 9)).isOk());
    // The paper cannot be dated after its scan was sent.
    auto afterScan = late(consent::Instant{now + 3600}.iso());
    ASSERT_FALSE(afterScan.isOk());
    EXPECT_EQ(afterScan.status().details().at(0).path, "/givenAt") << afterScan.status().toString();
    // With the scan and « lateEntry »: the paper's date, ten days ago, is kept and audited as a later entry.
    auto ok = late(tenDaysAgo);
    ASSERT_TRUE(ok.isOk()) << ok.status().toString();
    EXPECT_EQ(consent::Instant{ok.value().record.givenAt}.iso(), tenDaysAgo);
    EXPECT_NE(events("consent.given").back().details.find("\"lateEntry\":true"), std::string::npos);
    // In person, the same date is refused: more than 24 h before its recording.
    auto inPerson = transmissions->recordConsent(
        assoc, dossier,
        parse(R"({"kind":"consent","recipient":"Terre et Baie Habitat","givenBy":{"name":"Yannick Le Gall"},"purpose":"p",)"
              R"("scope":{"documentKinds":["grille-capacite-habiter"],"categories":["logement"]},)"
              R"("how":{"method":"in_person","recordedBy":"R","lateEntry":true},"givenAt":")" + tenDaysAgo + R"("})"));
    ASSERT_FALSE(inPerson.isOk());
    std::set<std::string> paths;
    for (const auto& d : inPerson.status().details()) paths.insert(d.path);
    EXPECT_TRUE(paths.count("/givenAt")) << inPerson.status().toString();
    EXPECT_TRUE(paths.count("/how/lateEntry")) << inPerson.status().toString();
}

INSTANTIATE_TEST_SUITE_P(Backends, SigningEvidenceTest, ::testing::ValuesIn(storeBackends()),
                         [](const auto& info) { return backendName(info.param); });

} // namespace
} // namespace passerelle::testing
