// The storage suite: every test body runs on SQLite and on PostgreSQL
// (PASSERELLE_TEST_PG set; skipped otherwise).
#include <atomic>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "storage/ApiKeys.h"
#include "storage/StoreBackends.h"

namespace passerelle::storage {
namespace {

using testing::TestDatabase;

class StoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
    }

    Organisation org(const std::string& name, const std::string& kind) {
        auto r = store->createOrganisation(name, kind);
        EXPECT_TRUE(r.isOk()) << r.status().toString();
        return r.value();
    }

    Dossier newDossier(const std::string& associationId, const std::string& reference, const std::string& statut = "ouvert") {
        Dossier d;
        d.associationId = associationId;
        d.reference = reference;
        d.statut = statut;
        d.menageJson = R"({"membres":[{"nom":"Benali","prenom":"Samira"}]})";
        d.logementJson = R"({"adresse":"8 allée des Tilleuls","commune":"Le Mans"})";
        auto r = store->createDossier(d);
        EXPECT_TRUE(r.isOk()) << r.status().toString();
        return r.value();
    }

    // Every byte value, NULs included, and enough of them to cross buffer sizes.
    static std::string binaryBytes(std::size_t n, unsigned seed) {
        std::string b(n, '\0');
        for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<char>((i * 7 + seed) & 0xFF);
        return b;
    }

    static Revision revision(const std::string& input, const std::string& orgId, const std::string& pdf) {
        Revision r;
        r.variant = "standard";
        r.formVersion = "1.0.0";
        r.inputJson = input;
        r.createdByOrganisationId = orgId;
        r.createdByKeyId = "key_test";
        Artefact a;
        a.format = "pdf";
        a.contentType = "application/pdf";
        a.bytes = pdf;
        a.sha256 = sha256Hex(pdf);
        a.size = static_cast<std::int64_t>(pdf.size());
        r.artefacts.push_back(a);
        return r;
    }

    Document newDocument(const Organisation& owner, const std::string& dossierId, const std::string& actionId,
                         const std::string& form, const std::string& pdf) {
        Document d;
        d.form = form;
        d.dossierId = dossierId;
        d.actionId = actionId;
        d.ownerOrganisationId = owner.id;
        d.createdByOrganisationId = owner.id;
        d.createdByKeyId = "key_test";
        auto r = store->createDocument(d, revision(R"({"n":1})", owner.id, pdf));
        EXPECT_TRUE(r.isOk()) << r.status().toString();
        return r.value();
    }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<PocoStore> store;
};

TEST_P(StoreTest, MigrationsAreAppliedOnceAndRecorded) {
    auto v = store->schemaVersion();
    ASSERT_TRUE(v.isOk()) << v.status().toString();
    EXPECT_EQ(v.value(), latestSchemaVersion());
    // A second instance on the same database applies nothing and sees the same version.
    auto again = db->open();
    EXPECT_EQ(again->schemaVersion().value(), latestSchemaVersion());
}

// Branches developed side by side land their migrations in any order: one numbered below the
// newest applied (here 14, after 17) is still applied, once.
TEST_P(StoreTest, AMigrationNumberedBelowTheNewestAppliedIsStillApplied) {
    Organisation a = org("ADGESTI", "association");
    Organisation b = org("Sarthe Habitat", "bailleur");
    store.reset();
    db->execute("DROP TABLE in_person_consent_settings");
    db->execute("DROP TABLE organisation_contacts");
    db->execute("DELETE FROM schema_migrations WHERE version = 14");
    auto reopened = db->open();
    EXPECT_EQ(reopened->schemaVersion().value(), latestSchemaVersion());
    ASSERT_TRUE(reopened->setInPersonConsentAllowed(a.id, b.id, true, {"partnership.in_person_consent", "system", b.id, "{}"}).isOk())
        << "migration 14's table is back";
    EXPECT_TRUE(reopened->inPersonConsentAllowed(a.id, b.id).value());
    // Opening again applies nothing twice.
    auto third = db->open();
    EXPECT_TRUE(third->inPersonConsentAllowed(a.id, b.id).value());
}

