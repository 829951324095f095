// The household's rights (issue 11, item 12; docs/rgpd.md), on SQLite and,
// when PASSERELLE_TEST_PG is set, on PostgreSQL:
//  - right of access: GET /v1/dossiers/{id}/export is a ZIP whose JSON holds
//    the household, every revision's data, the consent and the transmission,
//    whose PDFs start with %PDF and match the stored SHA-256; only the
//    association that follows the dossier gets it; every export is audited;
//    `passerelle export-household` writes the same archive;
//  - the dossier's life cycle: closing records closedAt; an archived dossier
//    is read-only (PATCH, new document, revision, consent, transmission: 409
//    dossier_archived, nothing written);
//  - retention: `passerelle retention --dry-run` reports in French what is due
//    and changes no row; `--apply` archives and erases exactly the due
//    dossiers; the erased names and free text are nowhere in the database
//    (SQLite: the file's bytes; both: every table's rows); `audit verify`
//    still passes.
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <Poco/Data/LOB.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timestamp.h>
#include <Poco/Zip/ZipArchive.h>
#include <Poco/Zip/ZipStream.h>

#include "api/ApiFixture.h"
#include "http/ConsentRoutes.h"
#include "service/Retention.h"
#include "service/TransmissionService.h"
#include "storage/ApiKeys.h"

namespace passerelle::testing {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::string kAuditKey = "cle-d-audit-rgpd-0123456789abcdef";
const std::string kName = "Canari-Nom-Zx81";
const std::string kText = "CANARI-TEXTE-Qw55 le ménage a repris le paiement";

std::string str(const Object::Ptr& o) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(o, out);
    return out.str();
}
Object::Ptr parse(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Object::Ptr>(); }

