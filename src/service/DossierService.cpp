#include "service/DossierService.h"

#include <algorithm>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/String.h>

#include "common/Date.h"
#include "storage/ApiKeys.h"

namespace passerelle::service {

using storage::Action;
using storage::Document;
using storage::Dossier;
using storage::Page;
using storage::Revision;

namespace {

const std::size_t MAX_REFERENCE_CHARS = 64;
const std::size_t MAX_TITLE_CHARS = 200;

Status dossierNotFound(const std::string& id) {
    return Status::notFound("dossier_not_found", "Dossier introuvable : " + id);
}
Status documentNotFound(const std::string& id) {
    return Status::notFound("document_not_found", "Document introuvable : " + id);
}
Status actionNotFound(const std::string& id) { return Status::notFound("action_not_found", "Action introuvable : " + id); }
Status associationsOnly(const std::string& what) {
    return Status::permissionDenied("forbidden_role", "Seule une association peut " + what + ".");
}

std::string toJsonText(const Poco::JSON::Object::Ptr& obj) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(obj, out);
    return out.str();
}

bool isStatut(const std::string& s) { return s == STATUT_OUVERT || s == STATUT_SUSPENDU || s == STATUT_CLOS; }

// Applies the keys of `body` to `d`, collecting every problem.
void applyDossierFields(const Poco::JSON::Object::Ptr& body, Dossier& d, std::vector<FieldError>& errors) {
    for (const auto& key : body->getNames()) {
        if (key != "reference" && key != "statut" && key != "menage" && key != "logement" && key != "version")
            errors.push_back({"/" + key, "unknown_field", "Champ inconnu : « " + key + " »."});
    }
    if (body->has("reference")) {
        auto v = body->get("reference");
        if (!v.isString()) errors.push_back({"/reference", "type", "La référence doit être un texte."});
        else if (v.toString().size() > MAX_REFERENCE_CHARS)
            errors.push_back({"/reference", "max_length", "La référence dépasse 64 caractères."});
        else d.reference = v.toString();
    }
    if (body->has("statut")) {
        auto v = body->get("statut");
        if (!v.isString() || !isStatut(v.toString()))
            errors.push_back({"/statut", "enum", "Statut inconnu : valeurs possibles ouvert, suspendu, clos."});
        else d.statut = v.toString();
    }
    if (body->has("menage")) {
        auto m = body->getObject("menage");
        if (!m) {
            errors.push_back({"/menage", "type", "Le ménage doit être un objet JSON."});
        } else {
            if (m->has("membres")) {
                auto membres = m->getArray("membres");
                if (!membres) {
                    errors.push_back({"/menage/membres", "type", "Les membres du ménage doivent être une liste."});
                } else {
                    for (unsigned i = 0; i < membres->size(); ++i) {
                        auto p = membres->getObject(i);
                        std::string path = "/menage/membres/" + std::to_string(i);
                        if (!p) {
                            errors.push_back({path, "type", "Chaque membre du ménage doit être un objet JSON."});
                            continue;
                        }
                        if (!p->has("nom") || !p->get("nom").isString() || Poco::trim(p->get("nom").toString()).empty())
                            errors.push_back({path + "/nom", "required", "Le nom du membre est obligatoire."});
                    }
                }
            }
            d.menageJson = toJsonText(m);
        }
    }
    if (body->has("logement")) {
        auto l = body->getObject("logement");
        if (!l) errors.push_back({"/logement", "type", "Le logement doit être un objet JSON."});
        else d.logementJson = toJsonText(l);
    }
}

storage::Artefact artefactOf(const Rendered& r, const std::string& format) {
    storage::Artefact a;
    a.format = format;
    a.contentType = r.contentType;
    a.bytes = r.bytes;
    a.sha256 = storage::sha256Hex(r.bytes);
    a.size = static_cast<std::int64_t>(r.bytes.size());
    return a;
}

} // namespace

DossierService::DossierService(std::shared_ptr<storage::Store> store, std::shared_ptr<const RenderService> renderer)
    : _store(std::move(store)), _renderer(std::move(renderer)) {}