// Migration 18: a consent keeps the SHA-256 of the recipient copy shown to the household
// (consents.shown_sha256), written with the record; older rows get it from the "shownSha256"
// of their consent.given audit entry, where TransmissionService wrote it before the column.
TEST_P(StoreTest, AConsentKeepsTheShownCopysHashAndMigration18FillsOlderRows) {
    Organisation a = org("ADALEA", "association");
    Organisation b = org("Terre et Baie Habitat", "bailleur");
    Dossier d = newDossier(a.id, "ADA-2026-0018");
    const std::string shownNew = sha256Hex("copie montrée, enregistrement récent");
    const std::string shownOld = sha256Hex("copie montrée, enregistrement ancien");
    auto consent = [&](const std::string& id, const std::string& shown, const std::string& auditShown) {
        StoredConsent c;
        c.id = id;
        c.dossierId = d.id;
        c.kind = "consent";
        c.givenByName = "Samira Benali";
        c.givenByCapacity = "household_member";
        c.recipientOrgId = b.id;
        c.documentKinds = {"grille-capacite-habiter"};
        c.categories = {"logement"};
        c.purpose = "Étude de la demande de logement.";
        c.givenAt = 1796000000;
        c.howMethod = auditShown.empty() && shown.empty() ? "in_person" : "signed_autorisation";
        c.proofDocumentId = c.howMethod == "in_person" ? "" : "doc_00000000000000aa";
        c.proofSha256 = c.howMethod == "in_person" ? "" : sha256Hex("pdf signé " + id);
        c.recordedBy = c.howMethod == "in_person" ? "Gwenaëlle Le Bihan" : "";
        c.shownSha256 = shown;
        c.expiresAt = 1827536000;
        c.createdByOrganisationId = a.id;
        c.createdAt = "2026-11-30T10:00:00.000Z";
        const std::string details = "{\"dossier\":\"" + d.id + "\",\"how\":\"" + c.howMethod + "\"" +
                                    (auditShown.empty() ? "" : ",\"shownSha256\":\"" + auditShown + "\"") + "}";
        auto r = store->recordConsent(c, {"consent.given", a.id, id, details});
        EXPECT_TRUE(r.isOk()) << r.status().toString();
    };
    // Recorded today: the column is written with the record.
    consent("cns_000000000000new1", shownNew, shownNew);
    EXPECT_EQ(store->findConsent("cns_000000000000new1").value().shownSha256, shownNew);
    // Recorded before migration 18: only the audit entry has it (and an in-person consent has none).
    consent("cns_000000000000old1", "", shownOld);
    consent("cns_000000000000none", "", "");
    EXPECT_EQ(store->findConsent("cns_000000000000old1").value().shownSha256, "");

    const auto auditBefore = store->listAudit().value();
    // The database as it was before migration 18, opened by this version.
    store.reset();
    db->execute("ALTER TABLE consents DROP COLUMN shown_sha256");
    db->execute("DELETE FROM schema_migrations WHERE version = 18");
    auto reopened = db->open();
    EXPECT_EQ(reopened->schemaVersion().value(), latestSchemaVersion());
    EXPECT_EQ(reopened->findConsent("cns_000000000000old1").value().shownSha256, shownOld) << "backfilled from the audit";
    EXPECT_EQ(reopened->findConsent("cns_000000000000new1").value().shownSha256, shownNew);
    EXPECT_EQ(reopened->findConsent("cns_000000000000none").value().shownSha256, "") << "nothing was shown";
    auto listed = reopened->listConsents(d.id);
    ASSERT_TRUE(listed.isOk()) << listed.status().toString();
    std::map<std::string, std::string> byId;
    for (const auto& c : listed.value()) byId[c.id] = c.shownSha256;
    EXPECT_EQ(byId["cns_000000000000old1"], shownOld);
    EXPECT_EQ(byId["cns_000000000000new1"], shownNew);
    EXPECT_EQ(byId["cns_000000000000none"], "");
    // The audit trail is untouched by the backfill.
    const auto auditAfter = reopened->listAudit().value();
    ASSERT_EQ(auditAfter.size(), auditBefore.size());
    for (std::size_t i = 0; i < auditAfter.size(); ++i) EXPECT_EQ(auditAfter[i].hash, auditBefore[i].hash) << i;
}

