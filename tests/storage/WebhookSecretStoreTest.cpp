// Webhook signing secrets encrypted at rest (issue 12; storage/SecretCipher.h,
// storage/WebhookSecretStore.h): round trip, nothing of the secret in the database's bytes,
// altered or moved ciphertext refused, the key file created 0600 at first start, rows stored
// in clear before encrypted once at start-up, a wrong key refused with a clear message.
// SQLite always; PostgreSQL when PASSERELLE_TEST_PG is set.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include <Poco/Base64Encoder.h>
#include <Poco/Data/Session.h>

#include "storage/SecretCipher.h"
#include "storage/StoreBackends.h"
#include "storage/WebhookSecretStore.h"
#include "support/TestSupport.h"

namespace passerelle::testing {
namespace {

using storage::SecretCipher;

std::shared_ptr<const SecretCipher> cipherOf(char fill) {
    auto c = SecretCipher::fromKey(std::string(SecretCipher::KEY_BYTES, fill));
    EXPECT_TRUE(c.isOk());
    return c.value();
}

std::string fileBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream b;
    b << in.rdbuf();
    return b.str();
}

std::string base64(const std::string& bytes) {
    std::ostringstream out;
    Poco::Base64Encoder enc(out);
    enc.rdbuf()->setLineLength(0);
    enc << bytes;
    enc.close();
    return out.str();
}

class WebhookSecrets : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
        auto a = store->createOrganisation("Côtes d'Armor Habitat", "bailleur");
        auto b = store->createOrganisation("Terre et Baie Habitat", "bailleur");
        ASSERT_TRUE(a.isOk() && b.isOk());
        orgA = a.value().id;
        orgB = b.value().id;
    }
    std::vector<std::string> storedSecrets() {
        std::vector<std::string> rows;
        EXPECT_TRUE(store->readSession("test", [&](Poco::Data::Session& s) {
                             s << "SELECT secret FROM webhook_secrets ORDER BY organisation_id", Poco::Data::Keywords::into(rows),
                                 Poco::Data::Keywords::now;
                             return Status::ok();
                         }).isOk());
        return rows;
    }
    std::string storedSecret(const std::string& org) {
        std::vector<std::string> rows;
        EXPECT_TRUE(store->readSession("test", [&](Poco::Data::Session& s) {
                             s << "SELECT secret FROM webhook_secrets WHERE organisation_id = '" + org + "'",
                                 Poco::Data::Keywords::into(rows), Poco::Data::Keywords::now;
                             return Status::ok();
                         }).isOk());
        return rows.empty() ? std::string() : rows.front();
    }
    storage::AuditEvent audit(const std::string& org) { return {"webhook.secret_set", org, org, "{}"}; }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    std::string orgA, orgB;
};

const std::string SECRET_A = "whsec_3f1c9a7e5b2d4f6081a3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7";
const std::string SECRET_B = "whsec_b7e5c3a1f9d7b5e3c1a9f7d5b3e1c9a7f5d3b1e9c7a5f3d1b9e7c5a3f1d9b7e5";

TEST_P(WebhookSecrets, RoundTripStoresAVersionedCiphertextWithAFreshNonceEachTime) {
    storage::PocoWebhookSecretStore secrets(store, cipherOf('\x11'));
    ASSERT_TRUE(secrets.setWebhookSecret(orgA, SECRET_A, audit(orgA)).isOk());
    auto back = secrets.findWebhookSecret(orgA);
    ASSERT_TRUE(back.isOk()) << back.status().toString();
    EXPECT_EQ(back.value().secret, SECRET_A);
    const std::string first = storedSecret(orgA);
    EXPECT_EQ(first.rfind("v1:", 0), 0u) << first;
    EXPECT_EQ(first.find(SECRET_A), std::string::npos);
    EXPECT_EQ(first.find(SECRET_A.substr(6, 16)), std::string::npos);
    // nonce (12) + ciphertext (the secret's length) + tag (16), in base64.
    EXPECT_EQ(first.size(), 3 + base64(std::string(12 + SECRET_A.size() + 16, 'x')).size());
    // The same secret again: another nonce, another value.
    ASSERT_TRUE(secrets.setWebhookSecret(orgA, SECRET_A, audit(orgA)).isOk());
    EXPECT_NE(storedSecret(orgA), first);
    EXPECT_EQ(secrets.findWebhookSecret(orgA).value().secret, SECRET_A);
    EXPECT_EQ(secrets.findWebhookSecret(orgB).status().errorCode(), "webhook_secret_not_found");
}

