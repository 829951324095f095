#pragma once
// Idempotency-Key (issue 15 §5): a client that retries a creating POST with the
// same key and the same request gets the first answer back instead of a
// second dossier, document, revision, consent or transmission.
//
// How it holds across a crash: the record of a key is inserted in the same
// transaction as what the request creates (PocoStore calls claimIdempotency at
// the start of createDossier, createDocument, addRevision, recordConsent and
// recordTransmission when an IdempotencyScope is active on the thread). Either
// both are committed or neither is: a process killed before the commit left
// nothing, and the retry creates; killed after it, the retry finds the key.
// The answer itself (status, body, Location) is stored right after the commit;
// in the instant between the two, the record names what was created.
//
// Records are kept per organisation and key for kIdempotencyRetentionSeconds
// (24 hours), then purged; the key may then be used again.
#include <cstdint>
#include <optional>
#include <string>

namespace passerelle::storage {

constexpr std::int64_t kIdempotencyRetentionSeconds = 24 * 3600;

struct IdempotencyRecord {
    std::string organisationId;
    std::string key;
    std::string requestHash;  // SHA-256 of method, path and body
    std::string resourceKind; // dossier, document, revision, consent, transmission
    std::string resourceId;
    int status = 0;           // 0: created, answer not stored yet (interrupted)
    std::string response;     // the JSON body answered
    std::string location;     // the Location header answered, if any
    std::int64_t createdAt = 0, expiresAt = 0; // epoch seconds
};

// What one request claims; filled in by the store while the scope is active.
struct IdempotencyClaim {
    std::string organisationId, key, requestHash;
    std::int64_t nowSeconds = 0;
    bool claimed = false;        // a record was committed with this request's creation
    bool conflict = false;       // another request committed the same key first
    bool insertedInTxn = false;  // inserted in the transaction under way (store internal)
    std::string resourceKind, resourceId;
};

// Makes `claim` the claim of the current thread for its lifetime (not nestable).
class IdempotencyScope {
public:
    explicit IdempotencyScope(IdempotencyClaim* claim);
    ~IdempotencyScope();
    IdempotencyScope(const IdempotencyScope&) = delete;
    IdempotencyScope& operator=(const IdempotencyScope&) = delete;
    static IdempotencyClaim* current();
};

} // namespace passerelle::storage
