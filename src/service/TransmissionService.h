#pragma once
// TransmissionService: the consent of a ménage and the transmission of its
// documents to a bailleur (issue 6).
//
// Seed 004 (Côtes-d'Armor): "la grille complétée, à l'exclusion de certaines
// informations sans lien avec le logement, ne peut être communiquée au
// bailleur qu'avec l'autorisation du ménage concerné. Le ménage garde la
// possibilité de refuser cette transmission." The partnership applies it to
// every document about a household.
//
// Contract
// - transmit() is the ONLY caller of consent::decide() and the only code path
//   that produces anything a bailleur can obtain: the recipient copy (PDF,
//   plus XLSX for the grille) rendered with the decision's excluded fields,
//   the permitted-data JSON (consent::permittedData) and the webhook payload
//   built from it. A refusal delivers nothing and is recorded.
// - The decision is made on ALL the dossier's consent records read from the
//   store at that instant, with this service's clock; the store re-checks,
//   inside the transaction that records the transmission, that the governing
//   consent is still not withdrawn and no record was added (a withdrawal on
//   another instance sharing the PostgreSQL database takes effect at once).
// - Consent records are never edited or deleted: a newer record supersedes,
//   or the withdrawal (one call) sets withdrawnAt once.
// - Authorization, deny by default, as DossierService: an association
//   records consents and transmits for its own dossiers only; a bailleur sees
//   only the recipient copies transmitted to it (never the original document,
//   never another revision, never another bailleur's copies). What a caller
//   may not see is NotFound.
// - Every consent event, transmission, refusal and bailleur access is appended
//   to the audit trail (identifiers and hashes only), in the same transaction
//   as the write it describes.
// Thread-safe when the Store is.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Status.h"
#include "consent/ConsentPolicy.h"
#include "delivery/Outbox.h"
#include "service/Caller.h"
#include "service/Notifications.h"
#include "service/RenderService.h"
#include "storage/Store.h"

