// `passerelle audit verify` with the real binary on a real SQLite database
// (issue 11, items 9 and 10): each attack on the journal or on the state
// tables is named, an intact journal passes, a missing database is not
// reported as an intact empty journal.
#include <gtest/gtest.h>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/File.h>

#include "audit/AuditChain.h"
#include "storage/ApiKeys.h"
#include "storage/PocoStore.h"
#include "support/TestSupport.h"

using namespace passerelle;
using passerelle::testing::run;
using passerelle::testing::TempDir;
using namespace Poco::Data::Keywords;

namespace {

const std::string KEY = "cle-d-audit-de-test-0123456789";

struct Fixture {
    TempDir tmp;
    std::string dir = tmp.file("data");
    std::string withdrawnConsent, liveConsent, sent;

    Fixture() {
        Poco::File(dir).createDirectories();
        passerelle::testing::writeFile(dir + "/audit.key", "# clé de test\n" + KEY + "\n");
        auto keys = std::make_shared<audit::AuditKeyring>();
        EXPECT_TRUE(keys->add(KEY));
        storage::StoreConfig config = storage::sqliteInDataDir(dir);
        config.auditKeys = keys;
        auto opened = storage::PocoStore::open(config);
        EXPECT_TRUE(opened.isOk()) << opened.status().toString();
        auto store = opened.value();
        auto asso = store->createOrganisation("Association", storage::KIND_ASSOCIATION).value();
        auto bailleur = store->createOrganisation("Bailleur", storage::KIND_BAILLEUR).value();
        storage::Dossier d;
        d.associationId = asso.id;
        d.statut = "ouvert";
        auto dossier = store->createDossier(d).value();
        storage::Document doc;
        doc.form = "fiche-navette";
        doc.dossierId = dossier.id;
        doc.ownerOrganisationId = asso.id;
        doc.createdByOrganisationId = asso.id;
        storage::Revision rev;
        rev.inputJson = "{}";
        rev.createdByOrganisationId = asso.id;
        storage::Artefact pdf{"pdf", "application/pdf", storage::sha256Hex("%PDF-original"), 13, "%PDF-original"};
        rev.artefacts.push_back(pdf);
        auto document = store->createDocument(doc, rev).value();

        auto consent = [&](const std::string& kind) {
            storage::StoredConsent c;
            c.id = storage::newId("cns_");
            c.dossierId = dossier.id;
            c.kind = kind;
            c.givenByName = "X";
            c.givenByCapacity = "household_member";
            c.recipientOrgId = bailleur.id;
            c.documentKinds = {"fiche-navette"};
            c.categories = {"logement"};
            c.purpose = "accès au logement";
            c.givenAt = 1764000000;
            c.howMethod = "in_person";
            c.createdByOrganisationId = asso.id;
            auto r = store->recordConsent(c, {kind == "consent" ? "consent.given" : "consent.refused", asso.id, c.id, "{}"});
            EXPECT_TRUE(r.isOk()) << r.status().toString();
            return c.id;
        };
        withdrawnConsent = consent("consent");
        EXPECT_TRUE(store->withdrawConsent(withdrawnConsent, 1764100000, {"consent.withdrawn", asso.id, withdrawnConsent, "{}"}).isOk());
        liveConsent = consent("consent");
        consent("refusal");

        storage::Transmission t;
        t.id = storage::newId("trn_");
        t.documentId = document.id;
        t.revision = 1;
        t.dossierId = dossier.id;
        t.form = "fiche-navette";
        t.senderOrgId = asso.id;
        t.recipientOrgId = bailleur.id;
        t.allowed = true;
        t.decisionCode = "allowed";
        t.consentId = liveConsent;
        storage::Artefact copy{"pdf", "application/pdf", storage::sha256Hex("%PDF-copy"), 9, "%PDF-copy"};
        t.artefacts.push_back(copy);
        auto rec = store->recordTransmission(t, {"transmission.sent", asso.id, t.id, "{\"copies\":{\"pdf\":\"" + copy.sha256 + "\"}}"},
                                             std::nullopt, std::nullopt);
        EXPECT_TRUE(rec.isOk()) << rec.status().toString();
        sent = t.id;
        EXPECT_TRUE(store->appendAudit({"landlord.fetch", bailleur.id, t.id, "{}"}).isOk());
    }

    passerelle::testing::CommandResult audit(const std::string& verb) const {
        return run({PASSERELLE_BINARY, "audit", verb, "--data-dir", dir});
    }

    void sql(const std::string& statement) const {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::Session s("SQLite", dir + "/passerelle.db");
        s << statement, now;
    }
};

std::string both(const passerelle::testing::CommandResult& r) { return r.out + r.err; }

} // namespace

TEST(AuditCommand, IntactJournalWithCheckpointPasses) {
    Fixture f;
    auto cp = f.audit("checkpoint");
    ASSERT_EQ(cp.exitCode, 0) << both(cp);
    EXPECT_NE(cp.out.find("point de contrôle inscrit"), std::string::npos) << cp.out;
    EXPECT_NE(passerelle::testing::readFile(f.dir + "/audit-checkpoints.log").find("v1 count=6 "), std::string::npos);
    auto again = f.audit("checkpoint");
    EXPECT_NE(again.out.find("déjà à jour"), std::string::npos) << again.out;
    auto v = f.audit("verify");
    EXPECT_EQ(v.exitCode, 0) << both(v);
    EXPECT_NE(v.out.find("journal intègre : 6 entrées (6 signées), 1 point(s) de contrôle, 3 consentement(s) et 1 transmission(s)"),
              std::string::npos)
        << v.out;
}

