#pragma once
// MailStore: the e-mail side of storage (issue 12, migration 9), kept apart
// from PocoStore.cpp as its own aggregate:
//  - the mail outbox (table mail_outbox): one row per message and recipient,
//    composed when queued (the exact bytes the relay receives, so every retry
//    sends the same Message-ID). `dedupe_key` is UNIQUE: the same event
//    notified twice to the same person queues one message (on every instance
//    sharing a PostgreSQL database). As a delivery::OutboxStore it serves the
//    OutboxWorker: claimDue takes a lease (PostgreSQL: FOR UPDATE SKIP LOCKED,
//    so two instances never claim the same message), markDelivered and
//    markFailed record the outcome. Once a message is delivered or dead its
//    text is erased (a signing link is a secret); its SHA-256 stays.
//  - notification preferences (table notification_preferences): a kind
//    without a row is on (default: everything on).
//  - consent reminders (table consent_reminders): the consents already
//    reminded before their expiry, so a reminder goes once.
// Each enqueue and each change of preferences writes its audit event in the
// same transaction (identifiers and hashes only, never an address).
// Thread-safe: shares the PocoStore's pool.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "delivery/Outbox.h"
#include "storage/PocoStore.h"

namespace passerelle::storage {

// One queued e-mail.
struct QueuedMail {
    std::string id;              // "mail_…" (also in the Message-ID)
    std::string dedupeKey;       // kind|reference|recipient
    std::string kind;            // service::Notification::kind
    std::string reference;       // the opaque reference the message names
    std::string recipientUserId; // "" for an address given directly (signing link)
    std::string recipientOrgId;  // "" when unknown
    std::string address;
    std::string message;         // RFC 5322 bytes; "" once delivered or dead
    std::string messageSha256;
    int attempts = 0;
    std::int64_t nextAttemptAtMs = 0;
    std::optional<std::int64_t> deliveredAtMs;
    int smtpStatus = 0;
    bool dead = false;
    std::string lastError;
    std::string createdAt;
};

// A consent whose reminder is due: in force, not superseded, expiring within the window, never reminded.
struct ExpiringConsent {
    std::string consentId;
    std::string dossierId;
    std::string associationId;
    std::string recipientOrgId;
    std::string documentKind; // the first kind of its scope
    std::int64_t expiresAt = 0; // epoch seconds
};

class MailStore : public delivery::OutboxStore {
public:
    explicit MailStore(std::shared_ptr<PocoStore> store) : _store(std::move(store)) {}

    // Queues `mail` with its audit event, in one transaction. false (and nothing
    // written) when a message with the same dedupe key exists already.
    Result<bool> enqueue(const QueuedMail& mail, const AuditEvent& audit);
    // Messages, oldest first; `reference` "" for all (tests, status pages).
    Result<std::vector<QueuedMail>> listMail(const std::string& reference = "");

    // delivery::OutboxStore: url = "mailto:<address>", body = the message, transmissionId = the reference.
    Result<std::vector<delivery::OutboxMessage>> claimDue(std::int64_t nowMs, int max, std::int64_t leaseMs) override;
    Status markDelivered(const std::string& id, std::int64_t atMs, int smtpStatus) override;
    Status markFailed(const std::string& id, int attempts, std::int64_t nextAttemptAtMs, bool dead,
                      const std::string& error) override;

    // The user's explicit choices (kind → on/off); kinds absent are on.
    Result<std::map<std::string, bool>> preferences(const std::string& userId);
    // Replaces the user's choices for the given kinds, with its audit event.
    Status setPreferences(const std::string& userId, const std::map<std::string, bool>& choices, const AuditEvent& audit);

    // Consents in force expiring in (nowSeconds, untilSeconds], not reminded yet.
    Result<std::vector<ExpiringConsent>> consentsToRemind(std::int64_t nowSeconds, std::int64_t untilSeconds);
    // Records that the consent was reminded; false when another pass (or instance) did already.
    Result<bool> markReminded(const std::string& consentId);

    // The audit trail (the mail loop appends its attempts there).
    PocoStore& store() { return *_store; }

private:
    std::shared_ptr<PocoStore> _store;
};

} // namespace passerelle::storage
