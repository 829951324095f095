#pragma once
// Drafts of documents (issue 9, migration 5): what a person has typed in a
// form page so far, saved at any moment — incomplete and invalid included.
// A draft is not a document: it is never rendered as final and never
// transmitted; finalising it creates a document (or a revision) through
// service::DossierService, and the draft is then closed (read-only, kept).
//
// DraftStore is the interface; PocoDraftStore implements it on the PocoStore's
// pool (SQLite or PostgreSQL), its SQL kept in DraftStore.cpp. Access rules
// are not here: service::DraftService checks them. Thread-safe.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/Status.h"

namespace passerelle::storage {

class PocoStore;

struct Draft {
    std::string id;                  // "brl_…"
    std::string ownerOrganisationId; // the association whose people type it
    std::string dossierId;           // forms with personal data ("" otherwise)
    std::string actionId;            // funders' forms ("" otherwise)
    std::string form;
    std::string variant;             // always explicit
    std::string documentId;          // a new revision of this document ("" for a new document)
    std::int64_t baseRevision = 0;   // the revision it started from (0 for a new document)
    std::string valuesJson;          // the values as typed (a JSON object, possibly invalid for its form)
    std::string createdByUserId;
    std::string updatedByUserId;
    std::int64_t version = 1;        // incremented by every save
    std::string createdAt, updatedAt;
    std::string finalisedDocumentId; // set once finalised; empty while open
    std::int64_t finalisedRevision = 0;

    bool open() const { return finalisedDocumentId.empty(); }
};

class DraftStore {
public:
    virtual ~DraftStore() = default;
    // Assigns id, version 1 and the dates.
    virtual Result<Draft> createDraft(const Draft& draft) = 0;
    virtual Result<Draft> findDraft(const std::string& id) = 0; // NotFound "draft_not_found"
    // Replaces the values (and variant) of an open draft; FailedPrecondition
    // "draft_finalised" once finalised.
    virtual Result<Draft> saveDraft(const std::string& id, const std::string& variant, const std::string& valuesJson,
                                    const std::string& userId) = 0;
    // Open drafts of a dossier (or of an action), most recently saved first.
    virtual Result<std::vector<Draft>> listOpenDrafts(const std::string& dossierId, const std::string& actionId) = 0;
    // Closes an open draft; FailedPrecondition "draft_finalised" when already closed.
    virtual Result<Draft> markFinalised(const std::string& id, const std::string& documentId, std::int64_t revision) = 0;
};

class PocoDraftStore : public DraftStore {
public:
    explicit PocoDraftStore(std::shared_ptr<PocoStore> store) : _store(std::move(store)) {}
    Result<Draft> createDraft(const Draft& draft) override;
    Result<Draft> findDraft(const std::string& id) override;
    Result<Draft> saveDraft(const std::string& id, const std::string& variant, const std::string& valuesJson,
                            const std::string& userId) override;
    Result<std::vector<Draft>> listOpenDrafts(const std::string& dossierId, const std::string& actionId) override;
    Result<Draft> markFinalised(const std::string& id, const std::string& documentId, std::int64_t revision) override;

private:
    std::shared_ptr<PocoStore> _store;
};

} // namespace passerelle::storage