TEST_P(WebhookSecrets, TheDatabaseFilesHoldNoSecret) {
    if (GetParam() != "sqlite") GTEST_SKIP() << "the bytes of the SQLite file";
    {
        storage::PocoWebhookSecretStore secrets(store, cipherOf('\x22'));
        ASSERT_TRUE(secrets.setWebhookSecret(orgA, SECRET_A, audit(orgA)).isOk());
        ASSERT_TRUE(secrets.setWebhookSecret(orgB, SECRET_B, audit(orgB)).isOk());
        ASSERT_EQ(secrets.findWebhookSecret(orgB).value().secret, SECRET_B);
    }
    store.reset(); // closes the pool: the WAL is checkpointed into the file
    const std::string path = db->config().connectionString;
    std::string bytes = fileBytes(path) + fileBytes(path + "-wal");
    ASSERT_GT(bytes.size(), 0u) << path;
    ASSERT_NE(bytes.find("webhook_secrets"), std::string::npos) << "the table is in these bytes";
    for (const auto& s : {SECRET_A, SECRET_B}) {
        EXPECT_EQ(bytes.find(s), std::string::npos);
        EXPECT_EQ(bytes.find(s.substr(6, 20)), std::string::npos);
    }
    EXPECT_NE(bytes.find("v1:"), std::string::npos);
}

TEST_P(WebhookSecrets, AlteredOrMovedCiphertextAndAnotherKeyAreRefused) {
    storage::PocoWebhookSecretStore secrets(store, cipherOf('\x33'));
    ASSERT_TRUE(secrets.setWebhookSecret(orgA, SECRET_A, audit(orgA)).isOk());
    ASSERT_TRUE(secrets.setWebhookSecret(orgB, SECRET_B, audit(orgB)).isOk());
    const std::string good = storedSecret(orgA);
    // One base64 character of the ciphertext changed.
    std::string bad = good;
    const std::size_t at = 3 + 20;
    bad[at] = bad[at] == 'A' ? 'B' : 'A';
    db->execute("UPDATE webhook_secrets SET secret = '" + bad + "' WHERE organisation_id = '" + orgA + "'");
    auto tampered = secrets.findWebhookSecret(orgA);
    EXPECT_FALSE(tampered.isOk());
    EXPECT_EQ(tampered.status().errorCode(), "webhook_secret_undecryptable");
    EXPECT_EQ(tampered.status().toString().find(SECRET_A), std::string::npos);
    // B's value copied onto A's row: bound to B (associated data), refused for A.
    db->execute("UPDATE webhook_secrets SET secret = '" + storedSecret(orgB) + "' WHERE organisation_id = '" + orgA + "'");
    EXPECT_EQ(secrets.findWebhookSecret(orgA).status().errorCode(), "webhook_secret_undecryptable");
    db->execute("UPDATE webhook_secrets SET secret = '" + good + "' WHERE organisation_id = '" + orgA + "'");
    EXPECT_EQ(secrets.findWebhookSecret(orgA).value().secret, SECRET_A);
    // Another key: refused at start-up (prepare), with a message naming the key and no secret; nothing changed.
    storage::PocoWebhookSecretStore wrong(store, cipherOf('\x44'));
    auto prepared = wrong.prepare();
    ASSERT_FALSE(prepared.isOk());
    EXPECT_EQ(prepared.status().errorCode(), "secrets_key_mismatch");
    EXPECT_NE(prepared.status().message().find("La clé des secrets"), std::string::npos) << prepared.status().message();
    EXPECT_NE(prepared.status().message().find("The secrets key does not decrypt"), std::string::npos);
    for (const auto& s : {SECRET_A, SECRET_B}) EXPECT_EQ(prepared.status().toString().find(s), std::string::npos);
    EXPECT_EQ(wrong.findWebhookSecret(orgA).status().errorCode(), "webhook_secret_undecryptable");
    EXPECT_EQ(storedSecret(orgA), good);
}

