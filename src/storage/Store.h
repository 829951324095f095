#pragma once
// Store: persistence of organisations, API keys, partnerships, actions,
// dossiers and documents (with every revision and its rendered artefacts).
//
// The interface knows nothing of SQL or Poco::Data; PocoStore implements it on
// SQLite (default) and PostgreSQL. The store checks no permission: the
// authorization rules live in service::DossierService, which is the only
// caller from the HTTP adapter.
//
// Conventions shared by every implementation:
//  - ids are text: a short prefix and 16 random hex digits ("org_…", "key_…",
//    "prt_…", "act_…", "dos_…", "doc_…"); the store assigns them.
//  - timestamps are ISO 8601 UTC text with milliseconds
//    ("2026-11-22T10:15:00.123Z"), assigned by the store; they sort as text.
//  - an optional reference is the empty string when absent (never null).
//  - writes that belong together are one transaction: on error, nothing of
//    the call is left in the database.
//  - errors are values: NotFound (unknown id), FailedPrecondition (conflict:
//    duplicate name, concurrent revision), Internal (database failure; the
//    detail is logged, the message stays generic).
// Implementations are safe to share between threads.
#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "audit/AuditChain.h"
#include "common/Status.h"
#include "delivery/Outbox.h"
#include "storage/Idempotency.h"
#include "storage/SigningEvidence.h"

