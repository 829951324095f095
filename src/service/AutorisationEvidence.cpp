#include "service/AutorisationEvidence.h"

#include <algorithm>
#include <set>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include "consent/ConsentPolicy.h"
#include "forms/FormRegistry.h"
#include "storage/ApiKeys.h"

namespace passerelle::service {

namespace {

using JObject = Poco::JSON::Object;

std::string text(const JObject::Ptr& o, const std::string& key) {
    return o && o->has(key) && o->get(key).isString() ? Poco::trim(o->get(key).toString()) : std::string();
}

// Category and housing flag are inherited at load (FormDef): a field that is not housing-related
// never goes, nor anything inside it; rows classified by a column go when their category does.
void collect(const std::vector<forms::FieldDef>& fields, std::set<std::string>& out) {
    for (const auto& f : fields) {
        if (!f.housing) continue;
        if (f.fields.empty() && consent::isTransmissibleCategory(f.category)) out.insert(f.category);
        for (const auto& [option, rc] : f.rowCategories)
            if (rc.housing && consent::isTransmissibleCategory(rc.category)) out.insert(rc.category);
        collect(f.fields, out);
    }
}

Status contradiction(const std::string& path, const std::string& message) {
    return Status::invalidArgument("contradicts_autorisation",
                                   "La demande contredit l’autorisation signée par le ménage : " + message,
                                   {{path, "contradicts_autorisation", message}});
}

std::vector<std::string> sortedStrings(const Poco::JSON::Array::Ptr& a) {
    std::vector<std::string> out;
    if (!a) return out;
    for (unsigned i = 0; i < a->size(); ++i)
        if (a->get(i).isString()) out.push_back(a->get(i).toString());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? "(aucun)" : s;
}

} // namespace

std::vector<std::string> transmissibleCategories(const forms::FormDef& form) {
    std::set<std::string> out;
    collect(form.fields, out);
    return {out.begin(), out.end()};
}

Result<AutorisationTerms> readAutorisation(storage::Store& store, const RenderService& renderer,
                                           const storage::Document& autorisation, std::int64_t revision) {
    auto rev = store.findRevision(autorisation.id, revision);
    if (!rev.isOk()) return rev.status();
    auto data = forms::parseJsonObject(rev.value().inputJson);
    if (!data.isOk()) return data.status();
    const auto& d = data.value();
    AutorisationTerms t;
    t.documentId = autorisation.id;
    t.revision = revision;
    std::vector<FieldError> errors;
    const std::string recipient = text(d->getObject("destinataire"), "nom");
    auto org = store.findOrganisationByName(recipient);
    if (!org.isOk() && org.status().code() != Status::Code::NotFound) return org.status();
    if (!org.isOk() || org.value().kind != storage::KIND_BAILLEUR)
        errors.push_back({"/recipient", "autorisation_recipient_unknown",
                          "Le bailleur nommé par l’autorisation (« " + recipient + " ») n’est pas un bailleur connu de Passerelle."});
    else {
        t.recipientOrgId = org.value().id;
        t.recipientName = org.value().name;
    }
    const std::string nature = text(d->getObject("document"), "nature");
    auto def = renderer.catalog().forms->find(nature);
    if (!def || !def->personalData)
        errors.push_back({"/scope/documentKinds", "autorisation_kind_unknown",
                          "L’autorisation vise « " + nature + " », un document que Passerelle ne transmet pas : "
                          "enregistrez ce consentement en personne."});
    else {
        t.documentKinds = {nature};
        t.categories = transmissibleCategories(*def);
    }
    t.copieSiao = d->has("copieSiao") && d->get("copieSiao").isBoolean() && d->getValue<bool>("copieSiao");
    t.purpose = text(d, "finalite");
    const std::string until = text(d, "valableJusquAu");
    if (!until.empty()) {
        t.validUntil = Date::parseIso(until);
        if (t.validUntil) t.expiresAtIso = consent::Instant::parisMidnight(t.validUntil->addDays(1)).iso();
    }
    if (auto people = d->getObject("menage") ? d->getObject("menage")->getArray("personnes") : nullptr)
        for (unsigned i = 0; i < people->size(); ++i) {
            auto p = people->getObject(i);
            std::string name = Poco::trim(text(p, "prenom") + " " + text(p, "nom"));
            if (!name.empty()) t.givers.push_back(name);
        }
    t.signatureDate = text(d->getObject("signature"), "date");
    if (!errors.empty())
        return Status::invalidArgument("autorisation_unusable", "L’autorisation ne peut pas fonder ce consentement.", errors);
    return t;
}

std::string scanKindOf(const std::string& bytes) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    if (bytes.compare(0, 5, "%PDF-") == 0) return "application/pdf";
    if (bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) return "image/png";
    if (bytes.size() > 3 && byte(0) == 0xFF && byte(1) == 0xD8 && byte(2) == 0xFF) return "image/jpeg";
    return "";
}

