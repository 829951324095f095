#pragma once
// ConsentPolicy: the consent gate. Decides whether a document about a ménage
// may go to a bailleur, and exactly which of its fields may go.
//
//   decide(request, records) -> Decision   (the clock time is request.now)
//
// The rule comes from seed 004 (Côtes-d'Armor): "la grille complétée, à
// l'exclusion de certaines informations sans lien avec le logement, ne peut
// être communiquée au bailleur qu'avec l'autorisation du ménage concerné. Le
// ménage garde la possibilité de refuser cette transmission." The partnership
// extends it to every document and fiche navette about a household.
//
// Contract
// - Pure: no I/O, no clock, no global state; the same arguments give the same
//   Decision. Thread-safe. Links passerelle_forms and passerelle_common only.
// - Fails closed: anything missing, ambiguous, malformed or unknown refuses.
//   The only positive outcome is `Decision::allowed == true`; the transmit use
//   case must deliver nothing else, and must deliver only `allowedFields`
//   (render with `RenderRequest::redacted = decision.excludedFields`, build
//   JSON payloads with `permittedData()`, which copies allowed values only).
// - The latest record for (dossier, bailleur) governs; see decide() below.
// - Fields with `housing: false` never go to a bailleur, whatever the consent
//   scope lists. Fields whose category is outside the consent scope do not go.
//   Both tests apply along the whole path: a field goes only if it AND every
//   group or table containing it are housing-related with their category in
//   the scope (an excluded group hides all it contains, as the composer does).
//   A field whose category is not in forms::knownCategories() refuses the
//   whole transmission.
// - Field paths are dotted, table rows without index ("actions.echeance"),
//   exactly as templates::ComposeOptions::redacted matches them (a path
//   covers itself and its descendants).
//
// Time
// - `Instant` is UTC epoch seconds (int64). Storage keeps it as BIGINT, JSON
//   as ISO 8601 "2026-11-22T10:15:00Z". Sub-second precision is not kept: two
//   events in the same second are "the same instant".
// - A consent is in force on the half-open interval [givenAt, expiry):
//   at the exact second of expiry it is expired.
// - A withdrawal takes effect as soon as it is recorded: a record with
//   `withdrawnAt` set is withdrawn whatever `now` is (also when now ==
//   withdrawnAt, and also when withdrawnAt > now because another instance's
//   clock runs ahead: clock skew must never reopen a window).
// - A governing consent whose givenAt is after `now` (clock skew) refuses
//   (consent_not_yet_valid) rather than letting an older record govern.
// - Default expiry (expiresAt absent): the end of the measure if known — the
//   consent covers the whole last day, i.e. it expires at 00:00 Europe/Paris
//   the next day — otherwise givenAt + 1 calendar year in UTC, clamped to the
//   month's end (given 29/02/2028 10:00Z -> expires 28/02/2029 10:00Z).
//   The recording use case should compute effectiveExpiry() once and store it
//   in expiresAt, so that records stay immutable.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Date.h"
#include "common/Status.h"
#include "forms/FormDef.h"

namespace passerelle::consent {

// A point in time: UTC seconds since 1970-01-01T00:00:00Z.
struct Instant {
    std::int64_t epochSeconds = 0;

    // "2026-11-22T10:15:00Z" (also accepts an offset such as "+01:00"); nullopt if invalid.
    static std::optional<Instant> parseIso(const std::string& text);
    std::string iso() const; // always "YYYY-MM-DDTHH:MM:SSZ"
    // 00:00 Europe/Paris at the start of `date` (EU summer-time rule).
    static Instant parisMidnight(const Date& date);
    Instant plusSeconds(std::int64_t s) const { return Instant{epochSeconds + s}; }