namespace passerelle::storage {

// Organisation kinds, as stored and as shown in the API.
inline constexpr const char* KIND_ASSOCIATION = "association";
inline constexpr const char* KIND_BAILLEUR = "bailleur";
inline constexpr const char* KIND_FINANCEUR = "financeur";
inline constexpr const char* KIND_SIAO = "siao";
bool isOrganisationKind(const std::string& kind);
// A new id: `prefix` followed by 16 random hex digits ("doc_" → "doc_3fa2…").
std::string newId(const std::string& prefix);

struct Organisation {
    std::string id;
    std::string name;
    std::string kind; // association | bailleur | financeur | siao
    std::string createdAt;
};

// An API key as stored: only the SHA-256 of the secret and a short prefix for display.
struct ApiKey {
    std::string id;
    std::string organisationId;
    std::string prefix;    // first characters of the secret, e.g. "psl_1a2b3c4d"
    std::string name;      // the person using it, may be empty
    std::string createdAt;
    std::string revokedAt; // empty while the key is valid
};

// The organisation behind a valid (not revoked) key.
struct KeyOwner {
    ApiKey key;
    Organisation organisation;
};

// "Which association works with which landlord." Seed 004 (Côtes-d'Armor):
// "le SIAO est mis en copie de l'envoi" — where the partnership says so,
// `siaoId` names the SIAO that gets a copy of each transmission the household
// agreed to copy (migration 3; "" when none).
// How to reach an organisation (issue 11 item 11: the data controller on the household's receipt).
struct OrganisationContact {
    std::string adresse;
    std::string telephone;
    std::string email;
    bool empty() const { return adresse.empty() && telephone.empty() && email.empty(); }
};

struct Partnership {
    std::string id;
    std::string associationId;
    std::string bailleurId;
    std::string createdAt;
    std::string siaoId; // "" or an organisation of kind siao
};

// An action carried by an association and funded by funders (budget and
// activity documents are attached to it).
struct Action {
    std::string id;
    std::string title;
    std::string associationId;
    std::vector<std::string> funderIds; // sorted
    std::string createdAt;
};

// A household followed by an association. `menageJson` and `logementJson`
// are JSON objects kept as text (validated by the service).
struct Dossier {
    std::string id;
    std::string associationId;
    std::string reference; // the association's own reference, may be empty
    std::string statut;    // ouvert | suspendu | clos
    std::string menageJson = "{}";
    std::string logementJson = "{}";
    std::int64_t version = 1; // incremented by every update
    std::string createdAt;
    std::string updatedAt;
    // The user who follows it (migration 4, table dossier_index): written by
    // createDossier; filled by searchDossiers only ("" elsewhere or when none).
    std::string referentUserId;
    // Life cycle (migration 16; docs/rgpd.md). ISO 8601 UTC, "" when not (yet):
    // closedAt is set by updateDossier when statut becomes "clos" (cleared when
    // it leaves it); archivedAt and erasedAt by archiveDossier / eraseDossier.
    // An archived dossier is read-only; an erased one keeps ids and hashes only.
    std::string closedAt;
    std::string archivedAt;
    std::string erasedAt;
};

// What eraseDossier() wiped (counts of rows whose personal content was erased).
struct ErasureCounts {
    std::int64_t documents = 0;
    std::int64_t revisions = 0;
    std::int64_t consents = 0;
    std::int64_t transmissions = 0;
    std::int64_t signatories = 0;
    std::int64_t drafts = 0;
};

struct DossierQuery {
    std::string associationId; // required: dossiers of this association only
    std::string statut;        // filter, empty: any
    std::string reference;     // exact filter, empty: any
    int limit = 50;
    int offset = 0;
};

// One rendered file of a revision. `bytes` is filled by fetchArtefact only.
struct Artefact {
    std::string format; // pdf | xlsx
    std::string contentType;
    std::string sha256; // lower-case hex
    std::int64_t size = 0;
    std::string bytes;
};

// One version of a document; never overwritten.
struct Revision {
    std::int64_t number = 0; // 1, 2, ...
    std::string variant;
    std::string formVersion;
    std::string inputJson;
    std::string createdByOrganisationId;
    std::string createdByKeyId;
    std::string createdAt;
    std::vector<Artefact> artefacts; // metadata (bytes empty) unless said otherwise
};

// A filled form attached to a dossier (personal data) or to an action
// (funders' forms), owned by the association that created it.
struct Document {
    std::string id;
    std::string form;
    std::string dossierId; // exactly one of dossierId / actionId is set
    std::string actionId;
    std::string ownerOrganisationId;
    std::int64_t currentRevision = 0;
    std::string variant;     // of the current revision (filled by reads)
    std::string formVersion; // of the current revision (filled by reads)
    std::string createdByOrganisationId;
    std::string createdByKeyId;
    std::string createdAt;
    std::string updatedAt;
};

struct DocumentQuery {
    std::string ownerOrganisationId;  // filter, empty: any
    std::string dossierId;            // filter, empty: any
    std::string actionId;             // filter, empty: any
    std::string fundedBy;             // only documents of actions this funder funds
    std::vector<std::string> forms;   // only these forms; empty: any
    bool restrictForms = false;       // true: `forms` applies even when empty (then nothing matches)
    int limit = 50;
    int offset = 0;
};

template <typename T>
struct Page {
    std::vector<T> items;
    std::int64_t total = 0; // matching rows, ignoring limit/offset
};

// --- Consent and transmission (issue 6) -----------------------------------

// One consent or refusal of a ménage, as stored ("cns_…"). Rows are never
// edited or deleted: the only change is the withdrawal, which sets
// withdrawnAt once (a single UPDATE guarded by "withdrawn_at IS NULL").
// Times are UTC epoch seconds (consent::Instant). The service converts to
// and from consent::ConsentRecord.
struct StoredConsent {
    std::string id;
    std::string dossierId;
    std::string kind;             // "consent" | "refusal"
    std::string givenByName;
    std::string givenByCapacity;  // "household_member" | "legal_representative"
    std::string recipientOrgId;   // one bailleur
    std::vector<std::string> documentKinds; // form ids
    std::vector<std::string> categories;
    std::string purpose;
    std::int64_t givenAt = 0;
    std::string howMethod;        // "signed_autorisation" | "in_person"
    std::string proofDocumentId;  // signed_autorisation: the autorisation-transmission document
    std::string proofSha256;      // signed_autorisation: SHA-256 of its PDF
    std::string recordedBy;       // in_person: the référent
    std::optional<std::int64_t> expiresAt;   // effective expiry computed when recorded (consents)
    std::optional<std::int64_t> withdrawnAt;
    std::string supersedes;       // "" or an earlier record of the same dossier and bailleur
    bool copieSiao = false;       // the household agreed that the partnership's SIAO gets a copy (migration 3)
    std::string shownSha256;      // signed_autorisation: SHA-256 of the recipient copy shown to the household before
                                  // it signed ("" when none was shown; migration 18)
    std::string createdByOrganisationId;
    std::string createdByKeyId;
    std::string createdAt;
};

// What goes into the audit trail with a write (the store assigns seq, at and the hashes).
struct AuditEvent {
    std::string event;   // "consent.given", "transmission.sent", …
    std::string actor;   // organisation id, or "system"
    std::string subject; // the id the event is about
    std::string details; // compact JSON of identifiers and hashes — never personal data
};

// One transmission attempt of a document revision to a bailleur ("trn_…"):
// allowed (with the recipient copy) or refused (decision code only).
struct Transmission {
    std::string id;
    std::string documentId;
    std::int64_t revision = 0;
    std::string dossierId;
    std::string form;
    std::string senderOrgId;      // the association
    std::string recipientOrgId;
    bool allowed = false;
    std::string decisionCode;     // consent::reasonCode
    std::string consentId;        // governing record, may be empty
    std::string excludedJson = "{}";  // {"path": "not_housing" | "out_of_scope"} — paths only, no values
    std::string permittedJson = "{}"; // consent::permittedData of the revision (allowed only)
    std::vector<Artefact> artefacts;  // recipient copies (allowed only); bytes on write only
    std::string createdByKeyId;
    std::string createdAt;
    // "" for a transmission to a bailleur; for the SIAO's copy (migration 3),
    // the id of the bailleur's transmission it copies (same bytes, same hashes).
    std::string copyOf;
};

// The SIAO's copy of an allowed transmission, written in the same
// transaction as it: its own row (recipient = the SIAO, copyOf set), the same
// artefacts, its audit event ("transmission.copied") and optional outbox message.
struct TransmissionCopy {
    Transmission transmission;
    AuditEvent audit;
    std::optional<delivery::OutboxMessage> outbox;
};

struct TransmissionQuery {
    std::string recipientOrgId; // filter, empty: any
    std::string documentId;     // filter, empty: any
    std::string copyOf;         // filter (the SIAO copies of one transmission), empty: any
    bool allowedOnly = true;
    int limit = 50;
    int offset = 0;
};

// A recipient's inbox search (landlord or SIAO): its allowed copies only.
struct ReceivedQuery {
    std::string recipientOrgId;
    std::string text;        // the person's words: each must appear (folded) in what the copy is found by
    std::string form;        // document kind
    std::string senderOrgId; // sending association
    std::string fromDay, toDay; // received on or after / on or before, YYYY-MM-DD (UTC day)
    std::string state;       // "" | "nouveau" (never read) | "lu"
    int limit = 20;
    int offset = 0;
};
struct ReceivedPage {
    std::vector<Transmission> items;       // the page, newest first
    std::int64_t total = 0;                // copies matching the query
    std::int64_t unread = 0;               // of every copy received
    std::vector<std::string> senderOrgIds; // of every copy received
    std::vector<std::string> forms;        // of every copy received
};

// Checked inside the transaction that records an allowed transmission: the
// governing consent is still not withdrawn (row locked on PostgreSQL, so a
// concurrent withdrawal waits and lands after), and the dossier still has
// exactly `consentCount` records (no newer refusal/consent meanwhile).
// FailedPrecondition "consent_changed" otherwise: decide again.
struct ConsentGuard {
    std::string dossierId;
    std::string consentId;
    std::int64_t consentCount = 0;
};

// A landlord's webhook.
struct Webhook {
    std::string organisationId;
    std::string url;
    std::string updatedAt;
};

struct OutboxStatus {
    std::string id;
    std::string transmissionId;
    int attempts = 0;
    bool delivered = false;
    bool dead = false;
    std::string lastError;
    std::string recipientOrgId;
    std::optional<std::int64_t> deliveredAtMs; // epoch milliseconds
    std::int64_t nextAttemptAtMs = 0;          // epoch milliseconds (meaningful while pending)
    int httpStatus = 0;                        // of the last attempt (0: no HTTP answer)
    // Issue 11 item 7: cancelled at delivery time, the consent no longer allowing it; never sent.
    bool cancelled = false;
    std::optional<std::int64_t> cancelledAtMs;
    std::string cancelReason;                  // the gate's code (withdrawn, expired, superseded…)
};

// --- Signed documents (issue 10) -------------------------------------------

// States, as stored and shown in the API.
inline constexpr const char* SIGNING_IN_PROGRESS = "en-cours";
inline constexpr const char* SIGNING_SIGNED = "signe";
inline constexpr const char* SIGNING_REFUSED = "refuse";
inline constexpr const char* SIGNATORY_PENDING = "en-attente";
inline constexpr const char* SIGNATORY_SIGNED = "signe";
inline constexpr const char* SIGNATORY_REFUSED = "refuse";

// One signing of one revision of a document ("sgn_…"). A new revision does
// not change it: the service reports it as out of date and starts a new one.
struct Signing {
    std::string id;
    std::string documentId;
    std::int64_t revision = 0;
    std::string revisionSha256; // of the revision's PDF: what every signatory signs
    std::string ownerOrgId;     // the association that owns the document
    std::string bailleurOrgId;  // the landlord whose representative signs ("" when none)
    std::string state;          // en-cours | signe | refuse
    std::string createdByKeyId;
    std::string createdAt;
    std::string completedAt;    // "" while in progress
};

// One person who signs ("sgr_…"); the signature fields are "" until signed or refused.
struct Signatory {
    std::string id;
    std::string signingId;
    std::int64_t position = 0; // signing order
    std::string party;         // menage | association | bailleur
    std::string name;
    std::string capacity;
    std::int64_t box = -1;     // the template's signature box, -1: none
    std::string state;         // en-attente | signe | refuse
    std::string method;        // in_person | account
    std::string witness;
    std::string typedName;
    std::string signedAt;      // ISO 8601 UTC (second precision)
    std::string signedAtParis; // ISO 8601 with the Europe/Paris offset
    std::string revisionSha256;
    std::string imageSha256;
    std::string ip;
    std::string userAgent;
    std::string signerOrgId;
    std::string signerKeyId;
    std::string image;         // PNG bytes: filled only when asked (findSigning withImages)
};

struct SigningRecord {
    Signing signing;
    std::vector<Signatory> signatories; // by position
};

// What the state tables say, for `audit verify` to check against the journal:
// every consent, withdrawal and transmission must have its entry, with the
// same hashes of the recipient copies.
struct AuditedState {
    struct ConsentState {
        std::string id;
        std::string kind; // consent | refusal
        bool withdrawn = false;
    };
    struct TransmissionState {
        std::string id;
        bool allowed = false;
        std::string copyOf;
        std::map<std::string, std::string> artefactSha256; // format -> SHA-256
    };
    // Issue 11 item 7: the webhook messages cancelled at delivery time, and those delivered.
    struct CancelledMessage {
        std::string id;
        std::string reason;
    };
    std::vector<ConsentState> consents;
    std::vector<TransmissionState> transmissions;
    std::vector<CancelledMessage> cancelledMessages;
    std::set<std::string> deliveredMessages;
};

// --- Accounts and web sessions (issue 9, migration 4) ---------------------

// User roles in their organisation.
inline constexpr const char* ROLE_ADMIN = "admin";   // manages the organisation's users
inline constexpr const char* ROLE_MEMBRE = "membre"; // does the work

// A person who signs in to the web pages ("usr_…"). `email` is stored
// lower-cased and is unique across organisations. Only the Argon2id encoded
// hash of the password is stored.
struct User {
    std::string id;
    std::string organisationId;
    std::string email;
    std::string name;
    std::string role; // admin | membre
    std::string passwordHash;
    bool mustChangePassword = true; // a one-time password was given
    std::string disabledAt;         // empty while the account may sign in
    std::string createdAt;
    std::string updatedAt;
};

// A signed-in browser. The cookie carries a random token; the store keeps
// only its SHA-256 (`tokenHash`). Times are epoch milliseconds.
struct WebSession {
    std::string tokenHash;
    std::string userId;
    std::string csrfToken;
    std::int64_t createdAtMs = 0;
    std::int64_t lastSeenAtMs = 0;
    std::int64_t expiresAtMs = 0; // absolute end, whatever the activity
};

// Failed sign-ins counted per key ("compte:<sha256 of the e-mail>" or
// "adresse:<client address>"), shared by every instance.
struct LoginThrottle {
    std::string key;
    std::int64_t failures = 0;
    std::int64_t lastFailureAtMs = 0;
    std::int64_t lockedUntilMs = 0;
};

// Web search over dossiers (migration 4): `search` matches the reference,
// the household members' names and the numéro unique, partially, ignoring
// case and accents; `referentUserId` filters on the user who follows it.
struct DossierSearch {
    std::string associationId; // required
    std::string search;        // free text, empty: any
    std::string statut;        // empty: any
    std::string referentUserId; // empty: any
    int limit = 20;
    int offset = 0;
};

class Store {
public:
    virtual ~Store() = default;

