#pragma once
// Tamper-evident audit trail: a hash chain. Each entry carries the hash of the
// previous one; its own hash covers its sequence number, time, event, actor,
// subject and details, plus the previous hash. Altering, removing or
// reordering any stored entry breaks the chain from that entry on, and
// verify() names the first entry where it breaks.
//
// Entries hold identifiers and hashes only, never the personal data itself
// (callers put document ids, consent ids and SHA-256 of artefacts in
// `details`). Pure: no I/O; storage appends and reads entries.
#include <cstdint>
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
    std::string hash;           // hex SHA-256 of this entry
};

extern const char* const kGenesis; // 64 zeros

// The hash of `e` given its fields and prevHash (ignores e.hash).
std::string computeHash(const AuditEntry& e);

// Fills seq, prevHash and hash of `next` so that it follows `last` (nullopt: first entry).
void chain(const std::optional<AuditEntry>& last, AuditEntry& next);

struct VerifyResult {
    bool ok = true;
    std::int64_t entries = 0;   // entries checked
    std::int64_t firstBadSeq = 0; // sequence number (or expected one) where the chain breaks
    std::string problem;        // "altered", "removed", "reordered", "broken_link"
    std::string message;        // French
};

// REQUIRES: entries in the order storage returns them (ascending seq).
VerifyResult verify(const std::vector<AuditEntry>& entries);

} // namespace passerelle::audit
