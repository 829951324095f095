// TransmissionService::previewRecipientCopy (issue 11 item 5): before the
// household signs its autorisation, the tablet shows the copy the landlord
// would receive. The same gate (consent::decide, on the record the
// autorisation would create) and the same rendering as transmit(): the
// decision's excluded fields and rows print « Information non transmise ».
// Nothing is stored here and nothing reaches a landlord.
#include "consent/ConsentPolicy.h"
#include "forms/FormRegistry.h"
#include "service/TransmissionService.h"
#include "storage/ApiKeys.h"

namespace passerelle::service {

Result<CopyPreview> TransmissionService::previewRecipientCopy(const Caller& caller, const std::string& documentId,
                                                              const storage::StoredConsent& terms) const {
    auto doc = _store->findDocument(documentId);
    if (!doc.isOk() || caller.kind != storage::KIND_ASSOCIATION || doc.value().ownerOrganisationId != caller.organisationId)
        return Status::notFound("document_not_found", "Document introuvable : " + documentId);
    const storage::Document& d = doc.value();
    auto def = _renderer->catalog().forms->find(d.form);
    if (!def) return Status::internal("form_missing", "Le formulaire du document n'est plus disponible.");
    auto recipient = _store->findOrganisation(terms.recipientOrgId);
    if (!recipient.isOk()) return recipient.status();
    auto revision = _store->findRevision(documentId, d.currentRevision);
    if (!revision.isOk()) return revision.status();
    auto data = forms::parseJsonObject(revision.value().inputJson);
    if (!data.isOk()) return Status::internal("stored_input_invalid", "Le contenu enregistré du document est illisible.");

    consent::ConsentRecord r;
    r.id = "apercu";
    r.dossierId = d.dossierId;
    r.givenBy.name = terms.givenByName.empty() ? std::string("ménage") : terms.givenByName;
    r.recipientOrgId = terms.recipientOrgId;
    r.scope.documentKinds.insert(terms.documentKinds.begin(), terms.documentKinds.end());
    r.scope.categories.insert(terms.categories.begin(), terms.categories.end());
    r.purpose = terms.purpose;
    r.givenAt = consent::Instant{_clock()};
    r.how.method = consent::ConsentProof::Method::SignedAutorisation;
    r.how.documentSha256 = terms.proofSha256;
    r.how.documentId = terms.proofDocumentId;
    if (terms.expiresAt) r.expiresAt = consent::Instant{*terms.expiresAt};
    r.copieSiao = terms.copieSiao;
    consent::TransmissionRequest req;
    req.form = def;
    req.data = data.value();
    req.dossierId = d.dossierId;
    req.recipient = {recipient.value().id, recipient.value().kind};
    req.now = consent::Instant{_clock()};
    const consent::Decision decision = consent::decide(req, {r});
    if (!decision.allowed) return decision.status();

    RenderRequest rr;
    rr.form = d.form;
    rr.variant = revision.value().variant;
    rr.format = "pdf";
    rr.data = data.value();
    rr.redacted = decision.excludedFields;
    rr.redactedRows = decision.excludedRows;
    rr.documentId = "APERCU-" + d.id;
    rr.displayedDocumentId = d.id + "-r" + std::to_string(d.currentRevision);
    rr.recipientNotice = "Aperçu montré au ménage avant sa signature : la copie que recevrait " + recipient.value().name +
                         " avec son accord. Les informations sans lien avec le logement, ou que l’autorisation ne couvre pas, "
                         "n’y figurent pas.";
    auto rendered = _renderer->render(rr);
    if (!rendered.isOk()) return rendered.status();
    CopyPreview out;
    out.documentId = d.id;
    out.revision = d.currentRevision;
    out.pdf = std::move(rendered.value().bytes);
    out.sha256 = storage::sha256Hex(out.pdf);
    for (const auto& [path, why] : decision.exclusions) out.withheld.push_back(path);
    out.request = rr;
    return out;
}

} // namespace passerelle::service
