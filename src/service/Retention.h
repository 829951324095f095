#pragma once
// Retention of closed dossiers (issue 11, item 12; docs/rgpd.md).
//
// The CNIL's référentiel « durées de conservation » for the social and
// medico-social sector (délibération n° 2023-095 du 14 septembre 2023),
// « accueil, hébergement et accompagnement social et médico-social » : in the
// active base, 2 years from the last contact with the person supported; then
// intermediate archiving only for a legal or probative need, within the
// applicable limitation period. Passerelle reads "the end of the support" as
// the dossier's closing (statut « clos », Dossier::closedAt) and, by default:
//   - archives a closed dossier 24 months after its closing (read-only: no
//     new document, revision, consent or transmission);
//   - erases its personal data 60 months after its closing (assumption: the
//     5-year limitation period of ordinary civil actions, art. 2224 du code
//     civil, for the probative use of the signed contracts and consents).
// Both periods are settings (retention.archive-after-months,
// retention.erase-after-months). Erasure keeps the rows' ids and hashes, and
// the audit journal (ids and hashes only) stays verifiable.
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/Status.h"
#include "storage/Store.h"

namespace passerelle::service {

struct RetentionPolicy {
    int archiveAfterMonths = 24;
    int eraseAfterMonths = 60;
};

// InvalidArgument naming the setting when the periods make no sense (negative, erase before archive).
Status checkRetentionPolicy(const RetentionPolicy& p);

struct RetentionItem {
    storage::Dossier dossier;
    std::string closedOn; // YYYY-MM-DD (UTC) of the closing
    std::string dueOn;    // YYYY-MM-DD the action became due
    std::string organisationName;
};

struct RetentionPlan {
    std::string today;                   // YYYY-MM-DD the plan was made for
    std::vector<RetentionItem> archive;  // closed, not archived, archiving due (erasure not yet due)
    std::vector<RetentionItem> erase;    // closed, not erased, erasure due
    std::int64_t closedKept = 0;         // closed dossiers with nothing due
    bool applied = false;
};

class RetentionService {
public:
    RetentionService(std::shared_ptr<storage::Store> store, RetentionPolicy policy);

    // What is due on `todayIso` (YYYY-MM-DD); changes nothing.
    Result<RetentionPlan> plan(const std::string& todayIso) const;
    // Archives and erases what plan() finds due, each with its audit event
    // (dossier.archived, dossier.erased: ids and counts only).
    Result<RetentionPlan> apply(const std::string& todayIso) const;
    // The French report of a plan (dry run or applied).
    void report(const RetentionPlan& plan, std::ostream& out) const;

    const RetentionPolicy& policy() const { return _policy; }

private:
    std::shared_ptr<storage::Store> _store;
    RetentionPolicy _policy;
};

} // namespace passerelle::service