TEST_P(WebhookSecrets, SecretsStoredInClearAreEncryptedOnceAtStartUp) {
    // As schema 13 to 19 stored them.
    db->execute("INSERT INTO webhook_secrets (organisation_id, secret, created_at) VALUES ('" + orgA + "', '" + SECRET_A +
                "', '2026-11-22T10:00:00.000Z')");
    storage::PocoWebhookSecretStore secrets(store, cipherOf('\x55'));
    auto first = secrets.prepare();
    ASSERT_TRUE(first.isOk()) << first.status().toString();
    EXPECT_EQ(first.value(), 1);
    const std::string sealed = storedSecret(orgA);
    EXPECT_EQ(sealed.rfind("v1:", 0), 0u);
    EXPECT_EQ(sealed.find(SECRET_A), std::string::npos);
    EXPECT_EQ(secrets.findWebhookSecret(orgA).value().secret, SECRET_A);
    EXPECT_EQ(secrets.findWebhookSecret(orgA).value().createdAt, "2026-11-22T10:00:00.000Z");
    auto again = secrets.prepare();
    ASSERT_TRUE(again.isOk());
    EXPECT_EQ(again.value(), 0) << "idempotent";
    EXPECT_EQ(storedSecret(orgA), sealed);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookSecrets, ::testing::ValuesIn(storeBackends()),
                         [](const auto& info) { return backendName(info.param); });

TEST(SecretKey, TheKeyFileIsCreated0600AtFirstStartAndReadAfterwards) {
    TempDir dir;
    const std::string path = dir.file("var/secrets.key");
    auto made = SecretCipher::load("", "", path);
    ASSERT_TRUE(made.isOk()) << made.status().toString();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const std::string text = fileBytes(path);
    EXPECT_EQ(text.rfind("# ", 0), 0u) << "a comment says what it is";
    auto sealed = made.value()->encrypt(SECRET_A, "org_x");
    ASSERT_TRUE(sealed.isOk());
    // Restarted: the same key is read back, the file unchanged.
    auto again = SecretCipher::load("", "", path);
    ASSERT_TRUE(again.isOk());
    EXPECT_EQ(again.value()->decrypt(sealed.value(), "org_x").value(), SECRET_A);
    EXPECT_EQ(fileBytes(path), text);
    // passerelle.secrets.key wins over the file; passerelle.secrets.keyFile must exist.
    auto configured = SecretCipher::load(base64(std::string(32, '\x07')), "", path);
    ASSERT_TRUE(configured.isOk());
    EXPECT_FALSE(configured.value()->decrypt(sealed.value(), "org_x").isOk());
    EXPECT_EQ(SecretCipher::load("", dir.file("absent.key"), path).status().errorCode(), "secrets_key_missing");
    EXPECT_EQ(SecretCipher::load(base64("trop court"), "", path).status().errorCode(), "secrets_key_invalid");
    EXPECT_EQ(SecretCipher::load("pas du base64 !", "", path).status().errorCode(), "secrets_key_invalid");
}

// The server refuses to start with a key that does not decrypt the stored secrets: exit 78 and a
// French/English message, no crash, no secret on its output.
TEST(SecretKey, ServeWithAWrongKeyStopsWithAClearMessage) {
    TestDatabase db("sqlite");
    ASSERT_TRUE(db.available());
    {
        auto store = db.open();
        auto org = store->createOrganisation("Côtes d'Armor Habitat", "bailleur");
        ASSERT_TRUE(org.isOk());
        storage::PocoWebhookSecretStore secrets(store, cipherOf('\x66'));
        ASSERT_TRUE(secrets.setWebhookSecret(org.value().id, SECRET_A, {"webhook.secret_set", "system", org.value().id, "{}"}).isOk());
    }
    TempDir dir;
    {
        std::ofstream props(dir.file("passerelle.properties"));
        props << "passerelle.secrets.key = " << base64(std::string(32, '\x77')) << "\n";
    }
    auto r = run({"timeout", "120", PASSERELLE_BINARY, "serve", "--config", dir.file("passerelle.properties"), "--db", db.url(),
                  "--data-dir", dir.file("var"), "--port", "0"});
    EXPECT_EQ(r.exitCode, 78) << r.out << r.err;
    EXPECT_NE(r.err.find("secrets_key_mismatch"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("La clé des secrets"), std::string::npos) << r.err;
    EXPECT_EQ((r.out + r.err).find(SECRET_A), std::string::npos);
    EXPECT_EQ((r.out + r.err).find(SECRET_A.substr(6, 16)), std::string::npos);
}

} // namespace
} // namespace passerelle::testing
