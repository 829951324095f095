// The acceptance path with the real executable: `passerelle admin` creates the
// organisations and keys, two `passerelle serve` processes share one
// database, a restart keeps everything, and another organisation's key sees
// nothing. Runs on SQLite (--data-dir) and on PostgreSQL (--db) when
// PASSERELLE_TEST_PG is set.
#include <gtest/gtest.h>

#include "api/ServeProcess.h"

namespace passerelle::testing {
namespace {

class ServeProcessTest : public ProcessTest {};

TEST_P(ServeProcessTest, AdminThenTwoServersThenRestart) {
    // First start: the service explains how to create the first organisation.
    {
        ServeProcess first(dbArgs);
        EXPECT_EQ(first.call("GET", "/v1/forms", "").status, 401);
        std::string out = first.stop();
        EXPECT_NE(out.find("Aucune organisation n'est encore enregistrée"), std::string::npos) << out;
        EXPECT_NE(out.find("passerelle admin create-org"), std::string::npos) << out;
    }
    auto orgA = admin({"create-org", "ADGESTI", "--kind", "association"});
    ASSERT_EQ(orgA.exitCode, 0) << orgA.err;
    EXPECT_NE(orgA.out.find("Organisation créée : org_"), std::string::npos) << orgA.out;
    auto keyOutA = admin({"create-key", "ADGESTI", "--name", "Claire Lefèvre"});
    ASSERT_EQ(keyOutA.exitCode, 0) << keyOutA.err;
    const std::string keyA = keyIn(keyOutA.out);
    ASSERT_FALSE(keyA.empty()) << keyOutA.out;
    ASSERT_EQ(admin({"create-org", "Ensemble", "--kind", "association"}).exitCode, 0);
    const std::string keyB = keyIn(admin({"create-key", "Ensemble"}).out);
    ASSERT_FALSE(keyB.empty());
    auto dup = admin({"create-org", "ADGESTI", "--kind", "association"});
    EXPECT_EQ(dup.exitCode, 65);
    EXPECT_NE(dup.err.find("Une organisation porte déjà le nom « ADGESTI »"), std::string::npos) << dup.err;
    EXPECT_EQ(admin({"create-org", "X", "--kind", "mairie"}).exitCode, 65);
    auto list = admin({"list-orgs"});
    EXPECT_NE(list.out.find("ADGESTI  (1 clé(s) valide(s))"), std::string::npos) << list.out;

    std::string docId, sha;
    {
        ServeProcess one(dbArgs), two(dbArgs);
        auto dossier = one.call("POST", "/v1/dossiers", keyA, R"({"reference":"ADG-2026-0147"})");
        ASSERT_EQ(dossier.status, 201) << dossier.body;
        const std::string dossierId = dossier.json()->getValue<std::string>("id");
        auto doc = two.call("POST", "/v1/documents", keyA,
                            documentBody("fiche-navette", dossierId, "", "fiche-navette-association-vers-bailleur.json"));
        ASSERT_EQ(doc.status, 201) << doc.body;
        docId = doc.json()->getValue<std::string>("id");
        auto pdf1 = one.call("GET", "/v1/documents/" + docId + "/pdf", keyA);
        auto pdf2 = two.call("GET", "/v1/documents/" + docId + "/pdf", keyA);
        ASSERT_EQ(pdf1.status, 200);
        ASSERT_EQ(pdf2.status, 200);
        EXPECT_EQ(pdf1.body, pdf2.body);
        sha = storage::sha256Hex(pdf1.body);
        EXPECT_EQ(one.call("GET", "/v1/documents/" + docId + "/pdf", keyB).status, 404);
        EXPECT_EQ(two.call("GET", "/v1/documents/" + docId, keyB).status, 404);
    }
    // Restart: everything is still there, byte for byte.
    ServeProcess again(dbArgs);
    auto pdf = again.call("GET", "/v1/documents/" + docId + "/pdf", keyA);
    ASSERT_EQ(pdf.status, 200) << pdf.body;
    EXPECT_EQ(storage::sha256Hex(pdf.body), sha);
    EXPECT_NE(normaliseSpaces(pdfToText(pdf.body)).find("Benali"), std::string::npos);
    EXPECT_EQ(again.call("GET", "/v1/documents/" + docId + "/pdf", keyB).status, 404);
    // Revoking from the CLI takes effect on the running service.
    auto revoked = admin({"revoke-key", keyA.substr(0, storage::API_KEY_PREFIX_CHARS)});
    EXPECT_EQ(revoked.exitCode, 0) << revoked.err;
    EXPECT_EQ(again.call("GET", "/v1/documents/" + docId + "/pdf", keyA).status, 401);
    std::string out = again.stop();
    EXPECT_EQ(out.find("Aucune organisation"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeProcessTest, ::testing::ValuesIn(storeBackends()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return backendName(i.param); });

} // namespace
} // namespace passerelle::testing