// ---------------------------------------------------------------------------
// Authentication and authorization.

Result<Caller> DossierService::authenticate(const std::string& header) const {
    const Status refused = Status::unauthenticated(
        "unauthenticated", "Clé d'API manquante, invalide ou révoquée : envoyez l'en-tête « Authorization: Bearer <clé> ».");
    std::string h = Poco::trim(header);
    if (h.size() < 7 || Poco::icompare(h.substr(0, 7), "bearer ") != 0) return refused;
    std::string secret = Poco::trim(h.substr(7));
    if (!storage::looksLikeApiKey(secret)) return refused;
    auto owner = _store->findKeyByHash(storage::hashApiKey(secret));
    if (!owner.isOk()) return owner.status().code() == Status::Code::NotFound ? refused : owner.status();
    const auto& o = owner.value();
    return Caller{o.organisation.id, o.organisation.name, o.organisation.kind, o.key.id, o.key.name, "", "", ""};
}

bool DossierService::isFunderForm(const std::string& formId) const {
    auto def = _renderer->catalog().forms->find(formId);
    return def && !def->personalData;
}

// "2026-11-22T10:15:00.123Z" -> "22/11/2026" (the text itself when it is not a date).
std::string frenchDateOfIso(const std::string& iso) {
    auto d = Date::parseIso(iso.substr(0, 10));
    return d ? d->french() : iso;
}

static Status dossierArchived(const Dossier& d) {
    return Status::failedPrecondition("dossier_archived",
                                      "Ce dossier est archivé depuis le " + frenchDateOfIso(d.archivedAt) +
                                          " (durée de conservation) : il ne peut plus être modifié, ni recevoir de document.");
}

Status DossierService::checkNotArchived(const std::string& dossierId) const {
    if (dossierId.empty()) return Status::ok();
    auto d = _store->findDossier(dossierId);
    if (!d.isOk()) return d.status().code() == Status::Code::NotFound ? Status::ok() : d.status();
    return d.value().archivedAt.empty() ? Status::ok() : dossierArchived(d.value());
}

Result<DossierService::Access> DossierService::dossierAccess(const Caller& caller, const Dossier& dossier) const {
    // An archived dossier (retention, docs/rgpd.md) is read-only, even for its association.
    if (caller.kind == storage::KIND_ASSOCIATION && dossier.associationId == caller.organisationId)
        return dossier.archivedAt.empty() ? Access::Write : Access::Read;
    // Bailleurs will see the dossiers of documents transmitted to them (consent issue); funders never see dossiers.
    return Access::None;
}

Result<DossierService::Access> DossierService::documentAccess(const Caller& caller, const Document& document) const {
    if (caller.kind == storage::KIND_ASSOCIATION) {
        if (document.ownerOrganisationId != caller.organisationId) return Access::None;
        if (document.dossierId.empty()) return Access::Write;
        auto dossier = _store->findDossier(document.dossierId);
        if (!dossier.isOk()) return dossier.status();
        return dossier.value().archivedAt.empty() ? Access::Write : Access::Read; // archived: read-only
    }
    if (caller.kind == storage::KIND_FINANCEUR) {
        // "Aggregates, never personal data": only funders' forms, only on actions this funder funds.
        if (!isFunderForm(document.form) || document.actionId.empty() || !document.dossierId.empty()) return Access::None;
        auto action = _store->findAction(document.actionId);
        if (!action.isOk())
            return action.status().code() == Status::Code::NotFound ? Result<Access>(Access::None) : action.status();
        const auto& f = action.value().funderIds;
        return std::find(f.begin(), f.end(), caller.organisationId) != f.end() ? Access::Read : Access::None;
    }
    if (caller.kind == storage::KIND_BAILLEUR) {
        auto may = landlordMaySee(caller, document);
        if (!may.isOk()) return may.status();
        return may.value() ? Access::Read : Access::None;
    }
    return Access::None;
}