// Render, stored-API and consent routes over `store`.
class Server {
public:
    explicit Server(std::shared_ptr<storage::PocoStore> store) {
        auto renderer = std::make_shared<const service::RenderService>(repoCatalog());
        auto dossiers = std::make_shared<const service::DossierService>(store, renderer);
        auto transmissions = std::make_shared<const service::TransmissionService>(store, renderer);
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

private:
    std::unique_ptr<http::Server> _server;
};

// name -> bytes of every entry of a ZIP.
std::map<std::string, std::string> unzip(const std::string& bytes) {
    std::map<std::string, std::string> out;
    std::istringstream in(bytes);
    Poco::Zip::ZipArchive archive(in);
    for (auto it = archive.headerBegin(); it != archive.headerEnd(); ++it) {
        std::istringstream again(bytes);
        Poco::Zip::ZipInputStream zin(again, it->second);
        std::string content;
        Poco::StreamCopier::copyToString(zin, content);
        out[it->second.getFileName()] = content;
    }
    return out;
}

const char* kTables[] = {"organisations", "api_keys", "partnerships", "actions", "action_funders", "dossiers",
                         "documents", "revisions", "artefacts", "consents", "transmissions", "transmission_artefacts",
                         "webhooks", "outbox", "audit_log", "users", "web_sessions", "dossier_index", "drafts",
                         "idempotency_keys", "signings", "signatories", "signed_documents", "signing_links",
                         "autorisation_scans", "autorisation_previews", "transmission_reads", "webhook_secrets",
                         "mail_outbox", "consent_reminders", "schema_migrations"};

// Every row of every table as text (binary values as their bytes), sorted per table.
std::string dumpTables(const TestDatabase& db) {
    Poco::Data::Session s(db.config().connector, db.config().connectionString);
    std::string out;
    for (const char* table : kTables) {
        Poco::Data::Statement st(s);
        st << std::string("SELECT * FROM ") + table;
        st.execute();
        Poco::Data::RecordSet rs(st);
        std::vector<std::string> rows;
        for (std::size_t r = 0; r < rs.rowCount(); ++r) {
            std::string row;
            for (std::size_t c = 0; c < rs.columnCount(); ++c) {
                const Poco::Dynamic::Var& v = rs.value(c, r);
                std::string cell = "NULL";
                if (!v.isEmpty()) {
                    if (v.type() == typeid(Poco::Data::BLOB)) {
                        const auto& b = v.extract<Poco::Data::BLOB>();
                        cell.assign(reinterpret_cast<const char*>(b.rawContent()), b.size());
                    } else {
                        cell = v.convert<std::string>();
                    }
                }
                row += cell + "|";
            }
            rows.push_back(row);
        }
        std::sort(rows.begin(), rows.end());
        out += std::string("## ") + table + "\n";
        for (const auto& r : rows) out += r + "\n";
    }
    return out;
}

std::string fileBytes(const std::string& path) {
    if (!Poco::File(path).exists()) return "";
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string todayIso() { return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%d"); }

class RgpdTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        // One audit key for the test's store and the command line (the same data directory).
        Poco::File(db->dir() + "/var").createDirectories();
        writeFile(db->dir() + "/var/audit.key", "# clé de test\n" + kAuditKey + "\n");
        auto keys = std::make_shared<audit::AuditKeyring>();
        ASSERT_TRUE(keys->add(kAuditKey));
        auto config = db->config();
        config.auditKeys = keys;
        auto opened = storage::PocoStore::open(config);
        ASSERT_TRUE(opened.isOk()) << opened.status().toString();
        store = opened.value();
        server = std::make_unique<Server>(store);
        keyA = createOrgWithKey(*store, "ADGESTI", "association", &orgA);
        keyB = createOrgWithKey(*store, "Ensemble", "association", &orgB);
        keyBailleur = createOrgWithKey(*store, "Sarthe Habitat", "bailleur", &orgBailleur);
        // A partnership that accepts consents recorded in person (issue 11 item 6).
        ASSERT_TRUE(store->createPartnership(orgA, orgBailleur).isOk());
        ASSERT_TRUE(store->setInPersonConsentAllowed(orgA, orgBailleur, true,
                                                     {"partnership.in_person_consent", "system", orgBailleur, "{}"}).isOk());
    }
    HttpResult call(const std::string& method, const std::string& path, const std::string& key,
                    const std::string& body = "") const {
        return server->call(method, path, key, body);
    }
    std::string created(const HttpResult& r) {
        EXPECT_EQ(r.status, 201) << r.body;
        return r.status == 201 ? r.json()->getValue<std::string>("id") : "";
    }
    Object::Ptr navette(const std::string& name = kName, const std::string& text = kText) {
        Object::Ptr data = readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
        data->set("objetPrecision", text);
        data->getObject("menage")->getArray("composition")->getObject(0)->set("nom", name);
        return data;
    }
    // A dossier with a fiche navette (two revisions), a consent in person and one transmission;
    // `name` is the household member's (dossier, document, consent's giver), `text` a free text.
    std::string fullDossier(const std::string& reference, std::string* documentId = nullptr,
                            const std::string& name = kName, const std::string& text = kText) {
        const std::string dossier = created(call("POST", "/v1/dossiers", keyA,
                                                 R"({"reference":")" + reference + R"(","menage":{"membres":[{"nom":")" +
                                                     name + R"("}]}})"));
        Object::Ptr b = new Object;
        b->set("form", "fiche-navette");
        b->set("dossier", dossier);
        b->set("data", navette(name, text));
        const std::string doc = created(call("POST", "/v1/documents", keyA, str(b)));
        Object::Ptr rev = new Object;
        rev->set("data", navette(name, text));
        EXPECT_EQ(call("POST", "/v1/documents/" + doc + "/revisions", keyA, str(rev)).status, 201);
        const std::string consent =
            R"({"kind":"consent","recipient":")" + orgBailleur + R"(","givenBy":{"name":")" + name +
            R"(","capacity":"household_member"},"scope":{"documentKinds":["fiche-navette"],"categories":["logement","identite"]},)"
            R"("purpose":"Préparer la commission d'attribution.","how":{"method":"in_person","recordedBy":"Claire Lefèvre"}})";
        EXPECT_EQ(call("POST", "/v1/dossiers/" + dossier + "/consents", keyA, consent).status, 201);
        auto t = call("POST", "/v1/documents/" + doc + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
        EXPECT_EQ(t.status, 201) << t.body;
        if (documentId) *documentId = doc;
        return dossier;
    }
    void close(const std::string& dossier) {
        auto r = call("PATCH", "/v1/dossiers/" + dossier, keyA, R"({"statut":"clos"})");
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_FALSE(r.json()->isNull("closedAt")) << r.body;
    }
    std::vector<audit::AuditEntry> auditEntries() {
        auto entries = store->listAudit();
        return entries.isOk() ? entries.value() : std::vector<audit::AuditEntry>{};
    }
    std::vector<std::string> cli(std::vector<std::string> args) {
        args.insert(args.begin(), PASSERELLE_BINARY);
        args.insert(args.end(), {"--db", db->url(), "--data-dir", db->dir() + "/var"});
        return args;
    }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    std::unique_ptr<Server> server;
    std::string keyA, keyB, keyBailleur, orgA, orgB, orgBailleur;
};

