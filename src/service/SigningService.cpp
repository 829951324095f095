#include "service/SigningService.h"

#include <sstream>

#include <Poco/JSON/Parser.h>
#include <Poco/LocalDateTime.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

#include "sign/ParisTime.h"
#include "sign/SignatureImage.h"
#include "sign/SignedDocument.h"
#include "sign/SigningPlan.h"

namespace passerelle::service {

namespace {

Status notFoundDocument(const std::string& id) {
    return Status::notFound("document_not_found", "Document introuvable : " + id);
}

std::string details(std::initializer_list<std::pair<const char*, std::string>> kv) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [k, v] : kv) o.set(k, v);
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

std::string optStr(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key)) return "";
    auto v = o->get(key);
    return v.isString() ? v.extract<std::string>() : "";
}

// The dd/mm/yyyy a revision was rendered with (RenderService: local date at render time).
std::string frenchDateOf(const std::string& iso) {
    int tz = 0;
    Poco::DateTime dt;
    if (!Poco::DateTimeParser::tryParse("%Y-%m-%dT%H:%M:%S.%iZ", iso, dt, tz)) return "";
    Poco::LocalDateTime local(dt.timestamp());
    char b[32];
    std::snprintf(b, sizeof b, "%02d/%02d/%04d", local.day(), local.month(), local.year());
    return b;
}

} // namespace

SigningService::SigningService(std::shared_ptr<const DossierService> dossiers, std::shared_ptr<const sign::SealKey> sealKey,
                               SigningOptions options, Notifier& notifier)
    : _dossiers(std::move(dossiers)), _store(_dossiers->store()), _key(std::move(sealKey)), _options(std::move(options)),
      _notifier(notifier) {}

void SigningService::notifyParties(const storage::SigningRecord& record, const storage::Document& d, const char* kind) const {
    // The landlord signs from its account: its users. The association's side: the dossier's référent
    // (household members have no account; their personal link is kind signing_link).
    bool bailleur = false;
    for (const auto& s : record.signatories) bailleur = bailleur || s.party == sign::PARTY_BAILLEUR;
    Notification n;
    n.kind = kind;
    n.documentKind = d.form;
    n.senderOrganisationId = d.ownerOrganisationId;
    n.reference = record.signing.id;
    if (bailleur && !record.signing.bailleurOrgId.empty()) {
        n.organisationId = record.signing.bailleurOrgId;
        n.link = "/signatures/" + d.id; // the landlord's signing page (web/sign/SigningPages)
        _notifier.notify(n);
    }
    if (!d.dossierId.empty()) {
        auto referent = _store->dossierReferent(d.dossierId);
        if (referent.isOk() && !referent.value().empty()) {
            n.organisationId.clear();
            n.userId = referent.value();
            n.link = "/documents/" + d.id;
            _notifier.notify(n);
        }
    }
}

Result<SigningView> SigningService::view(const storage::SigningRecord& record, const storage::Document& document) const {
    SigningView v;
    v.record = record;
    v.currentRevision = document.currentRevision;
    v.state = record.signing.state;
    if (record.signing.revision != document.currentRevision && record.signing.state != storage::SIGNING_SIGNED)
        v.state = SIGNING_OUT_OF_DATE;
    if (record.signing.state == storage::SIGNING_SIGNED) {
        auto pdf = _store->fetchSignedDocument(record.signing.id);
        if (pdf.isOk()) v.signedPdfSha256 = pdf.value().sha256;
    }
    return v;
}

