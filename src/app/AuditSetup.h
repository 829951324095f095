#pragma once
// Where the audit chain's secrets and checkpoints live, outside the database.
//
//  - Keys: PASSERELLE_AUDIT_KEY (one key, or several separated by commas for a
//    rotation: the last one signs, the earlier ones still verify), else the key
//    file `passerelle.audit.key-file` (default DATA_DIR/audit.key: one key per
//    line, '#' comments, the last line signs). serve and admin create the
//    default file (mode 0600, 256 random bits) at first start; `audit verify`
//    never creates one. Several instances on one PostgreSQL database must share
//    the same keys (same file content or the same environment variable).
//  - Checkpoints: an append-only file, `passerelle.audit.checkpoints` (default
//    DATA_DIR/audit-checkpoints.log), one signed line per checkpoint of the
//    chain's head; optionally copied to syslog (`passerelle.audit.syslog`).
//
// See docs/audit.md.
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "audit/AuditChain.h"
#include "common/Status.h"
#include "storage/Store.h"

namespace passerelle::app {

struct AuditSettings {
    std::string keysFromEnvironment; // value of PASSERELLE_AUDIT_KEY ("" when unset)
    std::string keyFile;             // path of the key file
    std::string checkpointFile;      // path of the checkpoint file
    bool syslog = false;             // also send each checkpoint line to the local syslog
};

// Defaults under `dataDir`, overridden by the given values when not empty.
AuditSettings auditSettings(const std::string& dataDir, const std::string& keyFile, const std::string& checkpointFile,
                            bool syslog);

// Loads the keys. createIfMissing: the default key file is created when absent
// (and no environment key is set). NotFound "audit_key_missing" otherwise.
Result<std::shared_ptr<const audit::AuditKeyring>> loadAuditKeys(const AuditSettings& settings, bool createIfMissing);

// Checkpoints in the file (none when it does not exist). InvalidArgument naming
// the line for a line that is not a checkpoint.
Result<std::vector<audit::Checkpoint>> readCheckpoints(const std::string& path);

// Signs the current head of `store`'s chain and appends it to the checkpoint
// file (O_APPEND, fsync) when it differs from the last checkpoint written
// there; `written` tells whether a line was added.
Status writeCheckpoint(storage::Store& store, const audit::AuditKeyring& keys, const AuditSettings& settings,
                       bool* written = nullptr);

// The state tables checked against the journal: every consent has its
// consent.given/consent.refused entry, every withdrawal its consent.withdrawn
// entry (and no withdrawal entry for a consent the table says is in force),
// every transmission its transmission.* entry with the same SHA-256 of each
// recipient copy. One French line per problem; empty when they agree.
std::vector<std::string> crossCheck(const storage::AuditedState& state, const std::vector<audit::AuditEntry>& entries);

// `passerelle audit verify` and `passerelle audit checkpoint`; exit codes as sysexits.
int runAudit(storage::Store& store, const std::vector<std::string>& args, const AuditSettings& settings,
             std::ostream& out, std::ostream& err);

} // namespace passerelle::app