namespace passerelle::service {

// Epoch seconds (UTC). The default reads the system clock.
using Clock = std::function<std::int64_t()>;

// A stored record with what the API shows beside it.
struct ConsentView {
    storage::StoredConsent record;
    std::string recipientName;
    // en-vigueur | retire | expire | remplace | refus (the receipt's "etat" values)
    std::string state;
};

// What the household is shown before it signs an autorisation (issue 11 item 5):
// the recipient copy a bailleur would receive under those terms.
struct CopyPreview {
    std::string documentId;
    std::int64_t revision = 0;
    std::string pdf;
    std::string sha256;
    std::vector<std::string> withheld; // paths left out (« Information non transmise »)
    RenderRequest request; // the rendering that gave `pdf` (its page images are drawn from it again)
};

// A received copy's PDF with the rendering that gave it (rebuilt from its transmission record), so
// that its page images can be drawn again and shown only when that render gives the same bytes.
struct ReceivedRendering {
    storage::Artefact pdf;
    RenderRequest request;
};

// A transmission (or refusal, or SIAO copy) of a document, as its association
// sees it: recipient and, when pushed, the outbox messages' status.
struct TransmissionStatus {
    storage::Transmission transmission;
    std::string recipientName;
    std::string recipientKind;               // bailleur | siao
    std::vector<storage::OutboxStatus> push; // empty: not pushed (no webhook)
};

// --- Issue 12: what the web pages show (TransmissionQueries.cpp) ---------

// The gate's decision on a document for one bailleur, made as transmit() would
// make it now, with nothing recorded, rendered nor sent (the « Transmettre »
// page shows it before the confirmation).
struct TransmissionPreview {
    storage::Organisation recipient;
    std::string documentId;
    std::string dossierId;
    std::string form;
    std::int64_t revision = 0;
    consent::Decision decision;
    // What the bailleur would receive (consent::permittedData); empty when refused.
    Poco::JSON::Object::Ptr permittedData;
    // decision.exclusions limited to the paths that hold a value in the document
    // (what is really withheld), path -> kExcludedNotHousing | kExcludedOutOfScope.
    std::map<std::string, std::string> withheld;
    // The governing record when the decision names one (also on most refusals).
    std::optional<ConsentView> consent;
    // The partnership's SIAO ("" when it names none) and whether it would get the copy.
    std::string siaoId;
    std::string siaoName;
    bool siaoCopy = false;
};

// One transmission of an association's document with its delivery state.
struct DeliveryView {
    TransmissionStatus status;
    std::optional<std::int64_t> readAtMs; // first reading by the recipient (landlord or SIAO)
};

// A consent as its recipient may see it: no household name, no purpose text.
struct ConsentSummary {
    std::string id;
    std::int64_t givenAt = 0;
    std::optional<std::int64_t> expiresAt;
    std::optional<std::int64_t> withdrawnAt;
    std::vector<std::string> documentKinds;
    std::vector<std::string> categories;
    bool copieSiao = false;
};

// A received copy, as its recipient's pages show it.
struct ReceivedCopy {
    storage::Transmission transmission;
    std::string senderName;
    std::string referentName;      // the association's user who follows the dossier ("" when none)
    std::string dossierReference;  // the association's reference of the dossier ("" when none)
    std::optional<std::int64_t> readAtMs;
    std::optional<ConsentSummary> consent;
};

// The inbox's search (every criterion optional).
struct ReceivedFilter {
    std::string text;        // household reference (numéro unique…), dossier reference, document or transmission id: partial, no case, no accents
    std::string form;        // document kind (form id)
    std::string senderOrgId; // sending association
    std::string from, to;    // received on or after / on or before, YYYY-MM-DD (UTC day)
    std::string state;       // "" | "nouveau" | "lu"
    int limit = 20;
    int offset = 0;
};

struct ReceivedInbox {
    std::vector<ReceivedCopy> items;   // newest first; referentName not filled
    std::int64_t total = 0;            // matching the filter
    std::int64_t unread = 0;           // of all received copies
    std::vector<std::pair<std::string, std::string>> senders; // every sending association (id, name)
    std::vector<std::string> forms;    // every document kind received
};

// A file received with a consent: the signed paper autorisation's scan.
struct ScanUpload {
    std::string contentType; // as declared by the sender ("" when none)
    std::string bytes;
};

class TransmissionService {
public:
    // `notifier` (must outlive the service): told when a copy arrives (the recipient's users) and when
    // the gate refuses (the dossier's référent), after the event's transaction committed.
    TransmissionService(std::shared_ptr<storage::Store> store, std::shared_ptr<const RenderService> renderer,
                        Clock clock = {}, Notifier& notifier = noNotifier());

    // body: {"kind": "consent"|"refusal", "recipient": org id or name,
    //        "givenBy": {"name", "capacity": "household_member"|"legal_representative"},
    //        "scope": {"documentKinds": [...], "categories": [...]}, "purpose",
    //        "how": {"method": "signed_autorisation", "documentId": "doc_…"} | {"method": "in_person", "recordedBy"},
    //        "givenAt"?: ISO (default now), "expiresAt"?: ISO, "measureEnd"?: "YYYY-MM-DD", "supersedes"?: "cns_…"}
    Result<ConsentView> recordConsent(const Caller& caller, const std::string& dossierId,
                                      const Poco::JSON::Object::Ptr& body) const;
    // The same, with the signed paper's scan uploaded with it (the consent page's file input):
    // `scan` is checked as POST /v1/documents/{id}/scan checks it (AutorisationEvidence.h,
    // errors at "/how/scan"), stands as the evidence of how.documentId while the record is
    // checked, and is stored with the record only when every rule passes.
    // REQUIRES: how.method "signed_autorisation" when `scan` is given (else an error at "/how/scan").
    Result<ConsentView> recordConsent(const Caller& caller, const std::string& dossierId, const Poco::JSON::Object::Ptr& body,
                                      const ScanUpload* scan) const;
    Result<std::vector<ConsentView>> listConsents(const Caller& caller, const std::string& dossierId) const;
    // One call; takes effect at once. FailedPrecondition when already withdrawn or a refusal.
    Result<ConsentView> withdrawConsent(const Caller& caller, const std::string& consentId) const;
    // The household's readable receipt (form recu-consentements, PDF).
    Result<Rendered> consentReceipt(const Caller& caller, const std::string& dossierId) const;