    // "SQLite /path/passerelle.db" or "PostgreSQL host:port/db" (no password).
    virtual std::string describe() const = 0;
    virtual Result<int> schemaVersion() = 0;

    // Organisations and keys.
    virtual Result<Organisation> createOrganisation(const std::string& name, const std::string& kind) = 0;
    virtual Result<Organisation> findOrganisation(const std::string& id) = 0;
    virtual Result<Organisation> findOrganisationByName(const std::string& name) = 0;
    virtual Result<std::vector<Organisation>> listOrganisations() = 0;
    // Stores a key given its hash; the secret itself never reaches the store.
    virtual Result<ApiKey> createApiKey(const std::string& organisationId, const std::string& name,
                                        const std::string& prefix, const std::string& secretHash) = 0;
    // NotFound when no valid key has this hash (unknown or revoked).
    virtual Result<KeyOwner> findKeyByHash(const std::string& secretHash) = 0;
    virtual Result<std::vector<ApiKey>> listApiKeys(const std::string& organisationId) = 0;
    // By id or by prefix; NotFound when nothing matches, InvalidArgument when a prefix is ambiguous.
    virtual Result<ApiKey> revokeApiKey(const std::string& idOrPrefix) = 0;

    // Partnerships and actions.
    // `siaoId`: "" or the SIAO the partnership copies (seed 004).
    virtual Result<Partnership> createPartnership(const std::string& associationId, const std::string& bailleurId,
                                                  const std::string& siaoId = "") = 0;
    virtual Result<std::vector<Partnership>> listPartnerships(const std::string& organisationId) = 0;
    // NotFound "partnership_not_found" when these two do not work together.
    virtual Result<Partnership> findPartnership(const std::string& associationId, const std::string& bailleurId) = 0;
    // Names ("" clears) the SIAO copied on this partnership's transmissions.
    virtual Result<Partnership> setPartnershipSiao(const std::string& associationId, const std::string& bailleurId,
                                                   const std::string& siaoId) = 0;
    virtual Result<Action> createAction(const std::string& title, const std::string& associationId,
                                        const std::vector<std::string>& funderIds) = 0;
    virtual Result<Action> findAction(const std::string& id) = 0;
    // Actions carried by `associationId` or funded by `funderId` (one of them set).
    virtual Result<std::vector<Action>> listActions(const std::string& associationId, const std::string& funderId) = 0;

