// Retention of closed dossiers (issue 11, item 12; migration 16; docs/rgpd.md):
// PocoStore's listing of closed dossiers, archiving and erasure, kept apart
// from PocoStore.cpp.
//
// Erasure keeps every row, id and SHA-256 (consents, transmissions and their
// copies' hashes, revisions' and artefacts' hashes) so that the audit journal
// and `audit verify`'s cross-check of the state tables still hold; it blanks
// what a person wrote or what shows them: the household and dwelling, the
// revisions' input and files, the consents' giver and purpose, the recipient
// copies and webhook bodies, the signatories' names, images and addresses,
// the signed PDFs, scans and previews. Drafts and stored idempotency answers
// are deleted. On SQLite the file is then vacuumed and the WAL truncated, so
// that no erased byte stays in free pages.
#include <Poco/Data/Session.h>

#include "storage/PocoStore.h"
#include "storage/SqlBinds.h"

namespace passerelle::storage {

using Poco::Data::Session;
using sql::Binds;
using namespace Poco::Data::Keywords;

namespace {

// An empty binary value in the dialect (the columns are NOT NULL).
std::string emptyBlob(bool sqlite) { return sqlite ? "X''" : "''::bytea"; }

Status notClosed(const std::string& id) {
    return Status::failedPrecondition("dossier_not_closed", "Le dossier " + id + " n'est pas clos.");
}

} // namespace

Result<std::vector<Dossier>> PocoStore::listClosedDossiers() {
    std::vector<std::string> ids;
    Status st = readSession("listClosedDossiers", [&](Session& s) {
        Binds b;
        b.exec(s, "SELECT id FROM dossiers WHERE closed_at <> '' AND erased_at = '' ORDER BY closed_at, id", into(ids));
        return Status::ok();
    });
    if (!st.isOk()) return st;
    std::vector<Dossier> out;
    for (const auto& id : ids) {
        auto d = findDossier(id);
        if (!d.isOk()) return d.status();
        out.push_back(d.value());
    }
    return out;
}

Result<Dossier> PocoStore::archiveDossier(const std::string& id, const AuditEvent& audit) {
    Status st = writeTransaction("archiveDossier", [&](Session& s) {
        std::vector<std::string> closed, archived;
        {
            Binds b;
            b.exec(s, "SELECT closed_at, archived_at FROM dossiers WHERE id = " + b.str(id), into(closed), into(archived));
        }
        if (closed.empty()) return Status::notFound("dossier_not_found", "Dossier introuvable : " + id);
        if (closed[0].empty()) return notClosed(id);
        if (!archived[0].empty())
            return Status::failedPrecondition("dossier_archived", "Le dossier " + id + " est déjà archivé.");
        Binds b;
        b.exec(s, "UPDATE dossiers SET archived_at = " + b.str(sql::nowIso()) + " WHERE id = " + b.str(id));
        appendAuditInTransaction(s, audit);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return findDossier(id);
}

Result<ErasureCounts> PocoStore::eraseDossier(const std::string& id, const AuditEvent& audit) {
    ErasureCounts counts;
    const std::string blob = emptyBlob(_sqlite);
    Status st = writeTransaction("eraseDossier", [&](Session& s) {
        std::vector<std::string> closed, archived, erased;
        {
            Binds b;
            b.exec(s, "SELECT closed_at, archived_at, erased_at FROM dossiers WHERE id = " + b.str(id), into(closed),
                   into(archived), into(erased));
        }
        if (closed.empty()) return Status::notFound("dossier_not_found", "Dossier introuvable : " + id);
        if (closed[0].empty()) return notClosed(id);
        if (!erased[0].empty())
            return Status::failedPrecondition("dossier_erased", "Les données du dossier " + id + " sont déjà effacées.");
        const std::string now = sql::nowIso();
        // One statement per table; `docs` / `trns` select the dossier's documents and transmissions.
        auto run = [&](const std::string& head, const std::string& tail) -> std::int64_t {
            Binds b;
            std::string text = head;
            text += tail;
            for (std::size_t at; (at = text.find("{ID}")) != std::string::npos;) text.replace(at, 4, b.str(id));
            return static_cast<std::int64_t>(b.exec(s, text));
        };
        const std::string docs = "(SELECT id FROM documents WHERE dossier_id = {ID})";
        const std::string trns = "(SELECT id FROM transmissions WHERE dossier_id = {ID})";
        const std::string sgns = "(SELECT id FROM signings WHERE document_id IN " + docs + ")";
        {
            Binds b;
            b.exec(s, "UPDATE dossiers SET reference = '', menage_json = '{}', logement_json = '{}', version = version + 1,"
                      " updated_at = " + b.str(now) + ", archived_at = CASE WHEN archived_at = '' THEN " + b.str(now) +
                          " ELSE archived_at END, erased_at = " + b.str(now) + " WHERE id = " + b.str(id));
        }
        run("UPDATE dossier_index SET search_text = ''", " WHERE dossier_id = {ID}");
        counts.documents = run("UPDATE documents SET updated_at = updated_at", " WHERE dossier_id = {ID}");
        counts.revisions = run("UPDATE revisions SET input_json = '{}'", " WHERE document_id IN " + docs);
        run("UPDATE artefacts SET bytes = " + blob, " WHERE document_id IN " + docs);
        counts.drafts = run("DELETE FROM drafts", " WHERE dossier_id = {ID} OR document_id IN " + docs);
        counts.consents = run("UPDATE consents SET given_by = '', purpose = '', recorded_by = ''", " WHERE dossier_id = {ID}");
        counts.transmissions = run("UPDATE transmissions SET permitted_json = '{}'", " WHERE dossier_id = {ID}");
        run("UPDATE transmission_artefacts SET bytes = " + blob, " WHERE transmission_id IN " + trns);
        run("UPDATE transmission_index SET search_text = ''", " WHERE transmission_id IN " + trns);
        // A webhook message still queued is never delivered (its body is gone).
        run("UPDATE outbox SET body = '', dead = CASE WHEN delivered_at IS NULL THEN 1 ELSE dead END",
            " WHERE transmission_id IN " + trns);
        counts.signatories =
            run("UPDATE signatories SET name = '', capacity = '', witness = '', typed_name = '', ip = '', user_agent = '',"
                " image_base64 = ''",
                " WHERE signing_id IN " + sgns);
        run("UPDATE signed_documents SET bytes = " + blob, " WHERE signing_id IN " + sgns);
        run("UPDATE autorisation_scans SET bytes = " + blob, " WHERE document_id IN " + docs);
        run("UPDATE autorisation_previews SET bytes = " + blob, " WHERE document_id IN " + docs);
        run("DELETE FROM idempotency_keys", " WHERE resource_id = {ID} OR resource_id IN " + docs);
        appendAuditInTransaction(s, audit);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    if (_sqlite) {
        // Rewrites the file without the erased bytes (free pages included) and empties the WAL.
        Status vacuum = readSession("eraseDossier.vacuum", [&](Session& s) {
            std::string mode;
            Poco::Int64 a = 0, b = 0, c = 0;
            s << "PRAGMA wal_checkpoint(TRUNCATE)", into(a), into(b), into(c), now;
            s << "VACUUM", now;
            s << "PRAGMA wal_checkpoint(TRUNCATE)", into(a), into(b), into(c), now;
            return Status::ok();
        });
        if (!vacuum.isOk()) return vacuum;
    }
    return counts;
}

} // namespace passerelle::storage
