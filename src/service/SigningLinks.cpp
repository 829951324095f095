// SigningService, the browser part (issue 10): the landlord's list of
// documents awaiting its signature, and the personal single-use signing links
// of household members. A link carries 32 random bytes; the store keeps only
// their SHA-256; it serves once (spent in the same transaction as the
// signature) and expires after SigningOptions::linkLifetimeMinutes. The
// secret leaves only through the Notifier (kind "signing_link").
#include <Poco/JSON/Parser.h>
#include <Poco/RandomStream.h>
#include <Poco/String.h>

#include "service/AutorisationEvidence.h"
#include "service/SigningService.h"
#include "sign/SigningPlan.h"
#include "storage/ApiKeys.h"

namespace passerelle::service {

namespace {

std::string randomHex(std::size_t bytes) {
    Poco::RandomInputStream rnd;
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        unsigned char c = static_cast<unsigned char>(rnd.get());
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
    }
    return out;
}

bool plausibleEmail(const std::string& e) {
    if (e.size() < 6 || e.size() > 254 || e.find_first_of(" \t\r\n<>,;\"") != std::string::npos) return false;
    const auto at = e.find('@');
    if (at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos) return false;
    const auto dot = e.find('.', at);
    return dot != std::string::npos && dot > at + 1 && dot + 1 < e.size();
}

bool wellFormedToken(const std::string& t) {
    return t.size() == 64 && t.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Status linkNotFound() {
    return Status::notFound("link_not_found", "Ce lien de signature n’existe pas. Vérifiez l’adresse reçue, ou demandez un nouveau lien à l’association.");
}

} // namespace

Result<std::vector<SigningView>> SigningService::awaitingSignature(const Caller& caller) const {
    if (caller.kind != storage::KIND_BAILLEUR) return std::vector<SigningView>{};
    auto recs = _store->listSigningsOfBailleur(caller.organisationId);
    if (!recs.isOk()) return recs.status();
    std::vector<SigningView> out;
    for (const auto& r : recs.value()) {
        auto d = _store->findDocument(r.signing.documentId);
        if (!d.isOk()) continue;
        auto v = view(r, d.value());
        if (v.isOk() && v.value().state == storage::SIGNING_IN_PROGRESS) out.push_back(v.take());
    }
    return out;
}

Status SigningService::setLinksEnabled(const std::string& associationId, const std::string& bailleurId, bool enabled) const {
    auto p = _store->findPartnership(associationId, bailleurId);
    if (!p.isOk()) return p.status();
    Poco::JSON::Object d(Poco::JSON_PRESERVE_KEY_ORDER);
    d.set("association", associationId);
    d.set("bailleur", bailleurId);
    d.set("enabled", enabled);
    std::ostringstream out;
    d.stringify(out);
    return _store->setSigningLinksEnabled(associationId, bailleurId, enabled,
                                          {"signing_links.setting", "system", p.value().id, out.str()});
}

Result<SigningLinkSent> SigningService::sendSigningLink(const Caller& caller, const std::string& documentId,
                                                        const std::string& signatoryId, const std::string& emailIn) const {
    auto found = _store->findDocument(documentId);
    if (!found.isOk() || caller.kind != storage::KIND_ASSOCIATION || found.value().ownerOrganisationId != caller.organisationId)
        return Status::notFound("document_not_found", "Document introuvable : " + documentId);
    const storage::Document& d = found.value();
    auto rec = _store->latestSigning(documentId);
    if (!rec.isOk()) return rec.status();
    const storage::SigningRecord& r = rec.value();
    const storage::Signatory* target = nullptr;
    for (const auto& s : r.signatories)
        if (s.id == signatoryId) target = &s;
    if (!target) return Status::notFound("signatory_not_found", "Signataire introuvable : " + signatoryId);
    const std::string email = Poco::toLower(Poco::trim(emailIn));
    if (!plausibleEmail(email))
        return Status::invalidArgument("validation_failed", "L’adresse électronique n’est pas valable.",
                                       {{"/email", "format", "Saisissez l’adresse électronique de la personne, par exemple prenom.nom@exemple.fr."}});
    if (target->party != sign::PARTY_MENAGE)
        return Status::failedPrecondition("link_not_for_party", "Le lien personnel sert aux membres du ménage seulement.");
    if (r.signing.state != storage::SIGNING_IN_PROGRESS)
        return Status::failedPrecondition("signing_closed", "La signature de ce document est close.");
    if (r.signing.revision != d.currentRevision)
        return Status::failedPrecondition("revision_changed", "Le document a changé : relancez la signature.");
    if (target->state != storage::SIGNATORY_PENDING)
        return Status::failedPrecondition("already_signed", "Ce signataire a déjà signé ou refusé.");
    // The partnership that enables links: the landlord of the signing, or for an
    // autorisation the landlord it names.
    std::string bailleur = r.signing.bailleurOrgId;
    if (bailleur.empty() && d.form == "autorisation-transmission") {
        auto rev = _store->findRevision(d.id, d.currentRevision);
        if (rev.isOk()) {
            auto data = forms::parseJsonObject(rev.value().inputJson);
            if (data.isOk()) {
                auto dest = data.value()->getObject("destinataire");
                std::string name = dest && dest->has("nom") ? dest->getValue<std::string>("nom") : "";
                auto org = _store->findOrganisationByName(name);
                if (org.isOk() && org.value().kind == storage::KIND_BAILLEUR) bailleur = org.value().id;
            }
        }
    }
    auto enabled = bailleur.empty() ? Result<bool>(false) : _store->signingLinksEnabled(caller.organisationId, bailleur);
    if (!enabled.isOk()) return enabled.status();
    if (!enabled.value())
        return Status::failedPrecondition("links_disabled",
                                          "Le partenariat avec ce bailleur ne prévoit pas la signature par lien : faites signer en présence.");
    const std::string token = randomHex(32);
    storage::SigningLink link;
    link.tokenHash = storage::sha256Hex(token);
    link.signatoryId = target->id;
    link.signingId = r.signing.id;
    link.documentId = d.id;
    link.createdAtMs = nowMs();
    link.expiresAtMs = link.createdAtMs + static_cast<std::int64_t>(_options.linkLifetimeMinutes) * 60000;
    link.createdByOrgId = caller.organisationId;
    // The audit keeps ids and the link's hash: never the address nor the secret.
    Poco::JSON::Object dj(Poco::JSON_PRESERVE_KEY_ORDER);
    dj.set("signing", r.signing.id);
    dj.set("linkSha256", link.tokenHash);
    dj.set("expiresAtMs", link.expiresAtMs);
    std::ostringstream dout;
    dj.stringify(dout);
    Status st = _store->createSigningLink(link, {"signing_link.sent", caller.organisationId, target->id, dout.str()});
    if (!st.isOk()) return st;
    {
        Notification n;
        n.kind = "signing_link";
        n.organisationId = caller.organisationId;
        n.email = email;
        n.documentKind = d.form;
        n.senderOrganisationId = caller.organisationId;
        n.reference = r.signing.id;
        n.link = "/signature/" + token;
        // The e-mail notifier given to the service (or options.notifier, when a caller sets one).
        (_options.notifier ? *_options.notifier : _notifier).notify(n);
    }
    return SigningLinkSent{target->id, link.expiresAtMs};
}

Result<std::vector<storage::SigningLink>> SigningService::linksStillOpen(const std::string& signingId) const {
    return _store->openSigningLinks(signingId, nowMs());
}

Result<LinkSigning> SigningService::openLink(const std::string& token) const {
    if (!wellFormedToken(token)) return linkNotFound();
    auto link = _store->findSigningLink(storage::sha256Hex(token));
    if (!link.isOk()) return link.status().code() == Status::Code::NotFound ? linkNotFound() : link.status();
    if (link.value().usedAtMs != 0)
        return Status::failedPrecondition("link_used", "Ce lien de signature a déjà servi : il ne sert qu’une fois. "
                                                       "Si vous n’avez pas signé vous-même, prévenez l’association.");
    if (link.value().replacedAtMs != 0)
        return Status::failedPrecondition("link_replaced", "Ce lien de signature a été remplacé par un lien plus récent : "
                                                           "ouvrez le dernier message reçu de l’association.");
    if (nowMs() >= link.value().expiresAtMs)
        return Status::failedPrecondition("link_expired", "Ce lien de signature a expiré. Demandez un nouveau lien à l’association.");
    auto d = _store->findDocument(link.value().documentId);
    if (!d.isOk()) return d.status();
    auto rec = _store->findSigning(link.value().signingId);
    if (!rec.isOk()) return rec.status();
    auto v = view(rec.value(), d.value());
    if (!v.isOk()) return v.status();
    LinkSigning out;
    out.signing = v.take();
    out.document = d.value();
    out.expiresAtMs = link.value().expiresAtMs;
    for (const auto& s : out.signing.record.signatories)
        if (s.id == link.value().signatoryId) out.signatory = s;
    if (out.signatory.id.empty()) return linkNotFound();
    return out;
}

Result<storage::Artefact> SigningService::linkDocumentPdf(const std::string& token) const {
    auto open = openLink(token);
    if (!open.isOk()) return open.status();
    return _store->fetchArtefact(open.value().document.id, open.value().signing.record.signing.revision, "pdf");
}

Result<SigningView> SigningService::signByLink(const std::string& token, const Poco::JSON::Object::Ptr& body,
                                               const SignatureContext& context) const {
    auto open = openLink(token);
    if (!open.isOk()) return open.status();
    auto in = parseSignature(body, /*link=*/true);
    if (!in.isOk()) return in.status();
    Caller household;
    household.organisationId = open.value().document.ownerOrganisationId;
    household.kind = "menage";
    return record(household, open.value().document, open.value().signing.record, open.value().signatory, in.value(), context,
                  storage::sha256Hex(token));
}

Result<storage::AutorisationScan> SigningService::attachAutorisationScan(const Caller& caller, const std::string& documentId,
                                                                          const std::string& contentTypeIn,
                                                                          const std::string& bytes) const {
    auto found = _store->findDocument(documentId);
    if (!found.isOk() || caller.kind != storage::KIND_ASSOCIATION || found.value().ownerOrganisationId != caller.organisationId)
        return Status::notFound("document_not_found", "Document introuvable : " + documentId);
    const storage::Document& d = found.value();
    if (d.form != "autorisation-transmission")
        return Status::failedPrecondition("not_an_autorisation", "Seule une autorisation de transmission reçoit un scan signé.");
    // The limits and the magic bytes: AutorisationEvidence.h, shared with the consent page.
    std::vector<FieldError> errors = checkAutorisationScan(contentTypeIn, bytes, "");
    if (!errors.empty()) return Status::invalidArgument("validation_failed", "Le scan n'est pas enregistré.", errors);
    const storage::AutorisationScan scan = newAutorisationScan(d, caller.organisationId, bytes);
    return _store->storeAutorisationScan(scan, scanAttachedEvent(scan));
}

} // namespace passerelle::service