    // Dossiers.
    virtual Result<Dossier> createDossier(const Dossier& dossier) = 0;
    virtual Result<Dossier> findDossier(const std::string& id) = 0;
    virtual Result<Page<Dossier>> listDossiers(const DossierQuery& query) = 0;
    // Replaces reference, statut, menage and logement; FailedPrecondition when
    // `dossier.version` is not the stored version (concurrent update).
    virtual Result<Dossier> updateDossier(const Dossier& dossier) = 0;

    // Closing and reopening a dossier (« Clore le dossier », POST /v1/dossiers/{id}/close|reopen):
    // statut "clos" (closedAt: now, the start of the retention periods) or back to "ouvert"
    // (closedAt cleared), with its audit event, in one transaction. FailedPrecondition
    // "dossier_archived" when archived, "dossier_already_closed" / "dossier_not_closed" otherwise.
    // Default: Internal "not_implemented".
    virtual Result<Dossier> setDossierClosed(const std::string& id, bool closed, const AuditEvent& audit);

    // Retention (migration 16; RetentionStore.cpp; docs/rgpd.md). The defaults answer Internal "not_implemented".
    // Every closed dossier not yet erased, of every association, oldest closing first.
    virtual Result<std::vector<Dossier>> listClosedDossiers();
    // Marks a closed dossier archived (read-only) with its audit event, in one transaction.
    // FailedPrecondition "dossier_not_closed" / "dossier_archived" when it is not closed / already archived.
    virtual Result<Dossier> archiveDossier(const std::string& id, const AuditEvent& audit);
    // Erases the personal data of a closed dossier and of everything attached to it (household
    // and dwelling, revisions' input and files, consents' giver and purpose, recipient copies,
    // webhook bodies, signatories, signed PDFs, scans, previews, drafts, idempotency answers),
    // keeping rows, ids and SHA-256 so that `audit verify` still holds; with its audit event,
    // in one transaction. SQLite: the file is then vacuumed so that no erased byte stays in it.
    // FailedPrecondition "dossier_not_closed" / "dossier_erased".
    virtual Result<ErasureCounts> eraseDossier(const std::string& id, const AuditEvent& audit);

