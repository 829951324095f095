// Accounts, web sessions, sign-in throttling and the dossier search (migration 4): every body runs on
// SQLite and on PostgreSQL (PASSERELLE_TEST_PG set; skipped otherwise).
#include <set>

#include <gtest/gtest.h>

#include "storage/DossierIndex.h"
#include "storage/StoreBackends.h"

namespace passerelle::storage {
namespace {

using testing::TestDatabase;

class AccountStoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
        auto o = store->createOrganisation("ADGESTI", KIND_ASSOCIATION);
        ASSERT_TRUE(o.isOk()) << o.status().toString();
        org = o.value();
    }

    User user(const std::string& email, const std::string& name) {
        User u;
        u.organisationId = org.id;
        u.email = email;
        u.name = name;
        u.role = ROLE_MEMBRE;
        u.passwordHash = "$argon2id$fake";
        auto r = store->createUser(u, AuditEvent{"user.created", "system", "", "{}"});
        EXPECT_TRUE(r.isOk()) << r.status().toString();
        return r.value();
    }

    Dossier dossier(const std::string& reference, const std::string& menage, const std::string& referent = "",
                    const std::string& statut = "ouvert") {
        Dossier d;
        d.associationId = org.id;
        d.reference = reference;
        d.statut = statut;
        d.menageJson = menage;
        d.referentUserId = referent;
        auto r = store->createDossier(d);
        EXPECT_TRUE(r.isOk()) << r.status().toString();
        return r.value();
    }

    std::vector<std::string> found(const std::string& search, const std::string& statut = "", const std::string& referent = "") {
        DossierSearch q;
        q.associationId = org.id;
        q.search = search;
        q.statut = statut;
        q.referentUserId = referent;
        auto r = store->searchDossiers(q);
        EXPECT_TRUE(r.isOk()) << r.status().toString();
        std::vector<std::string> refs;
        for (const auto& d : r.value().items) refs.push_back(d.reference);
        return refs;
    }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<PocoStore> store;
    Organisation org;
};

TEST_P(AccountStoreTest, UsersAreCreatedFoundUpdatedAndUniqueByEmail) {
    User u = user("claire@adgesti.fr", "Claire Lefèvre");
    EXPECT_EQ(u.id.substr(0, 4), "usr_");
    auto byEmail = store->findUserByEmail("claire@adgesti.fr");
    ASSERT_TRUE(byEmail.isOk());
    EXPECT_EQ(byEmail.value().name, "Claire Lefèvre");
    EXPECT_TRUE(byEmail.value().mustChangePassword);
    User again;
    again.organisationId = org.id;
    again.email = "claire@adgesti.fr";
    again.name = "Autre";
    again.role = ROLE_ADMIN;
    auto dup = store->createUser(again, AuditEvent{"user.created", "system", "", "{}"});
    ASSERT_FALSE(dup.isOk());
    EXPECT_EQ(dup.status().errorCode(), "user_exists");
    User changed = u;
    changed.role = ROLE_ADMIN;
    changed.disabledAt = "123";
    changed.mustChangePassword = false;
    auto up = store->updateUser(changed, AuditEvent{"user.disabled", u.id, u.id, "{}"});
    ASSERT_TRUE(up.isOk()) << up.status().toString();
    EXPECT_EQ(up.value().role, "admin");
    EXPECT_EQ(up.value().disabledAt, "123");
    EXPECT_FALSE(up.value().mustChangePassword);
    EXPECT_EQ(store->findUser("usr_0000000000000000").status().errorCode(), "user_not_found");
    auto list = store->listUsers(org.id);
    ASSERT_TRUE(list.isOk());
    EXPECT_EQ(list.value().size(), 1u);
    // Each change is in the audit chain, with identifiers only.
    auto audit = store->listAudit();
    ASSERT_TRUE(audit.isOk());
    ASSERT_GE(audit.value().size(), 2u);
    for (const auto& e : audit.value()) EXPECT_EQ(e.details.find('@'), std::string::npos) << e.details;
    EXPECT_EQ(audit.value().back().event, "user.disabled");
}

TEST_P(AccountStoreTest, SessionsAreStoredByHashTouchedAndDeleted) {
    User u = user("marc@adgesti.fr", "Marc Durand");
    WebSession w{"hash-1", u.id, "csrf-1", 1000, 1000, 5000};
    ASSERT_TRUE(store->createWebSession(w).isOk());
    ASSERT_TRUE(store->createWebSession(WebSession{"hash-2", u.id, "csrf-2", 1000, 1000, 5000}).isOk());
    auto found = store->findWebSession("hash-1");
    ASSERT_TRUE(found.isOk());
    EXPECT_EQ(found.value().csrfToken, "csrf-1");
    EXPECT_EQ(found.value().expiresAtMs, 5000);
    ASSERT_TRUE(store->touchWebSession("hash-1", 2500).isOk());
    EXPECT_EQ(store->findWebSession("hash-1").value().lastSeenAtMs, 2500);
    // A second instance on the same database sees the same sessions.
    auto other = db->open();
    EXPECT_TRUE(other->findWebSession("hash-2").isOk());
    ASSERT_TRUE(store->deleteWebSession("hash-1").isOk());
    EXPECT_EQ(store->findWebSession("hash-1").status().errorCode(), "session_not_found");
    ASSERT_TRUE(store->deleteUserWebSessions(u.id).isOk());
    EXPECT_FALSE(other->findWebSession("hash-2").isOk());
}