std::vector<FieldError> checkAutorisationScan(const std::string& contentTypeIn, const std::string& bytes, const std::string& path) {
    const std::string ct = Poco::toLower(Poco::trim(contentTypeIn.substr(0, contentTypeIn.find(';'))));
    const std::string kind = scanKindOf(bytes);
    std::vector<FieldError> errors;
    if (bytes.empty()) errors.push_back({path, "required", "Joignez le scan de l’autorisation signée (PDF, PNG ou JPEG)."});
    else if (bytes.size() > MAX_SCAN_BYTES)
        errors.push_back({path, "max_size", std::string("Le scan dépasse ") + MAX_SCAN_LABEL + " : réduisez sa résolution ou scannez en noir et blanc."});
    else if (kind.empty()) errors.push_back({path, "format", std::string("Le scan doit être ") + SCAN_TYPES_LABEL + "."});
    else if (!ct.empty() && ct != "application/octet-stream" && ct != kind && !(ct == "image/jpg" && kind == "image/jpeg"))
        errors.push_back({path, "content_type", "Le type annoncé (" + ct + ") ne correspond pas au fichier (" + kind + ")."});
    return errors;
}

storage::AutorisationScan newAutorisationScan(const storage::Document& autorisation, const std::string& organisationId,
                                              const std::string& bytes) {
    storage::AutorisationScan scan;
    scan.documentId = autorisation.id;
    scan.revision = autorisation.currentRevision;
    scan.sha256 = storage::sha256Hex(bytes);
    scan.contentType = scanKindOf(bytes);
    scan.bytes = bytes;
    scan.createdByOrgId = organisationId;
    return scan;
}

storage::AuditEvent scanAttachedEvent(const storage::AutorisationScan& scan) {
    JObject dj(Poco::JSON_PRESERVE_KEY_ORDER);
    dj.set("document", scan.documentId);
    dj.set("revision", scan.revision);
    dj.set("sha256", scan.sha256);
    dj.set("contentType", scan.contentType);
    std::ostringstream dout;
    dj.stringify(dout);
    return {"autorisation.scan_attached", scan.createdByOrgId, "", dout.str()};
}