    friend bool operator==(Instant a, Instant b) { return a.epochSeconds == b.epochSeconds; }
    friend bool operator!=(Instant a, Instant b) { return a.epochSeconds != b.epochSeconds; }
    friend bool operator<(Instant a, Instant b) { return a.epochSeconds < b.epochSeconds; }
    friend bool operator<=(Instant a, Instant b) { return a.epochSeconds <= b.epochSeconds; }
    friend bool operator>(Instant a, Instant b) { return a.epochSeconds > b.epochSeconds; }
    friend bool operator>=(Instant a, Instant b) { return a.epochSeconds >= b.epochSeconds; }
};

// Who gave (or refused) consent: a named member of the ménage or its legal representative.
struct ConsentGiver {
    enum class Capacity { HouseholdMember, LegalRepresentative };
    std::string name;
    Capacity capacity = Capacity::HouseholdMember;
};

// How consent was collected.
struct ConsentProof {
    enum class Method {
        SignedAutorisation, // the autorisation de transmission rendered by Passerelle, signed; its SHA-256 is kept
        InPerson            // recorded in person by a named référent
    };
    Method method = Method::InPerson;
    std::string documentSha256; // SignedAutorisation: 64 lowercase hex digits of the signed PDF
    std::string documentId;     // SignedAutorisation: Passerelle id of the autorisation (optional)
    std::string recordedBy;     // InPerson: the référent's name (required); SignedAutorisation: optional
};

// What a consent covers: document kinds (form ids) AND data categories.
struct ConsentScope {
    std::set<std::string> documentKinds; // e.g. {"fiche-navette", "grille-capacite-habiter"}
    std::set<std::string> categories;    // e.g. {"logement", "dette", "budget"}; non-housing fields never go anyway
};

// One consent or refusal. Immutable once stored; never edited or deleted through
// the API, only superseded (a newer record) or withdrawn (withdrawnAt set once).
struct ConsentRecord {
    enum class Kind { Consent, Refusal };
    std::string id;
    std::string dossierId;
    ConsentGiver givenBy;
    std::string recipientOrgId;             // one bailleur organisation
    ConsentScope scope;                     // Consent: required, non-empty; Refusal: ignored (refuses everything)
    std::string purpose;                    // French, shown on the receipt
    Instant givenAt;
    ConsentProof how;
    std::optional<Instant> expiresAt;       // absent: default rule, see effectiveExpiry()
    std::optional<Instant> withdrawnAt;     // set by the one-call withdrawal
    Kind kind = Kind::Consent;
    std::optional<std::string> supersedes;  // id of an earlier record for the same dossier and bailleur
    // Seed 004: "le SIAO est mis en copie de l'envoi". The household agreed that
    // the SIAO named by the partnership gets the same recipient copy. Default
    // false: no copy unless the record says so.
    bool copieSiao = false;
};

// The gate's category table (issue 11 item 3): every category the service knows
// (forms::knownCategories(), in that order), its French label, and whether it may
// ever go to a bailleur. A category means one thing: « composition » (who lives in
// the household: names, birth dates) may go when the household agrees; « famille »
// (family life), « sante », « emploi » and « justice » never go, whatever a form's
// housing flag or a consent's scope says — decide() leaves such fields (and rows)
// out as not_housing. The autorisation, the receipt and the consent-recording
// rules read this table; nothing else decides what « never transmitted » means.
struct CategoryRule {
    std::string code;
    std::string label;
    bool transmissible = false;
};
const std::vector<CategoryRule>& categoryTable();
// True for a known category that may go to a bailleur; false for the others and unknown codes.
bool isTransmissibleCategory(const std::string& code);

// The expiry actually applied: expiresAt if set; else 00:00 Europe/Paris the day
// after `measureEnd` if known; else givenAt + 1 calendar year (UTC, clamped to the
// month's end). The consent is in force while now < effectiveExpiry.
Instant effectiveExpiry(const ConsentRecord& record, const std::optional<Date>& measureEnd);

// Checks a record before it is stored (and again by decide() on the governing
// record): ids and names present, proof complete (SHA-256 well formed, or the
// référent named), a consent's scope non-empty with known categories only,
// expiresAt > givenAt, withdrawnAt >= givenAt, supersedes != id.
// InvalidArgument "consent_record_invalid" with every problem as a detail.
Status validateRecord(const ConsentRecord& record);

// The organisation the document would go to.
struct Recipient {
    std::string orgId;
    std::string kind; // organisation role: must be "bailleur"
};

struct TransmissionRequest {
    // The document: its definition (the document kind is form->id) and its
    // validated data (FilledForm::data). `data` may be null: the decision is then
    // made on the definition alone (nothing_to_send only when no field may go).
    std::shared_ptr<const forms::FormDef> form;
    Poco::JSON::Object::Ptr data;
    std::string dossierId;
    Recipient recipient;
    Instant now;
    std::optional<Date> measureEnd;        // end of the accompanying measure, for the default expiry
    std::optional<std::string> consentId;  // when the caller names the consent it relies on (e.g. the signed autorisation)
};

// Stable machine codes (Decision::code()). Never renamed: stored in the audit trail.
enum class Reason {
    Allowed,                // "allowed"
    InvalidRequest,         // "invalid_request": no form, dossier or recipient (400)
    RecipientNotLandlord,   // "recipient_not_landlord" (403)
    UnknownCategory,        // "unknown_category": a field carries a category the service does not know (403)
    NoConsent,              // "no_consent": no record for this dossier (403)
    RecipientMismatch,      // "recipient_mismatch": records exist for this dossier, none for this bailleur (403)
    RefusedByHousehold,     // "refused_by_household": the governing record is a refusal (403)
    Withdrawn,              // "withdrawn" (409)
    Expired,                // "expired" (409)
    NotYetValid,            // "consent_not_yet_valid": governing consent given after now (409)
    Superseded,             // "superseded": the consent named by the request was replaced (409)
    ConflictingRecords,     // "conflicting_records": two heads at the same instant, none a refusal (409)
    InvalidConsentRecord,   // "invalid_consent_record": the governing record fails validateRecord (409)
    KindOutOfScope,         // "kind_out_of_scope": the document kind is not in the scope (403)
    NothingToSend           // "nothing_to_send": no field related to housing and in scope holds a value (403)
};
const char* reasonCode(Reason r);

// Why a field was left out (Decision::exclusions values).
inline constexpr const char* kExcludedNotHousing = "not_housing";    // housing: false — never sent
inline constexpr const char* kExcludedOutOfScope = "out_of_scope";  // category not in the consent scope

struct Decision {
    bool allowed = false;
    Reason reason = Reason::NoConsent;
    std::string message;            // French, for a person
    std::string consentId;          // the governing record (also on most refusals, for the audit trail)
    std::optional<Instant> consentExpiresAt; // effective expiry of the governing consent
    // Leaf field paths (dotted, table rows as "table.column") that may go. Empty when refused.
    std::set<std::string> allowedFields;
    // Paths to leave out, as templates::ComposeOptions::redacted expects: a path
    // covers itself and every descendant. A group or table whose every leaf is
    // excluded appears as one path. Every leaf of the form is either in
    // allowedFields or covered by excludedFields. When refused: every top-level field.
    std::set<std::string> excludedFields;
    // excludedFields path -> kExcludedNotHousing | kExcludedOutOfScope (for the receipt and the audit).
    // Withheld rows appear as "table.path[i]".
    std::map<std::string, std::string> exclusions;
    // Rows withheld from tables classified by a column (FieldDef::categoryFrom):
    // dotted table path -> row indices whose category is not housing-related or
    // not in the scope. Render the copy without them (RenderRequest::redactedRows)
    // and build JSON with permittedData(), which leaves them out too.
    std::map<std::string, std::set<std::size_t>> excludedRows;
    // Allowed only: the governing consent also covers a copy to the partnership's
    // SIAO (ConsentRecord::copieSiao). The copy is the same recipient copy —
    // never more than the bailleur gets. False on every refusal.
    bool copySiao = false;