Result<SigningView> SigningService::start(const Caller& caller, const std::string& documentId,
                                          const Poco::JSON::Object::Ptr& body) const {
    auto doc = _dossiers->getDocument(caller, documentId, 0);
    if (!doc.isOk()) return doc.status();
    const storage::Document& d = doc.value().document;
    Status writable = _dossiers->checkNotArchived(d.dossierId);
    if (!writable.isOk()) return writable;
    auto access = _dossiers->documentAccess(caller, d);
    if (!access.isOk()) return access.status();
    if (access.value() != DossierService::Access::Write)
        return Status::permissionDenied("forbidden", "Seule l'association qui a rédigé le document peut en lancer la signature.");
    auto def = _dossiers->renderer()->catalog().forms->find(d.form);
    if (!def || !sign::isSignable(*def))
        return Status::failedPrecondition("not_signable", "Le formulaire « " + d.form + " » ne se signe pas dans Passerelle.");
    const storage::Revision& rev = doc.value().revision;
    std::string sha;
    for (const auto& a : rev.artefacts)
        if (a.format == "pdf") sha = a.sha256;
    if (sha.empty()) return Status::failedPrecondition("no_pdf", "La révision n'a pas de PDF à signer.");
    auto existing = _store->latestSigning(documentId);
    if (existing.isOk() && existing.value().signing.revision == d.currentRevision) {
        const std::string& st = existing.value().signing.state;
        if (st == storage::SIGNING_IN_PROGRESS)
            return Status::failedPrecondition("signing_in_progress", "La signature de cette révision est déjà en cours.");
        if (st == storage::SIGNING_SIGNED)
            return Status::failedPrecondition("already_signed", "Cette révision est déjà signée par tous.");
        return Status::failedPrecondition("signing_refused",
                                          "Un signataire a refusé cette révision : révisez le document pour relancer la signature.");
    } else if (!existing.isOk() && existing.status().code() != Status::Code::NotFound) {
        return existing.status();
    }
    auto data = forms::parseJsonObject(rev.inputJson);
    if (!data.isOk()) return data.status();
    auto filled = _dossiers->renderer()->validate(d.form, data.value());
    if (!filled.isOk()) return filled.status();
    auto plan = sign::planSignatories(*def, filled.value().data);
    if (!plan.isOk()) return plan.status();

    storage::Signing g;
    g.documentId = d.id;
    g.revision = d.currentRevision;
    g.revisionSha256 = sha;
    g.ownerOrgId = d.ownerOrganisationId;
    g.createdByKeyId = caller.keyId;
    bool needsBailleur = false;
    for (const auto& p : plan.value()) needsBailleur = needsBailleur || p.party == sign::PARTY_BAILLEUR;
    if (needsBailleur) {
        const std::string who = optStr(body, "bailleur");
        if (who.empty())
            return Status::invalidArgument("validation_failed", "Précisez le bailleur qui signe.",
                                           {{"/bailleur", "required", "Identifiant ou nom du bailleur signataire requis."}});
        auto org = _store->findOrganisation(who);
        if (!org.isOk()) org = _store->findOrganisationByName(who);
        if (!org.isOk() || org.value().kind != storage::KIND_BAILLEUR)
            return Status::invalidArgument("validation_failed", "Bailleur inconnu : « " + who + " ».",
                                           {{"/bailleur", "unknown_bailleur", "Aucun bailleur de ce nom ou de cet identifiant."}});
        auto partner = _store->findPartnership(caller.organisationId, org.value().id);
        if (!partner.isOk())
            return Status::failedPrecondition("partnership_not_found",
                                              "Votre association ne travaille pas avec « " + org.value().name + " ».");
        g.bailleurOrgId = org.value().id;
    }
    std::vector<storage::Signatory> signatories;
    for (const auto& p : plan.value()) {
        storage::Signatory s;
        s.position = p.position;
        s.party = p.party;
        s.name = p.name;
        s.capacity = p.capacity;
        s.box = p.box;
        signatories.push_back(s);
    }
    storage::AuditEvent audit{"signing.started", caller.organisationId, "",
                              details({{"document", d.id}, {"revision", std::to_string(d.currentRevision)}, {"revisionSha256", sha}})};
    auto rec = _store->createSigning(g, signatories, audit);
    if (!rec.isOk()) return rec.status();
    notifyParties(rec.value(), d, NOTIFY_SIGNATURE_AWAITED);
    return view(rec.value(), d);
}

Result<SigningView> SigningService::status(const Caller& caller, const std::string& documentId) const {
    auto found = _store->findDocument(documentId);
    if (!found.isOk()) return found.status().code() == Status::Code::NotFound ? notFoundDocument(documentId) : found.status();
    auto rec = _store->latestSigning(documentId);
    bool owner = caller.kind == storage::KIND_ASSOCIATION && found.value().ownerOrganisationId == caller.organisationId;
    bool landlord = caller.kind == storage::KIND_BAILLEUR && rec.isOk() && rec.value().signing.bailleurOrgId == caller.organisationId;
    if (!owner && !landlord) return notFoundDocument(documentId);
    if (!rec.isOk()) return rec.status();
    return view(rec.value(), found.value());
}

