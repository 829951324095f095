// Webhook push through the real executable: `passerelle admin` creates the
// organisations, keys and the landlord's webhook; a `passerelle serve` process
// transmits with consent and its outbox worker POSTs to an HTTP receiver on
// 127.0.0.1 with an Idempotency-Key. Then the server is killed (SIGKILL) right
// after a transmission whose first attempt got a 503 from the receiver;
// after a restart, with the receiver back up, the receiver has accepted that
// delivery exactly once. Every wait is bounded (20 s). SQLite (--data-dir) and
// PostgreSQL (--db, when PASSERELLE_TEST_PG is set).
#include <chrono>
#include <thread>

#include <Poco/JSON/Array.h>
#include <gtest/gtest.h>

#include "api/ServeProcess.h"
#include "support/WebhookReceiver.h"

namespace passerelle::testing {
namespace {

using Poco::JSON::Object;
using Clock = std::chrono::steady_clock;

const auto kMaxWait = std::chrono::seconds(20);

// Polls `done` every 100 ms for at most kMaxWait.
template <typename F>
bool waitFor(F done) {
    const auto deadline = Clock::now() + kMaxWait;
    while (Clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
}

class ServeWebhookProcessTest : public ProcessTest {
protected:
    std::string newKey(const std::string& org) {
        auto r = admin({"create-key", org});
        const std::string key = keyIn(r.out);
        if (key.empty()) ADD_FAILURE() << r.out << r.err;
        return key;
    }
};

// The push status of `transmission` as the association sees it (GET /v1/documents/{id}/transmissions).
Object::Ptr pushOf(ServeProcess& server, const std::string& key, const std::string& doc, const std::string& transmission) {
    auto r = server.call("GET", "/v1/documents/" + doc + "/transmissions", key);
    if (r.status != 200) return nullptr;
    auto arr = r.json()->getArray("transmissions");
    for (unsigned i = 0; i < arr->size(); ++i)
        if (arr->getObject(i)->getValue<std::string>("id") == transmission) return arr->getObject(i)->getObject("push");
    return nullptr;
}

TEST_P(ServeWebhookProcessTest, PushedWithIdempotencyKeyAndExactlyOnceAcrossSigkill) {
    WebhookReceiver rx; // the landlord's; answer(503) makes it "down"
    ASSERT_EQ(admin({"create-org", "ADALEA", "--kind", "association"}).exitCode, 0);
    ASSERT_EQ(admin({"create-org", "Côtes d'Armor Habitat", "--kind", "bailleur"}).exitCode, 0);
    ASSERT_EQ(admin({"create-partnership", "ADALEA", "Côtes d'Armor Habitat"}).exitCode, 0);
    ASSERT_EQ(admin({"set-partnership-in-person", "ADALEA", "Côtes d'Armor Habitat", "on"}).exitCode, 0);
    const std::string keyA = newKey("ADALEA");
    const std::string keyBailleur = newKey("Côtes d'Armor Habitat");
    auto hook = admin({"set-webhook", "Côtes d'Armor Habitat", rx.url()});
    ASSERT_EQ(hook.exitCode, 0) << hook.err;

    std::string doc, trn1, trn2;
    {
        ServeProcess server(dbArgs);
        auto dossier = server.call("POST", "/v1/dossiers", keyA, R"({"reference":"ADA-2026-0042","menage":{"membres":[{"prenom":"Yannick","nom":"Le Gall"}]}})");
        ASSERT_EQ(dossier.status, 201) << dossier.body;
        const std::string dossierId = dossier.json()->getValue<std::string>("id");
        auto d = server.call("POST", "/v1/documents", keyA,
                             documentBody("fiche-navette", dossierId, "", "fiche-navette-association-vers-bailleur.json"));
        ASSERT_EQ(d.status, 201) << d.body;
        doc = d.json()->getValue<std::string>("id");
        const std::string consent = R"({"kind":"consent","recipient":"Côtes d'Armor Habitat",
            "givenBy":{"name":"Yannick Le Gall","capacity":"household_member"},
            "scope":{"documentKinds":["fiche-navette"],"categories":["logement","identite","partenaire"]},
            "purpose":"Préparer la commission d'attribution.",
            "how":{"method":"in_person","recordedBy":"Gwenaëlle Le Bihan"}})";
        ASSERT_EQ(server.call("POST", "/v1/dossiers/" + dossierId + "/consents", keyA, consent).status, 201);
        const std::string to = R"({"to":"Côtes d'Armor Habitat"})";

        // 1. Receiver up: the serve process pushes the payload with an Idempotency-Key.
        auto t1 = server.call("POST", "/v1/documents/" + doc + "/transmit", keyA, to);
        ASSERT_EQ(t1.status, 201) << t1.body;
        trn1 = t1.json()->getValue<std::string>("id");
        ASSERT_TRUE(waitFor([&] { return !rx.hitsFor(trn1, 200).empty(); })) << "no delivery within 20 s";
        const auto first = rx.hitsFor(trn1, 200);
        ASSERT_EQ(first.size(), 1u);
        EXPECT_EQ(first.front().key.rfind("msg_", 0), 0u) << first.front().key;
        auto push = pushOf(server, keyA, doc, trn1);
        ASSERT_TRUE(push);
        EXPECT_TRUE(waitFor([&] {
            auto p = pushOf(server, keyA, doc, trn1);
            return p && p->getValue<std::string>("status") == "delivered";
        }));

        // 2. Receiver down (503): a transmission, its first attempt fails and is
        // recorded; SIGKILL right then, before the retry.
        rx.answer(503);
        auto t2 = server.call("POST", "/v1/documents/" + doc + "/transmit", keyA, to);
        ASSERT_EQ(t2.status, 201) << t2.body;
        trn2 = t2.json()->getValue<std::string>("id");
        ASSERT_TRUE(waitFor([&] {
            auto p = pushOf(server, keyA, doc, trn2);
            return p && p->getValue<int>("attempts") >= 1;
        })) << "no failed attempt recorded within 20 s";
        auto failed = pushOf(server, keyA, doc, trn2);
        EXPECT_EQ(failed->getValue<std::string>("status"), "pending");
        EXPECT_EQ(failed->optValue<std::string>("lastError", ""), "http_503");
        EXPECT_EQ(rx.hitsFor(trn2, 503).size(), 1u);
        server.kill();
    }
    EXPECT_TRUE(rx.hitsFor(trn2, 200).empty());

