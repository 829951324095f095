#include "service/DraftService.h"

#include <sstream>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

namespace passerelle::service {

namespace {

Status draftNotFound(const std::string& id) { return Status::notFound("draft_not_found", "Brouillon introuvable : " + id); }

std::string toJson(const Poco::JSON::Object::Ptr& values) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(values ? values : Poco::JSON::Object::Ptr(new Poco::JSON::Object), out);
    return out.str();
}

} // namespace

DraftService::DraftService(std::shared_ptr<storage::DraftStore> drafts, std::shared_ptr<const DossierService> dossiers)
    : _drafts(std::move(drafts)), _dossiers(std::move(dossiers)) {}

Poco::JSON::Object::Ptr DraftService::values(const storage::Draft& draft) {
    if (!draft.valuesJson.empty()) {
        try {
            Poco::JSON::Parser p;
            Poco::Dynamic::Var v = p.parse(draft.valuesJson);
            if (v.type() == typeid(Poco::JSON::Object::Ptr)) return v.extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception&) {
        }
    }
    return new Poco::JSON::Object;
}

Result<storage::Draft> DraftService::create(const Caller& caller, const NewDraft& in) const {
    if (caller.kind != storage::KIND_ASSOCIATION)
        return Status::permissionDenied("associations_only", "Seule une association peut commencer un brouillon.");
    storage::Draft d;
    d.ownerOrganisationId = caller.organisationId;
    d.createdByUserId = caller.userId.empty() ? caller.keyId : caller.userId;
    d.form = in.form;
    d.variant = in.variant;
    d.dossierId = in.dossierId;
    d.actionId = in.actionId;
    d.valuesJson = "{}";
    if (!in.fromDocumentId.empty()) {
        // A new revision starts from the current one's values (and variant, unless another is chosen).
        auto doc = _dossiers->getDocument(caller, in.fromDocumentId, 0);
        if (!doc.isOk()) return doc.status();
        Status writable = _dossiers->checkNotArchived(doc.value().document.dossierId);
        if (!writable.isOk()) return writable;
        auto access = _dossiers->documentAccess(caller, doc.value().document);
        if (!access.isOk()) return access.status();
        if (access.value() != DossierService::Access::Write)
            return Status::permissionDenied("read_only", "Vous pouvez lire ce document mais pas le réviser.");
        d.form = doc.value().document.form;
        d.dossierId = doc.value().document.dossierId;
        d.actionId = doc.value().document.actionId;
        d.documentId = doc.value().document.id;
        d.baseRevision = doc.value().revision.number;
        d.valuesJson = doc.value().revision.inputJson;
        if (d.variant.empty()) d.variant = doc.value().revision.variant;
    }
    auto def = _dossiers->renderer()->catalog().forms->find(d.form);
    if (!def) return Status::notFound("form_not_found", "Formulaire inconnu : « " + d.form + " ».");
    if (d.variant.empty()) {
        if (def->variants.size() != 1)
            return Status::invalidArgument("variant_required",
                                           "Choisissez le modèle du formulaire « " + def->title + " » : il en existe plusieurs.");
        d.variant = def->variants.front().name;
    }
    if (!def->variant(d.variant))
        return Status::notFound("variant_not_found", "Modèle inconnu pour « " + def->title + " » : « " + d.variant + " ».");
    if (in.fromDocumentId.empty()) {
        if (def->personalData) {
            if (d.dossierId.empty() || !d.actionId.empty())
                return Status::invalidArgument("dossier_required", "Ce formulaire concerne un ménage : ouvrez-le depuis son dossier.");
            auto dossier = _dossiers->getDossier(caller, d.dossierId);
            if (!dossier.isOk()) return dossier.status();
            Status writable = _dossiers->checkNotArchived(d.dossierId);
            if (!writable.isOk()) return writable;
            auto access = _dossiers->dossierAccess(caller, dossier.value());
            if (!access.isOk()) return access.status();
            if (access.value() != DossierService::Access::Write)
                return Status::permissionDenied("read_only", "Vous ne pouvez pas modifier ce dossier.");
        } else {
            if (d.actionId.empty() || !d.dossierId.empty())
                return Status::invalidArgument("action_required", "Ce formulaire est destiné aux financeurs : ouvrez-le depuis son action.");
            auto action = _dossiers->getAction(caller, d.actionId);
            if (!action.isOk()) return action.status();
            if (action.value().associationId != caller.organisationId)
                return Status::notFound("action_not_found", "Action introuvable : " + d.actionId);
        }
    }
    return _drafts->createDraft(d);
}

