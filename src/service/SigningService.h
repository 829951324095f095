#pragma once
// SigningService: the use cases of signed documents (issue 10).
//
//   start      POST /v1/documents/{id}/signing — the owner association starts
//              the signing of the CURRENT revision of a signable form; the
//              signatories come from the document (sign::planSignatories) in
//              the order the form declares; {"bailleur": "<id or name>"} names
//              the landlord whose representative signs (tripartite forms).
//   sign       POST /v1/documents/{id}/signing/{signatoryId} — one signature
//              or refusal: the household and the association in person
//              (association's key, witness required), the association's
//              representative also from its account, the landlord's
//              representative from the landlord's own key ("account").
//              Each records who, capacity, method, when (UTC and Paris), the
//              SHA-256 of the revision's PDF, the image, IP and user agent.
//              Parties sign in the declared order; a refusal stops the signing.
//   status     GET …/signing — the states, for the owner and for the landlord
//              named in the signing (names and states only, no content).
//   signedPdf  GET /v1/documents/{id}/signed.pdf — owner only; 409 until
//              everyone signed. The sealed PDF is produced when the last
//              signature arrives (or on first request) and stored once.
//   verify     POST /v1/verify, `passerelle verify`.
// A revision added after the start makes the signing out of date ("perimee"):
// signing it is refused (409) and a new start asks every signatory again;
// the old signatures stay with the old revision. Access as DossierService:
// deny by default, 404 for what the caller may not see. Audit events carry
// ids and hashes only. Thread-safe.
#include <functional>
#include <memory>
#include <string>

#include <Poco/JSON/Object.h>

#include "service/Caller.h"
#include "service/DossierService.h"
#include "service/Notifications.h"
#include "sign/PdfSeal.h"
#include "sign/SealKey.h"
#include "storage/Store.h"

namespace passerelle::service {

inline constexpr const char* SIGNING_OUT_OF_DATE = "perimee";

struct SigningView {
    storage::SigningRecord record;
    std::string state;               // signing state, or "perimee" when the document has a newer revision
    std::int64_t currentRevision = 0;
    std::string signedPdfSha256;     // once produced
};

// Where a signature comes from (the HTTP adapter fills it from the request).
struct SignatureContext {
    std::string ip;
    std::string userAgent;
    // What the signatory was shown besides the revision (the autorisation's recipient-copy
    // preview, the landlord's received copy): its SHA-256 goes into the audit event. "" when none.
    std::string shownSha256;
};

// A signing link just sent (the secret itself went only to the notifier).
struct SigningLinkSent {
    std::string signatoryId;
    std::int64_t expiresAtMs = 0;
};

// What a signing link opens: the signing and the one signatory it is for.
struct LinkSigning {
    SigningView signing;
    storage::Document document;
    storage::Signatory signatory;
    std::int64_t expiresAtMs = 0;
};

struct VerifyView {
    sign::VerifyReport report;
    Poco::JSON::Object::Ptr manifest; // null when absent
};

struct SigningOptions {
    std::string iccProfilePath = "/usr/share/color/icc/sRGB.icc";
    // Signing links (SigningLinks.cpp): who tells the household member (kind "signing_link");
    // null: nobody (NoNotifier). Lifetime of a link, default 48 hours.
    std::shared_ptr<Notifier> notifier;
    int linkLifetimeMinutes = 48 * 60;
    // Epoch milliseconds; default the system clock (tests move it to expire links).
    std::function<std::int64_t()> nowMs;
};

class SigningService {
public:
    // `notifier` (must outlive the service): told when a signature is awaited (the landlord's users, the
    // dossier's référent) and when everyone signed, after the event's transaction committed.
    SigningService(std::shared_ptr<const DossierService> dossiers, std::shared_ptr<const sign::SealKey> sealKey,
                   SigningOptions options = {}, Notifier& notifier = noNotifier());