// A bailleur never reads a stored document itself: the original holds every
// field, the non-housing ones included, and every revision. What it receives
// is a separate recipient copy made by the consent gate
// (TransmissionService::transmit), listed and fetched under /v1/received.
// So the answer here is always no, and /v1/documents/{id} is 404 for it.
Result<bool> DossierService::landlordMaySee(const Caller& caller, const Document& document) const {
    (void)caller;
    (void)document;
    return false;
}

Result<Page<Document>> DossierService::landlordDocuments(const Caller& caller, const DocumentFilter& filter) const {
    (void)caller;
    (void)filter;
    return Page<Document>{}; // see landlordMaySee(): received copies are under /v1/received
}

Result<Dossier> DossierService::visibleDossier(const Caller& caller, const std::string& id, Access needed) const {
    auto d = _store->findDossier(id);
    if (!d.isOk()) return d.status().code() == Status::Code::NotFound ? dossierNotFound(id) : d.status();
    auto access = dossierAccess(caller, d.value());
    if (!access.isOk()) return access.status();
    if (access.value() == Access::None) return dossierNotFound(id);
    if (needed == Access::Write && !d.value().archivedAt.empty()) return dossierArchived(d.value());
    if (needed == Access::Write && access.value() != Access::Write)
        return Status::permissionDenied("forbidden", "Votre organisation ne peut pas modifier ce dossier.");
    return d;
}

Result<Document> DossierService::visibleDocument(const Caller& caller, const std::string& id, Access needed) const {
    auto d = _store->findDocument(id);
    if (!d.isOk()) return d.status().code() == Status::Code::NotFound ? documentNotFound(id) : d.status();
    auto access = documentAccess(caller, d.value());
    if (!access.isOk()) return access.status();
    if (access.value() == Access::None) return documentNotFound(id);
    if (needed == Access::Write && access.value() != Access::Write && !d.value().dossierId.empty()) {
        auto dossier = _store->findDossier(d.value().dossierId);
        if (dossier.isOk() && !dossier.value().archivedAt.empty()) return dossierArchived(dossier.value());
    }
    if (needed == Access::Write && access.value() != Access::Write)
        return Status::permissionDenied("forbidden", "Votre organisation peut lire ce document mais pas le réviser.");
    return d;
}

// ---------------------------------------------------------------------------
// Dossiers.

Result<Dossier> DossierService::createDossier(const Caller& caller, const Poco::JSON::Object::Ptr& body) const {
    if (caller.kind != storage::KIND_ASSOCIATION) return associationsOnly("ouvrir un dossier");
    Dossier d;
    d.associationId = caller.organisationId;
    d.statut = STATUT_OUVERT;
    std::vector<FieldError> errors;
    applyDossierFields(body, d, errors);
    if (body->has("version")) errors.push_back({"/version", "unknown_field", "Champ inconnu à la création : « version »."});
    if (!errors.empty()) return Status::invalidArgument("invalid_dossier", "Le dossier contient des erreurs.", errors);
    d.referentUserId = caller.userId; // a person who opens a dossier follows it (web)
    return _store->createDossier(d);
}

Result<Page<Dossier>> DossierService::searchDossiers(const Caller& caller, storage::DossierSearch filter) const {
    if (caller.kind != storage::KIND_ASSOCIATION) return Page<Dossier>{};
    filter.associationId = caller.organisationId;
    if (!filter.statut.empty() && !isStatut(filter.statut))
        return Status::invalidArgument("invalid_filter", "Statut inconnu : valeurs possibles ouvert, suspendu, clos.");
    return _store->searchDossiers(filter);
}

Result<Page<Dossier>> DossierService::listDossiers(const Caller& caller, const DossierFilter& filter) const {
    if (caller.kind != storage::KIND_ASSOCIATION) return Page<Dossier>{};
    storage::DossierQuery q;
    q.associationId = caller.organisationId;
    q.statut = filter.statut;
    q.reference = filter.reference;
    q.limit = filter.limit;
    q.offset = filter.offset;
    return _store->listDossiers(q);
}

