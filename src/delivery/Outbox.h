#pragma once
// Durable push delivery to a landlord's webhook. A transmission enqueues one
// outbox message in the same transaction that records it; a worker claims due
// messages, POSTs them with an idempotency key (the message id, stable across
// retries and restarts) and records the outcome. Failures are retried with
// exponential backoff; after maxAttempts the message is marked dead (visible
// to the association). Several instances may run workers on one PostgreSQL
// database: claiming takes a lease, so a message is sent by one worker at a
// time, and the receiver dedupes on the idempotency key.
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
    std::string url;           // webhook (http://…)
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

// What storage offers the worker (PocoStore implements it; tests use a fake).
class OutboxStore {
public:
    virtual ~OutboxStore() = default;
    // Claims up to `max` messages due at `nowMs` (not delivered, not dead, lease expired) for `leaseMs`.
    virtual Result<std::vector<OutboxMessage>> claimDue(std::int64_t nowMs, int max, std::int64_t leaseMs) = 0;
    virtual Status markDelivered(const std::string& id, std::int64_t atMs, int httpStatus) = 0;
    virtual Status markFailed(const std::string& id, int attempts, std::int64_t nextAttemptAtMs, bool dead,
                              const std::string& error) = 0;
};

struct SendResult {
    bool delivered = false; // 2xx
    int httpStatus = 0;     // 0: no answer (connection refused, timeout); SMTP reply code for e-mail
    std::string error;
    // true: retrying cannot help (e.g. an SMTP 5xx "no such mailbox"): the message is dead at once.
    bool permanent = false;
};

class Sender {
public:
    virtual ~Sender() = default;
    virtual SendResult send(const OutboxMessage& message) = 0;
};

// POSTs JSON with headers Idempotency-Key and X-Passerelle-Transmission (plain http; TLS ends at a proxy).
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
    OutboxWorker(OutboxStore& store, Sender& sender, RetryPolicy policy = {}, AttemptObserver observer = {})
        : _store(store), _sender(sender), _policy(policy), _observer(std::move(observer)) {}
    // One pass: claims due messages and tries each once. Returns how many were delivered.
    Result<int> runOnce(std::int64_t nowMs, int batch = 20, std::int64_t leaseMs = 60000);

private:
    OutboxStore& _store;
    Sender& _sender;
    RetryPolicy _policy;
    AttemptObserver _observer;
};

} // namespace passerelle::delivery