    // The gate in action. `to`: the bailleur's id or exact name. Refused: the
    // decision's Status (403/409, code and French message), recorded and audited.
    Result<storage::Transmission> transmit(const Caller& caller, const std::string& documentId,
                                           const std::string& to) const;

    // Association side: every transmission, refusal and SIAO copy of its own
    // document, newest first, with the push status. NotFound for anyone else.
    Result<std::vector<TransmissionStatus>> documentTransmissions(const Caller& caller,
                                                                  const std::string& documentId) const;

    // Recipient side (a bailleur, or the SIAO copied): its received copies only; each access audited.
    Result<storage::Page<storage::Transmission>> listReceived(const Caller& caller, int limit, int offset) const;
    Result<storage::Transmission> getReceived(const Caller& caller, const std::string& transmissionId) const;
    Result<storage::Artefact> getReceivedCopy(const Caller& caller, const std::string& transmissionId,
                                              const std::string& format) const;
    // The copy's PDF and the RenderRequest transmit() rendered it with, rebuilt from the record (the
    // revision, excludedJson, the notice of the day it was recorded): the recipient only, NotFound
    // otherwise. Not audited (the caller shows page images of a copy it already listed or opened);
    // the request is only as good as PageRenditions' check of a fresh render against `pdf`.
    Result<ReceivedRendering> receivedCopyRendering(const Caller& caller, const std::string& transmissionId) const;
    // body: {"url": "http://…"} — the bailleur's (or SIAO's) own webhook.
    Result<storage::Webhook> setWebhook(const Caller& caller, const Poco::JSON::Object::Ptr& body) const;

    // --- Issue 12 (TransmissionQueries.cpp) ---
    // The bailleurs of the caller's partnerships (an association), by name.
    Result<std::vector<storage::Organisation>> partnerLandlords(const Caller& caller) const;
    // The dry run of transmit(): the same checks and the same decision, nothing recorded nor sent.
    // NotFound for a document that is not the caller's; InvalidArgument for an unknown recipient.
    Result<TransmissionPreview> previewTransmission(const Caller& caller, const std::string& documentId,
                                                    const std::string& to) const;
    // documentTransmissions() with each recipient's first reading.
    Result<std::vector<DeliveryView>> documentDeliveries(const Caller& caller, const std::string& documentId) const;
    // Recipient side: the inbox (audited "landlord.list" with the ids shown).
    Result<ReceivedInbox> searchReceived(const Caller& caller, const ReceivedFilter& filter) const;
    // One received copy: getReceived() (audited "landlord.fetch"), then its first reading is recorded.
    Result<ReceivedCopy> openReceived(const Caller& caller, const std::string& transmissionId) const;
    // getReceivedCopy() (audited "landlord.download"), then its first reading is recorded.
    Result<storage::Artefact> downloadReceived(const Caller& caller, const std::string& transmissionId,
                                               const std::string& format) const;
    // When the consent a copy rests on was withdrawn (nullopt: not withdrawn, or no consent named).
    std::optional<std::int64_t> consentWithdrawnAt(const storage::Transmission& t) const;
    // Issue 11 item 5 (RecipientPreview.cpp): the PDF `recipientOrgId` would receive of
    // `documentId`'s current revision under a consent with `terms` (recipient, scope, copieSiao,
    // expiry, proof) — decided by consent::decide on that record and rendered exactly as
    // transmit() renders a copy. Nothing is stored, nothing is sent. The owner association only.
    Result<CopyPreview> previewRecipientCopy(const Caller& caller, const std::string& documentId,
                                             const storage::StoredConsent& terms) const;