Result<Dossier> DossierService::getDossier(const Caller& caller, const std::string& id) const {
    return visibleDossier(caller, id, Access::Read);
}

Result<Dossier> DossierService::updateDossier(const Caller& caller, const std::string& id,
                                              const Poco::JSON::Object::Ptr& body) const {
    auto current = visibleDossier(caller, id, Access::Write);
    if (!current.isOk()) return current.status();
    Dossier d = current.value();
    std::vector<FieldError> errors;
    applyDossierFields(body, d, errors);
    if (body->has("version")) {
        auto v = body->get("version");
        if (!v.isInteger()) errors.push_back({"/version", "type", "La version doit être un nombre entier."});
        else d.version = v.convert<std::int64_t>();
    }
    if (!errors.empty()) return Status::invalidArgument("invalid_dossier", "Le dossier contient des erreurs.", errors);
    return _store->updateDossier(d);
}

namespace {
std::string closingDetails(const Caller& caller) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (!caller.userId.empty()) o->set("user", caller.userId);
    if (!caller.keyId.empty()) o->set("key", caller.keyId);
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}
} // namespace

Result<Dossier> DossierService::closeDossier(const Caller& caller, const std::string& id) const {
    auto current = visibleDossier(caller, id, Access::Write);
    if (!current.isOk()) return current.status();
    return _store->setDossierClosed(id, /*closed=*/true, {"dossier.closed", caller.organisationId, id, closingDetails(caller)});
}

Result<Dossier> DossierService::reopenDossier(const Caller& caller, const std::string& id) const {
    auto current = visibleDossier(caller, id, Access::Write);
    if (!current.isOk()) return current.status();
    return _store->setDossierClosed(id, /*closed=*/false, {"dossier.reopened", caller.organisationId, id, closingDetails(caller)});
}

// ---------------------------------------------------------------------------
// Actions.

Result<Action> DossierService::createAction(const Caller& caller, const Poco::JSON::Object::Ptr& body) const {
    if (caller.kind != storage::KIND_ASSOCIATION) return associationsOnly("créer une action");
    std::vector<FieldError> errors;
    std::string title;
    if (!body->has("title") || !body->get("title").isString() || Poco::trim(body->get("title").toString()).empty())
        errors.push_back({"/title", "required", "L'intitulé de l'action est obligatoire."});
    else if ((title = body->get("title").toString()).size() > MAX_TITLE_CHARS)
        errors.push_back({"/title", "max_length", "L'intitulé dépasse 200 caractères."});
    std::vector<std::string> funders;
    if (body->has("funders")) {
        auto arr = body->getArray("funders");
        if (!arr) errors.push_back({"/funders", "type", "Les financeurs doivent être une liste d'identifiants."});
        for (unsigned i = 0; arr && i < arr->size(); ++i) {
            std::string path = "/funders/" + std::to_string(i);
            auto v = arr->get(i);
            if (!v.isString()) {
                errors.push_back({path, "type", "Identifiant d'organisation attendu."});
                continue;
            }
            auto org = _store->findOrganisation(v.toString());
            if (!org.isOk() && org.status().code() != Status::Code::NotFound) return org.status();
            if (!org.isOk() || org.value().kind != storage::KIND_FINANCEUR)
                errors.push_back({path, "not_a_funder", "« " + v.toString() + " » n'est pas un financeur connu."});
            else funders.push_back(v.toString());
        }
    }
    for (const auto& key : body->getNames())
        if (key != "title" && key != "funders") errors.push_back({"/" + key, "unknown_field", "Champ inconnu : « " + key + " »."});
    if (!errors.empty()) return Status::invalidArgument("invalid_action", "L'action contient des erreurs.", errors);
    return _store->createAction(title, caller.organisationId, funders);
}

Result<std::vector<Action>> DossierService::listActions(const Caller& caller) const {
    if (caller.kind == storage::KIND_ASSOCIATION) return _store->listActions(caller.organisationId, "");
    if (caller.kind == storage::KIND_FINANCEUR) return _store->listActions("", caller.organisationId);
    return std::vector<Action>{};
}

