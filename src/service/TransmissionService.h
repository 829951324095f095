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
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Status.h"
#include "delivery/Outbox.h"
#include "service/Caller.h"
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
};

// A transmission (or refusal, or SIAO copy) of a document, as its association
// sees it: recipient and, when pushed, the outbox messages' status.
struct TransmissionStatus {
    storage::Transmission transmission;
    std::string recipientName;
    std::string recipientKind;               // bailleur | siao
    std::vector<storage::OutboxStatus> push; // empty: not pushed (no webhook)
};

class TransmissionService {
public:
    TransmissionService(std::shared_ptr<storage::Store> store, std::shared_ptr<const RenderService> renderer,
                        Clock clock = {});

    // body: {"kind": "consent"|"refusal", "recipient": org id or name,
    //        "givenBy": {"name", "capacity": "household_member"|"legal_representative"},
    //        "scope": {"documentKinds": [...], "categories": [...]}, "purpose",
    //        "how": {"method": "signed_autorisation", "documentId": "doc_…"} | {"method": "in_person", "recordedBy"},
    //        "givenAt"?: ISO (default now), "expiresAt"?: ISO, "measureEnd"?: "YYYY-MM-DD", "supersedes"?: "cns_…"}
    Result<ConsentView> recordConsent(const Caller& caller, const std::string& dossierId,
                                      const Poco::JSON::Object::Ptr& body) const;
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
    // body: {"url": "http://…"} — the bailleur's (or SIAO's) own webhook.
    Result<storage::Webhook> setWebhook(const Caller& caller, const Poco::JSON::Object::Ptr& body) const;

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
};

// Validates a webhook URL (http://host[:port]/path; TLS ends at a proxy).
Status checkWebhookUrl(const std::string& url);

// The outbox worker of a server: a background thread calling
// OutboxWorker::runOnce every `intervalMs`, each attempt audited
// (delivery.attempt / delivery.delivered / delivery.dead). stop() wakes the
// thread and joins it (an attempt in progress finishes first, bounded by the
// sender's timeout).
class DeliveryLoop {
public:
    DeliveryLoop(std::shared_ptr<storage::Store> audit, std::shared_ptr<delivery::OutboxStore> outbox,
                 std::shared_ptr<delivery::Sender> sender, delivery::RetryPolicy policy = {}, int intervalMs = 2000);
    ~DeliveryLoop();
    void start();
    void stop();
    // One pass now (also what the thread does); returns how many were delivered.
    Result<int> runOnce(std::int64_t nowMs);

private:
    std::shared_ptr<storage::Store> _audit;
    std::shared_ptr<delivery::OutboxStore> _outbox;
    std::shared_ptr<delivery::Sender> _sender;
    delivery::OutboxWorker _worker;
    int _intervalMs;
    std::mutex _mu;
    std::condition_variable _cv;
    bool _stop = false;
    std::thread _thread;
};

} // namespace passerelle::service
