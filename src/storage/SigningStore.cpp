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

namespace passerelle::storage {

using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;
using namespace Poco::Data::Keywords;

namespace {

std::string toBase64(const std::string& bytes) {
    std::ostringstream s;
    Poco::Base64Encoder enc(s);
    enc.rdbuf()->setLineLength(0);
    enc << bytes;
    enc.close();
    return s.str();
}

std::string fromBase64(const std::string& text) {
    std::istringstream in(text);
    Poco::Base64Decoder dec(in);
    std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    return out;
}

std::string nowIso() { return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ"); }

// Bound values kept alive until the statement ran; each call returns "$n".
class Binds {
public:
    std::string str(const std::string& v) {
        _s.push_back(v);
        return push(useRef(_s.back()));
    }
    std::string num(Int64 v) {
        _i.push_back(v);
        return push(useRef(_i.back()));
    }
    std::string blob(const std::string& v) {
        _b.emplace_back(reinterpret_cast<const unsigned char*>(v.data()), v.size());
        return push(useRef(_b.back()));
    }
    template <typename... E>
    std::size_t exec(Session& s, std::string sql, E... extractions) {
        if (s.connector() == "sqlite")
            for (char& c : sql)
                if (c == '$') c = '?';
        Statement st(s);
        st << sql;
        for (auto& b : _binds) st.addBind(b);
        (st.addExtract(extractions), ...);
        return st.execute();
    }

private:
    std::string push(Poco::Data::AbstractBinding::Ptr b) {
        _binds.push_back(std::move(b));
        return "$" + std::to_string(_binds.size());
    }
    std::deque<std::string> _s;
    std::deque<Int64> _i;
    std::deque<Poco::Data::BLOB> _b;
    std::vector<Poco::Data::AbstractBinding::Ptr> _binds;
};

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

Result<SigningRecord> PocoStore::recordSignature(const Signatory& sig, const AuditEvent& audit) {
    SigningRecord out;
    Status st = writeTransaction("recordSignature", [&](Session& s) -> Status {
        // Lock the signing (PostgreSQL row lock) and check it is still open.
        {
            Binds b;
            std::size_t n = b.exec(s, "UPDATE signings SET state = state WHERE id = " + b.str(sig.signingId) +
                                          " AND state = " + b.str(SIGNING_IN_PROGRESS));
            if (n == 0)
                return Status::failedPrecondition("signing_closed", "Cette signature est close (terminée ou refusée).");
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
            if (b.exec(s, sql) == 0)
                return Status::failedPrecondition("already_signed", "Ce signataire a déjà signé ou refusé.");
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
        appendAuditInTransaction(s, audit);
        auto rec = readSigning(s, "id", sig.signingId, false);
        if (!rec.isOk()) return rec.status();
        out = rec.take();
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
