// Idempotency-Key (issue 15 §5): the same key and body return the first result and create
// nothing again, on each creating POST; another body with the same key is a 409 in French;
// the records survive a SIGTERM and a SIGKILL of the real executable.
#include <csignal>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Process.h>

#include "api/ApiFixture.h"
#include "api/ServeProcess.h"
#include "http/ConsentRoutes.h"
#include "service/TransmissionService.h"

namespace passerelle::testing {
namespace {

using Poco::JSON::Object;

HttpResult callWithKey(unsigned short port, const std::string& method, const std::string& path, const std::string& apiKey,
                       const std::string& body, const std::string& idempotencyKey) {
    HttpOptions o;
    o.headers["Authorization"] = "Bearer " + apiKey;
    if (!idempotencyKey.empty()) o.headers["Idempotency-Key"] = idempotencyKey;
    o.timeoutSeconds = 60;
    return httpRequest(port, method, path, body, "application/json", o);
}

class Server {
public:
    explicit Server(std::shared_ptr<storage::PocoStore> store) {
        auto renderer = std::make_shared<const service::RenderService>(repoCatalog());
        auto router = std::make_shared<http::Router>();
        http::addRenderRoutes(*router, renderer);
        http::addApiRoutes(*router, std::make_shared<const service::DossierService>(store, renderer));
        http::addConsentRoutes(*router, std::make_shared<const service::TransmissionService>(store, renderer));
        http::ServerConfig config;
        config.port = 0;
        _server = std::make_unique<http::Server>(config, router);
        _server->start();
    }
    ~Server() { _server->stop(); }
    unsigned short port() const { return _server->port(); }

private:
    std::unique_ptr<http::Server> _server;
};

const char* kConsent = R"({"kind":"consent","recipient":"%s","givenBy":{"name":"Yannick Le Gall","capacity":"household_member"},
  "scope":{"documentKinds":["fiche-navette"],"categories":["logement","identite","partenaire","dette"]},
  "purpose":"Préparer la commission d'attribution.","how":{"method":"in_person","recordedBy":"Gwenaëlle Le Bihan"}})";

std::string consentFor(const std::string& recipient) {
    std::string s = kConsent;
    s.replace(s.find("%s"), 2, recipient);
    return s;
}

class IdempotencyTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
        server = std::make_unique<Server>(store);
        keyA = createOrgWithKey(*store, "ADALEA", "association", &orgA);
        keyB = createOrgWithKey(*store, "Ensemble", "association", &orgB);
        createOrgWithKey(*store, "Côtes d'Armor Habitat", "bailleur", &orgBailleur);
        ASSERT_TRUE(store->createPartnership(orgA, orgBailleur).isOk());
        ASSERT_TRUE(store->setInPersonConsentAllowed(orgA, orgBailleur, true, {"partnership.in_person_consent", "system", orgA, "{}"}).isOk());
    }
    HttpResult post(const std::string& path, const std::string& body, const std::string& idem, const std::string& key = "") {
        return callWithKey(server->port(), "POST", path, key.empty() ? keyA : key, body, idem);
    }
    HttpResult get(const std::string& path) { return callWithKey(server->port(), "GET", path, keyA, "", ""); }

    // The first call creates; the same call again answers the same, marked as replayed; another body is a 409.
    HttpResult expectIdempotent(const std::string& path, const std::string& body, const std::string& otherBody,
                                const std::string& idem) {
        HttpResult first = post(path, body, idem);
        EXPECT_EQ(first.status, 201) << path << " " << first.body;
        EXPECT_EQ(first.header("Idempotent-Replayed"), "");
        HttpResult again = post(path, body, idem);
        EXPECT_EQ(again.status, first.status) << path << " " << again.body;
        EXPECT_EQ(again.body, first.body) << path;
        EXPECT_EQ(again.header("Location"), first.header("Location")) << path;
        EXPECT_EQ(again.header("Idempotent-Replayed"), "true") << path;
        HttpResult other = post(path, otherBody, idem);
        EXPECT_EQ(other.status, 409) << path << " " << other.body;
        EXPECT_EQ(other.error(), "idempotency_key_reused") << path;
        EXPECT_NE(other.json()->getValue<std::string>("message").find("a déjà servi pour une autre requête"), std::string::npos);
        return first;
    }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    std::unique_ptr<Server> server;
    std::string keyA, keyB, orgA, orgB, orgBailleur;
};