TEST_P(StoreTest, RefusesASchemaNewerThanItKnows) {
    db->execute("INSERT INTO schema_migrations (version, description, applied_at) VALUES (" +
                std::to_string(latestSchemaVersion() + 1) + ", 'future', '2099-01-01T00:00:00.000Z')");
    auto r = PocoStore::open(db->config());
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().errorCode(), "schema_too_new");
    EXPECT_NE(r.status().message().find("mettez Passerelle à jour"), std::string::npos) << r.status().message();
}

TEST_P(StoreTest, OrganisationsAreCreatedFoundAndListed) {
    Organisation a = org("ADGESTI", "association");
    Organisation b = org("Sarthe Habitat", "bailleur");
    EXPECT_EQ(a.id.rfind("org_", 0), 0u) << a.id;
    EXPECT_EQ(a.kind, "association");
    EXPECT_EQ(store->findOrganisation(b.id).value().name, "Sarthe Habitat");
    EXPECT_EQ(store->findOrganisationByName("ADGESTI").value().id, a.id);
    auto all = store->listOrganisations().value();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].name, "ADGESTI");
    EXPECT_EQ(all[1].name, "Sarthe Habitat");

    auto dup = store->createOrganisation("ADGESTI", "association");
    EXPECT_EQ(dup.status().errorCode(), "organisation_exists");
    auto badKind = store->createOrganisation("X", "mairie");
    EXPECT_EQ(badKind.status().errorCode(), "bad_kind");
    EXPECT_EQ(store->findOrganisation("org_nope").status().errorCode(), "organisation_not_found");
}

TEST_P(StoreTest, KeysAreFoundByHashAndRevoked) {
    Organisation a = org("ADGESTI", "association");
    GeneratedKey g = generateApiKey();
    EXPECT_TRUE(looksLikeApiKey(g.secret)) << g.secret;
    auto k = store->createApiKey(a.id, "Claire Lefèvre", g.prefix, g.hash);
    ASSERT_TRUE(k.isOk()) << k.status().toString();
    auto owner = store->findKeyByHash(hashApiKey(g.secret));
    ASSERT_TRUE(owner.isOk()) << owner.status().toString();
    EXPECT_EQ(owner.value().organisation.id, a.id);
    EXPECT_EQ(owner.value().key.name, "Claire Lefèvre");
    EXPECT_EQ(owner.value().key.prefix, g.secret.substr(0, 12));

    auto revoked = store->revokeApiKey(g.prefix);
    ASSERT_TRUE(revoked.isOk()) << revoked.status().toString();
    EXPECT_FALSE(revoked.value().revokedAt.empty());
    EXPECT_EQ(store->findKeyByHash(g.hash).status().errorCode(), "key_not_found");
    EXPECT_EQ(store->listApiKeys(a.id).value().size(), 1u);

    // Ambiguous prefixes are refused; the id always works.
    auto k1 = store->createApiKey(a.id, "", "psl_same", "h1").value();
    store->createApiKey(a.id, "", "psl_same", "h2").value();
    EXPECT_EQ(store->revokeApiKey("psl_same").status().errorCode(), "key_ambiguous");
    EXPECT_TRUE(store->revokeApiKey(k1.id).isOk());
    EXPECT_EQ(store->findKeyByHash("h1").status().errorCode(), "key_not_found");
    EXPECT_TRUE(store->findKeyByHash("h2").isOk());
    EXPECT_EQ(store->revokeApiKey("psl_unknown").status().errorCode(), "key_not_found");
}