Result<SigningView> SigningService::sign(const Caller& caller, const std::string& documentId, const std::string& signatoryId,
                                         const Poco::JSON::Object::Ptr& body, const SignatureContext& context) const {
    auto found = _store->findDocument(documentId);
    if (!found.isOk()) return found.status().code() == Status::Code::NotFound ? notFoundDocument(documentId) : found.status();
    const storage::Document& d = found.value();
    auto rec = _store->latestSigning(documentId);
    bool owner = caller.kind == storage::KIND_ASSOCIATION && d.ownerOrganisationId == caller.organisationId;
    bool landlord = caller.kind == storage::KIND_BAILLEUR && rec.isOk() && rec.value().signing.bailleurOrgId == caller.organisationId;
    if (!owner && !landlord) return notFoundDocument(documentId);
    if (!rec.isOk()) return rec.status();
    const storage::SigningRecord& r = rec.value();
    const storage::Signatory* target = nullptr;
    for (const auto& s : r.signatories)
        if (s.id == signatoryId) target = &s;
    if (!target) return Status::notFound("signatory_not_found", "Signataire introuvable : " + signatoryId);

    auto in = parseSignature(body, /*link=*/false);
    if (!in.isOk()) return in.status();
    const std::string& method = in.value().method;
    // Who may record this signature, and how.
    if (target->party == sign::PARTY_BAILLEUR) {
        if (!landlord)
            return Status::permissionDenied("forbidden", "Le représentant du bailleur signe depuis le compte du bailleur.");
        if (method != "account")
            return Status::invalidArgument("validation_failed", "Le bailleur signe depuis son compte.",
                                           {{"/method", "enum", "Mode attendu pour le bailleur : account."}});
    } else {
        if (!owner) return Status::permissionDenied("forbidden", "Ce signataire signe auprès de l'association.");
        if (target->party == sign::PARTY_MENAGE && method != "in_person")
            return Status::invalidArgument("validation_failed", "Le ménage signe en présence du référent.",
                                           {{"/method", "enum", "Mode attendu pour le ménage : in_person."}});
    }
    return record(caller, d, r, *target, in.value(), context, "");
}

Result<SigningService::SignatureInput> SigningService::parseSignature(const Poco::JSON::Object::Ptr& body, bool link) const {
    std::vector<FieldError> errors;
    SignatureInput in;
    in.method = link ? std::string("link") : optStr(body, "method");
    if (!body || !body->has("accepted") || !body->get("accepted").isBoolean())
        errors.push_back({"/accepted", "required", "Indiquez true (signature) ou false (refus)."});
    in.accepted = body && body->has("accepted") && body->get("accepted").isBoolean() && body->getValue<bool>("accepted");
    if (!link && in.method != "in_person" && in.method != "account")
        errors.push_back({"/method", "enum", in.method == "link" ? "La signature par lien se fait depuis le lien personnel reçu."
                                                                 : "Mode de signature attendu : in_person ou account."});
    in.witness = link ? std::string() : optStr(body, "witness");
    in.typedName = optStr(body, "typedName");
    const std::string image = optStr(body, "image");
    if (in.method == "in_person" && in.witness.empty()) errors.push_back({"/witness", "required", "Nom du référent présent requis."});
    if (in.witness.size() > 150) errors.push_back({"/witness", "max_length", "150 caractères au plus."});
    if (in.typedName.size() > 150) errors.push_back({"/typedName", "max_length", "150 caractères au plus."});
    if (in.accepted && image.empty() && in.typedName.empty())
        errors.push_back({"/image", "required", "Signature dessinée (image) ou nom saisi (typedName) requis."});
    if (!image.empty()) {
        auto p = sign::pngFromDataUrl(image, "/image");
        if (!p.isOk()) errors.insert(errors.end(), p.status().details().begin(), p.status().details().end());
        else {
            auto decoded = sign::decodePng(p.value(), "/image");
            if (!decoded.isOk()) errors.insert(errors.end(), decoded.status().details().begin(), decoded.status().details().end());
            else in.png = p.take();
        }
    }
    if (!errors.empty()) return Status::invalidArgument("validation_failed", "La signature n'est pas enregistrée.", errors);
    return in;
}