TEST_P(RgpdTest, ExportHoldsEverythingAboutTheHouseholdAndIsAudited) {
    std::string doc;
    const std::string dossier = fullDossier("ADG-2026-0147", &doc);
    auto r = call("GET", "/v1/dossiers/" + dossier + "/export", keyA);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.contentType, "application/zip");
    ASSERT_EQ(r.body.substr(0, 2), "PK");
    auto files = unzip(r.body);
    ASSERT_TRUE(files.count("LISEZMOI.txt") && files.count("donnees.json")) << files.size();
    EXPECT_NE(files["LISEZMOI.txt"].find("droit d’accès"), std::string::npos);
    EXPECT_NE(files["LISEZMOI.txt"].find("réclamation à la CNIL"), std::string::npos);

    auto json = parse(files["donnees.json"]);
    auto d = json->getObject("dossier");
    EXPECT_EQ(d->getValue<std::string>("id"), dossier);
    EXPECT_EQ(d->getValue<std::string>("reference"), "ADG-2026-0147");
    EXPECT_EQ(d->getObject("menage")->getArray("membres")->getObject(0)->getValue<std::string>("nom"), kName);
    EXPECT_EQ(json->getObject("association")->getValue<std::string>("nom"), "ADGESTI");
    auto documents = json->getArray("documents");
    ASSERT_EQ(documents->size(), 1u);
    auto revisions = documents->getObject(0)->getArray("revisions");
    ASSERT_EQ(revisions->size(), 2u);
    int pdfs = 0;
    for (unsigned i = 0; i < revisions->size(); ++i) {
        auto rev = revisions->getObject(i);
        EXPECT_EQ(rev->getValue<int>("number"), static_cast<int>(i + 1));
        EXPECT_EQ(rev->getObject("data")->getValue<std::string>("objetPrecision"), kText);
        auto fj = rev->getArray("files");
        ASSERT_GE(fj->size(), 1u);
        for (unsigned k = 0; k < fj->size(); ++k) {
            auto f = fj->getObject(k);
            const std::string name = f->getValue<std::string>("file");
            ASSERT_TRUE(files.count(name)) << name;
            EXPECT_EQ(storage::sha256Hex(files[name]), f->getValue<std::string>("sha256")) << name;
            auto stored = store->fetchArtefact(doc, i + 1, f->getValue<std::string>("format"));
            ASSERT_TRUE(stored.isOk());
            EXPECT_EQ(stored.value().sha256, f->getValue<std::string>("sha256"));
            if (f->getValue<std::string>("format") == "pdf") {
                EXPECT_EQ(files[name].substr(0, 4), "%PDF") << name;
                ++pdfs;
            }
        }
    }
    EXPECT_EQ(pdfs, 2);
    auto consents = json->getArray("consents");
    ASSERT_EQ(consents->size(), 1u);
    EXPECT_EQ(consents->getObject(0)->getValue<std::string>("givenBy"), kName);
    EXPECT_EQ(consents->getObject(0)->getObject("recipient")->getValue<std::string>("nom"), "Sarthe Habitat");
    auto transmissions = json->getArray("transmissions");
    ASSERT_EQ(transmissions->size(), 1u);
    auto t = transmissions->getObject(0);
    EXPECT_TRUE(t->getValue<bool>("sent"));
    EXPECT_EQ(t->getObject("recipient")->getValue<std::string>("nom"), "Sarthe Habitat");
    EXPECT_EQ(t->getValue<std::string>("form"), "fiche-navette");
    EXPECT_FALSE(t->getValue<std::string>("at").empty());

    // Audited, with the archive's hash and no personal data.
    int exported = 0;
    for (const auto& e : auditEntries()) {
        if (e.event != "household.exported") continue;
        ++exported;
        EXPECT_EQ(e.subject, dossier);
        EXPECT_EQ(e.actor, orgA);
        EXPECT_NE(e.details.find(storage::sha256Hex(r.body)), std::string::npos) << e.details;
        EXPECT_EQ(e.details.find("Canari"), std::string::npos) << e.details;
    }
    EXPECT_EQ(exported, 1);

    // Nobody else: another association, the landlord, an unknown dossier (404, nothing audited).
    EXPECT_EQ(call("GET", "/v1/dossiers/" + dossier + "/export", keyB).status, 404);
    EXPECT_EQ(call("GET", "/v1/dossiers/" + dossier + "/export", keyBailleur).status, 404);
    EXPECT_EQ(call("GET", "/v1/dossiers/dos_0000000000000000/export", keyA).status, 404);
    EXPECT_EQ(call("GET", "/v1/dossiers/" + dossier + "/export", "").status, 401);

    // The command line writes the same content, audited too.
    const std::string out = db->dir() + "/export.zip";
    auto c = run(cli({"export-household", dossier, "--out", out}));
    ASSERT_EQ(c.exitCode, 0) << c.out << c.err;
    EXPECT_NE(c.out.find("export du dossier " + dossier), std::string::npos) << c.out;
    auto cliFiles = unzip(fileBytes(out));
    EXPECT_EQ(cliFiles.size(), files.size());
    EXPECT_EQ(parse(cliFiles["donnees.json"])->getArray("documents")->size(), 1u);
    auto unknown = run(cli({"export-household", "dos_0000000000000000", "--out", out + ".2"}));
    EXPECT_EQ(unknown.exitCode, 66) << unknown.err;
    EXPECT_EQ(run(cli({"export-household", dossier})).exitCode, 64);
}

