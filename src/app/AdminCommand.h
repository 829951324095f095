#pragma once
// `passerelle admin …`: organisations, API keys, partnerships and actions
// from the command line (no HTTP, direct to the store). Messages in French.
//
//   admin create-org NOM --kind association|bailleur|financeur|siao
//   admin create-key ORG [--name PERSONNE]     ORG: id or exact name; prints the key once
//   admin revoke-key PREFIXE|ID
//   admin list-orgs
//   admin list-keys ORG
//   admin create-partnership ASSOCIATION BAILLEUR
//   admin create-action ASSOCIATION INTITULÉ [--funders ORG1,ORG2]
//   admin set-webhook BAILLEUR URL             the landlord's push endpoint (http://…)
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "common/Status.h"
#include "storage/PocoStore.h"

namespace passerelle::app {

struct AdminOptions {
    std::string kind;    // --kind
    std::string name;    // --name
    std::string funders; // --funders, comma-separated ids or names
    std::string siao;    // --siao (create-partnership): the SIAO copied, id or name
};

// Exit codes follow sysexits.h (0 ok, 64 usage, 65 data error, 66 not found, 70 software).
int runAdmin(storage::Store& store, const std::vector<std::string>& args, const AdminOptions& options,
             std::ostream& out, std::ostream& err);

// (`passerelle audit verify|checkpoint`: see AuditSetup.h.)

// The store named by the configuration: --db URL when given, else SQLite in DATA_DIR/passerelle.db.
// `maxSessions` > 0 sizes the session pool (serve: workers + background threads, see docs/operations.md);
// `auditKeys` signs the audit entries it writes; mustExist: NotFound instead of creating a database.
Result<std::shared_ptr<storage::PocoStore>> openConfiguredStore(const std::string& dataDir, const std::string& dbUrl,
                                                                int maxSessions = 0,
                                                                std::shared_ptr<const audit::AuditKeyring> auditKeys = nullptr,
                                                                bool mustExist = false);

// Printed by `serve` when no organisation exists yet.
std::string firstStartHelp();

} // namespace passerelle::app
