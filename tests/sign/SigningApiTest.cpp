// Signed documents through the API (in-process server, SQLite and PostgreSQL):
// start, in-person and landlord signatures in the declared order, the sealed
// PDF (pdfsig, pdftotext), revision after one signature, refusal, access
// rules, validation, POST /v1/verify and `passerelle verify`.
#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>

#include "api/ApiFixture.h"
#include "http/SigningRoutes.h"
#include "sign/SignTestSupport.h"
#include "storage/ApiKeys.h"

namespace passerelle::testing {
namespace {

const char* CONTRAT = "contrat-objectifs-revision-bail-glissant.json"; // two household members

class SigningApiTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
        auto k = sign::SealKey::development(seal.path());
        ASSERT_TRUE(k.isOk()) << k.status().toString();
        key = k.value();
        auto renderer = std::make_shared<const service::RenderService>(repoCatalog());
        auto dossiers = std::make_shared<const service::DossierService>(store, renderer);
        auto router = std::make_shared<http::Router>();
        http::addRenderRoutes(*router, renderer);
        http::addApiRoutes(*router, dossiers);
        http::addSigningRoutes(*router, std::make_shared<const service::SigningService>(dossiers, key));
        http::ServerConfig config;
        config.port = 0;
        server = std::make_unique<http::Server>(config, router);
        server->start();
        keyA = createOrgWithKey(*store, "ADGESTI", "association", &orgA);
        keyB = createOrgWithKey(*store, "Ensemble", "association");
        keyBailleur = createOrgWithKey(*store, "ICF Habitat Atlantique", "bailleur", &orgBailleur);
        keyOtherBailleur = createOrgWithKey(*store, "Sarthe Habitat", "bailleur", &orgOther);
        ASSERT_TRUE(store->createPartnership(orgA, orgBailleur).isOk());
        ASSERT_TRUE(store->createPartnership(orgA, orgOther).isOk());
        dossier = created(call("POST", "/v1/dossiers", keyA, R"({"reference":"ADG-2026-0201"})"));
        doc = created(call("POST", "/v1/documents", keyA, documentBody("contrat-objectifs", dossier, "", CONTRAT)));
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
    Poco::JSON::Object::Ptr start() {
        auto r = call("POST", "/v1/documents/" + doc + "/signing", keyA, R"({"bailleur":"ICF Habitat Atlantique"})");
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json();
    }
    static std::vector<Poco::JSON::Object::Ptr> signatories(const Poco::JSON::Object::Ptr& s) {
        std::vector<Poco::JSON::Object::Ptr> out;
        auto arr = s->getArray("signatories");
        for (unsigned i = 0; i < arr->size(); ++i) out.push_back(arr->getObject(i));
        return out;
    }
    static std::string inPerson(int seed, bool accepted = true) {
        return std::string(R"({"method":"in_person","witness":"Claire Lefèvre","accepted":)") + (accepted ? "true" : "false") +
               R"(,"image":")" + signatureDataUrl(seed) + "\"}";
    }
    static std::string fromAccount(int seed) {
        return std::string(R"({"method":"account","accepted":true,"image":")") + signatureDataUrl(seed) + "\"}";
    }
    HttpResult signAs(const std::string& k, const std::string& signatory, const std::string& body) const {
        return call("POST", "/v1/documents/" + doc + "/signing/" + signatory, k, body);
    }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    TempDir seal;
    std::shared_ptr<const sign::SealKey> key;
    std::unique_ptr<http::Server> server;
    std::string keyA, keyB, keyBailleur, keyOtherBailleur, orgA, orgBailleur, orgOther, dossier, doc;
};

