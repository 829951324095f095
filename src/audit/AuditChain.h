#pragma once
// Tamper-evident audit trail: a keyed hash chain. Each entry carries the hash
// of the previous one; its own hash covers its sequence number, time, event,
// actor, subject and details, plus the previous hash. Altering, removing or
// reordering any stored entry breaks the chain from that entry on, and
// verify() names the first entry where it breaks.
//
// Keyed (format v2): the hash is an HMAC-SHA-256 under a key held outside the
// database (AuditKeyring: a file or the environment). Whoever can rewrite the
// database but not read the key cannot recompute the chain after an edit.
// Entries written before keys existed (keyId "") keep their plain SHA-256
// (format v1) and are checked as such; a keyed entry is never accepted as v1.
//
// The chain alone cannot see its own tail cut off (delete the last entries:
// what is left is a valid chain). Checkpoints (audit/Checkpoints.h) record
// the head (count + hash) outside the database; verify() compares them.
//
// Entries hold identifiers and hashes only, never the personal data itself
// (callers put document ids, consent ids and SHA-256 of artefacts in
// `details`). Pure: no I/O; storage appends and reads entries.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace passerelle::audit {

struct AuditEntry {
    std::int64_t seq = 0;       // 1, 2, 3... without gaps
    std::string at;             // ISO 8601 UTC
    std::string event;          // e.g. "consent.given", "transmission.refused"
    std::string actor;          // organisation id (or "system")
    std::string subject;        // e.g. "doc_…", "cns_…"
    std::string details;        // compact JSON of identifiers and hashes
    std::string prevHash;       // hex SHA-256 of the previous entry; kGenesis for the first
    std::string hash;           // hex HMAC-SHA-256 (keyed) or SHA-256 (keyId "") of this entry
    std::string keyId;          // the key that made `hash` ("" : unkeyed, format v1)
};

extern const char* const kGenesis; // 64 zeros

// The audit keys: one current key that signs new entries and checkpoints, and
// earlier keys kept to verify what they signed (rotation). A key id is the
// first 12 hex digits of SHA-256(key), so ids never reveal the key.
// Immutable once built; safe to share between threads.
class AuditKeyring {
public:
    AuditKeyring() = default;
    // Adds a key (raw bytes, at least 16). The last key added is the current one.
    // Returns false (and adds nothing) for a key that is too short.
    bool add(const std::string& key);
    bool empty() const { return _keys.empty(); }
    // "" when empty.
    const std::string& currentId() const { return _currentId; }
    const std::string* find(const std::string& keyId) const;
    std::size_t size() const { return _keys.size(); }

    static std::string idOf(const std::string& key);

private:
    std::map<std::string, std::string> _keys; // id -> key
    std::string _currentId;
};

// HMAC-SHA-256 (RFC 2104) of `message` under `key`, lower-case hex.
std::string hmacSha256Hex(const std::string& key, const std::string& message);

// The hash of `e` given its fields, prevHash and keyId (ignores e.hash):
// SHA-256 when e.keyId is empty, else HMAC under that key. A keyed entry whose
// key is not in `keys` has no computable hash: nullopt.
std::optional<std::string> computeHash(const AuditEntry& e, const AuditKeyring& keys);
// Unkeyed (format v1) hash; kept for entries written before keys existed.
std::string computeHash(const AuditEntry& e);

// Fills seq, prevHash, keyId and hash of `next` so that it follows `last`
// (nullopt: first entry), keyed with the current key of `keys` (unkeyed when empty).
void chain(const std::optional<AuditEntry>& last, AuditEntry& next, const AuditKeyring& keys);
void chain(const std::optional<AuditEntry>& last, AuditEntry& next);

// A signed record of the chain's head at some instant, kept outside the database.
struct Checkpoint {
    std::int64_t count = 0;  // entries in the chain then (= seq of the head)
    std::string headHash;    // hash of entry `count` (kGenesis when count is 0)
    std::string at;          // ISO 8601 UTC
    std::string keyId;
    std::string database;    // which database's journal (12 hex of a hash of its location): a data
                             // directory's checkpoints say nothing of another database's journal
    std::string mac;         // HMAC over the fields above
};
// True when the checkpoint's MAC verifies under one of `keys`.
bool checkpointAuthentic(const Checkpoint& c, const AuditKeyring& keys);
// The `database` tag of a store described as `description` (e.g. "SQLite /srv/var/passerelle.db").
std::string databaseTag(const std::string& description);

// "v1 count=<n> head=<hex> at=<iso> key=<id> db=<tag> mac=<hex>" (one line, no newline).
std::string formatCheckpoint(const Checkpoint& c);
// Parses one line; nullopt when it is not a checkpoint line.
std::optional<Checkpoint> parseCheckpoint(const std::string& line);
// Signs a checkpoint of the current head with the current key. REQUIRES: !keys.empty().
Checkpoint makeCheckpoint(std::int64_t count, const std::string& headHash, const std::string& at,
                          const AuditKeyring& keys, const std::string& database = "");

struct VerifyResult {
    bool ok = true;
    std::int64_t entries = 0;     // entries checked
    std::int64_t keyed = 0;       // of which keyed (HMAC)
    std::int64_t checkpoints = 0; // checkpoints checked
    std::int64_t firstBadSeq = 0; // sequence number (or expected one) where the chain breaks
    // "altered", "removed", "reordered", "broken_link", "unknown_key", "unkeyed_after_keyed",
    // "truncated", "rewritten", "checkpoint_forged"
    std::string problem;
    std::string message;          // French
};

// REQUIRES: entries in the order storage returns them (ascending seq).
// Checks the chain (links, hashes under `keys`) and then every checkpoint:
// its MAC, that the chain still reaches its count and that the entry at its
// count still has its head hash.
VerifyResult verify(const std::vector<AuditEntry>& entries, const AuditKeyring& keys,
                    const std::vector<Checkpoint>& checkpoints = {});
// Unkeyed verification (no keys, no checkpoints): keyed entries fail as "unknown_key".
VerifyResult verify(const std::vector<AuditEntry>& entries);

} // namespace passerelle::audit