std::int64_t SigningService::nowMs() const {
    if (_options.nowMs) return _options.nowMs();
    return Poco::Timestamp().epochMicroseconds() / 1000;
}

Result<SigningView> SigningService::record(const Caller& caller, const storage::Document& d, const storage::SigningRecord& r,
                                           const storage::Signatory& target, const SignatureInput& in,
                                           const SignatureContext& context, const std::string& linkTokenHash) const {
    if (r.signing.state != storage::SIGNING_IN_PROGRESS)
        return Status::failedPrecondition("signing_closed", r.signing.state == storage::SIGNING_REFUSED
                                                                ? "La signature a été refusée : elle est close."
                                                                : "Tout le monde a déjà signé.");
    if (r.signing.revision != d.currentRevision)
        return Status::failedPrecondition("revision_changed", "Le document a changé depuis le début de la signature (révision " +
                                                                  std::to_string(r.signing.revision) +
                                                                  ") : relancez la signature de la révision " +
                                                                  std::to_string(d.currentRevision) + ".");
    if (target.state != storage::SIGNATORY_PENDING)
        return Status::failedPrecondition("already_signed", "Ce signataire a déjà signé ou refusé.");
    if (in.accepted) {
        for (const auto& s : r.signatories)
            if (s.position < target.position && s.party != target.party && s.state != storage::SIGNATORY_SIGNED)
                return Status::failedPrecondition("not_your_turn", "Ce n'est pas encore à ce signataire : " + s.name +
                                                                       " doit signer avant.");
    }
    const std::int64_t now = nowMs() / 1000;
    storage::Signatory s = target;
    s.state = in.accepted ? storage::SIGNATORY_SIGNED : storage::SIGNATORY_REFUSED;
    s.method = in.method;
    s.witness = in.method == "in_person" ? in.witness : "";
    s.typedName = in.typedName;
    s.signedAt = sign::utcIso(now);
    s.signedAtParis = sign::parisTime(now).iso;
    s.revisionSha256 = r.signing.revisionSha256;
    s.image = in.png;
    s.imageSha256 = in.png.empty() ? "" : sign::sha256Hex(in.png);
    s.ip = context.ip.substr(0, 64);
    s.userAgent = context.userAgent.substr(0, 300);
    s.signerOrgId = caller.organisationId;
    s.signerKeyId = caller.keyId.empty() && !caller.userId.empty() ? caller.userId : caller.keyId;
    Poco::JSON::Object dj(Poco::JSON_PRESERVE_KEY_ORDER);
    dj.set("signing", r.signing.id);
    dj.set("revisionSha256", s.revisionSha256);
    dj.set("imageSha256", s.imageSha256);
    dj.set("method", in.method);
    if (!context.shownSha256.empty()) dj.set("shownSha256", context.shownSha256);
    std::ostringstream dout;
    dj.stringify(dout);
    storage::AuditEvent audit{in.accepted ? "signature.recorded" : "signature.refused",
                              caller.organisationId.empty() ? std::string("system") : caller.organisationId, s.id, dout.str()};
    auto updated = linkTokenHash.empty() ? _store->recordSignature(s, audit)
                                         : _store->recordLinkSignature(linkTokenHash, nowMs(), s, audit);
    if (!updated.isOk()) return updated.status();
    if (updated.value().signing.state == storage::SIGNING_SIGNED) {
        auto pdf = produceSignedPdf(updated.value(), d);
        if (!pdf.isOk()) return pdf.status();
        notifyParties(updated.value(), d, NOTIFY_SIGNATURE_COMPLETED);
    }
    return view(updated.value(), d);
}

