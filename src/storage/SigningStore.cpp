// PocoStore: signed documents (issue 10, migration 7). Tables signings,
// signatories and signed_documents; every write goes with its audit event in
// one transaction (PocoStore::writeTransaction). A signature is one guarded
// UPDATE (state still 'en-attente', signing still 'en-cours'); the signing row
// is touched first, which locks it on PostgreSQL, so two signatures of one
// signing never both miss that the other completed it.
#include <deque>

#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <Poco/Tuple.h>

#include "storage/PocoStore.h"
#include "storage/SqlBinds.h"

namespace passerelle::storage {

using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;
using namespace Poco::Data::Keywords;

namespace {

using sql::Binds;
using sql::fromBase64;
using sql::nowIso;
using sql::toBase64;

const char* SIGNING_COLUMNS =
    "id, document_id, revision, revision_sha256, owner_id, bailleur_id, state, created_by_key, created_at, completed_at";
using SigningRow = Poco::Tuple<std::string, std::string, Int64, std::string, std::string, std::string, std::string,
                               std::string, std::string, std::string>;
Signing toSigning(const SigningRow& r) {
    return {r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>(), r.get<6>(), r.get<7>(), r.get<8>(), r.get<9>()};
}

const char* SIGNATORY_COLUMNS =
    "id, signing_id, position, party, name, capacity, box, state, method, witness, typed_name, signed_at, signed_at_paris,"
    " revision_sha256, image_sha256, ip, user_agent, signer_org, signer_key";
using SignatoryRow = Poco::Tuple<std::string, std::string, Int64, std::string, std::string, std::string, Int64, std::string,
                                 std::string, std::string, std::string, std::string, std::string, std::string, std::string,
                                 std::string, std::string, std::string, std::string>;
Signatory toSignatory(const SignatoryRow& r) {
    Signatory s;
    s.id = r.get<0>();
    s.signingId = r.get<1>();
    s.position = r.get<2>();
    s.party = r.get<3>();
    s.name = r.get<4>();
    s.capacity = r.get<5>();
    s.box = r.get<6>();
    s.state = r.get<7>();
    s.method = r.get<8>();
    s.witness = r.get<9>();
    s.typedName = r.get<10>();
    s.signedAt = r.get<11>();
    s.signedAtParis = r.get<12>();
    s.revisionSha256 = r.get<13>();
    s.imageSha256 = r.get<14>();
    s.ip = r.get<15>();
    s.userAgent = r.get<16>();
    s.signerOrgId = r.get<17>();
    s.signerKeyId = r.get<18>();
    return s;
}

Result<SigningRecord> readSigning(Session& s, const std::string& where, const std::string& value, bool withImages) {
    std::vector<SigningRow> rows;
    {
        Binds b;
        std::string sql = std::string("SELECT ") + SIGNING_COLUMNS + " FROM signings WHERE " + where + " = " + b.str(value) +
                          " ORDER BY created_at DESC, id DESC LIMIT 1";
        b.exec(s, sql, into(rows));
    }
    if (rows.empty()) return Status::notFound("signing_not_found", "Aucune signature en cours ou passée pour ce document.");
    SigningRecord rec;
    rec.signing = toSigning(rows.front());
    std::vector<SignatoryRow> srows;
    {
        Binds b;
        b.exec(s, std::string("SELECT ") + SIGNATORY_COLUMNS + " FROM signatories WHERE signing_id = " + b.str(rec.signing.id) +
                      " ORDER BY position",
               into(srows));
    }
    for (const auto& r : srows) rec.signatories.push_back(toSignatory(r));
    if (withImages) {
        for (auto& sig : rec.signatories) {
            std::vector<std::string> img;
            Binds b;
            b.exec(s, "SELECT image_base64 FROM signatories WHERE id = " + b.str(sig.id), into(img));
            if (!img.empty() && !img.front().empty()) sig.image = fromBase64(img.front());
        }
    }
    return rec;
}

} // namespace

Result<SigningRecord> PocoStore::createSigning(const Signing& signing, const std::vector<Signatory>& signatories,
                                               const AuditEvent& audit) {
    SigningRecord out;
    Status st = writeTransaction("createSigning", [&](Session& s) -> Status {
        Signing g = signing;
        if (g.id.empty()) g.id = newId("sgn_");
        g.createdAt = nowIso();
        g.state = SIGNING_IN_PROGRESS;
        {
            Binds b;
            std::string sql = std::string("INSERT INTO signings (") + SIGNING_COLUMNS + ") VALUES (";
            sql += b.str(g.id) + ", " + b.str(g.documentId) + ", " + b.num(g.revision) + ", " + b.str(g.revisionSha256) + ", ";
            sql += b.str(g.ownerOrgId) + ", " + b.str(g.bailleurOrgId) + ", " + b.str(g.state) + ", " + b.str(g.createdByKeyId) + ", ";
            sql += b.str(g.createdAt) + ", " + b.str("") + ")";
            b.exec(s, sql);
        }
        for (const auto& sig : signatories) {
            Binds b;
            std::string sql = std::string("INSERT INTO signatories (") + SIGNATORY_COLUMNS + ", image_base64) VALUES (";
            sql += b.str(sig.id.empty() ? newId("sgr_") : sig.id) + ", " + b.str(g.id) + ", " + b.num(sig.position) + ", ";
            sql += b.str(sig.party) + ", " + b.str(sig.name) + ", " + b.str(sig.capacity) + ", " + b.num(sig.box) + ", ";
            sql += b.str(SIGNATORY_PENDING);
            for (int i = 0; i < 11; ++i) sql += ", " + b.str("");
            sql += ", " + b.str("") + ")";
            b.exec(s, sql);
        }
        AuditEvent a = audit;
        a.subject = g.id;
        appendAuditInTransaction(s, a);
        auto rec = readSigning(s, "id", g.id, false);
        if (!rec.isOk()) return rec.status();
        out = rec.take();
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<SigningRecord> PocoStore::findSigning(const std::string& id, bool withImages) {
    SigningRecord out;
    Status st = readSession("findSigning", [&](Session& s) -> Status {
        auto rec = readSigning(s, "id", id, withImages);
        if (!rec.isOk()) return rec.status();
        out = rec.take();
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<SigningRecord> PocoStore::latestSigning(const std::string& documentId) {
    SigningRecord out;
    Status st = readSession("latestSigning", [&](Session& s) -> Status {
        auto rec = readSigning(s, "document_id", documentId, false);
        if (!rec.isOk()) return rec.status();
        out = rec.take();
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

namespace {

// One signature or refusal inside the caller's transaction (recordSignature, recordLinkSignature).
Result<SigningRecord> recordSignatureIn(PocoStore& store, Session& s, const Signatory& sig, const AuditEvent& audit) {
    // Lock the signing (PostgreSQL row lock) and check it is still open.
    {
        Binds b;
        std::size_t n = b.exec(s, "UPDATE signings SET state = state WHERE id = " + b.str(sig.signingId) +
                                      " AND state = " + b.str(SIGNING_IN_PROGRESS));
        if (n == 0) return Status::failedPrecondition("signing_closed", "Cette signature est close (terminée ou refusée).");
    }
    {
        Binds b;
        std::string sql = "UPDATE signatories SET state = " + b.str(sig.state);
        sql += ", method = " + b.str(sig.method) + ", witness = " + b.str(sig.witness) + ", typed_name = " + b.str(sig.typedName);
        sql += ", signed_at = " + b.str(sig.signedAt) + ", signed_at_paris = " + b.str(sig.signedAtParis);
        sql += ", revision_sha256 = " + b.str(sig.revisionSha256) + ", image_sha256 = " + b.str(sig.imageSha256);
        sql += ", ip = " + b.str(sig.ip) + ", user_agent = " + b.str(sig.userAgent) + ", signer_org = " + b.str(sig.signerOrgId);
        sql += ", signer_key = " + b.str(sig.signerKeyId) + ", image_base64 = " + b.str(toBase64(sig.image));
        sql += " WHERE id = " + b.str(sig.id) + " AND signing_id = " + b.str(sig.signingId) + " AND state = " + b.str(SIGNATORY_PENDING);
        if (b.exec(s, sql) == 0) return Status::failedPrecondition("already_signed", "Ce signataire a déjà signé ou refusé.");
    }
    Int64 pending = 0;
    {
        Binds b;
        b.exec(s, "SELECT COUNT(*) FROM signatories WHERE signing_id = " + b.str(sig.signingId) + " AND state <> " +
                      b.str(SIGNATORY_SIGNED),
               into(pending));
    }
    std::string next = sig.state == SIGNATORY_REFUSED ? SIGNING_REFUSED : pending == 0 ? SIGNING_SIGNED : "";
    if (!next.empty()) {
        Binds b;
        b.exec(s, "UPDATE signings SET state = " + b.str(next) + ", completed_at = " + b.str(nowIso()) + " WHERE id = " +
                      b.str(sig.signingId));
    }
    store.appendAuditInTransaction(s, audit);
    return readSigning(s, "id", sig.signingId, false);
}

} // namespace

Result<SigningRecord> PocoStore::recordSignature(const Signatory& sig, const AuditEvent& audit) {
    SigningRecord out;
    Status st = writeTransaction("recordSignature", [&](Session& s) -> Status {
        auto rec = recordSignatureIn(*this, s, sig, audit);
        if (!rec.isOk()) return rec.status();
        out = rec.take();
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<SigningRecord> PocoStore::recordLinkSignature(const std::string& tokenHash, std::int64_t nowMs, const Signatory& sig,
                                                     const AuditEvent& audit) {
    SigningRecord out;
    Status st = writeTransaction("recordLinkSignature", [&](Session& s) -> Status {
        // One use: the guarded UPDATE spends the link; a second one (or a concurrent one) finds it spent.
        Binds b;
        std::size_t n = b.exec(s, "UPDATE signing_links SET used_at_ms = " + b.num(nowMs) + " WHERE token_hash = " +
                                      b.str(tokenHash) + " AND used_at_ms = 0 AND replaced_at_ms = 0 AND expires_at_ms > " + b.num(nowMs) +
                                      " AND signatory_id = " + b.str(sig.id));
        if (n == 0) {
            std::vector<Poco::Tuple<Int64, Int64, Int64>> rows;
            Binds q;
            q.exec(s, "SELECT used_at_ms, expires_at_ms, replaced_at_ms FROM signing_links WHERE token_hash = " + q.str(tokenHash),
                   into(rows));
            if (rows.empty()) return Status::notFound("link_not_found", "Ce lien de signature n'existe pas.");
            if (rows.front().get<0>() != 0)
                return Status::failedPrecondition("link_used", "Ce lien de signature a déjà servi : il ne sert qu'une fois.");
            if (rows.front().get<2>() != 0)
                return Status::failedPrecondition("link_replaced", "Ce lien de signature a été remplacé par un lien plus récent.");
            return Status::failedPrecondition("link_expired", "Ce lien de signature a expiré.");
        }
        auto rec = recordSignatureIn(*this, s, sig, audit);
        if (!rec.isOk()) return rec.status();
        out = rec.take();
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<std::vector<SigningRecord>> PocoStore::listSigningsOfBailleur(const std::string& bailleurOrgId) {
    std::vector<SigningRecord> out;
    Status st = readSession("listSigningsOfBailleur", [&](Session& s) -> Status {
        std::vector<std::string> ids;
        {
            Binds b;
            b.exec(s, "SELECT id FROM signings WHERE bailleur_id = " + b.str(bailleurOrgId) + " AND state = " +
                          b.str(SIGNING_IN_PROGRESS) + " ORDER BY created_at DESC, id DESC LIMIT 200",
                   into(ids));
        }
        for (const auto& id : ids) {
            auto rec = readSigning(s, "id", id, false);
            if (!rec.isOk()) return rec.status();
            out.push_back(rec.take());
        }
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<Artefact> PocoStore::storeSignedDocument(const std::string& signingId, const Artefact& pdf, const AuditEvent& audit) {
    Status st = writeTransaction("storeSignedDocument", [&](Session& s) -> Status {
        Int64 existing = 0;
        {
            Binds b;
            b.exec(s, "SELECT COUNT(*) FROM signed_documents WHERE signing_id = " + b.str(signingId), into(existing));
        }
        if (existing) return Status::ok(); // the first sealed file stays the one
        Binds b;
        b.exec(s, "INSERT INTO signed_documents (signing_id, sha256, size_bytes, bytes, created_at) VALUES (" + b.str(signingId) +
                      ", " + b.str(pdf.sha256) + ", " + b.num(static_cast<Int64>(pdf.bytes.size())) + ", " + b.blob(pdf.bytes) +
                      ", " + b.str(nowIso()) + ")");
        appendAuditInTransaction(s, audit);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return fetchSignedDocument(signingId);
}

Result<Artefact> PocoStore::fetchSignedDocument(const std::string& signingId) {
    Artefact a;
    Status st = readSession("fetchSignedDocument", [&](Session& s) -> Status {
        std::vector<Poco::Tuple<std::string, Int64, Poco::Data::BLOB>> rows;
        Binds b;
        b.exec(s, "SELECT sha256, size_bytes, bytes FROM signed_documents WHERE signing_id = " + b.str(signingId), into(rows));
        if (rows.empty()) return Status::notFound("signed_pdf_not_found", "Le PDF signé n'a pas encore été produit.");
        a.format = "pdf";
        a.contentType = "application/pdf";
        a.sha256 = rows.front().get<0>();
        a.size = rows.front().get<1>();
        const auto& blob = rows.front().get<2>();
        if (blob.size()) a.bytes.assign(reinterpret_cast<const char*>(blob.rawContent()), blob.size());
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return a;
}

} // namespace passerelle::storage