TEST_P(SigningApiTest, TripartiteContractGoesFromDraftToSealedPdf) {
    auto s = start();
    auto sig = signatories(s);
    ASSERT_EQ(sig.size(), 4u); // two household members, the association, the landlord
    EXPECT_EQ(sig[0]->getValue<std::string>("party"), "menage");
    EXPECT_EQ(sig[1]->getValue<std::string>("party"), "menage");
    EXPECT_EQ(sig[2]->getValue<std::string>("party"), "association");
    EXPECT_EQ(sig[3]->getValue<std::string>("party"), "bailleur");
    EXPECT_EQ(sig[0]->getValue<std::string>("name"), "Thị Lan Nguyễn");
    for (const auto& x : sig) EXPECT_EQ(x->getValue<std::string>("state"), "en-attente");
    EXPECT_EQ(s->getValue<std::string>("state"), "en-cours");
    const std::string docPath = "/v1/documents/" + doc;

    // Before everyone signed: 409. A second start of the same revision: 409.
    EXPECT_EQ(call("GET", docPath + "/signed.pdf", keyA).status, 409);
    EXPECT_EQ(call("POST", docPath + "/signing", keyA, R"({"bailleur":"ICF Habitat Atlantique"})").status, 409);
    // The landlord cannot sign before the household and the association; nor for them.
    auto early = signAs(keyBailleur, sig[3]->getValue<std::string>("id"), fromAccount(9));
    EXPECT_EQ(early.status, 409) << early.body;
    EXPECT_EQ(early.error(), "not_your_turn");
    EXPECT_EQ(signAs(keyBailleur, sig[0]->getValue<std::string>("id"), fromAccount(9)).status, 403);
    // Another association, another landlord: as if nothing existed.
    EXPECT_EQ(call("GET", docPath + "/signing", keyB).status, 404);
    EXPECT_EQ(signAs(keyB, sig[0]->getValue<std::string>("id"), inPerson(1)).status, 404);
    EXPECT_EQ(call("GET", docPath + "/signing", keyOtherBailleur).status, 404);
    EXPECT_EQ(signAs(keyOtherBailleur, sig[3]->getValue<std::string>("id"), fromAccount(9)).status, 404);
    EXPECT_EQ(call("GET", docPath + "/signed.pdf", keyBailleur).status, 404);

    // In person at the kitchen table, then the landlord from its own account.
    for (int i = 0; i < 3; ++i) {
        auto r = signAs(keyA, sig[static_cast<unsigned>(i)]->getValue<std::string>("id"), inPerson(i + 1));
        ASSERT_EQ(r.status, 200) << r.body;
    }
    // The association cannot sign for the landlord.
    EXPECT_EQ(signAs(keyA, sig[3]->getValue<std::string>("id"), fromAccount(4)).status, 403);
    auto landlordView = call("GET", docPath + "/signing", keyBailleur);
    ASSERT_EQ(landlordView.status, 200) << landlordView.body;
    EXPECT_EQ(landlordView.body.find("\"ip\""), std::string::npos) << "the landlord sees states, not IP addresses";
    auto last = signAs(keyBailleur, sig[3]->getValue<std::string>("id"), fromAccount(4));
    ASSERT_EQ(last.status, 200) << last.body;
    EXPECT_EQ(last.json()->getValue<std::string>("state"), "signe");

    auto st = call("GET", docPath + "/signing", keyA).json();
    auto done = signatories(st);
    for (const auto& x : done) {
        EXPECT_EQ(x->getValue<std::string>("state"), "signe");
        EXPECT_EQ(x->getValue<std::string>("revisionSha256"), st->getValue<std::string>("revisionSha256"));
        EXPECT_EQ(x->getValue<std::string>("ip"), "127.0.0.1");
        EXPECT_FALSE(x->getValue<std::string>("signedAtParis").empty());
    }
    EXPECT_EQ(done[0]->getValue<std::string>("witness"), "Claire Lefèvre");
    EXPECT_EQ(done[3]->getValue<std::string>("method"), "account");
    // The revision hash is the SHA-256 of the revision's PDF.
    auto pdfOfRevision = call("GET", docPath + "/pdf", keyA);
    EXPECT_EQ(sign::sha256Hex(pdfOfRevision.body), st->getValue<std::string>("revisionSha256"));

    auto pdf = call("GET", docPath + "/signed.pdf", keyA);
    ASSERT_EQ(pdf.status, 200) << pdf.body;
    EXPECT_EQ(pdf.contentType, "application/pdf");
    EXPECT_EQ(sign::sha256Hex(pdf.body), st->getObject("signedPdf")->getValue<std::string>("sha256"));
    EXPECT_EQ(call("GET", docPath + "/signed.pdf", keyA).body, pdf.body) << "sealed once, served the same";
    PdfSig checker(*key, seal.path());
    std::string out = checker.check(pdf.body);
    EXPECT_NE(out.find("Signature is Valid."), std::string::npos) << out;
    EXPECT_NE(out.find("Total document signed"), std::string::npos) << out;
    std::string text = normaliseSpaces(pdfToText(pdf.body));
    for (const auto& x : done) EXPECT_NE(text.find(x->getValue<std::string>("name")), std::string::npos) << x->getValue<std::string>("name");
    EXPECT_NE(text.find("Certificat de signature"), std::string::npos);
    EXPECT_NE(text.find(doc), std::string::npos);

    // POST /v1/verify: the sealed file, a modified one, a PDF Passerelle did not seal.
    auto v = httpRequest(server->port(), "POST", "/v1/verify", pdf.body, "application/pdf",
                         HttpOptions{{{"Authorization", "Bearer " + keyA}}});
    ASSERT_EQ(v.status, 200) << v.body;
    auto vj = v.json();
    EXPECT_TRUE(vj->getValue<bool>("intact"));
    EXPECT_TRUE(vj->getValue<bool>("sealedByPasserelle"));
    EXPECT_TRUE(vj->getValue<bool>("trustedSigner"));
    EXPECT_EQ(vj->getValue<std::string>("document"), doc);
    EXPECT_EQ(vj->getValue<int>("revision"), 1);
    EXPECT_EQ(vj->getArray("signatories")->size(), 4u);
    std::string modified = pdf.body;
    modified[modified.size() / 3] ^= 0x01;
    auto vm = httpRequest(server->port(), "POST", "/v1/verify", modified, "application/pdf",
                          HttpOptions{{{"Authorization", "Bearer " + keyA}}}).json();
    EXPECT_FALSE(vm->getValue<bool>("intact"));
    EXPECT_NE(vm->getValue<std::string>("message").find("modifié"), std::string::npos);
    auto vf = httpRequest(server->port(), "POST", "/v1/verify", pdfOfRevision.body, "application/pdf",
                          HttpOptions{{{"Authorization", "Bearer " + keyA}}}).json();
    EXPECT_FALSE(vf->getValue<bool>("sealedByPasserelle"));
    EXPECT_FALSE(vf->getValue<bool>("intact"));

    // Audit: ids and hashes, never a name.
    auto audit = store->listAudit();
    ASSERT_TRUE(audit.isOk());
    int started = 0, recorded = 0, sealed = 0;
    for (const auto& e : audit.value()) {
        started += e.event == "signing.started";
        recorded += e.event == "signature.recorded";
        sealed += e.event == "signing.sealed";
        EXPECT_EQ(e.details.find("Nguy"), std::string::npos) << e.details;
        EXPECT_EQ(e.details.find("Lefèvre"), std::string::npos) << e.details;
    }
    EXPECT_EQ(started, 1);
    EXPECT_EQ(recorded, 4);
    EXPECT_EQ(sealed, 1);

    // passerelle verify: the data dir holds this instance's seal certificate.
    TempDir files;
    writeFile(files.file("signe.pdf"), pdf.body);
    writeFile(files.file("modifie.pdf"), modified);
    writeFile(files.file("autre.pdf"), pdfOfRevision.body);
    TempDir dataDir;
    run({"mkdir", "-p", dataDir.path() + "/seal"});
    writeFile(dataDir.path() + "/seal/passerelle-dev-seal.pem", readFile(seal.path() + "/passerelle-dev-seal.pem"));
    auto good = run({PASSERELLE_BINARY, "verify", "--data-dir", dataDir.path(), files.file("signe.pdf")});
    EXPECT_EQ(good.exitCode, 0) << good.out << good.err;
    EXPECT_NE(good.out.find("scellé par Passerelle, intact"), std::string::npos) << good.out;
    EXPECT_NE(good.out.find(doc), std::string::npos) << good.out;
    EXPECT_NE(good.out.find("Thị Lan Nguyễn"), std::string::npos) << good.out;
    EXPECT_NE(good.out.find("certificat de cette instance"), std::string::npos) << good.out;
    auto bad = run({PASSERELLE_BINARY, "verify", "--data-dir", dataDir.path(), files.file("modifie.pdf")});
    EXPECT_NE(bad.exitCode, 0);
    EXPECT_NE(bad.out.find("modifié"), std::string::npos) << bad.out;
    auto foreign = run({PASSERELLE_BINARY, "verify", "--data-dir", dataDir.path(), files.file("autre.pdf")});
    EXPECT_NE(foreign.exitCode, 0);
    EXPECT_NE(foreign.out.find("pas été scellé par Passerelle"), std::string::npos) << foreign.out;
}