    // Documents. `first` carries the input, the artefacts and their bytes.
    // `document.id` may be preset (from newId("doc_"): the rendered files show it); empty: assigned.
    virtual Result<Document> createDocument(const Document& document, const Revision& first) = 0;
    virtual Result<Document> findDocument(const std::string& id) = 0;
    virtual Result<Page<Document>> listDocuments(const DocumentQuery& query) = 0;
    // Adds revision `expectedRevision + 1`; FailedPrecondition when another
    // revision was added meanwhile.
    virtual Result<Document> addRevision(const std::string& documentId, std::int64_t expectedRevision,
                                         const Revision& revision) = 0;
    virtual Result<Revision> findRevision(const std::string& documentId, std::int64_t number) = 0;
    virtual Result<std::vector<Revision>> listRevisions(const std::string& documentId) = 0;
    virtual Result<Artefact> fetchArtefact(const std::string& documentId, std::int64_t revision,
                                           const std::string& format) = 0;

    // Consents (issue 6). Each write appends its audit event in the same transaction.
    virtual Result<StoredConsent> recordConsent(const StoredConsent& consent, const AuditEvent& audit) = 0;
    virtual Result<StoredConsent> findConsent(const std::string& id) = 0;
    // Every record of the dossier, oldest first (read at this instant: committed withdrawals included).
    virtual Result<std::vector<StoredConsent>> listConsents(const std::string& dossierId) = 0;
    // Sets withdrawn_at once; FailedPrecondition "already_withdrawn" when already set.
    virtual Result<StoredConsent> withdrawConsent(const std::string& id, std::int64_t at, const AuditEvent& audit) = 0;

