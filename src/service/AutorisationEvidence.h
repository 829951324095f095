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
Result<AutorisationEvidence> autorisationEvidence(storage::Store& store, const RenderService& renderer,
                                                  const storage::Document& autorisation);
// `body` is a recordConsent body with how.method "signed_autorisation" and how.documentId.
Result<Poco::JSON::Object::Ptr> consentBodyFromAutorisation(storage::Store& store, const RenderService& renderer,
                                                            const std::string& dossierId, const Poco::JSON::Object::Ptr& body,
                                                            AutorisationEvidence& evidence);

} // namespace passerelle::service