    // 3. Receiver back up, server restarted: the retry comes from the database.
    rx.answer(200);
    ServeProcess again(dbArgs);
    ASSERT_TRUE(waitFor([&] { return !rx.hitsFor(trn2, 200).empty(); })) << "no delivery after restart within 20 s";
    // One more drain cycle (the worker runs every 2 s) must not deliver again.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const auto accepted = rx.hitsFor(trn2, 200);
    ASSERT_EQ(accepted.size(), 1u) << "exactly one accepted delivery";
    const auto refused = rx.hitsFor(trn2, 503);
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_EQ(accepted.front().key, refused.front().key) << "the retry carries the same Idempotency-Key";
    EXPECT_NE(accepted.front().key, rx.hitsFor(trn1, 200).front().key);
    EXPECT_EQ(rx.hitsFor(trn1, 200).size(), 1u) << "the first delivery was not repeated";
    auto push = pushOf(again, keyA, doc, trn2);
    ASSERT_TRUE(push);
    EXPECT_EQ(push->getValue<std::string>("status"), "delivered");
    EXPECT_EQ(push->getValue<int>("attempts"), 2);
    // The landlord has both copies; the audit chain is intact.
    EXPECT_EQ(again.call("GET", "/v1/received", keyBailleur).json()->getValue<int>("total"), 2);
    std::vector<std::string> verifyArgs = {PASSERELLE_BINARY, "audit", "verify"};
    verifyArgs.insert(verifyArgs.end(), dbArgs.begin(), dbArgs.end());
    auto verify = run(verifyArgs);
    EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeWebhookProcessTest, ::testing::ValuesIn(storeBackends()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return backendName(i.param); });

} // namespace
} // namespace passerelle::testing
