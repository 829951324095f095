#pragma once
// Records of the signing work of issue 10 (browser part) and issue 11 items 4–5,
// migration 11 (SigningEvidenceStore.cpp):
//  - SigningLink: a personal single-use link for one signatory; only the
//    SHA-256 of its secret is stored; one use; short lifetime; a newer link
//    for the same signatory replaces it (migration 20).
//  - AutorisationScan: the signed paper scan of an autorisation de
//    transmission (PDF or image), hashed and stored, attached to a revision.
//  - AutorisationPreview: the recipient copy the household was shown on the
//    tablet before signing its autorisation (bytes and hash kept).
#include <cstdint>
#include <string>

namespace passerelle::storage {

struct SigningLink {
    std::string tokenHash;   // SHA-256 (hex) of the secret carried by the link
    std::string signatoryId;
    std::string signingId;
    std::string documentId;
    std::int64_t createdAtMs = 0;
    std::int64_t expiresAtMs = 0;
    std::int64_t usedAtMs = 0; // 0 while unused
    std::string createdByOrgId;
    std::int64_t replacedAtMs = 0; // 0 unless a newer link was sent to the same signatory
};

struct AutorisationScan {
    std::string id;          // "scn_…"
    std::string documentId;  // the autorisation-transmission document
    std::int64_t revision = 0;
    std::string sha256;
    std::string contentType; // application/pdf | image/png | image/jpeg
    std::int64_t size = 0;
    std::string bytes;       // filled by fetchAutorisationScan only
    std::string createdByOrgId;
    std::string createdAt;
};

struct AutorisationPreview {
    std::string id;          // "apc_…"
    std::string documentId;  // the autorisation-transmission document
    std::int64_t revision = 0;
    std::string shownDocumentId; // the document whose recipient copy was shown ("" when none existed)
    std::int64_t shownRevision = 0;
    std::string recipientOrgId;
    std::string sha256;      // of the PDF shown
    std::string bytes;       // the PDF shown (filled by findAutorisationPreview)
    std::string confirmedBySignatory; // "" until a household member signed after seeing it
    std::string createdAt;
};

} // namespace passerelle::storage