TEST_P(SigningApiTest, RevisionAfterOneSignatureAsksEveryoneAgain) {
    auto first = start();
    auto sig = signatories(first);
    ASSERT_EQ(signAs(keyA, sig[0]->getValue<std::string>("id"), inPerson(1)).status, 200);
    auto rev = call("POST", "/v1/documents/" + doc + "/revisions", keyA, "{\"data\":" + exampleJson(CONTRAT) + "}");
    ASSERT_EQ(rev.status, 201) << rev.body;
    auto stale = call("GET", "/v1/documents/" + doc + "/signing", keyA).json();
    EXPECT_EQ(stale->getValue<std::string>("state"), "perimee");
    EXPECT_EQ(stale->getValue<int>("revision"), 1);
    EXPECT_EQ(stale->getValue<int>("currentRevision"), 2);
    auto refused = signAs(keyA, sig[1]->getValue<std::string>("id"), inPerson(2));
    EXPECT_EQ(refused.status, 409);
    EXPECT_EQ(refused.error(), "revision_changed");
    EXPECT_NE(refused.body.find("relancez la signature"), std::string::npos) << refused.body;

    auto again = start();
    EXPECT_NE(again->getValue<std::string>("id"), first->getValue<std::string>("id"));
    EXPECT_EQ(again->getValue<int>("revision"), 2);
    for (const auto& x : signatories(again)) EXPECT_EQ(x->getValue<std::string>("state"), "en-attente");
    // The old signature stays with the old revision.
    auto old = store->findSigning(first->getValue<std::string>("id"));
    ASSERT_TRUE(old.isOk());
    EXPECT_EQ(old.value().signing.revision, 1);
    EXPECT_EQ(old.value().signatories[0].state, "signe");
}