// Two instances on one database: a key revoked by one is refused by the other at its next
// lookup, though the other keeps its lookup statements prepared on connections of their own.
TEST_P(StoreTest, AKeyRevokedByAnotherInstanceIsRefusedAtTheNextLookup) {
    Organisation a = org("ADGESTI", "association");
    GeneratedKey g = generateApiKey();
    ASSERT_TRUE(store->createApiKey(a.id, "Poste 1", g.prefix, g.hash).isOk());
    auto other = db->open();
    // Warm the prepared lookups on several threads at once (one connection each).
    std::atomic<int> found{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i)
                if (store->findKeyByHash(g.hash).isOk()) ++found;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(found.load(), 100);
    ASSERT_TRUE(other->revokeApiKey(g.prefix).isOk());
    threads.clear();
    std::atomic<int> refused{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i)
                if (store->findKeyByHash(g.hash).status().errorCode() == "key_not_found") ++refused;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(refused.load(), 100);
    // A key created by the other instance is found at once, by a statement prepared before it existed.
    GeneratedKey h = generateApiKey();
    ASSERT_TRUE(other->createApiKey(a.id, "Poste 2", h.prefix, h.hash).isOk());
    auto owner = store->findKeyByHash(h.hash);
    ASSERT_TRUE(owner.isOk()) << owner.status().toString();
    EXPECT_EQ(owner.value().key.name, "Poste 2");
    EXPECT_EQ(owner.value().organisation.name, "ADGESTI");
}

TEST_P(StoreTest, PartnershipsAndActions) {
    Organisation a = org("ADGESTI", "association");
    Organisation b = org("Sarthe Habitat", "bailleur");
    Organisation f1 = org("DDCS", "financeur");
    Organisation f2 = org("FNAVDL", "financeur");
    ASSERT_TRUE(store->createPartnership(a.id, b.id).isOk());
    EXPECT_EQ(store->createPartnership(a.id, b.id).status().errorCode(), "partnership_exists");
    EXPECT_EQ(store->listPartnerships(b.id).value().size(), 1u);
    EXPECT_EQ(store->listPartnerships(f1.id).value().size(), 0u);

    auto act = store->createAction("Logement d'abord – Sarthe", a.id, {f2.id, f1.id, f1.id});
    ASSERT_TRUE(act.isOk()) << act.status().toString();
    auto found = store->findAction(act.value().id).value();
    EXPECT_EQ(found.title, "Logement d'abord – Sarthe");
    std::vector<std::string> funders = {f1.id, f2.id};
    std::sort(funders.begin(), funders.end());
    EXPECT_EQ(found.funderIds, funders);
    EXPECT_EQ(store->listActions(a.id, "").value().size(), 1u);
    EXPECT_EQ(store->listActions("", f2.id).value().size(), 1u);
    EXPECT_EQ(store->listActions("", b.id).value().size(), 0u);
    // Unknown funder: the foreign key refuses it and nothing of the action remains.
    auto bad = store->createAction("Fantôme", a.id, {"org_missing"});
    EXPECT_FALSE(bad.isOk());
    EXPECT_EQ(store->listActions(a.id, "").value().size(), 1u);
}