    // Display name of an organisation ("" when unknown).
    std::string organisationName(const std::string& id) const;

    // The store (the HTTP adapter's Idempotency-Key records live there too).
    const std::shared_ptr<storage::Store>& store() const { return _store; }

private:
    Result<storage::Dossier> ownDossier(const Caller& caller, const std::string& id) const;
    std::vector<ConsentView> views(const std::vector<storage::StoredConsent>& records) const;

    std::shared_ptr<storage::Store> _store;
    std::shared_ptr<const RenderService> _renderer;
    Clock _clock;
    Notifier& _notifier;
};

// The policy's view of a stored record (the one conversion transmit() uses).
consent::ConsentRecord consentRecordOf(const storage::StoredConsent& stored);

// Issue 11 item 7: the consent gate re-checked for one queued push at `nowSeconds`, on the records
// committed now (the store holds them locked, see OutboxStore::leaseForSend). consent::decide
// on the transmission's document revision, for the landlord it went to (for a SIAO copy: the landlord
// of the original, and the consent must still cover the copy), naming the consent it was made under:
// allowed only when that consent still governs, is in force and allows it. Otherwise the Attempt is
// cancelled with the gate's code (withdrawn, expired, superseded, refused_by_household…) and the audit
// details; a store failure gives result.error (nothing sent, retried).
delivery::Attempt recheckDelivery(storage::Store& store, const forms::FormRegistry& forms,
                                  const delivery::OutboxMessage& current, std::int64_t nowSeconds);

// Validates a webhook URL under the process's webhook policy (delivery/WebhookTarget.h): https://
// to a public address, or a host of PASSERELLE_WEBHOOK_ALLOW_HOSTS. InvalidArgument "bad_webhook_url"
// with a FieldError on "/url".
Status checkWebhookUrl(const std::string& url);

// The outbox worker of a server: a background thread calling
// OutboxWorker::runOnce every `intervalMs`, each attempt audited
// (delivery.attempt / delivery.delivered / delivery.dead). stop() wakes the
// thread and joins it (an attempt in progress finishes first, bounded by the
// sender's timeout).
//
// Issue 11 item 7: every attempt is guarded (recheckDelivery, inside the short
// transaction that leases the push before it is sent outside any transaction, see
// delivery/Outbox.h): a push the consent gate no longer allows is cancelled, audited
// ("delivery.cancelled") and never sent.
class DeliveryLoop {
public:
    // `forms`: the definitions the gate re-decides with (the transmission's form).
    DeliveryLoop(std::shared_ptr<storage::Store> audit, std::shared_ptr<delivery::OutboxStore> outbox,
                 std::shared_ptr<delivery::Sender> sender, std::shared_ptr<const forms::FormRegistry> forms,
                 delivery::RetryPolicy policy = {}, int intervalMs = 2000);
    ~DeliveryLoop();
    void start();
    void stop();
    // One pass now (also what the thread does); returns how many were delivered.
    Result<int> runOnce(std::int64_t nowMs);
    // Told (kind push_failed, the dossier's référent) when a push is dead; must outlive the loop.
    void setNotifier(Notifier& notifier) { _notifier = &notifier; }

private:
    std::shared_ptr<storage::Store> _audit;
    std::shared_ptr<delivery::OutboxStore> _outbox;
    std::shared_ptr<delivery::Sender> _sender;
    std::shared_ptr<const forms::FormRegistry> _forms;
    delivery::OutboxWorker _worker;
    int _intervalMs;
    Notifier* _notifier = &noNotifier();
    std::mutex _mu;
    std::condition_variable _cv;
    bool _stop = false;
    std::thread _thread;
};

} // namespace passerelle::service