    // Transmissions: the row, its artefacts, its audit entry, (optionally)
    // its outbox message and the SIAO copies with theirs, in ONE transaction.
    // `guard` is checked for allowed ones.
    virtual Result<Transmission> recordTransmission(const Transmission& t, const AuditEvent& audit,
                                                    const std::optional<ConsentGuard>& guard,
                                                    const std::optional<delivery::OutboxMessage>& outbox,
                                                    const std::vector<TransmissionCopy>& copies = {}) = 0;
    virtual Result<Transmission> findTransmission(const std::string& id) = 0;
    virtual Result<Page<Transmission>> listTransmissions(const TransmissionQuery& query) = 0;
    virtual Result<Artefact> fetchTransmissionArtefact(const std::string& transmissionId, const std::string& format) = 0;

    // Webhooks and the outbox.
    virtual Result<Webhook> setWebhook(const std::string& organisationId, const std::string& url,
                                       const AuditEvent& audit) = 0;
    virtual Result<Webhook> findWebhook(const std::string& organisationId) = 0; // NotFound when none
    virtual Result<OutboxStatus> findOutboxMessage(const std::string& id) = 0;
    virtual Result<std::vector<OutboxStatus>> listOutbox(const std::string& transmissionId) = 0;

    // The audit trail: append one event alone (landlord access, delivery
    // attempts), read the whole chain (ascending seq).
    virtual Status appendAudit(const AuditEvent& audit) = 0;
    virtual Result<std::vector<audit::AuditEntry>> listAudit() = 0;

    // Signed documents (issue 10; implemented by PocoStore in SigningStore.cpp).
    // The signing, its signatories and its audit event in one transaction.
    virtual Result<SigningRecord> createSigning(const Signing& signing, const std::vector<Signatory>& signatories,
                                                const AuditEvent& audit);
    virtual Result<SigningRecord> findSigning(const std::string& id, bool withImages = false);
    // The most recent signing of a document; NotFound "signing_not_found" when none.
    virtual Result<SigningRecord> latestSigning(const std::string& documentId);
    // Records one signature or refusal (`s.state`) of a pending signatory of
    // an in-progress signing, with its audit event; the signing becomes
    // "signe" when nobody is left pending, "refuse" on a refusal.
    // FailedPrecondition "signing_closed" / "already_signed" otherwise.
    virtual Result<SigningRecord> recordSignature(const Signatory& s, const AuditEvent& audit);
    // The sealed PDF of a completed signing (once; a second store keeps the first).
    virtual Result<Artefact> storeSignedDocument(const std::string& signingId, const Artefact& pdf, const AuditEvent& audit);
    virtual Result<Artefact> fetchSignedDocument(const std::string& signingId); // NotFound when not produced yet
    // The last entry of the chain (nullopt when empty), without reading the whole chain.
    virtual Result<std::optional<audit::AuditEntry>> auditHead() = 0;
    // Consents, withdrawals and transmissions as the state tables hold them.
    virtual Result<AuditedState> auditedState() = 0;
    // --- Accounts and web sessions (issue 9). Implemented by PocoStore in
    // AccountStore.cpp; the defaults answer Internal "not_supported".
    // createUser: FailedPrecondition "user_exists" when the e-mail is taken.
    virtual Result<User> createUser(const User& user, const AuditEvent& audit);
    virtual Result<User> findUser(const std::string& id);            // NotFound "user_not_found"
    virtual Result<User> findUserByEmail(const std::string& email);  // lower-cased e-mail; NotFound
    virtual Result<std::vector<User>> listUsers(const std::string& organisationId);
    // Replaces name, role, password hash, mustChangePassword and disabledAt.
    virtual Result<User> updateUser(const User& user, const AuditEvent& audit);
    virtual Status createWebSession(const WebSession& session);
    virtual Result<WebSession> findWebSession(const std::string& tokenHash); // NotFound "session_not_found"
    virtual Status touchWebSession(const std::string& tokenHash, std::int64_t lastSeenAtMs);
    virtual Status deleteWebSession(const std::string& tokenHash);
    virtual Status deleteUserWebSessions(const std::string& userId);
    // A key never seen answers a throttle with zero failures.
    virtual Result<LoginThrottle> findLoginThrottle(const std::string& key);
    virtual Status saveLoginThrottle(const LoginThrottle& throttle);
    virtual Status clearLoginThrottle(const std::string& key);
    // Dossiers for the web list (search, filters, pagination), newest first.
    virtual Result<Page<Dossier>> searchDossiers(const DossierSearch& query);
    // The user who follows a dossier ("" when none), set when a person creates it.
    virtual Status setDossierReferent(const std::string& dossierId, const std::string& userId);
    virtual Result<std::string> dossierReferent(const std::string& dossierId);
    // Idempotency-Key records (storage/Idempotency.h; migration 6). The record of
    // (organisation, key) unless absent or expired at `nowSeconds`. The defaults keep
    // the feature off for a store that does not implement it.
    virtual Result<std::optional<IdempotencyRecord>> findIdempotencyRecord(const std::string& organisationId,
                                                                           const std::string& key,
                                                                           std::int64_t nowSeconds) {
        (void)organisationId, (void)key, (void)nowSeconds;
        return std::optional<IdempotencyRecord>();
    }
    // Stores the answer of a claimed key (after the creation was committed).
    virtual Status completeIdempotencyRecord(const std::string& organisationId, const std::string& key, int status,
                                             const std::string& response, const std::string& location) {
        (void)organisationId, (void)key, (void)status, (void)response, (void)location;
        return Status::ok();
    }
    // Deletes the records expired at `nowSeconds`; returns how many.
    virtual Result<int> purgeIdempotencyRecords(std::int64_t nowSeconds) {
        (void)nowSeconds;
        return 0;
    }
    // First reading of a received copy by its recipient (issue 12, migration 12;
    // PocoStore in ReceivedStore.cpp). Records the first reading only: a later
    // call keeps the first one and answers OK. `userId` may be "" (an API key).
    // The default records nothing (a store without it shows every copy as new).
    virtual Status markTransmissionRead(const std::string& transmissionId, const std::string& organisationId,
                                        const std::string& userId, std::int64_t atMs) {
        (void)transmissionId, (void)organisationId, (void)userId, (void)atMs;
        return Status::ok();
    }
    // The first reading (epoch milliseconds) of each of `transmissionIds` that was read; unread ones are absent.
    virtual Result<std::map<std::string, std::int64_t>> transmissionReads(const std::vector<std::string>& transmissionIds) {
        (void)transmissionIds;
        return std::map<std::string, std::int64_t>();
    }
    // A recipient's inbox (migration 17, table transmission_index; PocoStore in ReceivedStore.cpp):
    // its allowed copies matching the query, newest first, searched and counted by the database.
    virtual Result<ReceivedPage> searchReceived(const ReceivedQuery& query);