Result<storage::Artefact> SigningService::produceSignedPdf(const storage::SigningRecord& record, const storage::Document& d) const {
    auto full = _store->findSigning(record.signing.id, /*withImages=*/true);
    if (!full.isOk()) return full.status();
    auto rev = _store->findRevision(d.id, record.signing.revision);
    if (!rev.isOk()) return rev.status();
    auto data = forms::parseJsonObject(rev.value().inputJson);
    if (!data.isOk()) return data.status();
    const auto& renderer = *_dossiers->renderer();
    auto filled = renderer.validate(d.form, data.value());
    if (!filled.isOk()) return filled.status();
    const std::string variant = rev.value().variant.empty() ? filled.value().form->variants.front().name : rev.value().variant;
    auto tpl = renderer.catalog().templates->find(d.form, variant);
    if (!tpl) return Status::internal("template_missing", "Modèle introuvable pour " + d.form + " / " + variant);
    sign::SignedPdfInput in;
    in.tpl = tpl.get();
    in.filled = &filled.value();
    in.documentId = d.id;
    in.revision = record.signing.revision;
    in.revisionSha256 = record.signing.revisionSha256;
    in.revisionDate = frenchDateOf(rev.value().createdAt);
    in.signingId = record.signing.id;
    in.fontsDir = renderer.catalog().fontsDir;
    in.iccProfilePath = _options.iccProfilePath;
    in.sealedAt = Poco::Timestamp().epochTime();
    for (const auto& s : full.value().signatories) {
        sign::SignatureRecord sr;
        sr.signatory.position = static_cast<int>(s.position);
        sr.signatory.party = s.party;
        sr.signatory.name = s.name;
        sr.signatory.capacity = s.capacity;
        sr.signatory.box = static_cast<int>(s.box);
        sr.id = s.id;
        sr.method = s.method;
        sr.witness = s.witness;
        sr.typedName = s.typedName;
        sr.signedAt = sign::parseUtcIso(s.signedAt);
        sr.ip = s.ip;
        sr.userAgent = s.userAgent;
        sr.imagePng = s.image;
        sr.imageSha256 = s.imageSha256;
        in.signatures.push_back(std::move(sr));
    }
    auto pdf = sign::buildSignedPdf(in, *_key);
    if (!pdf.isOk()) return pdf.status();
    storage::Artefact a;
    a.format = "pdf";
    a.contentType = "application/pdf";
    a.sha256 = pdf.value().sha256;
    a.size = static_cast<std::int64_t>(pdf.value().bytes.size());
    a.bytes = std::move(pdf.value().bytes);
    storage::AuditEvent audit{"signing.sealed", "system", record.signing.id,
                              details({{"document", d.id}, {"revision", std::to_string(record.signing.revision)}, {"sha256", a.sha256}})};
    return _store->storeSignedDocument(record.signing.id, a, audit);
}

Result<storage::Artefact> SigningService::signedPdf(const Caller& caller, const std::string& documentId) const {
    auto doc = _dossiers->getDocument(caller, documentId, 0);
    if (!doc.isOk()) return doc.status();
    auto rec = _store->latestSigning(documentId);
    if (!rec.isOk()) {
        if (rec.status().code() == Status::Code::NotFound)
            return Status::failedPrecondition("not_signed", "Ce document n'a pas été envoyé à la signature.");
        return rec.status();
    }
    // The latest signing may be of a newer revision still in progress: the
    // signed PDF is the one of the latest completed signing only if it is the latest.
    if (rec.value().signing.state != storage::SIGNING_SIGNED)
        return Status::failedPrecondition("not_signed", rec.value().signing.state == storage::SIGNING_REFUSED
                                                            ? "Un signataire a refusé : il n'y a pas de PDF signé."
                                                            : "Tous les signataires n'ont pas encore signé.");
    auto pdf = _store->fetchSignedDocument(rec.value().signing.id);
    if (pdf.isOk() || pdf.status().code() != Status::Code::NotFound) return pdf;
    return produceSignedPdf(rec.value(), doc.value().document);
}

VerifyView SigningService::verify(const std::string& pdfBytes) const {
    VerifyView v;
    v.report = sign::verifyPdf(pdfBytes, _key.get());
    if (!v.report.manifestJson.empty()) {
        auto m = forms::parseJsonObject(v.report.manifestJson);
        if (m.isOk()) v.manifest = m.value();
    }
    return v;
}

} // namespace passerelle::service
