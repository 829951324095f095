#pragma once
// Durable push delivery to a landlord's webhook. A transmission enqueues one
// outbox message in the same transaction that records it; a worker claims due
// messages, POSTs them with an idempotency key (the message id, stable across
// retries and restarts) and records the outcome. Failures are retried with
// exponential backoff; after maxAttempts the message is marked dead (visible
// to the association). Several instances may run workers on one PostgreSQL
// database: claiming takes a lease, so a message is sent by one worker at a
// time, and the receiver dedupes on the idempotency key.
//
// Issue 11 item 7: a push may carry a household's data only while the consent it
// was made under still holds. With a Guard (the webhook pushes), each attempt is
// lease → send → record, never one transaction around the HTTP send:
//  (a) OutboxStore::leaseForSend, one short transaction: the message is still due and
//      nobody holds its lease; what the consent stands on is locked, the guard re-checks
//      the consent gate on the records committed now and the recipient's webhook URL as it
//      is now. Not allowed: cancelled (a state of its own, with the reason, audited
//      "delivery.cancelled"), never sent. Allowed: leased to this worker (lease_owner,
//      lease_until) and committed.
//  (b) the send, outside any transaction: a receiver that hangs (up to the sender's
//      timeout) holds no lock, so every other write goes on.
//  (c) OutboxStore::recordOutcome, one short transaction: the outcome is recorded only if
//      the lease is still this worker's (a lease expired and taken by another instance:
//      that one records). A crashed worker's lease expires and the message is sent again
//      (same idempotency key: the receiver dedupes).
// A withdrawal cancels every queued push of its consent in its own transaction; one
// already leased (between (a) and (c)) may still leave: the window is documented in
// docs/consent.md (« La fenêtre »), and if that send fails it is cancelled, not retried.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/Status.h"

