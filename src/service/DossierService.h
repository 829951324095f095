#pragma once
// DossierService: the use cases on stored dossiers, actions and documents,
// and the authorization rules that guard them. Deny by default: every read
// goes through dossierAccess()/documentAccess(), which grant nothing unless a
// rule below says so.
//
//   association  its own dossiers, actions and documents (read + write);
//   financeur    reads the documents of funders' forms ("personalData": false,
//                e.g. budget-annexe, activite) attached to actions it funds;
//                reads those actions; nothing else;
//   bailleur     no stored document: it obtains the recipient copies the
//                consent gate made for it (TransmissionService, /v1/received);
//   siao         nothing yet.
// A resource the caller may not see is reported as NotFound, with the same
// message as a resource that does not exist (existence would leak); a
// resource it sees but may not change is PermissionDenied.
//
// Documents are validated and rendered with RenderService; every format the
// form supports is rendered and stored with its SHA-256 and size, in the same
// transaction as the input. Revisions never overwrite: a new revision is added
// and earlier ones stay readable.
//
// Thread-safe when the Store is (PocoStore is).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Status.h"
#include "service/Caller.h"
#include "service/RenderService.h"
#include "storage/Store.h"

namespace passerelle::service {

// Dossier statuses.
inline constexpr const char* STATUT_OUVERT = "ouvert";
inline constexpr const char* STATUT_SUSPENDU = "suspendu";
inline constexpr const char* STATUT_CLOS = "clos";

// "2026-11-22T10:15:00.123Z" -> "22/11/2026" (the text itself when it is not an ISO date).
std::string frenchDateOfIso(const std::string& iso);

struct DossierFilter {
    std::string statut;
    std::string reference;
    int limit = 50;
    int offset = 0;
};

struct DocumentFilter {
    std::string dossierId;
    std::string actionId;
    std::string form;
    int limit = 50;
    int offset = 0;
};

struct NewDocument {
    std::string form;
    std::string variant;   // empty: the form's default
    std::string dossierId; // forms with personal data
    std::string actionId;  // funders' forms
    Poco::JSON::Object::Ptr data;
};

struct DocumentRevisionInput {
    std::string variant; // empty: same as the current revision
    Poco::JSON::Object::Ptr data;
    std::int64_t expectedRevision = 0; // 0: the current one
};

// A document with one of its revisions (the current one unless asked).
struct DocumentView {
    storage::Document document;
    storage::Revision revision;
};

class DossierService {
public:
    DossierService(std::shared_ptr<storage::Store> store, std::shared_ptr<const RenderService> renderer);

    // "Bearer psl_…" → the caller. Unauthenticated for a missing, malformed,
    // unknown or revoked key; Internal when the store fails.
    Result<Caller> authenticate(const std::string& authorizationHeader) const;

    Result<storage::Dossier> createDossier(const Caller& caller, const Poco::JSON::Object::Ptr& body) const;
    Result<storage::Page<storage::Dossier>> listDossiers(const Caller& caller, const DossierFilter& filter) const;
    Result<storage::Dossier> getDossier(const Caller& caller, const std::string& id) const;
    // The web list (issue 9): search (reference, household names, numéro unique — partial, ignoring case
    // and accents), statut and référent filters, pagination; `filter.associationId` is the caller's.
    Result<storage::Page<storage::Dossier>> searchDossiers(const Caller& caller, storage::DossierSearch filter) const;
    // Partial update: the keys present in `body` replace the stored ones. An
    // optional "version" must equal the stored version (FailedPrecondition otherwise).
    Result<storage::Dossier> updateDossier(const Caller& caller, const std::string& id,
                                           const Poco::JSON::Object::Ptr& body) const;

    // « Clore le dossier » / « Rouvrir le dossier » (web) and POST /v1/dossiers/{id}/close|reopen:
    // the one use case. Closing starts the retention periods (docs/rgpd.md); reopening a closed
    // dossier that is not archived clears its closing date. Audited "dossier.closed" /
    // "dossier.reopened" with the user when signed in. FailedPrecondition (409) "dossier_archived",
    // "dossier_already_closed", "dossier_not_closed"; NotFound for a dossier the caller cannot write.
    Result<storage::Dossier> closeDossier(const Caller& caller, const std::string& id) const;
    Result<storage::Dossier> reopenDossier(const Caller& caller, const std::string& id) const;

    // body: {"title": "...", "funders": ["org_…", …]}; associations only.
    Result<storage::Action> createAction(const Caller& caller, const Poco::JSON::Object::Ptr& body) const;
    Result<std::vector<storage::Action>> listActions(const Caller& caller) const;
    Result<storage::Action> getAction(const Caller& caller, const std::string& id) const;

    Result<DocumentView> createDocument(const Caller& caller, const NewDocument& input) const;
    Result<storage::Page<storage::Document>> listDocuments(const Caller& caller, const DocumentFilter& filter) const;
    // revision 0: the current one.
    Result<DocumentView> getDocument(const Caller& caller, const std::string& id, std::int64_t revision) const;
    Result<std::vector<storage::Revision>> listRevisions(const Caller& caller, const std::string& id) const;
    Result<DocumentView> reviseDocument(const Caller& caller, const std::string& id,
                                        const DocumentRevisionInput& input) const;
    // The stored file of a revision (bytes included).
    Result<storage::Artefact> getRendition(const Caller& caller, const std::string& id, const std::string& format,
                                           std::int64_t revision) const;

    // Retention (docs/rgpd.md): FailedPrecondition "dossier_archived" (409, French) when the
    // dossier is archived; OK for "" (an action's document) or a dossier still in use.
    Status checkNotArchived(const std::string& dossierId) const;

    // True for funders' forms: definitions with "personalData": false.
    bool isFunderForm(const std::string& formId) const;

    enum class Access { None, Read, Write };
    Result<Access> dossierAccess(const Caller& caller, const storage::Dossier& dossier) const;
    Result<Access> documentAccess(const Caller& caller, const storage::Document& document) const;

    // The single place that decides whether a bailleur may read a stored
    // document: never. A bailleur obtains only the recipient copies made by
    // the consent gate (TransmissionService: GET /v1/received…), never the
    // original document nor any revision of it. landlordDocuments() is its
    // list form (GET /v1/documents for a bailleur: empty).
    Result<bool> landlordMaySee(const Caller& caller, const storage::Document& document) const;
    Result<storage::Page<storage::Document>> landlordDocuments(const Caller& caller, const DocumentFilter& filter) const;

    const std::shared_ptr<storage::Store>& store() const { return _store; }
    const std::shared_ptr<const RenderService>& renderer() const { return _renderer; }

private:
    Result<storage::Dossier> visibleDossier(const Caller& caller, const std::string& id, Access needed) const;
    Result<storage::Document> visibleDocument(const Caller& caller, const std::string& id, Access needed) const;
    Result<storage::Revision> renderRevision(const Caller& caller, const std::string& documentId, std::int64_t number,
                                             const std::string& form, const std::string& variant,
                                             const Poco::JSON::Object::Ptr& data) const;

    std::shared_ptr<storage::Store> _store;
    std::shared_ptr<const RenderService> _renderer;
};

} // namespace passerelle::service