// Deny by default: a draft is visible to the association that owns it, and
// only while its dossier (or action) still is; otherwise it "does not exist".
Result<storage::Draft> DraftService::visible(const Caller& caller, const std::string& id) const {
    auto d = _drafts->findDraft(id);
    if (!d.isOk()) return d.status().code() == Status::Code::NotFound ? draftNotFound(id) : d.status();
    const storage::Draft& draft = d.value();
    if (caller.kind != storage::KIND_ASSOCIATION || draft.ownerOrganisationId != caller.organisationId)
        return draftNotFound(id);
    if (!draft.dossierId.empty()) {
        auto dossier = _dossiers->getDossier(caller, draft.dossierId);
        if (!dossier.isOk()) return dossier.status().code() == Status::Code::NotFound ? draftNotFound(id) : dossier.status();
    } else if (!draft.actionId.empty()) {
        auto action = _dossiers->getAction(caller, draft.actionId);
        if (!action.isOk()) return action.status().code() == Status::Code::NotFound ? draftNotFound(id) : action.status();
    }
    return d;
}

Result<storage::Draft> DraftService::get(const Caller& caller, const std::string& id) const { return visible(caller, id); }

Result<std::vector<storage::Draft>> DraftService::listForDossier(const Caller& caller, const std::string& dossierId) const {
    auto dossier = _dossiers->getDossier(caller, dossierId);
    if (!dossier.isOk()) return dossier.status();
    auto drafts = _drafts->listOpenDrafts(dossierId, "");
    if (!drafts.isOk()) return drafts.status();
    std::vector<storage::Draft> out;
    for (const auto& d : drafts.value())
        if (d.ownerOrganisationId == caller.organisationId) out.push_back(d);
    return out;
}

// The open drafts of an action (funders' forms), for its association only.
Result<std::vector<storage::Draft>> DraftService::listForAction(const Caller& caller, const std::string& actionId) const {
    if (caller.kind != storage::KIND_ASSOCIATION) return std::vector<storage::Draft>{};
    auto action = _dossiers->getAction(caller, actionId);
    if (!action.isOk()) return action.status();
    auto drafts = _drafts->listOpenDrafts("", actionId);
    if (!drafts.isOk()) return drafts.status();
    std::vector<storage::Draft> out;
    for (const auto& d : drafts.value())
        if (d.ownerOrganisationId == caller.organisationId) out.push_back(d);
    return out;
}

Result<storage::Draft> DraftService::save(const Caller& caller, const std::string& id,
                                          const Poco::JSON::Object::Ptr& values) const {
    auto d = visible(caller, id);
    if (!d.isOk()) return d.status();
    return _drafts->saveDraft(id, d.value().variant, toJson(values), caller.userId.empty() ? caller.keyId : caller.userId);
}

DraftCheck DraftService::check(const storage::Draft& draft) const {
    DraftCheck out;
    auto filled = _dossiers->renderer()->validate(draft.form, values(draft));
    if (filled.isOk()) out.computed = filled.value().data;
    else {
        out.errors = filled.status().details();
        if (out.errors.empty()) out.errors.push_back({"", filled.status().errorCode(), filled.status().message()});
    }
    return out;
}

Result<DocumentView> DraftService::finalise(const Caller& caller, const std::string& id) const {
    auto d = visible(caller, id);
    if (!d.isOk()) return d.status();
    const storage::Draft& draft = d.value();
    if (!draft.open())
        return Status::failedPrecondition("draft_finalised", "Ce brouillon a déjà été finalisé.");
    Result<DocumentView> doc = Status::internal("not_run", "");
    if (draft.documentId.empty()) {
        NewDocument nd;
        nd.form = draft.form;
        nd.variant = draft.variant;
        nd.dossierId = draft.dossierId;
        nd.actionId = draft.actionId;
        nd.data = values(draft);
        doc = _dossiers->createDocument(caller, nd);
    } else {
        DocumentRevisionInput rev;
        rev.variant = draft.variant;
        rev.data = values(draft);
        rev.expectedRevision = draft.baseRevision;
        doc = _dossiers->reviseDocument(caller, draft.documentId, rev);
    }
    if (!doc.isOk()) return doc;
    // The document is stored; closing the draft is a second step. Should it fail,
    // the draft stays open and the document exists: reported, never hidden.
    auto closed = _drafts->markFinalised(draft.id, doc.value().document.id, doc.value().revision.number);
    if (!closed.isOk()) return closed.status();
    return doc;
}

Result<Rendered> DraftService::preview(const Caller& caller, const std::string& id, const std::string& format) const {
    auto d = visible(caller, id);
    if (!d.isOk()) return d.status();
    auto def = _dossiers->renderer()->catalog().forms->find(d.value().form);
    if (!def || !def->supportsFormat(format))
        return Status::notFound("format_not_found", "Ce formulaire n’existe pas au format « " + format + " ».");
    RenderRequest r;
    r.form = d.value().form;
    r.variant = d.value().variant;
    r.format = format;
    r.data = values(d.value());
    r.documentId = PREVIEW_DOCUMENT_ID;
    return _dossiers->renderer()->render(r);
}

} // namespace passerelle::service