std::size_t listSize(const HttpResult& r, const char* name) {
    auto o = r.json();
    return o->getArray(name) ? o->getArray(name)->size() : 0;
}

TEST_P(IdempotencyTest, EveryCreatingPostReturnsTheFirstResultAndCreatesNothingTwice) {
    // Dossiers.
    auto dossier = expectIdempotent("/v1/dossiers", R"({"reference":"ADA-1","menage":{"membres":[{"prenom":"Yannick","nom":"Le Gall"}]}})", R"({"reference":"ADA-2"})", "k-dossier");
    const std::string dossierId = dossier.json()->getValue<std::string>("id");
    EXPECT_EQ(get("/v1/dossiers?reference=ADA-1").json()->getValue<int>("total"), 1);
    EXPECT_EQ(get("/v1/dossiers?reference=ADA-2").json()->getValue<int>("total"), 0);

    // Documents.
    const std::string docBody = documentBody("fiche-navette", dossierId, "", "fiche-navette-association-vers-bailleur.json");
    const std::string otherDoc = documentBody("fiche-navette", dossierId, "", "fiche-navette-alerte-bailleur.json");
    auto doc = expectIdempotent("/v1/documents", docBody, otherDoc, "k-document");
    const std::string docId = doc.json()->getValue<std::string>("id");
    EXPECT_EQ(get("/v1/documents?dossier=" + dossierId).json()->getValue<int>("total"), 1);

    // Revisions.
    Object::Ptr data = readJson(sourceDir() + "/examples/fiche-navette-alerte-bailleur.json");
    std::ostringstream rev1, rev2;
    Object::Ptr r = new Object;
    r->set("data", data);
    r->stringify(rev1);
    r->set("expectedRevision", 1);
    r->stringify(rev2);
    expectIdempotent("/v1/documents/" + docId + "/revisions", rev1.str(), rev2.str(), "k-revision");
    EXPECT_EQ(listSize(get("/v1/documents/" + docId + "/revisions"), "revisions"), 2u);

    // Consents.
    const std::string consents = "/v1/dossiers/" + dossierId + "/consents";
    expectIdempotent(consents, consentFor(orgBailleur), consentFor(orgB), "k-consent");
    EXPECT_EQ(listSize(get(consents), "consents"), 1u);

    // Transmissions (through the consent gate).
    const std::string transmit = "/v1/documents/" + docId + "/transmit";
    expectIdempotent(transmit, R"({"to":")" + orgBailleur + R"("})", R"({"to":"Côtes d'Armor Habitat"})", "k-transmit");
    EXPECT_EQ(listSize(get("/v1/documents/" + docId + "/transmissions"), "transmissions"), 1u);

    // Control: without a key, the same request creates again (the counts above could see a duplicate).
    ASSERT_EQ(post("/v1/dossiers", R"({"reference":"ADA-1"})", "").status, 201);
    EXPECT_EQ(get("/v1/dossiers?reference=ADA-1").json()->getValue<int>("total"), 2);
}

TEST_P(IdempotencyTest, KeysBelongToTheirOrganisation) {
    auto a = post("/v1/dossiers", R"({"reference":"X-1"})", "meme-cle");
    auto b = post("/v1/dossiers", R"({"reference":"X-1"})", "meme-cle", keyB);
    ASSERT_EQ(a.status, 201);
    ASSERT_EQ(b.status, 201) << b.body;
    EXPECT_NE(a.json()->getValue<std::string>("id"), b.json()->getValue<std::string>("id"));
    EXPECT_EQ(b.header("Idempotent-Replayed"), "");
}

TEST_P(IdempotencyTest, ARefusedRequestLeavesNoRecordAndBadKeysAre400) {
    auto bad = post("/v1/dossiers", R"({"reference": 3})", "k-retry");
    ASSERT_EQ(bad.status, 400) << bad.body;
    auto fixed = post("/v1/dossiers", R"({"reference":"R-1"})", "k-retry");
    EXPECT_EQ(fixed.status, 201) << fixed.body;
    auto tooLong = post("/v1/dossiers", R"({"reference":"R-2"})", std::string(300, 'k'));
    EXPECT_EQ(tooLong.status, 400);
    EXPECT_EQ(tooLong.error(), "bad_idempotency_key");
    auto spaces = post("/v1/dossiers", R"({"reference":"R-2"})", "une clé");
    EXPECT_EQ(spaces.status, 400);
}

TEST_P(IdempotencyTest, ConcurrentRequestsWithOneKeyCreateOnce) {
    std::vector<std::thread> threads;
    std::vector<int> statuses(8);
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] { statuses[i] = post("/v1/dossiers", R"({"reference":"C-1"})", "k-concurrent").status; });
    for (auto& t : threads) t.join();
    for (int s : statuses) EXPECT_TRUE(s == 201 || s == 409) << s;
    EXPECT_EQ(get("/v1/dossiers?reference=C-1").json()->getValue<int>("total"), 1);
}