Result<Action> DossierService::getAction(const Caller& caller, const std::string& id) const {
    auto a = _store->findAction(id);
    if (!a.isOk()) return a.status().code() == Status::Code::NotFound ? actionNotFound(id) : a.status();
    const auto& f = a.value().funderIds;
    bool visible = (caller.kind == storage::KIND_ASSOCIATION && a.value().associationId == caller.organisationId) ||
                   (caller.kind == storage::KIND_FINANCEUR && std::find(f.begin(), f.end(), caller.organisationId) != f.end());
    if (!visible) return actionNotFound(id);
    return a;
}

// ---------------------------------------------------------------------------
// Documents.

Result<Revision> DossierService::renderRevision(const Caller& caller, const std::string& documentId, std::int64_t number,
                                                const std::string& form, const std::string& variant,
                                                const Poco::JSON::Object::Ptr& data) const {
    auto def = _renderer->catalog().forms->find(form);
    if (!def) return Status::notFound("form_not_found", "Formulaire inconnu : « " + form + " ».");
    if (!variant.empty() && !def->variant(variant))
        return Status::notFound("variant_not_found", "Variante inconnue pour « " + form + " » : « " + variant + " ».");
    if (!data) return Status::invalidArgument("data_required", "Le champ « data » (le formulaire rempli) est obligatoire.");
    auto filled = _renderer->validate(form, data);
    if (!filled.isOk()) return filled.status();
    Revision r;
    r.number = number;
    auto chosen = forms::chooseVariant(*def, filled.value().data, variant);
    if (!chosen.isOk()) return chosen.status();
    r.variant = chosen.value();
    r.formVersion = def->version;
    r.inputJson = toJsonText(data);
    r.createdByOrganisationId = caller.organisationId;
    r.createdByKeyId = caller.keyId;
    // Every format the form has, rendered before anything is stored: nothing half-made reaches the store.
    for (const std::string format : {"pdf", "xlsx"}) {
        if (!def->supportsFormat(format)) continue;
        RenderRequest req;
        req.form = form;
        req.variant = r.variant;
        req.format = format;
        req.data = data;
        req.documentId = documentId + "-r" + std::to_string(number);
        auto rendered = _renderer->renderFilled(filled.value(), req);
        if (!rendered.isOk()) return rendered.status();
        r.artefacts.push_back(artefactOf(rendered.value(), format));
    }
    return r;
}

Result<DocumentView> DossierService::createDocument(const Caller& caller, const NewDocument& in) const {
    if (caller.kind != storage::KIND_ASSOCIATION) return associationsOnly("créer un document");
    auto def = _renderer->catalog().forms->find(in.form);
    if (!def) return Status::notFound("form_not_found", "Formulaire inconnu : « " + in.form + " ».");
    Document d;
    d.form = in.form;
    d.ownerOrganisationId = caller.organisationId;
    d.createdByOrganisationId = caller.organisationId;
    d.createdByKeyId = caller.keyId;
    if (def->personalData) {
        // A document about a household belongs to one of the association's dossiers.
        if (in.dossierId.empty() || !in.actionId.empty())
            return Status::invalidArgument("dossier_required", "Le formulaire « " + in.form +
                                                                   " » concerne un ménage : précisez « dossier » (et non « action »).");
        auto dossier = visibleDossier(caller, in.dossierId, Access::Write);
        if (!dossier.isOk()) return dossier.status();
        d.dossierId = in.dossierId;
    } else {
        // Funders' forms hold aggregates and belong to an action the association carries.
        if (in.actionId.empty() || !in.dossierId.empty())
            return Status::invalidArgument("action_required", "Le formulaire « " + in.form +
                                                                  " » est destiné aux financeurs : précisez « action » (et non « dossier »).");
        auto action = _store->findAction(in.actionId);
        if (!action.isOk() && action.status().code() != Status::Code::NotFound) return action.status();
        if (!action.isOk() || action.value().associationId != caller.organisationId) return actionNotFound(in.actionId);
        d.actionId = in.actionId;
    }
    d.id = storage::newId("doc_");
    auto rev = renderRevision(caller, d.id, 1, in.form, in.variant, in.data);
    if (!rev.isOk()) return rev.status();
    auto stored = _store->createDocument(d, rev.value());
    if (!stored.isOk()) return stored.status();
    Revision meta = rev.value();
    for (auto& a : meta.artefacts) a.bytes.clear();
    meta.createdAt = stored.value().createdAt;
    return DocumentView{stored.value(), meta};
}