Result<AutorisationEvidence> autorisationEvidence(storage::Store& store, const RenderService& renderer,
                                                  const storage::Document& autorisation, const PendingScan* pending) {
    AutorisationEvidence ev;
    auto terms = readAutorisation(store, renderer, autorisation, autorisation.currentRevision);
    if (!terms.isOk()) return terms.status();
    ev.terms = terms.take();
    // 1. Signed in Passerelle: the sealed PDF of the current revision's completed signing.
    auto signing = store.latestSigning(autorisation.id);
    if (!signing.isOk() && signing.status().code() != Status::Code::NotFound) return signing.status();
    if (signing.isOk() && signing.value().signing.state == storage::SIGNING_SIGNED &&
        signing.value().signing.revision == autorisation.currentRevision) {
        auto pdf = store.fetchSignedDocument(signing.value().signing.id);
        if (pdf.isOk()) {
            ev.kind = "signed_pdf";
            ev.sha256 = pdf.value().sha256;
            for (const auto& s : signing.value().signatories)
                if (auto at = consent::Instant::parseIso(s.signedAt)) ev.givenAt = std::max(ev.givenAt, at->epochSeconds);
        }
    }
    // 2. Else the signed paper: the scan received with this request, or the latest attached to this revision.
    if (ev.kind.empty() && pending) {
        ev.kind = "scan";
        ev.sha256 = storage::sha256Hex(pending->bytes);
        ev.givenAt = pending->receivedAt;
    }
    if (ev.kind.empty()) {
        auto scan = store.latestAutorisationScan(autorisation.id, autorisation.currentRevision);
        if (!scan.isOk() && scan.status().code() != Status::Code::NotFound) return scan.status();
        if (scan.isOk()) {
            ev.kind = "scan";
            ev.sha256 = scan.value().sha256;
            auto at = consent::Instant::parseIso(scan.value().createdAt.substr(0, 19) + "Z");
            ev.givenAt = at ? at->epochSeconds : 0;
        }
    }
    if (ev.kind.empty())
        return Status::failedPrecondition(
            "autorisation_not_signed",
            "L’autorisation de transmission n’est pas encore signée : faites-la signer par le ménage dans Passerelle, "
            "ou joignez le scan de l’autorisation signée sur papier. Jusque-là, elle ne prouve pas le consentement.");
    auto shown = store.confirmedAutorisationPreview(autorisation.id, autorisation.currentRevision);
    if (shown.isOk()) ev.shownSha256 = shown.value().sha256;
    return ev;
}

