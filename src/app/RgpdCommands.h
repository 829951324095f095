#pragma once
// The household's rights from the command line (issue 11, item 12; docs/rgpd.md):
//   passerelle retention --dry-run | --apply [--today AAAA-MM-JJ]
//   passerelle export-household DOSSIER --out FICHIER.zip
// Exit codes as sysexits.
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "service/RenderService.h"
#include "service/Retention.h"
#include "storage/Store.h"

namespace passerelle::app {

struct RetentionOptions {
    bool dryRun = false;
    bool apply = false;
    std::string today; // "" : today (UTC)
    service::RetentionPolicy policy;
};

// `store` null (or both/neither of --dry-run and --apply): prints the usage and returns 64.
int runRetention(const std::shared_ptr<storage::Store>& store, const std::vector<std::string>& args,
                 const RetentionOptions& options, std::ostream& out, std::ostream& err);

// Writes the ZIP of `dossierId` to `outPath`, on behalf of the association that follows it (audited, via "cli").
int runExportHousehold(const std::shared_ptr<storage::Store>& store, service::Catalog catalog,
                       const std::string& dossierId, const std::string& outPath, std::ostream& out, std::ostream& err);

} // namespace passerelle::app