    // --- Signing in the browser, links, autorisation evidence (migration 11;
    // PocoStore in SigningEvidenceStore.cpp; the defaults answer Internal "not_implemented").
    // In-progress signings whose landlord signatory is `bailleurOrgId`'s, newest first.
    virtual Result<std::vector<SigningRecord>> listSigningsOfBailleur(const std::string& bailleurOrgId);
    virtual Status createSigningLink(const SigningLink& link, const AuditEvent& audit);
    virtual Result<SigningLink> findSigningLink(const std::string& tokenHash); // NotFound "link_not_found"
    // The links of a signing that could still open it (unused, not replaced, not expired at nowMs).
    virtual Result<std::vector<SigningLink>> openSigningLinks(const std::string& signingId, std::int64_t nowMs);
    // Spends the link (unused and not expired at `nowMs`, else FailedPrecondition "link_used" /
    // "link_expired") and records the signature or refusal, in one transaction.
    virtual Result<SigningRecord> recordLinkSignature(const std::string& tokenHash, std::int64_t nowMs, const Signatory& s,
                                                      const AuditEvent& audit);
    // Whether the association and the landlord enabled signing links for their households.
    virtual Status setSigningLinksEnabled(const std::string& associationId, const std::string& bailleurId, bool enabled,
                                          const AuditEvent& audit);
    virtual Result<bool> signingLinksEnabled(const std::string& associationId, const std::string& bailleurId);
    // Issue 11 item 6: whether the partnership accepts a consent recorded in person without a
    // signed autorisation (false unless set; migration 14, ConsentSettingsStore.cpp).
    virtual Status setInPersonConsentAllowed(const std::string& associationId, const std::string& bailleurId, bool allowed,
                                             const AuditEvent& audit);
    virtual Result<bool> inPersonConsentAllowed(const std::string& associationId, const std::string& bailleurId);
    // Issue 11 item 11: an organisation's contact (empty when none was recorded).
    virtual Status setOrganisationContact(const std::string& organisationId, const OrganisationContact& contact,
                                          const AuditEvent& audit);
    virtual Result<OrganisationContact> organisationContact(const std::string& organisationId);
    virtual Result<AutorisationScan> storeAutorisationScan(const AutorisationScan& scan, const AuditEvent& audit);
    // The latest scan attached to that revision; NotFound "scan_not_found" when none.
    virtual Result<AutorisationScan> latestAutorisationScan(const std::string& documentId, std::int64_t revision);
    virtual Result<AutorisationPreview> storeAutorisationPreview(const AutorisationPreview& preview);
    virtual Result<AutorisationPreview> findAutorisationPreview(const std::string& id); // NotFound "preview_not_found"
    virtual Status confirmAutorisationPreview(const std::string& id, const std::string& signatoryId);
    // The latest preview of that revision a household member signed after; NotFound when none.
    virtual Result<AutorisationPreview> confirmedAutorisationPreview(const std::string& documentId, std::int64_t revision);
};

inline Result<Dossier> Store::setDossierClosed(const std::string&, bool, const AuditEvent&) {
    return Status::internal("not_implemented", "Clôture non disponible dans ce stockage.");
}
inline Result<std::vector<Dossier>> Store::listClosedDossiers() {
    return Status::internal("not_implemented", "Conservation non disponible dans ce stockage.");
}
inline Result<Dossier> Store::archiveDossier(const std::string&, const AuditEvent&) {
    return Status::internal("not_implemented", "Conservation non disponible dans ce stockage.");
}
inline Result<ErasureCounts> Store::eraseDossier(const std::string&, const AuditEvent&) {
    return Status::internal("not_implemented", "Conservation non disponible dans ce stockage.");
}
inline Result<SigningRecord> Store::createSigning(const Signing&, const std::vector<Signatory>&, const AuditEvent&) {
    return Status::internal("not_implemented", "Signature non disponible dans ce stockage.");
}
inline Result<SigningRecord> Store::findSigning(const std::string&, bool) {
    return Status::internal("not_implemented", "Signature non disponible dans ce stockage.");
}
inline Result<SigningRecord> Store::latestSigning(const std::string&) {
    return Status::internal("not_implemented", "Signature non disponible dans ce stockage.");
}
inline Result<SigningRecord> Store::recordSignature(const Signatory&, const AuditEvent&) {
    return Status::internal("not_implemented", "Signature non disponible dans ce stockage.");
}
inline Result<Artefact> Store::storeSignedDocument(const std::string&, const Artefact&, const AuditEvent&) {
    return Status::internal("not_implemented", "Signature non disponible dans ce stockage.");
}
inline Result<Artefact> Store::fetchSignedDocument(const std::string&) {
    return Status::internal("not_implemented", "Signature non disponible dans ce stockage.");
}
inline Result<std::vector<SigningRecord>> Store::listSigningsOfBailleur(const std::string&) {
    return Status::internal("not_implemented", "Signature non disponible dans ce stockage.");
}
inline Status Store::createSigningLink(const SigningLink&, const AuditEvent&) {
    return Status::internal("not_implemented", "Lien de signature non disponible dans ce stockage.");
}
inline Result<SigningLink> Store::findSigningLink(const std::string&) {
    return Status::internal("not_implemented", "Lien de signature non disponible dans ce stockage.");
}
inline Result<std::vector<SigningLink>> Store::openSigningLinks(const std::string&, std::int64_t) {
    return Status::internal("not_implemented", "Lien de signature non disponible dans ce stockage.");
}
inline Result<SigningRecord> Store::recordLinkSignature(const std::string&, std::int64_t, const Signatory&, const AuditEvent&) {
    return Status::internal("not_implemented", "Lien de signature non disponible dans ce stockage.");
}
inline Status Store::setSigningLinksEnabled(const std::string&, const std::string&, bool, const AuditEvent&) {
    return Status::internal("not_implemented", "Lien de signature non disponible dans ce stockage.");
}
inline Result<bool> Store::signingLinksEnabled(const std::string&, const std::string&) { return false; }
inline Status Store::setInPersonConsentAllowed(const std::string&, const std::string&, bool, const AuditEvent&) {
    return Status::internal("not_implemented", "Réglage non disponible dans ce stockage.");
}
inline Result<bool> Store::inPersonConsentAllowed(const std::string&, const std::string&) { return false; }
inline Status Store::setOrganisationContact(const std::string&, const OrganisationContact&, const AuditEvent&) {
    return Status::internal("not_implemented", "Coordonnées non disponibles dans ce stockage.");
}
inline Result<OrganisationContact> Store::organisationContact(const std::string&) { return OrganisationContact{}; }
inline Result<AutorisationScan> Store::storeAutorisationScan(const AutorisationScan&, const AuditEvent&) {
    return Status::internal("not_implemented", "Scan non disponible dans ce stockage.");
}
inline Result<AutorisationScan> Store::latestAutorisationScan(const std::string&, std::int64_t) {
    return Status::notFound("scan_not_found", "Aucun scan signé joint.");
}
inline Result<AutorisationPreview> Store::storeAutorisationPreview(const AutorisationPreview&) {
    return Status::internal("not_implemented", "Aperçu non disponible dans ce stockage.");
}
inline Result<AutorisationPreview> Store::findAutorisationPreview(const std::string&) {
    return Status::notFound("preview_not_found", "Aperçu introuvable.");
}
inline Status Store::confirmAutorisationPreview(const std::string&, const std::string&) {
    return Status::internal("not_implemented", "Aperçu non disponible dans ce stockage.");
}
inline Result<AutorisationPreview> Store::confirmedAutorisationPreview(const std::string&, std::int64_t) {
    return Status::notFound("preview_not_found", "Aucun aperçu confirmé.");
}

} // namespace passerelle::storage
