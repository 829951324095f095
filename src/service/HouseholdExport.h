#pragma once
// The household's right of access (RGPD art. 15; issue 11, item 12;
// docs/rgpd.md): everything Passerelle holds about one household, as a ZIP.
//
// One household = one dossier: a dossier is the association's record of one
// ménage (its members in `menage`), and nothing links two dossiers (a
// household followed again later gets a new dossier, possibly with the same
// reference, which an association may reuse freely). A request about a
// household followed in several dossiers is answered with one export per
// dossier.
//
// The ZIP holds:
//   LISEZMOI.txt            what the archive contains, in French, for the household
//   donnees.json            the dossier (household, dwelling), each document with each
//                           revision's filled data and files (name, SHA-256), signings
//                           (signatories, dates, signed PDF), consents and refusals
//                           (withdrawals included), transmissions (to whom, when,
//                           which document, what was left out)
//   documents/…             the stored file (PDF, XLSX) of every revision
//   signes/…                the sealed signed PDF of each completed signing
// Only the association that follows the dossier may export it (NotFound for
// anyone else, as for every read). Every export is audited (household.exported:
// dossier id, the ZIP's SHA-256 and its number of files — no personal data).
#include <memory>
#include <string>

#include "common/Status.h"
#include "service/Caller.h"
#include "service/DossierService.h"

namespace passerelle::service {

struct HouseholdArchive {
    std::string fileName; // "donnees-menage-dos_….zip"
    std::string bytes;    // the ZIP
    std::string sha256;
    int files = 0;        // entries in the ZIP
};

class HouseholdExport {
public:
    explicit HouseholdExport(std::shared_ptr<const DossierService> dossiers);
    // `via`: "api", "web" or "cli" (recorded in the audit entry).
    Result<HouseholdArchive> exportDossier(const Caller& caller, const std::string& dossierId,
                                           const std::string& via) const;

private:
    std::shared_ptr<const DossierService> _dossiers;
};

} // namespace passerelle::service