namespace passerelle::delivery {

struct OutboxMessage {
    std::string id;            // also the Idempotency-Key
    std::string recipientOrgId;
    std::string url;           // webhook (http(s)://…) at enqueue; a guarded attempt uses the recipient's current one
    std::string body;          // JSON payload: identifiers, recipient copy link and SHA-256 — see docs
    std::string transmissionId;
    int attempts = 0;
    std::int64_t nextAttemptAt = 0; // epoch ms
};

// Backoff: base × 2^(attempts-1), capped; dead after maxAttempts.
struct RetryPolicy {
    std::int64_t baseMs = 5000;
    std::int64_t capMs = 3600 * 1000;
    int maxAttempts = 12;
    std::int64_t delayAfter(int attempts) const; // attempts already made (≥ 1)
};

struct SendResult {
    bool delivered = false; // 2xx
    int httpStatus = 0;     // 0: no answer (connection refused, timeout); SMTP reply code for e-mail
    std::string error;
    // true: retrying cannot help (e.g. an SMTP 5xx "no such mailbox"): the message is dead at once.
    bool permanent = false;
};

// One guarded attempt (issue 11 item 7).
struct Attempt {
    bool skipped = false;       // no longer due (delivered, dead or cancelled by another instance): nothing done
    bool cancelled = false;     // the gate no longer allows it: cancelled, never sent
    std::string cancelReason;   // the gate's code: withdrawn | expired | superseded | no_webhook | …
    std::string cancelDetails;  // JSON of the audit entry "delivery.cancelled" (identifiers only)
    SendResult result;          // when sent
};
// Re-checks the gate for `current` (the message as stored, url = the recipient's webhook now) at `nowMs`.
// Returns an Attempt with `cancelled` set to cancel, or with result.error set (and nothing sent) when the
// check could not be made (retried later); otherwise the worker sends.
using Guard = std::function<Attempt(const OutboxMessage& current, std::int64_t nowMs)>;

// Step (a)'s answer: the attempt (skipped, cancelled, not checkable, or allowed) and, when allowed,
// the message to send as stored now (url: the recipient's current webhook), leased until leaseUntilMs.
struct Leased {
    Attempt attempt;
    OutboxMessage message;
    std::int64_t leaseUntilMs = 0;
    bool leased() const { return !attempt.skipped && !attempt.cancelled && attempt.result.error.empty(); }
};

// What storage offers the worker (PocoStore implements it; tests use a fake).
class OutboxStore {
public:
    virtual ~OutboxStore() = default;
    // Claims up to `max` messages due at `nowMs` (not delivered, not dead, lease expired) for `leaseMs`.
    virtual Result<std::vector<OutboxMessage>> claimDue(std::int64_t nowMs, int max, std::int64_t leaseMs) = 0;
    virtual Status markDelivered(const std::string& id, std::int64_t atMs, int httpStatus) = 0;
    virtual Status markFailed(const std::string& id, int attempts, std::int64_t nextAttemptAtMs, bool dead,
                              const std::string& error) = 0;
    // Cancelled for good with its reason (never claimed again). Default: dead with "cancelled: reason".
    virtual Status markCancelled(const std::string& id, std::int64_t atMs, const std::string& reason,
                                 const std::string& auditDetails);
    // The guarded path's candidates: up to `max` messages due at `nowMs` whose lease is not running,
    // without leasing them (leaseForSend does, one by one). Default: claimDue(nowMs, max, 0).
    virtual Result<std::vector<OutboxMessage>> listDue(std::int64_t nowMs, int max);
    // Step (a), one short transaction: `m` still due and not leased by anyone (else skipped); what its
    // consent stands on locked; `guard` called with the message as stored and the recipient's current
    // webhook URL. Cancelled: recorded with its audit entry. Allowed: leased to `owner` until
    // nowMs + leaseMs. Not checkable (result.error): recorded as a failed attempt under `policy`, not
    // leased. Default (fakes without transactions): guard, then markCancelled / markFailed.
    virtual Result<Leased> leaseForSend(const OutboxMessage& m, const std::string& owner, std::int64_t nowMs,
                                        std::int64_t leaseMs, const RetryPolicy& policy, const Guard& guard);
    // Step (c), one short transaction: records `result` (delivered, or failed/dead after `policy`) only
    // if `owner` still holds the lease; false when it does not (nothing written). A failed send whose
    // consent was withdrawn meanwhile is cancelled ("withdrawn"), not retried. Default: the mark* methods.
    virtual Result<bool> recordOutcome(const OutboxMessage& m, const std::string& owner, std::int64_t nowMs,
                                       const RetryPolicy& policy, const SendResult& result);
};

class Sender {
public:
    virtual ~Sender() = default;
    virtual SendResult send(const OutboxMessage& message) = 0;
};

// POSTs JSON with headers Idempotency-Key and X-Passerelle-Transmission, to a target checked under the
// webhook policy (delivery/WebhookTarget.h: https verified; internal addresses only for allowed hosts).
class HttpSender : public Sender {
public:
    explicit HttpSender(int timeoutSeconds = 10) : _timeoutSeconds(timeoutSeconds) {}
    SendResult send(const OutboxMessage& message) override;

private:
    int _timeoutSeconds;
};

// Called for every delivery attempt (for the audit trail).
using AttemptObserver = std::function<void(const OutboxMessage&, const SendResult&, bool dead)>;

class OutboxWorker {
public:
    OutboxWorker(OutboxStore& store, Sender& sender, RetryPolicy policy = {}, AttemptObserver observer = {});
    // With a guard, every attempt is lease → send → record (OutboxStore::leaseForSend, recordOutcome).
    void setGuard(Guard guard) { _guard = std::move(guard); }
    // Told of each cancellation (after its transaction committed).
    void setCancelObserver(std::function<void(const OutboxMessage&, const Attempt&)> f) { _onCancel = std::move(f); }
    // The lease owner this worker writes (default: "wrk_" + random hex, one per worker).
    void setOwner(std::string owner) { _owner = std::move(owner); }
    const std::string& owner() const { return _owner; }
    // One pass: claims due messages and tries each once. Returns how many were delivered.
    Result<int> runOnce(std::int64_t nowMs, int batch = 20, std::int64_t leaseMs = 60000);

private:
    OutboxStore& _store;
    Sender& _sender;
    RetryPolicy _policy;
    AttemptObserver _observer;
    Guard _guard;
    std::function<void(const OutboxMessage&, const Attempt&)> _onCancel;
    std::string _owner;
};

} // namespace passerelle::delivery