TEST(AuditCommand, DeletingTheLastEntriesOrAllOfThemIsDetected) {
    for (const char* where : {"seq > 4", "seq > 0"}) {
        Fixture f;
        ASSERT_EQ(f.audit("checkpoint").exitCode, 0);
        f.sql(std::string("DELETE FROM audit_log WHERE ") + where);
        auto v = f.audit("verify");
        EXPECT_EQ(v.exitCode, 65) << where << both(v);
        EXPECT_NE(v.err.find("Journal tronqué"), std::string::npos) << where << v.err;
    }
}

TEST(AuditCommand, EditingAnEntryAndRecomputingTheChainWithoutTheKeyIsDetected) {
    Fixture f;
    ASSERT_EQ(f.audit("checkpoint").exitCode, 0);
    // The forger edits entry 2 and recomputes entries 2.. as unkeyed SHA-256, the only hash it can compute.
    std::vector<audit::AuditEntry> entries;
    {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::Session s("SQLite", f.dir + "/passerelle.db");
        std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string, std::string,
                                std::string>>
            rows;
        s << "SELECT seq, at, event, actor, subject, details, prev_hash, hash FROM audit_log ORDER BY seq", into(rows), now;
        for (auto& r : rows)
            entries.push_back({r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>(), r.get<6>(), r.get<7>(), ""});
        entries[1].actor = "org_faussaire";
        for (std::size_t i = 1; i < entries.size(); ++i) {
            entries[i].prevHash = entries[i - 1].hash;
            entries[i].hash = audit::computeHash(entries[i]);
            std::string actor = entries[i].actor, prev = entries[i].prevHash, hash = entries[i].hash;
            Poco::Int64 seq = entries[i].seq;
            s << "UPDATE audit_log SET actor = $1, prev_hash = $2, hash = $3, key_id = '' WHERE seq = $4", use(actor),
                use(prev), use(hash), use(seq), now;
        }
    }
    auto v = f.audit("verify");
    EXPECT_EQ(v.exitCode, 65) << both(v);
    EXPECT_NE(v.err.find("entrée n° 2 (unkeyed_after_keyed)"), std::string::npos) << v.err;
}

TEST(AuditCommand, AnUnwithdrawnConsentIsFound) {
    Fixture f;
    f.sql("UPDATE consents SET withdrawn_at = NULL WHERE id = '" + f.withdrawnConsent + "'");
    auto v = f.audit("verify");
    EXPECT_EQ(v.exitCode, 65) << both(v);
    EXPECT_NE(v.err.find("Consentement " + f.withdrawnConsent + " retiré au journal mais en vigueur dans la base"),
              std::string::npos)
        << v.err;
}

TEST(AuditCommand, StateRowsWithoutTheirEntryOrWithOtherHashesAreFound) {
    Fixture f;
    f.sql("UPDATE transmission_artefacts SET sha256 = '" + std::string(64, '0') + "' WHERE transmission_id = '" + f.sent + "'");
    f.sql("INSERT INTO consents SELECT 'cns_glisse', dossier_id, kind, given_by, capacity, recipient_id, document_kinds,"
          " categories, purpose, given_at, how, proof_document_id, proof_sha256, recorded_by, expires_at, NULL, supersedes,"
          " created_by_org, created_by_key, created_at, copie_siao, shown_sha256 FROM consents WHERE id = '" + f.liveConsent + "'");
    auto v = f.audit("verify");
    EXPECT_EQ(v.exitCode, 65) << both(v);
    EXPECT_NE(v.err.find("2 écart(s)"), std::string::npos) << v.err;
    EXPECT_NE(v.err.find("Transmission " + f.sent + " : les copies conservées ne correspondent pas"), std::string::npos) << v.err;
    EXPECT_NE(v.err.find("Consentement cns_glisse sans son entrée au journal"), std::string::npos) << v.err;
}

TEST(AuditCommand, ATamperedCheckpointFileIsDetected) {
    Fixture f;
    ASSERT_EQ(f.audit("checkpoint").exitCode, 0);
    std::string line = passerelle::testing::readFile(f.dir + "/audit-checkpoints.log");
    auto at = line.find("count=6");
    ASSERT_NE(at, std::string::npos);
    line.replace(at, 7, "count=5");
    passerelle::testing::writeFile(f.dir + "/audit-checkpoints.log", line);
    auto v = f.audit("verify");
    EXPECT_EQ(v.exitCode, 65) << both(v);
    EXPECT_NE(v.err.find("checkpoint_forged"), std::string::npos) << v.err;
}

TEST(AuditCommand, VerifyWithoutADatabaseFailsAndCreatesNothing) {
    TempDir tmp;
    const std::string dir = tmp.file("absent");
    auto v = run({PASSERELLE_BINARY, "audit", "verify", "--data-dir", dir});
    EXPECT_EQ(v.exitCode, 66) << both(v);
    EXPECT_NE(v.err.find("Base de données introuvable"), std::string::npos) << v.err;
    EXPECT_EQ(v.out.find("journal intègre"), std::string::npos) << v.out;
    EXPECT_FALSE(Poco::File(dir + "/passerelle.db").exists());
}

TEST(AuditCommand, WithoutItsKeyTheJournalCannotBeVouchedFor) {
    Fixture f;
    Poco::File(f.dir + "/audit.key").remove();
    auto v = f.audit("verify");
    EXPECT_EQ(v.exitCode, 65) << both(v);
    EXPECT_NE(v.out.find("Clé d'audit introuvable"), std::string::npos) << v.out;
    EXPECT_NE(v.err.find("entrée n° 1 (unknown_key)"), std::string::npos) << v.err;
    EXPECT_EQ(v.out.find("journal intègre"), std::string::npos) << v.out;
}