TEST_P(IdempotencyTest, ExpiredRecordsArePurgedAndTheKeyServesAgain) {
    ASSERT_EQ(post("/v1/dossiers", R"({"reference":"E-1"})", "k-expire").status, 201);
    const std::int64_t later = static_cast<std::int64_t>(std::time(nullptr)) + storage::kIdempotencyRetentionSeconds + 1;
    auto found = store->findIdempotencyRecord(orgA, "k-expire", later);
    ASSERT_TRUE(found.isOk());
    EXPECT_FALSE(found.value().has_value());
    auto purged = store->purgeIdempotencyRecords(later);
    ASSERT_TRUE(purged.isOk());
    EXPECT_EQ(purged.value(), 1);
    EXPECT_EQ(post("/v1/dossiers", R"({"reference":"E-1"})", "k-expire").header("Idempotent-Replayed"), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, IdempotencyTest, ::testing::ValuesIn(storeBackends()),
                         [](const auto& info) { return backendName(info.param); });

// ---- The real executable -------------------------------------------------------------------------

// `passerelle serve` with SIGTERM and SIGKILL at hand.
class Serve {
public:
    explicit Serve(const std::vector<std::string>& dbArgs) : _port(freePort()) {
        std::vector<std::string> args = {"serve", "--port", std::to_string(_port)};
        args.insert(args.end(), dbArgs.begin(), dbArgs.end());
        _handle = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(PASSERELLE_BINARY, args, nullptr, &_out, nullptr));
        for (int i = 0; i < 200; ++i) {
            try {
                if (httpCall(_port, "GET", "/healthz", "").status == 200) return;
            } catch (...) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        signal(SIGKILL);
        throw std::runtime_error("passerelle serve did not start");
    }
    ~Serve() { signal(SIGKILL); }
    int signal(int sig) {
        if (!_handle) return -1;
        ::kill(_handle->id(), sig);
        int rc = _handle->wait();
        _handle.reset();
        return rc;
    }
    unsigned short port() const { return _port; }

private:
    unsigned short _port;
    Poco::Pipe _out;
    std::unique_ptr<Poco::ProcessHandle> _handle;
};

class IdempotencyProcessTest : public ProcessTest {};

TEST_P(IdempotencyProcessTest, RetriesAfterSigtermAndSigkillCreateNothingTwice) {
    ASSERT_EQ(admin({"create-org", "ADGESTI", "--kind", "association"}).exitCode, 0);
    const std::string key = keyIn(admin({"create-key", "ADGESTI"}).out);
    ASSERT_FALSE(key.empty());

    std::string dossierId, firstBody;
    {
        Serve s(dbArgs);
        auto r = callWithKey(s.port(), "POST", "/v1/dossiers", key, R"({"reference":"K-1"})", "cle-sigkill");
        ASSERT_EQ(r.status, 201) << r.body;
        dossierId = r.json()->getValue<std::string>("id");
        firstBody = r.body;
        s.signal(SIGKILL);
    }
    std::string docBody = documentBody("fiche-navette", dossierId, "", "fiche-navette-association-vers-bailleur.json");
    std::string docFirst;
    {
        Serve s(dbArgs);
        auto again = callWithKey(s.port(), "POST", "/v1/dossiers", key, R"({"reference":"K-1"})", "cle-sigkill");
        EXPECT_EQ(again.status, 201);
        EXPECT_EQ(again.body, firstBody);
        EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
        auto doc = callWithKey(s.port(), "POST", "/v1/documents", key, docBody, "cle-sigterm");
        ASSERT_EQ(doc.status, 201) << doc.body;
        docFirst = doc.body;
        s.signal(SIGTERM);
    }
    Serve s(dbArgs);
    auto doc = callWithKey(s.port(), "POST", "/v1/documents", key, docBody, "cle-sigterm");
    EXPECT_EQ(doc.status, 201);
    EXPECT_EQ(doc.body, docFirst);
    auto other = callWithKey(s.port(), "POST", "/v1/documents", key,
                             documentBody("fiche-navette", dossierId, "", "fiche-navette-alerte-bailleur.json"), "cle-sigterm");
    EXPECT_EQ(other.status, 409);
    EXPECT_EQ(httpCall(s.port(), "GET", "/v1/dossiers?reference=K-1", key).json()->getValue<int>("total"), 1);
    EXPECT_EQ(httpCall(s.port(), "GET", "/v1/documents?dossier=" + dossierId, key).json()->getValue<int>("total"), 1);
}

TEST_P(IdempotencyProcessTest, SigkillDuringWritesThenRetriesLeaveExactlyOneDossierPerKey) {
    ASSERT_EQ(admin({"create-org", "ADGESTI", "--kind", "association"}).exitCode, 0);
    const std::string key = keyIn(admin({"create-key", "ADGESTI"}).out);
    ASSERT_FALSE(key.empty());
    constexpr int kWriters = 4, kEach = 150;
    auto body = [](int w, int i) { return R"({"reference":"W)" + std::to_string(w) + "-" + std::to_string(i) + R"("})"; };
    auto idem = [](int w, int i) { return "w" + std::to_string(w) + "-" + std::to_string(i); };
    {
        Serve s(dbArgs);
        std::vector<std::thread> writers;
        for (int w = 0; w < kWriters; ++w)
            writers.emplace_back([&, w] {
                for (int i = 0; i < kEach; ++i) {
                    try {
                        callWithKey(s.port(), "POST", "/v1/dossiers", key, body(w, i), idem(w, i));
                    } catch (...) {
                        return; // the server is gone
                    }
                }
            });
        std::this_thread::sleep_for(std::chrono::milliseconds(250)); // in the middle of the writes
        s.signal(SIGKILL);
        for (auto& t : writers) t.join();
    }
    // Every client retries every request with its key, acknowledged or not.
    Serve s(dbArgs);
    int replayed = 0, createdNow = 0, incomplete = 0;
    for (int w = 0; w < kWriters; ++w)
        for (int i = 0; i < kEach; ++i) {
            auto r = callWithKey(s.port(), "POST", "/v1/dossiers", key, body(w, i), idem(w, i));
            if (r.status == 201) (r.header("Idempotent-Replayed") == "true" ? replayed : createdNow)++;
            else if (r.error() == "idempotency_incomplete") incomplete++;
            else ADD_FAILURE() << r.status << " " << r.body;
        }
    for (int w = 0; w < kWriters; ++w)
        for (int i = 0; i < kEach; ++i) {
            auto list = httpCall(s.port(), "GET", "/v1/dossiers?reference=W" + std::to_string(w) + "-" + std::to_string(i), key);
            EXPECT_EQ(list.json()->getValue<int>("total"), 1) << idem(w, i);
        }
    EXPECT_GT(replayed, 0) << "the kill came before any write: the test proved nothing";
    std::cout << "[ idempotency ] after SIGKILL: " << replayed << " replayed, " << createdNow << " created on retry, "
              << incomplete << " interrupted between commit and answer" << std::endl;
}

INSTANTIATE_TEST_SUITE_P(Backends, IdempotencyProcessTest, ::testing::ValuesIn(storeBackends()),
                         [](const auto& info) { return backendName(info.param); });

} // namespace
} // namespace passerelle::testing

namespace passerelle::testing {
namespace {

TEST_P(IdempotencyTest, ContentTypeIsMatchedExactlyOnTheStoredApi) {
    HttpOptions o;
    o.headers["Authorization"] = "Bearer " + keyA;
    auto jsonx = httpRequest(server->port(), "POST", "/v1/dossiers", R"({"reference":"CT-1"})", "application/jsonx", o);
    EXPECT_EQ(jsonx.status, 415) << jsonx.body;
    EXPECT_EQ(jsonx.error(), "unsupported_media_type");
    auto ok = httpRequest(server->port(), "POST", "/v1/dossiers", R"({"reference":"CT-2"})", "Application/JSON; charset=utf-8", o);
    EXPECT_EQ(ok.status, 201) << ok.body;
}

} // namespace
} // namespace passerelle::testing