TEST_P(StoreTest, DossiersAreListedFilteredPaginatedAndUpdated) {
    Organisation a = org("ADGESTI", "association");
    Organisation other = org("Ensemble", "association");
    for (int i = 0; i < 5; ++i) newDossier(a.id, "ADG-" + std::to_string(i), i % 2 ? "clos" : "ouvert");
    newDossier(other.id, "ENS-1");

    DossierQuery q;
    q.associationId = a.id;
    q.limit = 2;
    auto p1 = store->listDossiers(q).value();
    EXPECT_EQ(p1.total, 5);
    ASSERT_EQ(p1.items.size(), 2u);
    q.offset = 4;
    auto p3 = store->listDossiers(q).value();
    ASSERT_EQ(p3.items.size(), 1u);
    EXPECT_NE(p3.items[0].id, p1.items[0].id);
    q = DossierQuery{};
    q.associationId = a.id;
    q.statut = "clos";
    EXPECT_EQ(store->listDossiers(q).value().total, 2);
    q.statut = "";
    q.reference = "ADG-3";
    auto byRef = store->listDossiers(q).value();
    ASSERT_EQ(byRef.items.size(), 1u);
    EXPECT_EQ(byRef.items[0].reference, "ADG-3");
    EXPECT_EQ(byRef.items[0].menageJson, R"({"membres":[{"nom":"Benali","prenom":"Samira"}]})");

    Dossier d = byRef.items[0];
    d.statut = "suspendu";
    d.logementJson = R"({"commune":"Allonnes"})";
    auto updated = store->updateDossier(d);
    ASSERT_TRUE(updated.isOk()) << updated.status().toString();
    EXPECT_EQ(updated.value().version, 2);
    EXPECT_EQ(updated.value().statut, "suspendu");
    EXPECT_EQ(store->findDossier(d.id).value().logementJson, R"({"commune":"Allonnes"})");
    // A stale version is a conflict and changes nothing.
    d.statut = "clos";
    EXPECT_EQ(store->updateDossier(d).status().errorCode(), "dossier_conflict");
    EXPECT_EQ(store->findDossier(d.id).value().statut, "suspendu");
    d.id = "dos_missing";
    EXPECT_EQ(store->updateDossier(d).status().errorCode(), "dossier_not_found");
}

TEST_P(StoreTest, DocumentsKeepEveryRevisionAndExactBytes) {
    Organisation a = org("ADGESTI", "association");
    Dossier dos = newDossier(a.id, "ADG-1");
    const std::string pdf1 = binaryBytes(300 * 1024 + 17, 1);
    Document doc = newDocument(a, dos.id, "", "fiche-navette", pdf1);
    EXPECT_EQ(doc.currentRevision, 1);

    auto found = store->findDocument(doc.id).value();
    EXPECT_EQ(found.form, "fiche-navette");
    EXPECT_EQ(found.dossierId, dos.id);
    EXPECT_EQ(found.actionId, "");
    EXPECT_EQ(found.variant, "standard");
    EXPECT_EQ(found.formVersion, "1.0.0");
    auto art = store->fetchArtefact(doc.id, 1, "pdf");
    ASSERT_TRUE(art.isOk()) << art.status().toString();
    EXPECT_EQ(art.value().bytes.size(), pdf1.size());
    EXPECT_TRUE(art.value().bytes == pdf1);
    EXPECT_EQ(art.value().sha256, sha256Hex(pdf1));
    EXPECT_EQ(store->fetchArtefact(doc.id, 1, "xlsx").status().errorCode(), "rendition_not_found");

    const std::string pdf2 = binaryBytes(1000, 2);
    Revision r2 = revision(R"({"n":2})", a.id, pdf2);
    r2.formVersion = "1.1.0";
    auto after = store->addRevision(doc.id, 1, r2);
    ASSERT_TRUE(after.isOk()) << after.status().toString();
    EXPECT_EQ(after.value().currentRevision, 2);
    EXPECT_EQ(after.value().formVersion, "1.1.0");
    // A reviser that read revision 1 is refused now.
    EXPECT_EQ(store->addRevision(doc.id, 1, r2).status().errorCode(), "revision_conflict");
    EXPECT_EQ(store->addRevision("doc_missing", 1, r2).status().errorCode(), "document_not_found");

    auto revs = store->listRevisions(doc.id).value();
    ASSERT_EQ(revs.size(), 2u);
    EXPECT_EQ(revs[0].inputJson, R"({"n":1})");
    EXPECT_EQ(revs[1].inputJson, R"({"n":2})");
    ASSERT_EQ(revs[0].artefacts.size(), 1u);
    EXPECT_EQ(revs[0].artefacts[0].size, static_cast<std::int64_t>(pdf1.size()));
    EXPECT_TRUE(store->fetchArtefact(doc.id, 1, "pdf").value().bytes == pdf1);
    EXPECT_TRUE(store->fetchArtefact(doc.id, 2, "pdf").value().bytes == pdf2);
    EXPECT_EQ(store->findRevision(doc.id, 1).value().formVersion, "1.0.0");
    EXPECT_EQ(store->findRevision(doc.id, 3).status().errorCode(), "revision_not_found");
}