Result<Page<Document>> DossierService::listDocuments(const Caller& caller, const DocumentFilter& filter) const {
    storage::DocumentQuery q;
    q.dossierId = filter.dossierId;
    q.actionId = filter.actionId;
    q.limit = filter.limit;
    q.offset = filter.offset;
    if (!filter.form.empty()) q.forms = {filter.form};
    if (caller.kind == storage::KIND_ASSOCIATION) {
        q.ownerOrganisationId = caller.organisationId;
        return _store->listDocuments(q);
    }
    if (caller.kind == storage::KIND_FINANCEUR) {
        // Same rule as documentAccess(), as a query.
        std::vector<std::string> funderForms;
        for (const auto& def : _renderer->catalog().forms->all())
            if (!def->personalData && (filter.form.empty() || def->id == filter.form)) funderForms.push_back(def->id);
        if (!filter.dossierId.empty()) return Page<Document>{};
        q.fundedBy = caller.organisationId;
        q.forms = funderForms;
        q.restrictForms = true;
        return _store->listDocuments(q);
    }
    if (caller.kind == storage::KIND_BAILLEUR) return landlordDocuments(caller, filter);
    return Page<Document>{};
}

Result<DocumentView> DossierService::getDocument(const Caller& caller, const std::string& id, std::int64_t revision) const {
    auto d = visibleDocument(caller, id, Access::Read);
    if (!d.isOk()) return d.status();
    auto r = _store->findRevision(id, revision > 0 ? revision : d.value().currentRevision);
    if (!r.isOk()) return r.status();
    return DocumentView{d.value(), r.value()};
}

Result<std::vector<Revision>> DossierService::listRevisions(const Caller& caller, const std::string& id) const {
    auto d = visibleDocument(caller, id, Access::Read);
    if (!d.isOk()) return d.status();
    return _store->listRevisions(id);
}

Result<DocumentView> DossierService::reviseDocument(const Caller& caller, const std::string& id,
                                                    const DocumentRevisionInput& in) const {
    auto d = visibleDocument(caller, id, Access::Write);
    if (!d.isOk()) return d.status();
    const std::int64_t expected = in.expectedRevision > 0 ? in.expectedRevision : d.value().currentRevision;
    if (expected != d.value().currentRevision)
        return Status::failedPrecondition("revision_conflict",
                                          "Une autre révision a été enregistrée entre-temps : relisez le document.");
    auto rev = renderRevision(caller, id, expected + 1, d.value().form,
                              in.variant.empty() ? d.value().variant : in.variant, in.data);
    if (!rev.isOk()) return rev.status();
    auto stored = _store->addRevision(id, expected, rev.value());
    if (!stored.isOk()) return stored.status();
    auto meta = _store->findRevision(id, stored.value().currentRevision);
    if (!meta.isOk()) return meta.status();
    return DocumentView{stored.value(), meta.value()};
}

Result<storage::Artefact> DossierService::getRendition(const Caller& caller, const std::string& id,
                                                       const std::string& format, std::int64_t revision) const {
    auto d = visibleDocument(caller, id, Access::Read);
    if (!d.isOk()) return d.status();
    const std::int64_t n = revision > 0 ? revision : d.value().currentRevision;
    if (n > d.value().currentRevision)
        return Status::notFound("revision_not_found", "Révision " + std::to_string(n) + " introuvable.");
    return _store->fetchArtefact(id, n, format);
}

} // namespace passerelle::service