// POST /v1/dossiers/{id}/close and /reopen: the use case of the web's « Clore le dossier »,
// audited; 409 for what cannot be done (already closed, not closed, archived); 404 for another
// association.
TEST_P(RgpdTest, CloseAndReopenThroughTheApiAreAuditedAndArchivedIsRefused) {
    const std::string dossier = fullDossier("ADG-CLORE");
    auto closed = call("POST", "/v1/dossiers/" + dossier + "/close", keyA);
    ASSERT_EQ(closed.status, 200) << closed.body;
    EXPECT_EQ(closed.json()->getValue<std::string>("statut"), "clos");
    EXPECT_FALSE(closed.json()->isNull("closedAt")) << closed.body;
    EXPECT_FALSE(store->findDossier(dossier).value().closedAt.empty());
    auto twice = call("POST", "/v1/dossiers/" + dossier + "/close", keyA);
    EXPECT_EQ(twice.status, 409) << twice.body;
    EXPECT_EQ(twice.error(), "dossier_already_closed");
    EXPECT_EQ(call("POST", "/v1/dossiers/" + dossier + "/close", keyB).status, 404) << "another association";
    EXPECT_EQ(call("POST", "/v1/dossiers/" + dossier + "/reopen", keyBailleur).status, 404);

    auto reopened = call("POST", "/v1/dossiers/" + dossier + "/reopen", keyA);
    ASSERT_EQ(reopened.status, 200) << reopened.body;
    EXPECT_EQ(reopened.json()->getValue<std::string>("statut"), "ouvert");
    EXPECT_TRUE(reopened.json()->isNull("closedAt")) << reopened.body;
    EXPECT_TRUE(store->findDossier(dossier).value().closedAt.empty()) << "the retention periods stop";
    auto notClosed = call("POST", "/v1/dossiers/" + dossier + "/reopen", keyA);
    EXPECT_EQ(notClosed.status, 409) << notClosed.body;
    EXPECT_EQ(notClosed.error(), "dossier_not_closed");

    std::vector<std::string> events;
    for (const auto& e : auditEntries())
        if (e.subject == dossier && (e.event == "dossier.closed" || e.event == "dossier.reopened")) {
            events.push_back(e.event);
            EXPECT_EQ(e.actor, orgA);
            EXPECT_NE(e.details.find("\"key\""), std::string::npos) << e.details;
        }
    EXPECT_EQ(events, (std::vector<std::string>{"dossier.closed", "dossier.reopened"})) << "one entry each, nothing for refusals";

    // Archived: neither reopened nor closed again.
    ASSERT_EQ(call("POST", "/v1/dossiers/" + dossier + "/close", keyA).status, 200);
    ASSERT_TRUE(store->archiveDossier(dossier, {"dossier.archived", "system", dossier, "{}"}).isOk());
    for (const std::string action : {"reopen", "close"}) {
        auto r = call("POST", "/v1/dossiers/" + dossier + "/" + action, keyA);
        EXPECT_EQ(r.status, 409) << action << " " << r.body;
        EXPECT_EQ(r.error(), "dossier_archived") << action;
        EXPECT_NE(r.json()->getValue<std::string>("message").find("archivé"), std::string::npos) << r.body;
    }
    EXPECT_EQ(store->findDossier(dossier).value().statut, "clos");
}

