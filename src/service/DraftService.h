#pragma once
// DraftService: the use cases on drafts (storage::DraftStore) — what a person
// has typed in a form page, saved at any moment, incomplete and invalid
// included — under the access rules of documents: a draft belongs to the
// association whose user started it, on one of its dossiers (or actions);
// anyone else is told it does not exist (NotFound, the same message).
//
// A draft is not a document: it has no stored rendition and is never
// transmitted. preview() renders it in memory, marked « BROUILLON » in the
// document's footer and file name, and only when it validates. finalise()
// goes through DossierService::createDocument / reviseDocument — the same
// use cases, validation and storage rules as the API — then closes the draft.
//
// Thread-safe when its stores are.
#include <memory>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Status.h"
#include "service/Caller.h"
#include "service/DossierService.h"
#include "storage/DraftStore.h"

namespace passerelle::service {

// The document id a preview shows in place of a real one.
inline constexpr const char* PREVIEW_DOCUMENT_ID = "BROUILLON";

struct NewDraft {
    std::string form;
    std::string variant;        // required when the form has several (never guessed); else the only one
    std::string dossierId;      // forms with personal data
    std::string actionId;       // funders' forms
    std::string fromDocumentId; // a new revision of this document, starting from its current values
};

// What validation says of a draft's values.
struct DraftCheck {
    std::vector<FieldError> errors;   // empty when the draft would finalise
    Poco::JSON::Object::Ptr computed; // the values with computed fields, when valid; else null
};

class DraftService {
public:
    DraftService(std::shared_ptr<storage::DraftStore> drafts, std::shared_ptr<const DossierService> dossiers);

    Result<storage::Draft> create(const Caller& caller, const NewDraft& input) const;
    Result<storage::Draft> get(const Caller& caller, const std::string& id) const;
    Result<std::vector<storage::Draft>> listForDossier(const Caller& caller, const std::string& dossierId) const;
    // An action's open drafts (its association only; empty for anyone else).
    Result<std::vector<storage::Draft>> listForAction(const Caller& caller, const std::string& actionId) const;
    // Replaces the values (whatever they hold: nothing is validated here).
    Result<storage::Draft> save(const Caller& caller, const std::string& id, const Poco::JSON::Object::Ptr& values) const;
    // Validates through RenderService::validate (the one validation use case).
    DraftCheck check(const storage::Draft& draft) const;
    // InvalidArgument "validation_failed" with every field error when the values
    // do not validate (the draft is unchanged); the new document or revision otherwise.
    Result<DocumentView> finalise(const Caller& caller, const std::string& id) const;
    // The draft rendered in memory as `format` (pdf, xlsx when the form has it).
    Result<Rendered> preview(const Caller& caller, const std::string& id, const std::string& format) const;

    // The draft's values as JSON (an empty object when none).
    static Poco::JSON::Object::Ptr values(const storage::Draft& draft);
    const std::shared_ptr<const DossierService>& dossiers() const { return _dossiers; }

private:
    Result<storage::Draft> visible(const Caller& caller, const std::string& id) const;

    std::shared_ptr<storage::DraftStore> _drafts;
    std::shared_ptr<const DossierService> _dossiers;
};

} // namespace passerelle::service