    Result<SigningView> start(const Caller& caller, const std::string& documentId, const Poco::JSON::Object::Ptr& body) const;
    Result<SigningView> status(const Caller& caller, const std::string& documentId) const;
    Result<SigningView> sign(const Caller& caller, const std::string& documentId, const std::string& signatoryId,
                             const Poco::JSON::Object::Ptr& body, const SignatureContext& context) const;
    Result<storage::Artefact> signedPdf(const Caller& caller, const std::string& documentId) const;
    VerifyView verify(const std::string& pdfBytes) const;

    // --- Browser signing and links (SigningLinks.cpp) ----------------------------
    // A landlord's in-progress signings that name it, for its "à signer" list.
    Result<std::vector<SigningView>> awaitingSignature(const Caller& caller) const;
    // Owner association: a personal single-use link for a household signatory who has an
    // e-mail address, where the partnership (document owner, landlord of the signing or the
    // autorisation's recipient) enabled links. The secret goes to the notifier only; the store
    // keeps its SHA-256. FailedPrecondition "links_disabled", "signing_closed", "revision_changed".
    // The personal links of a signing that can still open it (for the association's page; the
    // caller has checked that the signing's document is its own).
    Result<std::vector<storage::SigningLink>> linksStillOpen(const std::string& signingId) const;
    Result<SigningLinkSent> sendSigningLink(const Caller& caller, const std::string& documentId,
                                            const std::string& signatoryId, const std::string& email) const;
    // What a link opens; FailedPrecondition "link_expired" / "link_used" (French messages),
    // NotFound "link_not_found".
    Result<LinkSigning> openLink(const std::string& token) const;
    // The PDF of the revision a link's signatory signs.
    Result<storage::Artefact> linkDocumentPdf(const std::string& token) const;
    // The signature (or refusal) through a link: spends it, in the same transaction.
    // body: {"accepted", "image" | "typedName"}.
    Result<SigningView> signByLink(const std::string& token, const Poco::JSON::Object::Ptr& body,
                                   const SignatureContext& context) const;
    // Issue 11 item 4: the signed paper scan of an autorisation de transmission (owner only):
    // PDF (%PDF-), PNG or JPEG, 10 MiB at most, hashed and stored with the current revision.
    Result<storage::AutorisationScan> attachAutorisationScan(const Caller& caller, const std::string& documentId,
                                                             const std::string& contentType, const std::string& bytes) const;
    // Enables or disables links between an association and a landlord (CLI, admin).
    Status setLinksEnabled(const std::string& associationId, const std::string& bailleurId, bool enabled) const;

    const sign::SealKey& sealKey() const { return *_key; }

private:
    // The signature fields of a body, checked (errors name the field).
    struct SignatureInput {
        std::string method, witness, typedName, png;
        bool accepted = false;
    };
    Result<SignatureInput> parseSignature(const Poco::JSON::Object::Ptr& body, bool link) const;
    // Checks the signing's state and the order, builds the record and writes it (recordSignature,
    // or recordLinkSignature when `linkTokenHash` is set), then seals when it was the last one.
    Result<SigningView> record(const Caller& caller, const storage::Document& d, const storage::SigningRecord& r,
                               const storage::Signatory& target, const SignatureInput& in, const SignatureContext& context,
                               const std::string& linkTokenHash) const;
    std::int64_t nowMs() const;
    Result<storage::Artefact> produceSignedPdf(const storage::SigningRecord& record, const storage::Document& document) const;
    Result<SigningView> view(const storage::SigningRecord& record, const storage::Document& document) const;

    std::shared_ptr<const DossierService> _dossiers;
    std::shared_ptr<storage::Store> _store;
    std::shared_ptr<const sign::SealKey> _key;
    SigningOptions _options;
    Notifier& _notifier;
    // signature_awaited / signature_completed to the parties that have an account.
    void notifyParties(const storage::SigningRecord& record, const storage::Document& document, const char* kind) const;
};

} // namespace passerelle::service