TEST_P(RgpdTest, ArchivedDossierIsReadOnly) {
    std::string doc;
    const std::string dossier = fullDossier("ADG-ARCH", &doc);
    close(dossier);
    storage::AuditEvent e{"dossier.archived", "system", dossier, "{}"};
    ASSERT_TRUE(store->archiveDossier(dossier, e).isOk());
    auto got = call("GET", "/v1/dossiers/" + dossier, keyA);
    ASSERT_EQ(got.status, 200);
    EXPECT_FALSE(got.json()->isNull("archivedAt")) << got.body;
    const std::string before = dumpTables(*db);

    auto patch = call("PATCH", "/v1/dossiers/" + dossier, keyA, R"({"statut":"ouvert"})");
    EXPECT_EQ(patch.status, 409) << patch.body;
    EXPECT_EQ(patch.error(), "dossier_archived");
    EXPECT_NE(patch.json()->getValue<std::string>("message").find("archivé"), std::string::npos) << patch.body;
    Object::Ptr b = new Object;
    b->set("form", "fiche-navette");
    b->set("dossier", dossier);
    b->set("data", navette());
    auto newDoc = call("POST", "/v1/documents", keyA, str(b));
    EXPECT_EQ(newDoc.status, 409) << newDoc.body;
    EXPECT_EQ(newDoc.error(), "dossier_archived");
    Object::Ptr rev = new Object;
    rev->set("data", navette());
    auto revised = call("POST", "/v1/documents/" + doc + "/revisions", keyA, str(rev));
    EXPECT_EQ(revised.status, 409) << revised.body;
    EXPECT_EQ(revised.error(), "dossier_archived");
    auto t = call("POST", "/v1/documents/" + doc + "/transmit", keyA, R"({"to":")" + orgBailleur + R"("})");
    EXPECT_EQ(t.status, 409) << t.body;
    EXPECT_EQ(t.error(), "dossier_archived");
    EXPECT_EQ(dumpTables(*db), before) << "nothing written on an archived dossier";
    // Still readable and exportable.
    EXPECT_EQ(call("GET", "/v1/documents/" + doc + "/pdf", keyA).status, 200);
    EXPECT_EQ(call("GET", "/v1/dossiers/" + dossier + "/export", keyA).status, 200);
}