TEST_P(SigningApiTest, RefusalStopsTheSigningAndIsVisible) {
    auto sig = signatories(start());
    auto r = signAs(keyA, sig[0]->getValue<std::string>("id"), R"({"method":"in_person","witness":"Claire Lefèvre","accepted":false})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto st = call("GET", "/v1/documents/" + doc + "/signing", keyA).json();
    EXPECT_EQ(st->getValue<std::string>("state"), "refuse");
    EXPECT_EQ(signatories(st)[0]->getValue<std::string>("state"), "refuse");
    auto next = signAs(keyA, sig[1]->getValue<std::string>("id"), inPerson(2));
    EXPECT_EQ(next.status, 409);
    EXPECT_EQ(next.error(), "signing_closed");
    auto pdf = call("GET", "/v1/documents/" + doc + "/signed.pdf", keyA);
    EXPECT_EQ(pdf.status, 409);
    EXPECT_NE(pdf.body.find("refusé"), std::string::npos) << pdf.body;
    EXPECT_EQ(call("POST", "/v1/documents/" + doc + "/signing", keyA, R"({"bailleur":"ICF Habitat Atlantique"})").error(),
              "signing_refused");
}

TEST_P(SigningApiTest, BadInputIsRefusedWithTheField) {
    // No landlord named for a tripartite form; an unknown one; not a signable form.
    auto noLandlord = call("POST", "/v1/documents/" + doc + "/signing", keyA, "{}");
    EXPECT_EQ(noLandlord.status, 400);
    EXPECT_NE(noLandlord.body.find("/bailleur"), std::string::npos) << noLandlord.body;
    EXPECT_EQ(call("POST", "/v1/documents/" + doc + "/signing", keyA, R"({"bailleur":"Inconnu"})").status, 400);
    std::string grille = created(call("POST", "/v1/documents", keyA,
                                      documentBody("grille-capacite-habiter", dossier, "", "grille-capacite-habiter-cotes-darmor-initiale.json")));
    auto notSignable = call("POST", "/v1/documents/" + grille + "/signing", keyA, "{}");
    EXPECT_EQ(notSignable.status, 409);
    EXPECT_EQ(notSignable.error(), "not_signable");

    auto sig = signatories(start());
    const std::string id0 = sig[0]->getValue<std::string>("id");
    auto noWitness = signAs(keyA, id0, R"({"method":"in_person","accepted":true,"typedName":"Thị Lan Nguyễn"})");
    EXPECT_EQ(noWitness.status, 400);
    EXPECT_NE(noWitness.body.find("/witness"), std::string::npos) << noWitness.body;
    auto badImage = signAs(keyA, id0, R"({"method":"in_person","witness":"C. L.","accepted":true,"image":"data:image/png;base64,AAAA"})");
    EXPECT_EQ(badImage.status, 400);
    EXPECT_NE(badImage.body.find("/image"), std::string::npos) << badImage.body;
    auto noImage = signAs(keyA, id0, R"({"method":"in_person","witness":"C. L.","accepted":true})");
    EXPECT_EQ(noImage.status, 400);
    auto link = signAs(keyA, id0, R"({"method":"link","accepted":true,"typedName":"X"})");
    EXPECT_EQ(link.status, 400);
    EXPECT_NE(link.body.find("lien"), std::string::npos);
    EXPECT_EQ(signAs(keyA, "sgr_0000000000000000", inPerson(1)).status, 404);
    // A typed name is the accessible alternative to a drawing.
    auto typed = signAs(keyA, id0, R"({"method":"in_person","witness":"C. L.","accepted":true,"typedName":"Thị Lan Nguyễn"})");
    EXPECT_EQ(typed.status, 200) << typed.body;
    EXPECT_EQ(signAs(keyA, id0, inPerson(1)).error(), "already_signed");
}

INSTANTIATE_TEST_SUITE_P(Backends, SigningApiTest, ::testing::ValuesIn(storeBackends()),
                         [](const auto& info) { return backendName(info.param); });

} // namespace
} // namespace passerelle::testing
