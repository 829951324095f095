#pragma once
// AutorisationEvidence (issue 11, items 4 and 5): the autorisation de
// transmission the household signed is the consent's evidence, and its terms
// ARE the consent's terms.
//
//  - readAutorisation: what a revision of an autorisation-transmission says, as
//    consent terms: the recipient (destinataire.nom, a known bailleur), the
//    document kind (document.nature), the data categories (every category the
//    household is told may go: the housing-related categories of that kind's
//    form — what the recipient-copy preview shows), the SIAO copy (copieSiao),
//    the validity (valableJusquAu: to 00:00 Europe/Paris the day after), the
//    purpose (finalite) and who gives it (menage.personnes).
//  - autorisationEvidence: the terms of the CURRENT revision, with the proof:
//    the sealed signed PDF once every household signatory signed (its
//    SHA-256), else the latest signed paper scan attached to that revision
//    (PDF or image, its SHA-256); neither: FailedPrecondition
//    "autorisation_not_signed". Also the hash of the recipient copy shown on
//    the tablet before the household signed (AutorisationPreview), if any.
//  - consentBodyFromAutorisation: the recordConsent body completed from the
//    evidence; a field of the request that says otherwise is refused
//    (InvalidArgument "contradicts_autorisation", the detail names the field).
// Pure functions over the store; thread-safe when the store is.
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Date.h"
#include "common/Status.h"
#include "service/RenderService.h"
#include "storage/Store.h"

namespace passerelle::service {

struct AutorisationTerms {
    std::string documentId;
    std::int64_t revision = 0;
    std::string recipientOrgId;
    std::string recipientName;
    std::vector<std::string> documentKinds; // sorted
    std::vector<std::string> categories;    // sorted
    bool copieSiao = false;
    std::optional<Date> validUntil;          // last day of validity
    std::string expiresAtIso;                // 00:00 Paris the day after validUntil, "" when none
    std::string purpose;
    std::vector<std::string> givers;         // "Prénom Nom" of each person who gives the accord
    std::string signatureDate;               // signature.date (ISO date)
};

// The signed paper scan of an autorisation (issue 11 item 4), received by the API
// (POST /v1/documents/{id}/scan) and by the consent page (a file input): its limits live
// here only. A scan is a PDF, a PNG or a JPEG, recognised by its first bytes (the declared
// Content-Type must agree, or be absent or application/octet-stream), of MAX_SCAN_BYTES at most.
inline constexpr std::size_t MAX_SCAN_BYTES = 10u * 1024 * 1024;
// The request body the routes that carry a scan accept (the API's raw body, the consent page's
// multipart form): the scan, its form fields and some room above, so that a file a little too
// big gets this use case's French message rather than the HTTP front's 413.
inline constexpr std::size_t SCAN_REQUEST_BODY_BYTES = MAX_SCAN_BYTES + 1024u * 1024;
inline constexpr const char* MAX_SCAN_LABEL = "10 Mio";
inline constexpr const char* SCAN_TYPES_LABEL = "un PDF, une image PNG ou une image JPEG";

// "application/pdf", "image/png" or "image/jpeg" from the file's first bytes; "" for anything else.
std::string scanKindOf(const std::string& bytes);
// Every problem of an upload, each at `path` (empty, too big, not a PDF/PNG/JPEG, declared type
// that is not the file's). Empty when the scan may be stored.
std::vector<FieldError> checkAutorisationScan(const std::string& contentType, const std::string& bytes, const std::string& path);
// REQUIRES: checkAutorisationScan(…, bytes, …) is empty. The scan of `autorisation`'s current
// revision sent by `organisationId`, and the audit event that goes with its storing.
storage::AutorisationScan newAutorisationScan(const storage::Document& autorisation, const std::string& organisationId,
                                              const std::string& bytes);
storage::AuditEvent scanAttachedEvent(const storage::AutorisationScan& scan);

// A scan received with the consent it proves, not stored yet: the evidence it would be.
struct PendingScan {
    std::string bytes;
    std::int64_t receivedAt = 0; // epoch seconds
};

struct AutorisationEvidence {
    AutorisationTerms terms;
    std::string kind;         // "signed_pdf" | "scan"
    std::string sha256;       // of the sealed signed PDF, or of the scan
    std::int64_t givenAt = 0; // epoch seconds: the last household signature, or the scan's upload
    std::string shownSha256;  // the recipient copy shown before signing ("" when none was recorded)
};

// The housing-related categories of a form (the ones a consent may cover).
std::vector<std::string> transmissibleCategories(const forms::FormDef& form);

Result<AutorisationTerms> readAutorisation(storage::Store& store, const RenderService& renderer,
                                           const storage::Document& autorisation, std::int64_t revision);
// With `pending`, the scan received with the request stands for the stored ones (a sealed
// signed PDF still comes first).
Result<AutorisationEvidence> autorisationEvidence(storage::Store& store, const RenderService& renderer,
                                                  const storage::Document& autorisation, const PendingScan* pending = nullptr);
// `body` is a recordConsent body with how.method "signed_autorisation" and how.documentId.
Result<Poco::JSON::Object::Ptr> consentBodyFromAutorisation(storage::Store& store, const RenderService& renderer,
                                                            const std::string& dossierId, const Poco::JSON::Object::Ptr& body,
                                                            AutorisationEvidence& evidence, const PendingScan* pending = nullptr);

} // namespace passerelle::service