TEST_P(RgpdTest, RetentionDryRunChangesNothingApplyArchivesAndErasesExactlyTheDueOnes) {
    // The dossier to erase has its own canaries; the others share kName / kText.
    const std::string eraseName = "Canari-Efface-Jq42", eraseText = "CANARI-EFFACE-TEXTE-Lm07";
    const std::string toErase = fullDossier("ADG-2019-0001", nullptr, eraseName, eraseText);
    const std::string toArchive = fullDossier("ADG-2023-0002");
    const std::string recent = fullDossier("ADG-2026-0003");
    const std::string open = fullDossier("ADG-2026-0004");
    for (const auto& d : {toErase, toArchive, recent}) close(d);
    // Time passes: the first was closed in 2019 (past 60 months), the second in 2023 (past 24).
    db->execute("UPDATE dossiers SET closed_at = '2019-03-15T09:00:00.000Z' WHERE id = '" + toErase + "'");
    db->execute("UPDATE dossiers SET closed_at = '2023-01-10T09:00:00.000Z' WHERE id = '" + toArchive + "'");

    const std::string before = dumpTables(*db);
    ASSERT_NE(before.find(eraseName), std::string::npos);
    ASSERT_NE(before.find(eraseText), std::string::npos);
    auto dry = run(cli({"retention", "--dry-run"}));
    ASSERT_EQ(dry.exitCode, 0) << dry.out << dry.err;
    EXPECT_NE(dry.out.find("simulation (rien n’est modifié)"), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("Dossiers à archiver : 1\n  - " + toArchive + " (ADGESTI, réf. ADG-2023-0002) : clos le 10/01/2023, "
                           "échéance le 10/01/2025"),
              std::string::npos)
        << dry.out;
    EXPECT_NE(dry.out.find("Dossiers dont les données personnelles seraient effacées : 1\n  - " + toErase +
                           " (ADGESTI, réf. ADG-2019-0001) : clos le 15/03/2019, échéance le 15/03/2024"),
              std::string::npos)
        << dry.out;
    EXPECT_NE(dry.out.find("Dossiers clos conservés sans changement : 1"), std::string::npos) << dry.out;
    EXPECT_EQ(dumpTables(*db), before) << "a dry run changes no row";

    EXPECT_EQ(run(cli({"retention"})).exitCode, 64);
    EXPECT_EQ(run(cli({"retention", "--dry-run", "--apply"})).exitCode, 64);

    auto applied = run(cli({"retention", "--apply"}));
    ASSERT_EQ(applied.exitCode, 0) << applied.out << applied.err;
    EXPECT_NE(applied.out.find("Dossiers archivés : 1"), std::string::npos) << applied.out;
    EXPECT_NE(applied.out.find("Dossiers dont les données personnelles ont été effacées : 1"), std::string::npos) << applied.out;

    auto erased = store->findDossier(toErase).value();
    EXPECT_FALSE(erased.erasedAt.empty());
    EXPECT_FALSE(erased.archivedAt.empty());
    EXPECT_EQ(erased.menageJson, "{}");
    auto archived = store->findDossier(toArchive).value();
    EXPECT_FALSE(archived.archivedAt.empty());
    EXPECT_TRUE(archived.erasedAt.empty());
    EXPECT_NE(archived.menageJson.find(kName), std::string::npos) << "archived, not erased";
    EXPECT_TRUE(store->findDossier(recent).value().archivedAt.empty());
    EXPECT_TRUE(store->findDossier(open).value().archivedAt.empty());

    // The erased dossier's names and free text are gone from every row of every table; the
    // others keep theirs; ids and hashes stay.
    const std::string after = dumpTables(*db);
    EXPECT_EQ(after.find(eraseName), std::string::npos) << after.substr(after.rfind("\n## ", after.find(eraseName)), 300);
    EXPECT_EQ(after.find(eraseText), std::string::npos);
    EXPECT_NE(after.find(kName), std::string::npos);
    EXPECT_NE(after.find("CANARI-TEXTE-Qw55"), std::string::npos);
    EXPECT_NE(after.find(toErase), std::string::npos);
    if (GetParam() == "sqlite") {
        const std::string file = db->config().connectionString;
        const std::string bytes = fileBytes(file) + fileBytes(file + "-wal");
        EXPECT_EQ(bytes.find(eraseName), std::string::npos) << "erased name left in the SQLite file";
        EXPECT_EQ(bytes.find(eraseText), std::string::npos) << "erased text left in the SQLite file";
        EXPECT_NE(bytes.find(kName), std::string::npos);
    }
    // Signed and audited: one entry each, ids only.
    int archivedEvents = 0, erasedEvents = 0;
    for (const auto& e : auditEntries()) {
        archivedEvents += e.event == "dossier.archived" && e.subject == toArchive;
        erasedEvents += e.event == "dossier.erased" && e.subject == toErase;
        EXPECT_EQ(e.details.find("Canari"), std::string::npos) << e.event;
        EXPECT_EQ(e.details.find("CANARI"), std::string::npos) << e.event;
    }
    EXPECT_EQ(archivedEvents, 1);
    EXPECT_EQ(erasedEvents, 1);
    // The export of the erased dossier holds no personal data any more.
    auto ex = call("GET", "/v1/dossiers/" + toErase + "/export", keyA);
    ASSERT_EQ(ex.status, 200);
    for (const auto& [name, bytes] : unzip(ex.body)) {
        EXPECT_EQ(bytes.find(eraseName), std::string::npos) << name;
        EXPECT_EQ(bytes.find(eraseText), std::string::npos) << name;
    }

    auto verify = run({PASSERELLE_BINARY, "audit", "verify", "--db", db->url(), "--data-dir", db->dir() + "/var"});
    EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
    EXPECT_NE(verify.out.find("journal intègre"), std::string::npos) << verify.out;

    // Nothing more is due: a second run changes nothing.
    const std::string settled = dumpTables(*db);
    auto again = run(cli({"retention", "--dry-run"}));
    EXPECT_NE(again.out.find("Dossiers à archiver : 0"), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("seraient effacées : 0"), std::string::npos) << again.out;
    EXPECT_EQ(dumpTables(*db), settled);
}