TEST_P(AccountStoreTest, ThrottleCountersAreSavedAndCleared) {
    auto fresh = store->findLoginThrottle("compte:abc");
    ASSERT_TRUE(fresh.isOk());
    EXPECT_EQ(fresh.value().failures, 0);
    ASSERT_TRUE(store->saveLoginThrottle(LoginThrottle{"compte:abc", 3, 1000, 0}).isOk());
    ASSERT_TRUE(store->saveLoginThrottle(LoginThrottle{"compte:abc", 4, 2000, 9000}).isOk());
    auto t = store->findLoginThrottle("compte:abc");
    EXPECT_EQ(t.value().failures, 4);
    EXPECT_EQ(t.value().lastFailureAtMs, 2000);
    EXPECT_EQ(t.value().lockedUntilMs, 9000);
    ASSERT_TRUE(store->clearLoginThrottle("compte:abc").isOk());
    EXPECT_EQ(store->findLoginThrottle("compte:abc").value().failures, 0);
}

TEST_P(AccountStoreTest, SearchIgnoresCaseAndAccentsAndMatchesParts) {
    User marc = user("marc@adgesti.fr", "Marc Durand");
    Dossier first = dossier("ADG-2026-0147",
                            R"({"membres":[{"nom":"Lefèvre-Œuvrard","prenom":"Hélène"}],"numeroUnique":"0752612345678A"})", marc.id);
    dossier("ADG-2026-0148", R"({"membres":[{"nom":"N’Diaye","prenom":"Ségolène"}]})", "", "clos");
    dossier("ADG-2026-0149", R"({"nom":"Famille Benali"})");
    EXPECT_EQ(found("lefevre"), std::vector<std::string>{"ADG-2026-0147"});
    EXPECT_EQ(found("HÉLÈNE oeuv"), std::vector<std::string>{"ADG-2026-0147"});
    EXPECT_EQ(found("LEFÈVRE-ŒUVRARD"), std::vector<std::string>{"ADG-2026-0147"});
    EXPECT_EQ(found("2612345"), std::vector<std::string>{"ADG-2026-0147"}) << "part of the numéro unique";
    EXPECT_EQ(found("ndiaye"), std::vector<std::string>{"ADG-2026-0148"});
    EXPECT_EQ(found("n'diaye segol"), std::vector<std::string>{"ADG-2026-0148"});
    EXPECT_EQ(found("benali"), std::vector<std::string>{"ADG-2026-0149"});
    EXPECT_EQ(found("adg-2026-014").size(), 3u);
    EXPECT_TRUE(found("lefevre ndiaye").empty()) << "every word must match";
    EXPECT_TRUE(found("100%_").empty()) << "LIKE wildcards are literal";
    EXPECT_EQ(found("", "clos"), std::vector<std::string>{"ADG-2026-0148"});
    EXPECT_EQ(found("", "", marc.id), std::vector<std::string>{"ADG-2026-0147"});
    // Another association's dossiers are never in the results.
    auto other = store->createOrganisation("Habitat Solidaire", KIND_ASSOCIATION);
    DossierSearch q;
    q.associationId = other.value().id;
    EXPECT_EQ(store->searchDossiers(q).value().total, 0);
    // An update re-indexes and keeps the référent.
    auto d = store->searchDossiers(DossierSearch{org.id, "benali", "", "", 20, 0}).value().items.at(0);
    d.menageJson = R"({"nom":"Famille Żółć"})";
    ASSERT_TRUE(store->updateDossier(d).isOk());
    EXPECT_TRUE(found("benali").empty());
    EXPECT_EQ(found("famille"), std::vector<std::string>{"ADG-2026-0149"});
    EXPECT_EQ(store->dossierReferent(first.id).value(), marc.id);
    EXPECT_EQ(store->searchDossiers(DossierSearch{org.id, "lefevre", "", "", 20, 0}).value().items.at(0).referentUserId, marc.id);
}

TEST_P(AccountStoreTest, SearchPaginates) {
    for (int i = 0; i < 45; ++i) dossier("REF-" + std::to_string(100 + i), R"({"membres":[{"nom":"Martin"}]})");
    dossier("AUTRE", R"({"membres":[{"nom":"Benali"}]})");
    std::set<std::string> seen;
    std::vector<std::size_t> sizes;
    for (int offset : {0, 20, 40}) {
        auto page = store->searchDossiers(DossierSearch{org.id, "martin", "", "", 20, offset});
        ASSERT_TRUE(page.isOk()) << page.status().toString();
        EXPECT_EQ(page.value().total, 45);
        sizes.push_back(page.value().items.size());
        for (const auto& d : page.value().items) seen.insert(d.reference);
    }
    EXPECT_EQ(sizes, (std::vector<std::size_t>{20, 20, 5}));
    EXPECT_EQ(seen.size(), 45u) << "pages are disjoint and cover every match (order: created_at DESC, id DESC)";
    EXPECT_EQ(seen.count("AUTRE"), 0u);
}

TEST(FoldForSearch, LowersAndStripsAccents) {
    EXPECT_EQ(foldForSearch("  Hélène  LEFÈVRE-Œuvrard "), "helene lefevre oeuvrard");
    EXPECT_EQ(foldForSearch("N’Diaye Çağla Straße"), "ndiaye cağla strasse");
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountStoreTest, ::testing::ValuesIn(testing::storeBackends()),
                         [](const auto& info) { return testing::backendName(info.param); });

} // namespace
} // namespace passerelle::storage