Result<Poco::JSON::Object::Ptr> consentBodyFromAutorisation(storage::Store& store, const RenderService& renderer,
                                                            const std::string& dossierId, const Poco::JSON::Object::Ptr& body,
                                                            AutorisationEvidence& evidence, const PendingScan* pending) {
    auto how = body->getObject("how");
    const std::string docId = text(how, "documentId");
    auto doc = docId.empty() ? Result<storage::Document>(Status::notFound("document_not_found", "")) : store.findDocument(docId);
    if (!doc.isOk() && doc.status().code() != Status::Code::NotFound) return doc.status();
    if (!doc.isOk() || doc.value().dossierId != dossierId || doc.value().form != "autorisation-transmission")
        return Status::invalidArgument(
            "consent_record_invalid", "L'enregistrement du consentement contient des erreurs.",
            {{"/how/documentId", "autorisation_not_found",
              "Précisez l'autorisation de transmission signée (document « autorisation-transmission » de ce dossier)."}});
    auto ev = autorisationEvidence(store, renderer, doc.value(), pending);
    if (!ev.isOk()) return ev.status();
    evidence = ev.take();
    const AutorisationTerms& t = evidence.terms;
    // What the request says must be what the household signed, field by field.
    if (body->has("kind") && text(body, "kind") != "consent")
        return contradiction("/kind", "une autorisation signée est un accord (« consent »), pas un refus.");
    if (body->has("recipient")) {
        const std::string r = text(body, "recipient");
        auto org = store.findOrganisation(r);
        if (!org.isOk()) org = store.findOrganisationByName(r);
        if (!org.isOk() || org.value().id != t.recipientOrgId)
            return contradiction("/recipient", "le bailleur indiqué (« " + r + " ») n’est pas celui de l’autorisation (« " +
                                                   t.recipientName + " »).");
    }
    if (auto scope = body->getObject("scope")) {
        if (scope->has("documentKinds") && sortedStrings(scope->getArray("documentKinds")) != t.documentKinds)
            return contradiction("/scope/documentKinds", "les documents indiqués (" + joined(sortedStrings(scope->getArray("documentKinds"))) +
                                                             ") ne sont pas ceux de l’autorisation (" + joined(t.documentKinds) + ").");
        if (scope->has("categories") && sortedStrings(scope->getArray("categories")) != t.categories)
            return contradiction("/scope/categories", "les catégories indiquées (" + joined(sortedStrings(scope->getArray("categories"))) +
                                                          ") ne sont pas celles de l’autorisation (" + joined(t.categories) + ").");
    }
    if (body->has("copieSiao") && (!body->get("copieSiao").isBoolean() || body->getValue<bool>("copieSiao") != t.copieSiao))
        return contradiction("/copieSiao", std::string("l’autorisation dit ") + (t.copieSiao ? "oui" : "non") +
                                               " à la copie au SIAO.");
    if (body->has("expiresAt")) {
        auto asked = consent::Instant::parseIso(text(body, "expiresAt"));
        auto signedExpiry = consent::Instant::parseIso(t.expiresAtIso);
        if (!asked || !signedExpiry || *asked != *signedExpiry)
            return contradiction("/expiresAt", t.validUntil ? "l’autorisation est valable jusqu’au " + t.validUntil->french() + "."
                                                            : "l’autorisation ne fixe pas de date de fin.");
    }
    if (body->has("purpose") && text(body, "purpose") != t.purpose)
        return contradiction("/purpose", "la finalité indiquée n’est pas celle de l’autorisation.");
    auto givenBy = body->getObject("givenBy");
    const std::string giver = text(givenBy, "name");
    if (!giver.empty() && std::find(t.givers.begin(), t.givers.end(), giver) == t.givers.end())
        return contradiction("/givenBy/name", "« " + giver + " » ne donne pas son accord dans l’autorisation (" + joined(t.givers) + ").");
    // The body the consent is recorded from: the autorisation's terms.
    JObject::Ptr out = new JObject(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("kind", "consent");
    out->set("recipient", t.recipientOrgId);
    JObject::Ptr by = new JObject;
    by->set("name", giver.empty() ? (t.givers.empty() ? std::string() : t.givers.front()) : giver);
    by->set("capacity", givenBy && givenBy->has("capacity") ? givenBy->get("capacity") : Poco::Dynamic::Var("household_member"));
    out->set("givenBy", by);
    JObject::Ptr scope = new JObject;
    Poco::JSON::Array::Ptr kinds = new Poco::JSON::Array, cats = new Poco::JSON::Array;
    for (const auto& k : t.documentKinds) kinds->add(k);
    for (const auto& c : t.categories) cats->add(c);
    scope->set("documentKinds", kinds);
    scope->set("categories", cats);
    out->set("scope", scope);
    out->set("purpose", t.purpose);
    out->set("how", how);
    if (!t.expiresAtIso.empty()) out->set("expiresAt", t.expiresAtIso);
    out->set("copieSiao", t.copieSiao);
    // Issue 11 item 6: the later entry of a paper autorisation (scan attached, « lateEntry »: true)
    // carries the date the household signed on paper, which cannot follow the scan's upload.
    const bool lateEntry = how && how->has("lateEntry") && how->get("lateEntry").isBoolean() && how->getValue<bool>("lateEntry");
    if (lateEntry && evidence.kind == "scan" && body->has("givenAt")) {
        auto paper = consent::Instant::parseIso(text(body, "givenAt"));
        if (paper && evidence.givenAt > 0 && paper->epochSeconds > evidence.givenAt)
            return contradiction("/givenAt", "l’accord sur papier ne peut pas être daté après l’envoi de son scan.");
        out->set("givenAt", body->get("givenAt"));
    } else if (evidence.givenAt > 0) {
        out->set("givenAt", consent::Instant{evidence.givenAt}.iso());
    }
    for (const char* k : {"measureEnd", "supersedes"})
        if (body->has(k)) out->set(k, body->get(k));
    return out;
}

} // namespace passerelle::service