// SQLite: the erased bytes are not left anywhere in the database files (free pages, WAL).
TEST_P(RgpdTest, ErasedDataIsNotInTheSqliteFile) {
    if (GetParam() != "sqlite") GTEST_SKIP() << "file scan: SQLite only (PostgreSQL: every row is checked above)";
    const std::string dossier = fullDossier("ADG-FILE");
    close(dossier);
    const std::string file = db->config().connectionString;
    auto scan = [&] { return fileBytes(file) + fileBytes(file + "-wal"); };
    ASSERT_NE(scan().find(kName), std::string::npos) << "the canary is in the file before";
    service::RetentionService svc(store, service::RetentionPolicy{0, 0});
    auto plan = svc.apply(todayIso());
    ASSERT_TRUE(plan.isOk()) << plan.status().toString();
    ASSERT_EQ(plan.value().erase.size(), 1u);
    const std::string bytes = scan();
    EXPECT_EQ(bytes.find(kName), std::string::npos);
    EXPECT_EQ(bytes.find("CANARI-TEXTE-Qw55"), std::string::npos);
    EXPECT_NE(bytes.find(dossier), std::string::npos) << "ids are kept";
}

TEST(RetentionPolicyTest, RejectsErasureBeforeArchiving) {
    auto st = service::checkRetentionPolicy({24, 12});
    ASSERT_FALSE(st.isOk());
    ASSERT_FALSE(st.details().empty());
    EXPECT_EQ(st.details().front().path, "retention.erase-after-months");
    EXPECT_TRUE(service::checkRetentionPolicy({24, 60}).isOk());
}

INSTANTIATE_TEST_SUITE_P(Backends, RgpdTest, ::testing::ValuesIn(storeBackends()),
                         [](const auto& info) { return backendName(info.param); });

} // namespace
} // namespace passerelle::testing