TEST_P(StoreTest, DocumentsAreListedByDossierActionFunderAndForm) {
    Organisation a = org("ADGESTI", "association");
    Organisation f = org("DDCS", "financeur");
    Organisation g = org("ARS", "financeur");
    Dossier dos = newDossier(a.id, "ADG-1");
    Action act = store->createAction("Action 1", a.id, {f.id}).value();
    Action act2 = store->createAction("Action 2", a.id, {g.id}).value();
    newDocument(a, dos.id, "", "fiche-navette", "p1");
    newDocument(a, dos.id, "", "fiche-navette", "p2");
    Document budget = newDocument(a, "", act.id, "budget-annexe", "b1");
    newDocument(a, "", act2.id, "budget-annexe", "b2");

    DocumentQuery q;
    q.dossierId = dos.id;
    EXPECT_EQ(store->listDocuments(q).value().total, 2);
    q = DocumentQuery{};
    q.fundedBy = f.id;
    q.forms = {"budget-annexe", "activite"};
    q.restrictForms = true;
    auto funded = store->listDocuments(q).value();
    ASSERT_EQ(funded.total, 1);
    EXPECT_EQ(funded.items[0].id, budget.id);
    q.forms = {};
    EXPECT_EQ(store->listDocuments(q).value().total, 0); // restricted to no form: nothing
    q = DocumentQuery{};
    q.ownerOrganisationId = a.id;
    q.limit = 3;
    auto page = store->listDocuments(q).value();
    EXPECT_EQ(page.total, 4);
    EXPECT_EQ(page.items.size(), 3u);
}

// A failure at any step of a write leaves nothing of it behind.
TEST_P(StoreTest, AFailedWriteLeavesNothing) {
    Organisation a = org("ADGESTI", "association");
    Dossier dos = newDossier(a.id, "ADG-1");
    for (const std::string step : {"document.insert", "document.revision", "document.artefact", "document.committed"}) {
        store->setFaultHook([step](const std::string& s) {
            if (s == step) throw std::runtime_error("injected failure at " + s);
        });
        Document d;
        d.form = "fiche-navette";
        d.dossierId = dos.id;
        d.ownerOrganisationId = a.id;
        d.createdByOrganisationId = a.id;
        auto r = store->createDocument(d, revision("{}", a.id, "pdf bytes"));
        EXPECT_EQ(r.status().errorCode(), "storage_error") << step;
        DocumentQuery q;
        q.dossierId = dos.id;
        EXPECT_EQ(store->listDocuments(q).value().total, 0) << step;
    }
    store->setFaultHook({});
    Document doc = newDocument(a, dos.id, "", "fiche-navette", "v1");
    store->setFaultHook([](const std::string& s) {
        if (s == "document.artefact") throw std::runtime_error("injected");
    });
    EXPECT_FALSE(store->addRevision(doc.id, 1, revision("{}", a.id, "v2")).isOk());
    store->setFaultHook({});
    EXPECT_EQ(store->findDocument(doc.id).value().currentRevision, 1);
    EXPECT_EQ(store->listRevisions(doc.id).value().size(), 1u);
    EXPECT_EQ(store->findRevision(doc.id, 2).status().errorCode(), "revision_not_found");
    // The next revision is number 2, as if the failed one never happened.
    EXPECT_EQ(store->addRevision(doc.id, 1, revision("{}", a.id, "v2")).value().currentRevision, 2);

    store->setFaultHook([](const std::string& s) {
        if (s == "dossier.committed") throw std::runtime_error("injected");
    });
    EXPECT_FALSE(store->createDossier(dos).isOk());
    store->setFaultHook({});
    DossierQuery dq;
    dq.associationId = a.id;
    EXPECT_EQ(store->listDossiers(dq).value().total, 1);
}