    const char* code() const { return reasonCode(reason); }
    // OK when allowed; PermissionDenied (403), FailedPrecondition (409) or
    // InvalidArgument (400) with code() and message otherwise.
    Status status() const;
};

// The gate. Passes, in order (the first failing one gives the reason):
//  1. the request names a form, a dossier and a recipient   -> invalid_request
//  2. the recipient's kind is "bailleur"                     -> recipient_not_landlord
//  3. every field category is in knownCategories()           -> unknown_category
//  4. the governing record. Among the records of this dossier and this bailleur,
//     drop those superseded by another of them given at the same instant or
//     later; of the rest, the one given last governs, whatever `now` is.
//     No record for the dossier -> no_consent; none for this bailleur ->
//     recipient_mismatch; several given last at the same instant: a refusal
//     among them governs, else -> conflicting_records
//  5. the governing record is a refusal                      -> refused_by_household
//  6. request.consentId, if set, is the governing record     -> superseded (replaced) / no_consent (unknown)
//  7. the governing consent passes validateRecord()          -> invalid_consent_record
//     is not withdrawn                                       -> withdrawn
//     now >= givenAt                                         -> consent_not_yet_valid
//     now < effectiveExpiry()                                -> expired
//  8. the document kind (form id) is in the scope            -> kind_out_of_scope
//  9. field split (splitFields); at least one allowed field holds a value
//     (any allowed field when data is null)                  -> nothing_to_send
Decision decide(const TransmissionRequest& request, const std::vector<ConsentRecord>& records);

// The field split alone (pass 9) for a given scope, without consent checks.
// Used by decide() and by the receipt ("what this consent lets go").
void splitFields(const forms::FormDef& form, const ConsentScope& scope, Decision& out);

// A copy of `data` holding only the values of decision.allowedFields (tables:
// every row not in decision.excludedRows, allowed columns only). Whitelist: keys unknown to the form never
// pass. Use it for every JSON a bailleur can obtain (API, webhook payloads).
// Returns an empty object when the decision is a refusal.
Poco::JSON::Object::Ptr permittedData(const forms::FormDef& form, const Poco::JSON::Object::Ptr& data,
                                      const Decision& decision);

} // namespace passerelle::consent
