// PocoStore: signing links, the links setting of a partnership, autorisation
// scans and previews (migration 11; storage/SigningEvidence.h). The signature
// through a link (recordLinkSignature) and the landlord's list
// (listSigningsOfBailleur) live in SigningStore.cpp beside the other signing writes.
#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Tuple.h>

#include "storage/PocoStore.h"
#include "storage/SqlBinds.h"

namespace passerelle::storage {

using Poco::Int64;
using Poco::Data::Session;
using namespace Poco::Data::Keywords;
using sql::Binds;
using sql::nowIso;

namespace {

std::string blobText(const Poco::Data::BLOB& b) {
    return b.size() ? std::string(reinterpret_cast<const char*>(b.rawContent()), b.size()) : std::string();
}

using PreviewRow = Poco::Tuple<std::string, std::string, Int64, std::string, Int64, std::string, std::string, std::string,
                               std::string>;
const char* PREVIEW_COLUMNS =
    "id, document_id, revision, shown_document_id, shown_revision, recipient_id, sha256, confirmed_by, created_at";

AutorisationPreview toPreview(const PreviewRow& r) {
    AutorisationPreview p;
    p.id = r.get<0>();
    p.documentId = r.get<1>();
    p.revision = r.get<2>();
    p.shownDocumentId = r.get<3>();
    p.shownRevision = r.get<4>();
    p.recipientOrgId = r.get<5>();
    p.sha256 = r.get<6>();
    p.confirmedBySignatory = r.get<7>();
    p.createdAt = r.get<8>();
    return p;
}

} // namespace

Status PocoStore::createSigningLink(const SigningLink& link, const AuditEvent& audit) {
    return writeTransaction("createSigningLink", [&](Session& s) -> Status {
        // The links still out for this signatory stop opening the signing: only the newest does.
        Binds r;
        r.exec(s, "UPDATE signing_links SET replaced_at_ms = " + r.num(link.createdAtMs) + " WHERE signing_id = " +
                      r.str(link.signingId) + " AND signatory_id = " + r.str(link.signatoryId) +
                      " AND used_at_ms = 0 AND replaced_at_ms = 0");
        Binds b;
        b.exec(s, "INSERT INTO signing_links (token_hash, signatory_id, signing_id, document_id, created_at_ms, expires_at_ms,"
                  " used_at_ms, created_by_org) VALUES (" +
                      b.str(link.tokenHash) + ", " + b.str(link.signatoryId) + ", " + b.str(link.signingId) + ", " +
                      b.str(link.documentId) + ", " + b.num(link.createdAtMs) + ", " + b.num(link.expiresAtMs) + ", " + b.num(0) +
                      ", " + b.str(link.createdByOrgId) + ")");
        appendAuditInTransaction(s, audit);
        return Status::ok();
    });
}

Result<SigningLink> PocoStore::findSigningLink(const std::string& tokenHash) {
    SigningLink out;
    Status st = readSession("findSigningLink", [&](Session& s) -> Status {
        std::vector<Poco::Tuple<std::string, std::string, std::string, Int64, Int64, Int64, std::string, Int64>> rows;
        Binds b;
        b.exec(s, "SELECT signatory_id, signing_id, document_id, created_at_ms, expires_at_ms, used_at_ms, created_by_org,"
                  " replaced_at_ms FROM signing_links WHERE token_hash = " + b.str(tokenHash),
               into(rows));
        if (rows.empty()) return Status::notFound("link_not_found", "Ce lien de signature n'existe pas.");
        const auto& r = rows.front();
        out = {tokenHash, r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>(), r.get<6>(), r.get<7>()};
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<std::vector<SigningLink>> PocoStore::openSigningLinks(const std::string& signingId, std::int64_t nowMs) {
    std::vector<SigningLink> out;
    Status st = readSession("openSigningLinks", [&](Session& s) -> Status {
        std::vector<Poco::Tuple<std::string, std::string, std::string, Int64, Int64, std::string>> rows;
        Binds b;
        b.exec(s, "SELECT token_hash, signatory_id, document_id, created_at_ms, expires_at_ms, created_by_org FROM signing_links"
                  " WHERE signing_id = " + b.str(signingId) + " AND used_at_ms = 0 AND replaced_at_ms = 0 AND expires_at_ms > " +
                      b.num(nowMs) + " ORDER BY created_at_ms",
               into(rows));
        for (const auto& r : rows) out.push_back({r.get<0>(), r.get<1>(), signingId, r.get<2>(), r.get<3>(), r.get<4>(), 0, r.get<5>(), 0});
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Status PocoStore::setSigningLinksEnabled(const std::string& associationId, const std::string& bailleurId, bool enabled,
                                         const AuditEvent& audit) {
    return writeTransaction("setSigningLinksEnabled", [&](Session& s) -> Status {
        sql::writePartnershipFlag(s, "signing_link_settings", associationId, bailleurId, enabled);
        appendAuditInTransaction(s, audit);
        return Status::ok();
    });
}

Result<bool> PocoStore::signingLinksEnabled(const std::string& associationId, const std::string& bailleurId) {
    bool out = false;
    Status st = readSession("signingLinksEnabled", [&](Session& s) -> Status {
        out = sql::readPartnershipFlag(s, "signing_link_settings", associationId, bailleurId);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<AutorisationScan> PocoStore::storeAutorisationScan(const AutorisationScan& scan, const AuditEvent& audit) {
    AutorisationScan out = scan;
    if (out.id.empty()) out.id = newId("scn_");
    out.createdAt = nowIso();
    out.size = static_cast<std::int64_t>(scan.bytes.size());
    Status st = writeTransaction("storeAutorisationScan", [&](Session& s) -> Status {
        Binds b;
        b.exec(s, "INSERT INTO autorisation_scans (id, document_id, revision, sha256, content_type, size_bytes, bytes,"
                  " created_by_org, created_at) VALUES (" +
                      b.str(out.id) + ", " + b.str(out.documentId) + ", " + b.num(out.revision) + ", " + b.str(out.sha256) + ", " +
                      b.str(out.contentType) + ", " + b.num(out.size) + ", " + b.blob(scan.bytes) + ", " +
                      b.str(out.createdByOrgId) + ", " + b.str(out.createdAt) + ")");
        AuditEvent a = audit;
        a.subject = out.id;
        appendAuditInTransaction(s, a);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    out.bytes.clear();
    return out;
}

Result<AutorisationScan> PocoStore::latestAutorisationScan(const std::string& documentId, std::int64_t revision) {
    AutorisationScan out;
    Status st = readSession("latestAutorisationScan", [&](Session& s) -> Status {
        std::vector<Poco::Tuple<std::string, std::string, std::string, Int64, std::string, std::string>> rows;
        Binds b;
        b.exec(s, "SELECT id, sha256, content_type, size_bytes, created_by_org, created_at FROM autorisation_scans"
                  " WHERE document_id = " + b.str(documentId) + " AND revision = " + b.num(revision) +
                      " ORDER BY created_at DESC, id DESC LIMIT 1",
               into(rows));
        if (rows.empty()) return Status::notFound("scan_not_found", "Aucun scan signé n'est joint à cette révision.");
        const auto& r = rows.front();
        out = {r.get<0>(), documentId, revision, r.get<1>(), r.get<2>(), r.get<3>(), "", r.get<4>(), r.get<5>()};
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<AutorisationPreview> PocoStore::storeAutorisationPreview(const AutorisationPreview& preview) {
    AutorisationPreview out = preview;
    if (out.id.empty()) out.id = newId("apc_");
    out.createdAt = nowIso();
    Status st = writeTransaction("storeAutorisationPreview", [&](Session& s) -> Status {
        Binds b;
        b.exec(s, std::string("INSERT INTO autorisation_previews (") + PREVIEW_COLUMNS + ", bytes) VALUES (" + b.str(out.id) +
                      ", " + b.str(out.documentId) + ", " + b.num(out.revision) + ", " + b.str(out.shownDocumentId) + ", " +
                      b.num(out.shownRevision) + ", " + b.str(out.recipientOrgId) + ", " + b.str(out.sha256) + ", " + b.str("") +
                      ", " + b.str(out.createdAt) + ", " + b.blob(preview.bytes.empty() ? std::string(" ") : preview.bytes) + ")");
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<AutorisationPreview> PocoStore::findAutorisationPreview(const std::string& id) {
    AutorisationPreview out;
    Status st = readSession("findAutorisationPreview", [&](Session& s) -> Status {
        std::vector<PreviewRow> rows;
        {
            Binds b;
            b.exec(s, std::string("SELECT ") + PREVIEW_COLUMNS + " FROM autorisation_previews WHERE id = " + b.str(id), into(rows));
        }
        if (rows.empty()) return Status::notFound("preview_not_found", "Aperçu introuvable.");
        out = toPreview(rows.front());
        std::vector<Poco::Data::BLOB> bytes;
        Binds b;
        b.exec(s, "SELECT bytes FROM autorisation_previews WHERE id = " + b.str(id), into(bytes));
        if (!bytes.empty() && !out.shownDocumentId.empty()) out.bytes = blobText(bytes.front());
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Status PocoStore::confirmAutorisationPreview(const std::string& id, const std::string& signatoryId) {
    return writeTransaction("confirmAutorisationPreview", [&](Session& s) -> Status {
        Binds b;
        b.exec(s, "UPDATE autorisation_previews SET confirmed_by = " + b.str(signatoryId) + " WHERE id = " + b.str(id) +
                      " AND confirmed_by = " + b.str(""));
        return Status::ok();
    });
}

Result<AutorisationPreview> PocoStore::confirmedAutorisationPreview(const std::string& documentId, std::int64_t revision) {
    AutorisationPreview out;
    Status st = readSession("confirmedAutorisationPreview", [&](Session& s) -> Status {
        std::vector<PreviewRow> rows;
        Binds b;
        b.exec(s, std::string("SELECT ") + PREVIEW_COLUMNS + " FROM autorisation_previews WHERE document_id = " +
                      b.str(documentId) + " AND revision = " + b.num(revision) + " AND confirmed_by <> " + b.str("") +
                      " ORDER BY created_at DESC, id DESC LIMIT 1",
               into(rows));
        if (rows.empty()) return Status::notFound("preview_not_found", "Aucun aperçu confirmé.");
        out = toPreview(rows.front());
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

} // namespace passerelle::storage