// A process that dies in the middle of a transaction (after the document and
// its revision rows were written) leaves nothing: the database rolls back.
TEST_P(StoreTest, ACrashMidTransactionLeavesNothing) {
    Organisation a = org("ADGESTI", "association");
    Dossier dos = newDossier(a.id, "ADG-1");
    for (const std::string step : {"document.revision", "document.artefact", "document.committed"}) {
        // Another process writes the document row (and more) and dies before committing.
        auto r = testing::run({PASSERELLE_CRASH_HELPER, db->url(), dos.id, a.id, step});
        ASSERT_EQ(r.exitCode, 42) << step << ": " << r.err;
        DocumentQuery q;
        q.dossierId = dos.id;
        EXPECT_EQ(store->listDocuments(q).value().total, 0) << step;
    }
    // The database is usable afterwards, from this instance and from a new one.
    EXPECT_EQ(newDocument(a, dos.id, "", "fiche-navette", "ok").currentRevision, 1);
    DocumentQuery q;
    q.dossierId = dos.id;
    EXPECT_EQ(db->open()->listDocuments(q).value().total, 1);
}

// Two store instances (as two service processes would) on one database.
TEST_P(StoreTest, TwoInstancesShareTheSameData) {
    auto other = db->open();
    Organisation a = org("ADGESTI", "association");
    auto seen = other->findOrganisation(a.id);
    ASSERT_TRUE(seen.isOk()) << seen.status().toString();
    Dossier dos = newDossier(a.id, "ADG-1");
    Document doc = newDocument(a, dos.id, "", "fiche-navette", "v1");
    auto r2 = other->addRevision(doc.id, 1, revision(R"({"by":"other"})", a.id, "v2"));
    ASSERT_TRUE(r2.isOk()) << r2.status().toString();
    EXPECT_EQ(store->findDocument(doc.id).value().currentRevision, 2);
    EXPECT_EQ(store->fetchArtefact(doc.id, 2, "pdf").value().bytes, "v2");
    EXPECT_EQ(store->addRevision(doc.id, 1, revision("{}", a.id, "late")).status().errorCode(), "revision_conflict");
}

// Concurrent writers from several threads and two instances: every write lands once.
TEST_P(StoreTest, ConcurrentWritersAllSucceed) {
    auto other = db->open();
    Organisation a = org("ADGESTI", "association");
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            auto& s = t % 2 ? other : store;
            for (int i = 0; i < 10; ++i) {
                Dossier d;
                d.associationId = a.id;
                d.reference = "T" + std::to_string(t) + "-" + std::to_string(i);
                d.statut = "ouvert";
                if (!s->createDossier(d).isOk()) ++failures;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    DossierQuery q;
    q.associationId = a.id;
    EXPECT_EQ(store->listDossiers(q).value().total, 40);
}

TEST(DatabaseUrl, ParsesSqliteAndPostgresql) {
    auto s = parseDatabaseUrl("sqlite:/tmp/x/passerelle.db");
    ASSERT_TRUE(s.isOk());
    EXPECT_EQ(s.value().connector, "sqlite");
    EXPECT_EQ(s.value().connectionString, "/tmp/x/passerelle.db");
    auto p = parseDatabaseUrl("postgresql://passerelle:s3cr%40t@db.example:6543/prod?sslmode=require");
    ASSERT_TRUE(p.isOk()) << p.status().toString();
    EXPECT_EQ(p.value().connector, "postgresql");
    EXPECT_EQ(p.value().connectionString,
              "host='db.example' port=6543 dbname='prod' user='passerelle' password='s3cr@t' sslmode='require'");
    EXPECT_EQ(p.value().display, "PostgreSQL db.example:6543/prod"); // no password in logs
    EXPECT_EQ(parseDatabaseUrl("mysql://x/y").status().errorCode(), "bad_database_url");
    EXPECT_EQ(parseDatabaseUrl("postgresql://host-only").status().errorCode(), "bad_database_url");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(testing::storeBackends()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return testing::backendName(i.param); });

} // namespace
} // namespace passerelle::storage
