#include "common/Metrics.h"
#include "service/TransmissionService.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <set>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include "common/Date.h"
#include "consent/ConsentPolicy.h"
#include "delivery/WebhookTarget.h"
#include "service/AutorisationEvidence.h"
#include "forms/FormRegistry.h"
#include "storage/ApiKeys.h"

namespace passerelle::service {

using consent::ConsentRecord;
using consent::Instant;
using JObject = Poco::JSON::Object;
using JArray = Poco::JSON::Array;
using storage::StoredConsent;
using storage::Transmission;

namespace {

const std::size_t MAX_TEXT_CHARS = 500;
// Issue 11 item 6: how long before its recording a consent may be dated (a typed date).
const std::int64_t kGivenAtWindowSeconds = 24 * 3600;

Status dossierNotFound(const std::string& id) { return Status::notFound("dossier_not_found", "Dossier introuvable : " + id); }
Status documentNotFound(const std::string& id) {
    return Status::notFound("document_not_found", "Document introuvable : " + id);
}
Status consentNotFound(const std::string& id) {
    return Status::notFound("consent_not_found", "Consentement introuvable : " + id);
}
Status transmissionNotFound(const std::string& id) {
    return Status::notFound("transmission_not_found", "Document reçu introuvable : " + id);
}

std::string json(const JObject::Ptr& o) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(o, out);
    return out.str();
}

JObject::Ptr object() { return new JObject(Poco::JSON_PRESERVE_KEY_ORDER); }

JArray::Ptr array(const std::vector<std::string>& v) {
    JArray::Ptr a = new JArray;
    for (const auto& x : v) a->add(x);
    return a;
}

std::string optString(const JObject::Ptr& o, const std::string& key) {
    return o && o->has(key) && o->get(key).isString() ? o->get(key).toString() : "";
}

// A list of strings at `key`; problems go to `errors`.
std::vector<std::string> stringList(const JObject::Ptr& o, const std::string& key, const std::string& path,
                                    std::vector<FieldError>& errors) {
    std::vector<std::string> out;
    if (!o || !o->has(key)) return out;
    auto arr = o->getArray(key);
    if (!arr) {
        errors.push_back({path, "type", "Liste de textes attendue."});
        return out;
    }
    for (unsigned i = 0; i < arr->size(); ++i) {
        if (!arr->get(i).isString()) errors.push_back({path + "/" + std::to_string(i), "type", "Texte attendu."});
        else out.push_back(arr->get(i).toString());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// The Paris civil date of an instant (Paris is ahead of UTC: the UTC date or the next day).
Date parisDate(Instant t) {
    long days = static_cast<long>(t.epochSeconds >= 0 ? t.epochSeconds / 86400 : (t.epochSeconds - 86399) / 86400);
    Date d = Date::fromDays(days);
    Date next = d.addDays(1);
    return t >= Instant::parisMidnight(next) ? next : d;
}

// dd/mm/yyyy of an instant (UTC day).
std::string frenchDay(consent::Instant at) {
    auto date = Date::parseIso(at.iso().substr(0, 10));
    return date ? date->french() : at.iso();
}

// « Copie adressée à Habitat 76 le 20/11/2026, avec l’autorisation du ménage du 01/11/2026 … »
std::string copyNotice(const std::string& recipient, consent::Instant now, const std::vector<StoredConsent>& records,
                       const std::string& consentId, const std::string& transmissionId) {
    std::string given;
    for (const auto& r : records)
        if (r.id == consentId) given = frenchDay(consent::Instant{r.givenAt});
    std::string s = "Copie adressée à " + recipient + " le " + frenchDay(now);
    s += given.empty() ? " avec l’autorisation du ménage" : ", avec l’autorisation du ménage du " + given;
    s += " (transmission " + transmissionId + "). Les informations sans lien avec le logement, ou que cette autorisation ne couvre pas, n’y figurent pas.";
    return s;
}

ConsentRecord toRecord(const StoredConsent& s) {
    ConsentRecord r;
    r.id = s.id;
    r.dossierId = s.dossierId;
    r.givenBy.name = s.givenByName;
    r.givenBy.capacity = s.givenByCapacity == "legal_representative"
                             ? consent::ConsentGiver::Capacity::LegalRepresentative
                             : consent::ConsentGiver::Capacity::HouseholdMember;
    r.recipientOrgId = s.recipientOrgId;
    r.scope.documentKinds.insert(s.documentKinds.begin(), s.documentKinds.end());
    r.scope.categories.insert(s.categories.begin(), s.categories.end());
    r.purpose = s.purpose;
    r.givenAt = Instant{s.givenAt};
    // Fail closed on an unknown method: a signed autorisation without a valid hash is invalid.
    r.how.method = s.howMethod == "in_person" ? consent::ConsentProof::Method::InPerson
                                              : consent::ConsentProof::Method::SignedAutorisation;
    r.how.documentSha256 = s.proofSha256;
    r.how.documentId = s.proofDocumentId;
    r.how.recordedBy = s.recordedBy;
    if (s.expiresAt) r.expiresAt = Instant{*s.expiresAt};
    if (s.withdrawnAt) r.withdrawnAt = Instant{*s.withdrawnAt};
    r.kind = s.kind == "consent" ? ConsentRecord::Kind::Consent : ConsentRecord::Kind::Refusal;
    if (!s.supersedes.empty()) r.supersedes = s.supersedes;
    r.copieSiao = s.copieSiao;
    return r;
}

std::int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The webhook payload of a transmission (or of the SIAO's copy): identifiers,
// the permitted data and the copies' hashes — what the recipient may obtain.
std::string webhookPayload(const Transmission& t, const std::string& copyOf) {
    auto payload = object();
    payload->set("event", copyOf.empty() ? "transmission" : "transmission.copy");
    payload->set("transmission", t.id);
    if (!copyOf.empty()) payload->set("copyOf", copyOf);
    payload->set("document", t.documentId);
    payload->set("revision", t.revision);
    payload->set("form", t.form);
    payload->set("sender", t.senderOrgId);
    payload->set("recipient", t.recipientOrgId);
    payload->set("consent", t.consentId);
    payload->set("data", Poco::JSON::Parser().parse(t.permittedJson));
    JArray::Ptr copies = new JArray;
    for (const auto& a : t.artefacts) {
        auto x = object();
        x->set("format", a.format);
        x->set("sha256", a.sha256);
        x->set("size", a.size);
        x->set("href", "/v1/received/" + t.id + "/" + a.format);
        copies->add(x);
    }
    payload->set("copies", copies);
    return json(payload);
}

bool isRecipientKind(const std::string& kind) {
    return kind == storage::KIND_BAILLEUR || kind == storage::KIND_SIAO;
}

// Categories of the fields that never go to a bailleur: housing: false, or
// inside a group or table that is (ConsentPolicy excludes along the whole path).
void nonHousingCategories(const std::vector<forms::FieldDef>& fields, bool insideExcluded, std::set<std::string>& out) {
    for (const auto& f : fields) {
        const bool excluded = insideExcluded || !f.housing;
        if (excluded && !f.category.empty()) out.insert(f.category);
        nonHousingCategories(f.fields, excluded, out);
    }
}

// A name compared as people write it: case, accents, hyphens and repeated blanks do not count.
std::string nameKey(const std::string& name) {
    static const std::vector<std::pair<std::string, std::string>> accents = {
        {"à", "a"}, {"â", "a"}, {"ä", "a"}, {"ç", "c"}, {"é", "e"}, {"è", "e"}, {"ê", "e"}, {"ë", "e"}, {"î", "i"},
        {"ï", "i"}, {"ô", "o"}, {"ö", "o"}, {"ù", "u"}, {"û", "u"}, {"ü", "u"}, {"ÿ", "y"}, {"À", "a"}, {"Â", "a"},
        {"Ç", "c"}, {"É", "e"}, {"È", "e"}, {"Ê", "e"}, {"Ë", "e"}, {"Î", "i"}, {"Ï", "i"}, {"Ô", "o"}, {"Ù", "u"},
        {"Û", "u"}, {"Ü", "u"}, {"’", "'"}};
    std::string t = name;
    for (const auto& [from, to] : accents)
        for (std::size_t at = t.find(from); at != std::string::npos; at = t.find(from, at)) t.replace(at, from.size(), to);
    std::string out;
    for (char ch : t) {
        char c = (ch == '-' || ch == '\t') ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
        out.push_back(c);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// The people a dossier names as able to answer for the household: its members
// (menage.membres) and, for `legal_representative`, its legal representatives
// (menage.representantsLegaux, or a member marked "representantLegal": true).
// Each as "prénom nom" and "nom prénom" (and "nom" alone when no first name), keyed by nameKey().
std::set<std::string> householdNames(const std::string& menageJson, bool legalRepresentative) {
    std::set<std::string> out;
    auto parsed = forms::parseJsonObject(menageJson);
    if (!parsed.isOk() || !parsed.value()) return out;
    auto add = [&](const JObject::Ptr& p) {
        if (!p) return;
        const std::string nom = Poco::trim(optString(p, "nom")), prenom = Poco::trim(optString(p, "prenom"));
        if (nom.empty()) return;
        if (prenom.empty()) out.insert(nameKey(nom));
        else {
            out.insert(nameKey(prenom + " " + nom));
            out.insert(nameKey(nom + " " + prenom));
        }
    };
    const auto& m = parsed.value();
    if (auto membres = m->getArray("membres"))
        for (unsigned i = 0; i < membres->size(); ++i) {
            auto p = membres->getObject(i);
            const bool legal = p && p->has("representantLegal") && p->get("representantLegal").isBoolean() &&
                               p->getValue<bool>("representantLegal");
            if (!legalRepresentative || legal) add(p);
        }
    if (legalRepresentative)
        if (auto reps = m->getArray("representantsLegaux"))
            for (unsigned i = 0; i < reps->size(); ++i) add(reps->getObject(i));
    return out;
}

std::string exclusionsJson(const consent::Decision& d) {
    auto o = object();
    for (const auto& [path, why] : d.exclusions) o->set(path, why);
    return json(o);
}

} // namespace

TransmissionService::TransmissionService(std::shared_ptr<storage::Store> store,
                                         std::shared_ptr<const RenderService> renderer, Clock clock, Notifier& notifier)
    : _store(std::move(store)), _renderer(std::move(renderer)), _clock(std::move(clock)), _notifier(notifier) {
    if (!_clock) _clock = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
}

std::string TransmissionService::organisationName(const std::string& id) const {
    auto o = _store->findOrganisation(id);
    return o.isOk() ? o.value().name : "";
}

// Retention (docs/rgpd.md): an archived dossier is read-only.
static Status archivedDossier(const storage::Dossier& d) {
    auto day = Date::parseIso(d.archivedAt.substr(0, 10));
    return Status::failedPrecondition("dossier_archived", "Ce dossier est archivé depuis le " + (day ? day->french() : d.archivedAt) +
                                                              " (durée de conservation) : rien ne peut plus y être "
                                                              "enregistré ni transmis.");
}

Result<storage::Dossier> TransmissionService::ownDossier(const Caller& caller, const std::string& id) const {
    auto d = _store->findDossier(id);
    if (!d.isOk()) return d.status().code() == Status::Code::NotFound ? dossierNotFound(id) : d.status();
    if (caller.kind != storage::KIND_ASSOCIATION || d.value().associationId != caller.organisationId)
        return dossierNotFound(id);
    return d;
}

std::vector<ConsentView> TransmissionService::views(const std::vector<StoredConsent>& records) const {
    const std::int64_t now = _clock();
    std::vector<ConsentView> out;
    for (const auto& r : records) {
        ConsentView v;
        v.record = r;
        v.recipientName = organisationName(r.recipientOrgId);
        bool replaced = false;
        for (const auto& o : records)
            if (o.id != r.id && o.recipientOrgId == r.recipientOrgId &&
                (o.supersedes == r.id || o.givenAt > r.givenAt))
                replaced = true;
        if (replaced) v.state = "remplace";
        else if (r.kind == "refusal") v.state = "refus";
        else if (r.withdrawnAt) v.state = "retire";
        else if (r.expiresAt && now >= *r.expiresAt) v.state = "expire";
        else v.state = "en-vigueur";
        out.push_back(std::move(v));
    }
    return out;
}

// ---------------------------------------------------------------------------
// Consent records.

Result<ConsentView> TransmissionService::recordConsent(const Caller& caller, const std::string& dossierId,
                                                       const Poco::JSON::Object::Ptr& bodyIn) const {
    return recordConsent(caller, dossierId, bodyIn, nullptr);
}

Result<ConsentView> TransmissionService::recordConsent(const Caller& caller, const std::string& dossierId,
                                                       const Poco::JSON::Object::Ptr& bodyIn, const ScanUpload* scan) const {
    auto dossier = ownDossier(caller, dossierId);
    if (!dossier.isOk()) return dossier.status();
    if (!dossier.value().archivedAt.empty()) return archivedDossier(dossier.value());
    // A scan uploaded with the record: the API's rules (AutorisationEvidence.h), before anything else.
    std::optional<PendingScan> pending;
    if (scan) {
        if (optString(bodyIn->getObject("how"), "method") != "signed_autorisation")
            return Status::invalidArgument("consent_record_invalid", "L'enregistrement du consentement contient des erreurs.",
                                           {{"/how/scan", "scan_without_autorisation",
                                             "Le scan accompagne une autorisation de transmission signée sur papier : choisissez "
                                             "« Sur l’autorisation de transmission signée du dossier »."}});
        auto problems = checkAutorisationScan(scan->contentType, scan->bytes, "/how/scan");
        if (!problems.empty())
            return Status::invalidArgument("consent_record_invalid", "Le scan n’est pas enregistré, ni le consentement.", problems);
        pending = PendingScan{scan->bytes, _clock()};
    }
    // Issue 11 item 4: a consent on a signed autorisation is derived from it (AutorisationEvidence.cpp):
    // its terms come from what the household signed, a request saying otherwise is refused, and an
    // autorisation neither signed nor scanned is no evidence.
    Poco::JSON::Object::Ptr body = bodyIn;
    std::optional<AutorisationEvidence> evidence;
    if (optString(bodyIn->getObject("how"), "method") == "signed_autorisation") {
        AutorisationEvidence ev;
        auto derived = consentBodyFromAutorisation(*_store, *_renderer, dossierId, bodyIn, ev, pending ? &*pending : nullptr);
        if (!derived.isOk()) return derived.status();
        body = derived.value();
        evidence = ev;
        if (pending && ev.kind != "scan")
            return Status::invalidArgument("consent_record_invalid", "L'enregistrement du consentement contient des erreurs.",
                                           {{"/how/scan", "already_signed",
                                             "Cette autorisation est signée et scellée dans Passerelle : elle n’a pas besoin de scan."}});
    }
    std::vector<FieldError> errors;
    for (const auto& key : body->getNames()) {
        static const std::set<std::string> known = {"kind", "recipient", "givenBy", "scope", "purpose", "how",
                                                    "givenAt", "expiresAt", "measureEnd", "supersedes", "copieSiao"};
        if (!known.count(key)) errors.push_back({"/" + key, "unknown_field", "Champ inconnu : « " + key + " »."});
    }
    StoredConsent c;
    c.id = storage::newId("cns_");
    c.dossierId = dossierId;
    c.createdByOrganisationId = caller.organisationId;
    c.createdByKeyId = caller.keyId;

    c.kind = optString(body, "kind");
    if (c.kind != "consent" && c.kind != "refusal")
        errors.push_back({"/kind", "enum", "« kind » vaut « consent » (accord) ou « refusal » (refus du ménage)."});

    // The recipient: one bailleur organisation.
    const std::string to = optString(body, "recipient");
    if (to.empty()) {
        errors.push_back({"/recipient", "required", "Le bailleur destinataire (identifiant ou nom) est obligatoire."});
    } else {
        auto org = _store->findOrganisation(to);
        if (!org.isOk() && org.status().code() == Status::Code::NotFound) org = _store->findOrganisationByName(to);
        if (!org.isOk() && org.status().code() != Status::Code::NotFound) return org.status();
        if (!org.isOk()) errors.push_back({"/recipient", "not_found", "Organisation inconnue : « " + to + " »."});
        else if (org.value().kind != storage::KIND_BAILLEUR)
            errors.push_back({"/recipient", "recipient_not_landlord",
                              "« " + org.value().name + " » n'est pas un bailleur : un consentement vise un bailleur."});
        else c.recipientOrgId = org.value().id;
    }

    auto givenBy = body->getObject("givenBy");
    c.givenByName = Poco::trim(optString(givenBy, "name"));
    c.givenByCapacity = optString(givenBy, "capacity");
    if (c.givenByCapacity.empty()) c.givenByCapacity = "household_member";
    if (c.givenByCapacity != "household_member" && c.givenByCapacity != "legal_representative")
        errors.push_back({"/givenBy/capacity", "enum", "Qualité : « household_member » ou « legal_representative »."});
    if (c.givenByName.size() > MAX_TEXT_CHARS) errors.push_back({"/givenBy/name", "max_length", "Nom trop long."});

    auto scope = body->getObject("scope");
    if (body->has("scope") && !scope) errors.push_back({"/scope", "type", "Objet attendu."});
    c.documentKinds = stringList(scope, "documentKinds", "/scope/documentKinds", errors);
    c.categories = stringList(scope, "categories", "/scope/categories", errors);
    for (std::size_t i = 0; i < c.documentKinds.size(); ++i) {
        auto def = _renderer->catalog().forms->find(c.documentKinds[i]);
        if (!def || !def->personalData)
            errors.push_back({"/scope/documentKinds", "unknown_document_kind",
                              "Type de document inconnu ou sans données du ménage : « " + c.documentKinds[i] + " »."});
    }
    // Seed 004: the SIAO is copied only where the partnership names one AND the household agreed.
    if (body->has("copieSiao")) {
        if (!body->get("copieSiao").isBoolean())
            errors.push_back({"/copieSiao", "type", "« copieSiao » vaut true (le ménage accepte la copie au SIAO) ou false."});
        else c.copieSiao = body->getValue<bool>("copieSiao");
    }
    c.purpose = optString(body, "purpose");
    if (c.purpose.size() > 2000) errors.push_back({"/purpose", "max_length", "Finalité trop longue (2000 caractères)."});

    const std::int64_t now = _clock();
    c.givenAt = now;
    if (body->has("givenAt")) {
        auto t = Instant::parseIso(optString(body, "givenAt"));
        if (!t) errors.push_back({"/givenAt", "format", "Date et heure ISO 8601 attendues (2026-11-20T10:00:00Z)."});
        else if (t->epochSeconds > now + 60)
            errors.push_back({"/givenAt", "future", "Un consentement ne peut pas être daté dans le futur."});
        else c.givenAt = t->epochSeconds;
    }
    std::optional<Instant> expiresAt;
    if (body->has("expiresAt")) {
        expiresAt = Instant::parseIso(optString(body, "expiresAt"));
        if (!expiresAt) errors.push_back({"/expiresAt", "format", "Date et heure ISO 8601 attendues."});
    }
    std::optional<Date> measureEnd;
    if (body->has("measureEnd")) {
        measureEnd = Date::parseIso(optString(body, "measureEnd"));
        if (!measureEnd) errors.push_back({"/measureEnd", "format", "Date attendue (AAAA-MM-JJ)."});
    }

    // How: the signed autorisation rendered by Passerelle (a stored
    // autorisation-transmission of this dossier; its PDF's SHA-256 is kept),
    // or in person, recorded by a named référent.
    auto how = body->getObject("how");
    c.howMethod = optString(how, "method");
    if (c.howMethod == "signed_autorisation") {
        c.proofDocumentId = optString(how, "documentId");
        auto doc = c.proofDocumentId.empty() ? Result<storage::Document>(documentNotFound(""))
                                             : _store->findDocument(c.proofDocumentId);
        if (!doc.isOk() && doc.status().code() != Status::Code::NotFound) return doc.status();
        if (!doc.isOk() || doc.value().dossierId != dossierId || doc.value().form != "autorisation-transmission") {
            errors.push_back({"/how/documentId", "autorisation_not_found",
                              "Précisez l'autorisation de transmission signée (document « autorisation-transmission » de ce dossier)."});
        } else {
            // The proof is the sealed signed PDF, or the signed paper's scan (never the unsigned PDF).
            if (evidence) {
                c.proofSha256 = evidence->sha256;
                c.shownSha256 = evidence->shownSha256; // the copy the household read (migration 18)
            }
        }
        c.recordedBy = Poco::trim(optString(how, "recordedBy"));
    } else if (c.howMethod == "in_person") {
        c.recordedBy = Poco::trim(optString(how, "recordedBy"));
    } else {
        errors.push_back({"/how/method", "enum",
                          "Modalité : « signed_autorisation » (autorisation signée) ou « in_person » (recueilli en personne)."});
    }

    // Issue 11 item 6: the rules of a record. Each breach is a 422 naming its field.
    const bool isConsent = c.kind == "consent";
    const bool lateEntry = how && how->has("lateEntry") && how->get("lateEntry").isBoolean() && how->getValue<bool>("lateEntry");
    const bool paperScan = evidence && evidence->kind == "scan";
    if (lateEntry && !paperScan)
        errors.push_back({"/how/lateEntry", "late_entry_without_scan",
                          "Une saisie différée ne vaut que pour une autorisation signée sur papier dont le scan est joint "
                          "(« signed_autorisation »)."});
    // givenAt: not in the future (above), and within a short window before it is recorded — an
    // older date is typed after the fact and proves nothing, unless it is the later entry of a
    // paper autorisation whose scan is attached and the request says so. The date of an
    // autorisation signed in Passerelle comes from its sealed signatures, not from the request.
    const bool sealedDate = evidence && evidence->kind == "signed_pdf";
    if (!sealedDate && !(lateEntry && paperScan) && c.givenAt < now - kGivenAtWindowSeconds)
        errors.push_back({"/givenAt", "too_old",
                          "L’accord est daté de plus de 24 h avant son enregistrement : un accord plus ancien ne "
                          "s’enregistre que comme saisie différée d’une autorisation signée sur papier, scan joint "
                          "(« how » : {\"method\": \"signed_autorisation\", \"lateEntry\": true})."});
    if (isConsent && Poco::trim(c.purpose).empty())
        errors.push_back({"/purpose", "required", "La finalité est obligatoire : dites au ménage pour quoi faire ses informations seront transmises."});
    // Categories that never go to a bailleur have no place in a scope (the gate's table).
    if (isConsent)
        for (const auto& cat : c.categories)
            if (std::find(forms::knownCategories().begin(), forms::knownCategories().end(), cat) !=
                    forms::knownCategories().end() &&
                !consent::isTransmissibleCategory(cat))
                errors.push_back({"/scope/categories", "not_housing",
                                  "« " + forms::categoryLabel(cat) + " » n’est jamais transmis au bailleur, même avec l’accord "
                                  "du ménage : retirez cette catégorie de l’accord."});
    // The giver: a member of the household the dossier names, or its legal representative.
    if (isConsent && !c.givenByName.empty()) {
        const bool legal = c.givenByCapacity == "legal_representative";
        const auto names = householdNames(dossier.value().menageJson, legal);
        if (!names.count(nameKey(c.givenByName)))
            errors.push_back({"/givenBy/name", "not_household_member",
                              names.empty()
                                  ? std::string(legal ? "Le dossier ne nomme pas de représentant légal du ménage (menage.representantsLegaux) : "
                                                        "renseignez-le avant d’enregistrer son accord."
                                                      : "Le dossier ne nomme pas les membres du ménage (menage.membres) : "
                                                        "renseignez-les avant d’enregistrer leur accord.")
                                  : "« " + c.givenByName + " » n’est pas " +
                                        (legal ? "un représentant légal du ménage" : "un membre du ménage") +
                                        " nommé dans le dossier."});
    }
    // The partnership: a consent names a bailleur the association works with; and a consent
    // recorded in person (no signed evidence) only where that partnership accepts it.
    if (isConsent && !c.recipientOrgId.empty()) {
        auto partnership = _store->findPartnership(caller.organisationId, c.recipientOrgId);
        if (!partnership.isOk() && partnership.status().code() != Status::Code::NotFound) return partnership.status();
        if (!partnership.isOk()) {
            errors.push_back({"/recipient", "no_partnership",
                              "Aucun partenariat entre votre association et « " + organisationName(c.recipientOrgId) +
                                  " » : rien ne peut lui être transmis."});
        } else if (c.howMethod == "in_person") {
            auto allowed = _store->inPersonConsentAllowed(caller.organisationId, c.recipientOrgId);
            if (!allowed.isOk()) return allowed.status();
            if (!allowed.value())
                errors.push_back({"/how/method", "in_person_not_allowed",
                                  "Le partenariat avec « " + organisationName(c.recipientOrgId) +
                                      " » n’accepte pas un accord recueilli en personne sans autorisation signée : "
                                      "faites signer l’autorisation de transmission (« signed_autorisation »)."});
        }
    }

    // Supersedes: an earlier record of the same dossier and bailleur.
    c.supersedes = optString(body, "supersedes");
    if (!c.supersedes.empty()) {
        auto old = _store->findConsent(c.supersedes);
        if (!old.isOk() && old.status().code() != Status::Code::NotFound) return old.status();
        if (!old.isOk() || old.value().dossierId != dossierId || old.value().recipientOrgId != c.recipientOrgId ||
            old.value().givenAt > c.givenAt)
            errors.push_back({"/supersedes", "bad_supersedes",
                              "« supersedes » doit désigner un enregistrement antérieur du même dossier pour le même bailleur."});
    }
    if (!errors.empty())
        return Status::invalidArgument("consent_record_invalid", "L'enregistrement du consentement contient des erreurs.",
                                       errors);

    // Immutable from now on: the effective expiry is computed once and stored.
    ConsentRecord rec = toRecord(c);
    if (expiresAt) rec.expiresAt = expiresAt;
    if (rec.kind == ConsentRecord::Kind::Consent) {
        // Issue 11 item 6: « la fin de l'accompagnement, ou un an au plus ». The default stops at
        // the earlier of the two; an explicit expiry beyond it is refused.
        ConsentRecord yearOnly = rec;
        yearOnly.expiresAt.reset();
        Instant limit = consent::effectiveExpiry(yearOnly, std::nullopt);
        if (measureEnd) limit = std::min(limit, consent::effectiveExpiry(yearOnly, measureEnd));
        if (expiresAt && *expiresAt > limit)
            return Status::invalidArgument(
                "consent_record_invalid", "L'enregistrement du consentement contient des erreurs.",
                {{"/expiresAt", "too_long",
                  "Un accord vaut au plus jusqu’à la fin de l’accompagnement, et un an au plus : le " +
                      parisDate(limit.plusSeconds(-1)).french() + " au plus tard."}});
        rec.expiresAt = expiresAt ? *expiresAt : limit;
    }
    if (Status valid = consent::validateRecord(rec); !valid.isOk()) return valid;
    if (rec.expiresAt) c.expiresAt = rec.expiresAt->epochSeconds;

    auto details = object();
    details->set("dossier", dossierId);
    details->set("recipient", c.recipientOrgId);
    details->set("kind", c.kind);
    details->set("documentKinds", array(c.documentKinds));
    details->set("categories", array(c.categories));
    details->set("givenAt", Instant{c.givenAt}.iso());
    if (c.expiresAt) details->set("expiresAt", Instant{*c.expiresAt}.iso());
    details->set("how", c.howMethod);
    if (!c.proofDocumentId.empty()) details->set("proofDocument", c.proofDocumentId);
    if (!c.proofSha256.empty()) details->set("proofSha256", c.proofSha256);
    if (evidence) {
        details->set("evidence", evidence->kind); // signed_pdf | scan
        if (!evidence->shownSha256.empty()) details->set("shownSha256", evidence->shownSha256);
    }
    if (!c.supersedes.empty()) details->set("supersedes", c.supersedes);
    if (c.copieSiao) details->set("copieSiao", true);
    if (lateEntry) details->set("lateEntry", true);
    storage::AuditEvent ev{c.kind == "consent" ? "consent.given" : "consent.refused", caller.organisationId, c.id,
                           json(details)};
    // Every rule passed: the scan uploaded with the record, then the record (the scan alone is what
    // POST /v1/documents/{id}/scan would have left had the second write failed).
    if (pending) {
        auto autorisation = _store->findDocument(c.proofDocumentId);
        if (!autorisation.isOk()) return autorisation.status();
        const storage::AutorisationScan s = newAutorisationScan(autorisation.value(), caller.organisationId, pending->bytes);
        auto attached = _store->storeAutorisationScan(s, scanAttachedEvent(s));
        if (!attached.isOk()) return attached.status();
    }
    auto stored = _store->recordConsent(c, ev);
    if (!stored.isOk()) return stored.status();
    auto all = _store->listConsents(dossierId);
    if (!all.isOk()) return all.status();
    for (auto& v : views(all.value()))
        if (v.record.id == c.id) return v;
    return Status::internal("consent_lost", "Le consentement enregistré est introuvable.");
}

Result<std::vector<ConsentView>> TransmissionService::listConsents(const Caller& caller,
                                                                   const std::string& dossierId) const {
    auto dossier = ownDossier(caller, dossierId);
    if (!dossier.isOk()) return dossier.status();
    auto all = _store->listConsents(dossierId);
    if (!all.isOk()) return all.status();
    return views(all.value());
}

Result<ConsentView> TransmissionService::withdrawConsent(const Caller& caller, const std::string& consentId) const {
    auto c = _store->findConsent(consentId);
    if (!c.isOk()) return c.status().code() == Status::Code::NotFound ? consentNotFound(consentId) : c.status();
    auto dossier = ownDossier(caller, c.value().dossierId);
    if (!dossier.isOk()) return consentNotFound(consentId);
    if (c.value().kind != "consent")
        return Status::failedPrecondition("not_a_consent",
                                          "Un refus ne se retire pas : enregistrez une nouvelle autorisation si le ménage change d'avis.");
    const std::int64_t now = _clock();
    auto details = object();
    details->set("dossier", c.value().dossierId);
    details->set("recipient", c.value().recipientOrgId);
    details->set("withdrawnAt", Instant{now}.iso());
    auto w = _store->withdrawConsent(consentId, now, {"consent.withdrawn", caller.organisationId, consentId, json(details)});
    if (!w.isOk()) return w.status();
    auto all = _store->listConsents(c.value().dossierId);
    if (!all.isOk()) return all.status();
    for (auto& v : views(all.value()))
        if (v.record.id == consentId) return v;
    return Status::internal("consent_lost", "Le consentement est introuvable.");
}

Result<Rendered> TransmissionService::consentReceipt(const Caller& caller, const std::string& dossierId) const {
    auto dossier = ownDossier(caller, dossierId);
    if (!dossier.isOk()) return dossier.status();
    auto all = _store->listConsents(dossierId);
    if (!all.isOk()) return all.status();
    const auto& forms = *_renderer->catalog().forms;
    auto data = object();
    data->set("dateEdition", parisDate(Instant{_clock()}).iso());
    // Issue 11 item 11: the data controller (the association) with a way to reach it.
    auto assoc = object();
    assoc->set("nom", caller.organisationName.empty() ? organisationName(caller.organisationId) : caller.organisationName);
    auto contact = _store->organisationContact(caller.organisationId);
    if (!contact.isOk()) return contact.status();
    if (!contact.value().adresse.empty()) assoc->set("adresse", contact.value().adresse);
    if (!contact.value().telephone.empty()) assoc->set("telephone", contact.value().telephone);
    if (!contact.value().email.empty()) assoc->set("email", contact.value().email);
    data->set("association", assoc);
    auto dos = object();
    // Names and dates only: no internal identifier reaches the household's receipt.
    dos->set("reference", dossier.value().reference.empty() ? std::string("(sans référence)") : dossier.value().reference);
    data->set("dossier", dos);
    // The SIAO of each partnership the records name.
    std::map<std::string, std::string> siaoOf; // bailleur id -> SIAO name ("" when none)
    for (const auto& r : all.value()) {
        if (siaoOf.count(r.recipientOrgId)) continue;
        auto p = _store->findPartnership(caller.organisationId, r.recipientOrgId);
        if (!p.isOk() && p.status().code() != Status::Code::NotFound) return p.status();
        siaoOf[r.recipientOrgId] = p.isOk() && !p.value().siaoId.empty() ? organisationName(p.value().siaoId) : "";
    }
    std::string siaoText;
    for (const auto& [bailleur, siao] : siaoOf) {
        const std::string b = organisationName(bailleur);
        siaoText += (siaoText.empty() ? "" : "\n") +
                    (siao.empty() ? "Avec " + b + " : aucun SIAO n’est mis en copie."
                                  : "Avec " + b + " : " + siao + ", qui reçoit la même copie que le bailleur, seulement si votre accord le prévoit.");
    }
    if (!siaoText.empty()) data->set("siao", siaoText);
    // What never goes, from the gate's own table (the same words as the autorisation).
    std::string neverText;
    for (const auto& c : consent::categoryTable())
        if (!c.transmissible) neverText += (neverText.empty() ? "" : " ; ") + c.label;
    std::map<std::string, const StoredConsent*> byId;
    for (const auto& r : all.value()) byId[r.id] = &r;
    JArray::Ptr rows = new JArray;
    for (const auto& v : views(all.value())) {
        const StoredConsent& r = v.record;
        auto row = object();
        row->set("beneficiaire", v.recipientName.empty() ? std::string("(bailleur inconnu)") : v.recipientName);
        row->set("decision", r.kind == "consent" ? "consentement" : "refus");
        row->set("etat", v.state);
        row->set("donnePar", r.givenByName);
        row->set("qualite", r.givenByCapacity == "legal_representative" ? "Représentant légal" : "Membre du ménage");
        if (r.kind == "consent") {
            std::string docs;
            for (const auto& k : r.documentKinds) {
                auto def = forms.find(k);
                docs += (docs.empty() ? "" : " ; ") + (def ? def->title : k);
            }
            row->set("documents", docs);
            // Only what the gate lets go: a category that never goes is never listed as transmissible.
            std::string cats;
            for (const auto& c : consent::categoryTable())
                if (c.transmissible && std::find(r.categories.begin(), r.categories.end(), c.code) != r.categories.end())
                    cats += (cats.empty() ? "" : " ; ") + c.label;
            row->set("categories", cats.empty() ? std::string("Aucune") : cats);
            row->set("jamaisTransmis", neverText + ", ainsi que les commentaires sans lien avec le logement. Ces informations "
                                                   "ne sont jamais transmises au bailleur, même avec votre accord.");
            const std::string siao = siaoOf[r.recipientOrgId];
            row->set("copieSiao", !r.copieSiao ? std::string("Non")
                                  : siao.empty() ? std::string("Accepté, mais le partenariat ne nomme aucun SIAO : aucune copie")
                                                 : "Oui : " + siao + " reçoit la même copie que le bailleur");
            if (!r.purpose.empty()) row->set("finalite", r.purpose);
            if (r.expiresAt) row->set("expiration", parisDate(Instant{*r.expiresAt}).iso());
            if (r.withdrawnAt) row->set("retrait", parisDate(Instant{*r.withdrawnAt}).iso());
        }
        // Issue 11 item 6: an accord recorded in person, without a signed autorisation, is weaker evidence.
        row->set("modalite", r.howMethod == "signed_autorisation"
                                 ? std::string("Autorisation de transmission signée") +
                                       (r.shownSha256.empty() ? std::string()
                                                              : ", après lecture de la copie que reçoit le bailleur (empreinte SHA-256 : " +
                                                                    r.shownSha256 + ")")
                                 : "Recueilli en personne" + (r.recordedBy.empty() ? std::string() : " par " + r.recordedBy) +
                                       ", sans autorisation signée : preuve plus faible qu’une autorisation signée");
        row->set("dateDonnee", parisDate(Instant{r.givenAt}).iso());
        rows->add(row);
    }
    // What was actually sent, to whom and when: the allowed transmissions of the dossier's documents.
    JArray::Ptr sent = new JArray;
    storage::DocumentQuery dq;
    dq.ownerOrganisationId = caller.organisationId;
    dq.dossierId = dossierId;
    dq.limit = 500;
    auto docs = _store->listDocuments(dq);
    if (!docs.isOk()) return docs.status();
    std::vector<std::pair<std::string, JObject::Ptr>> envois; // (createdAt, row), sorted below
    for (const auto& d : docs.value().items) {
        storage::TransmissionQuery q;
        q.documentId = d.id;
        q.allowedOnly = true;
        q.limit = 500;
        auto list = _store->listTransmissions(q);
        if (!list.isOk()) return list.status();
        auto def = forms.find(d.form);
        for (const auto& t : list.value().items) {
            if (!t.copyOf.empty()) continue; // the SIAO's copy is named on its original's line
            std::string to = organisationName(t.recipientOrgId);
            for (const auto& c : list.value().items)
                if (c.copyOf == t.id) to += " ; copie à " + organisationName(c.recipientOrgId);
            auto row = object();
            auto at = Instant::parseIso(t.createdAt.substr(0, 19) + "Z");
            row->set("date", at ? parisDate(*at).iso() : t.createdAt.substr(0, 10));
            row->set("document", def ? def->title : d.form);
            row->set("destinataire", to);
            std::string what;
            auto consent = byId.find(t.consentId);
            if (consent != byId.end() && def) {
                const auto allowed = transmissibleCategories(*def);
                for (const auto& c : consent::categoryTable())
                    if (std::find(allowed.begin(), allowed.end(), c.code) != allowed.end() &&
                        std::find(consent->second->categories.begin(), consent->second->categories.end(), c.code) !=
                            consent->second->categories.end())
                        what += (what.empty() ? "" : " ; ") + c.label;
            }
            row->set("contenu", what.empty() ? std::string("Informations liées au logement couvertes par votre accord")
                                             : what + " (le reste : « Information non transmise »)");
            envois.emplace_back(t.createdAt, row);
        }
    }
    std::sort(envois.begin(), envois.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [at, row] : envois) sent->add(row);
    if (sent->size() > 0) data->set("envois", sent);
    else data->set("aucunEnvoi", "Aucun document vous concernant n’a été transmis à ce jour.");
    data->set("consentements", rows);
    RenderRequest req;
    req.form = "recu-consentements";
    req.format = "pdf";
    req.data = data;
    req.documentId = "RECU-" + dossierId; // the file's name for the service; the receipt prints dates and names only
    auto rendered = _renderer->render(req);
    if (!rendered.isOk()) return rendered.status();
    auto details = object();
    details->set("dossier", dossierId);
    details->set("records", static_cast<int>(all.value().size()));
    details->set("sha256", storage::sha256Hex(rendered.value().bytes));
    Status st = _store->appendAudit({"consent.receipt", caller.organisationId, dossierId, json(details)});
    if (!st.isOk()) return st;
    return rendered;
}

// ---------------------------------------------------------------------------
// Transmission: the one place that calls the consent gate.

Result<Transmission> TransmissionService::transmit(const Caller& caller, const std::string& documentId,
                                                   const std::string& to) const {
    auto doc = _store->findDocument(documentId);
    if (!doc.isOk()) return doc.status().code() == Status::Code::NotFound ? documentNotFound(documentId) : doc.status();
    if (caller.kind != storage::KIND_ASSOCIATION || doc.value().ownerOrganisationId != caller.organisationId)
        return documentNotFound(documentId);
    if (doc.value().dossierId.empty())
        return Status::invalidArgument("not_a_household_document",
                                       "Seul un document concernant un ménage se transmet à un bailleur.");
    {
        // Retention (docs/rgpd.md): nothing leaves an archived dossier.
        auto dossier = _store->findDossier(doc.value().dossierId);
        if (!dossier.isOk()) return dossier.status();
        if (!dossier.value().archivedAt.empty()) return archivedDossier(dossier.value());
    }
    if (to.empty())
        return Status::invalidArgument("recipient_required", "Précisez le bailleur destinataire : {\"to\": \"<bailleur>\"}.");
    auto recipient = _store->findOrganisation(to);
    if (!recipient.isOk() && recipient.status().code() == Status::Code::NotFound)
        recipient = _store->findOrganisationByName(to);
    if (!recipient.isOk())
        return recipient.status().code() == Status::Code::NotFound
                   ? Status::notFound("recipient_not_found", "Destinataire inconnu : « " + to + " ».")
                   : recipient.status();
    auto def = _renderer->catalog().forms->find(doc.value().form);
    if (!def) return Status::internal("form_missing", "Le formulaire du document n'est plus disponible.");

    // Issue 11 item 6: nothing goes to a bailleur the association has no partnership with,
    // whatever the consents say. The refusal is recorded and audited like the gate's.
    if (recipient.value().kind == storage::KIND_BAILLEUR) {
        auto partnership = _store->findPartnership(caller.organisationId, recipient.value().id);
        if (!partnership.isOk() && partnership.status().code() != Status::Code::NotFound) return partnership.status();
        if (!partnership.isOk()) {
            Transmission t;
            t.id = storage::newId("trn_");
            t.documentId = doc.value().id;
            t.revision = doc.value().currentRevision;
            t.dossierId = doc.value().dossierId;
            t.form = doc.value().form;
            t.senderOrgId = caller.organisationId;
            t.recipientOrgId = recipient.value().id;
            t.allowed = false;
            t.decisionCode = "no_partnership";
            t.excludedJson = "{}";
            t.createdByKeyId = caller.keyId;
            auto details = object();
            details->set("document", t.documentId);
            details->set("revision", t.revision);
            details->set("form", t.form);
            details->set("dossier", t.dossierId);
            details->set("recipient", t.recipientOrgId);
            details->set("decision", t.decisionCode);
            auto rec = _store->recordTransmission(t, {"transmission.refused", caller.organisationId, t.id, json(details)},
                                                  std::nullopt, std::nullopt);
            if (!rec.isOk()) return rec.status();
            return Status::permissionDenied("no_partnership", "Aucun partenariat entre votre association et « " +
                                                                  recipient.value().name + " » : rien n'est transmis.");
        }
    }

    // A consent change committed between our read and our write is caught by
    // the store's guard: decide again on the new records (bounded).
    for (int round = 0; round < 3; ++round) {
        auto current = _store->findDocument(documentId);
        if (!current.isOk()) return current.status();
        const storage::Document& d = current.value();
        auto revision = _store->findRevision(documentId, d.currentRevision);
        if (!revision.isOk()) return revision.status();
        auto records = _store->listConsents(d.dossierId);
        if (!records.isOk()) return records.status();
        auto data = forms::parseJsonObject(revision.value().inputJson);
        if (!data.isOk()) return Status::internal("stored_input_invalid", "Le contenu enregistré du document est illisible.");

        consent::TransmissionRequest req;
        req.form = def;
        req.data = data.value();
        req.dossierId = d.dossierId;
        req.recipient = {recipient.value().id, recipient.value().kind};
        req.now = Instant{_clock()};
        std::vector<ConsentRecord> recs;
        for (const auto& r : records.value()) recs.push_back(toRecord(r));
        const consent::Decision decision = consent::decide(req, recs);
        metrics::inc("passerelle_consent_decisions_total", {{"code", decision.code()}});

        Transmission t;
        t.id = storage::newId("trn_");
        t.documentId = d.id;
        t.revision = d.currentRevision;
        t.dossierId = d.dossierId;
        t.form = d.form;
        t.senderOrgId = caller.organisationId;
        t.recipientOrgId = recipient.value().id;
        t.allowed = decision.allowed;
        t.decisionCode = decision.code();
        t.consentId = decision.consentId;
        t.excludedJson = exclusionsJson(decision);
        t.createdByKeyId = caller.keyId;

        auto details = object();
        details->set("document", d.id);
        details->set("revision", d.currentRevision);
        details->set("form", d.form);
        details->set("dossier", d.dossierId);
        details->set("recipient", t.recipientOrgId);
        details->set("decision", t.decisionCode);
        details->set("consent", t.consentId);

        if (!decision.allowed) {
            // Nothing is rendered, nothing is delivered; the refusal is recorded.
            auto rec = _store->recordTransmission(t, {"transmission.refused", caller.organisationId, t.id, json(details)},
                                                  std::nullopt, std::nullopt);
            if (!rec.isOk()) return rec.status();
            Notification n; // to the référent: the document's kind, the landlord, the reference; nothing of the dossier
            n.kind = NOTIFY_TRANSMISSION_REFUSED;
            addressToReferent(*_store, d.dossierId, caller.organisationId, caller.userId, n);
            n.documentKind = d.form;
            n.senderOrganisationId = t.recipientOrgId;
            n.reference = t.id;
            n.link = "/documents/" + d.id;
            _notifier.notify(n);
            return decision.status();
        }

        // The recipient copy: only the permitted fields, each removed one shown
        // as "Information non transmise"; explicit id (never derived from the input).
        for (const std::string format : {"pdf", "xlsx"}) {
            if (!def->supportsFormat(format)) continue;
            RenderRequest rr;
            rr.form = d.form;
            rr.variant = revision.value().variant;
            rr.format = format;
            rr.data = data.value();
            rr.redacted = decision.excludedFields;
            rr.redactedRows = decision.excludedRows;
            rr.documentId = t.id;
            // The first page says to whom, when and under which consent the copy went; the
            // footer shows the document's identifier.
            rr.displayedDocumentId = d.id + "-r" + std::to_string(d.currentRevision);
            rr.recipientNotice = copyNotice(recipient.value().name, req.now, records.value(), decision.consentId, t.id);
            auto rendered = _renderer->render(rr);
            if (!rendered.isOk()) return rendered.status();
            storage::Artefact a;
            a.format = format;
            a.contentType = rendered.value().contentType;
            a.bytes = std::move(rendered.value().bytes);
            a.sha256 = storage::sha256Hex(a.bytes);
            a.size = static_cast<std::int64_t>(a.bytes.size());
            t.artefacts.push_back(std::move(a));
        }
        t.permittedJson = json(consent::permittedData(*def, data.value(), decision));
        auto exclusions = object();
        for (const auto& [path, why] : decision.exclusions) exclusions->set(path, why);
        details->set("excluded", exclusions);
        auto hashes = object();
        for (const auto& a : t.artefacts) hashes->set(a.format, a.sha256);
        details->set("copies", hashes);

        // Push: the landlord's webhook, if any, through the durable outbox.
        std::optional<delivery::OutboxMessage> message;
        auto hook = _store->findWebhook(t.recipientOrgId);
        if (!hook.isOk() && hook.status().code() != Status::Code::NotFound) return hook.status();
        if (hook.isOk()) {
            delivery::OutboxMessage m;
            m.id = storage::newId("msg_");
            m.recipientOrgId = t.recipientOrgId;
            m.url = hook.value().url;
            m.transmissionId = t.id;
            m.nextAttemptAt = nowMs();
            m.body = webhookPayload(t, "");
            details->set("outbox", m.id);
            message = std::move(m);
        }

        // Seed 004: "le SIAO est mis en copie de l'envoi" — only where the
        // partnership names a SIAO AND the governing consent covers the copy.
        // The SIAO gets the SAME recipient copy (same bytes, same permitted
        // data): never more than the bailleur.
        std::vector<storage::TransmissionCopy> copies;
        if (decision.copySiao) {
            auto partnership = _store->findPartnership(caller.organisationId, t.recipientOrgId);
            if (!partnership.isOk() && partnership.status().code() != Status::Code::NotFound) return partnership.status();
            if (partnership.isOk() && !partnership.value().siaoId.empty()) {
                auto siao = _store->findOrganisation(partnership.value().siaoId);
                if (!siao.isOk() && siao.status().code() != Status::Code::NotFound) return siao.status();
                if (siao.isOk() && siao.value().kind == storage::KIND_SIAO) {
                    storage::TransmissionCopy c;
                    c.transmission = t;
                    c.transmission.id = storage::newId("trn_");
                    c.transmission.recipientOrgId = siao.value().id;
                    c.transmission.copyOf = t.id;
                    auto copied = object();
                    copied->set("original", t.id);
                    copied->set("document", d.id);
                    copied->set("revision", d.currentRevision);
                    copied->set("recipient", siao.value().id);
                    copied->set("consent", t.consentId);
                    copied->set("copies", hashes);
                    auto siaoHook = _store->findWebhook(siao.value().id);
                    if (!siaoHook.isOk() && siaoHook.status().code() != Status::Code::NotFound) return siaoHook.status();
                    if (siaoHook.isOk()) {
                        delivery::OutboxMessage m;
                        m.id = storage::newId("msg_");
                        m.recipientOrgId = siao.value().id;
                        m.url = siaoHook.value().url;
                        m.transmissionId = c.transmission.id;
                        m.nextAttemptAt = nowMs();
                        m.body = webhookPayload(c.transmission, t.id);
                        copied->set("outbox", m.id);
                        c.outbox = std::move(m);
                    }
                    c.audit = {"transmission.copied", caller.organisationId, c.transmission.id, json(copied)};
                    details->set("siaoCopy", c.transmission.id);
                    copies.push_back(std::move(c));
                }
            }
        }
        storage::ConsentGuard guard{d.dossierId, decision.consentId, static_cast<std::int64_t>(records.value().size())};
        auto rec = _store->recordTransmission(t, {"transmission.sent", caller.organisationId, t.id, json(details)}, guard,
                                              message, copies);
        if (!rec.isOk() && rec.status().errorCode() == "consent_changed") continue;
        if (rec.isOk()) {
            // The recipient's users (and the SIAO's, for its copy): kind, sender, reference, link to sign in.
            auto tell = [&](const std::string& to, const std::string& trn) {
                Notification n;
                n.kind = NOTIFY_COPY_RECEIVED;
                n.organisationId = to;
                n.documentKind = d.form;
                n.senderOrganisationId = caller.organisationId;
                n.reference = trn;
                n.link = "/recus/" + trn;
                _notifier.notify(n);
            };
            tell(t.recipientOrgId, rec.value().id);
            for (const auto& c : copies) tell(c.transmission.recipientOrgId, c.transmission.id);
        }
        return rec;
    }
    return Status::failedPrecondition("consent_changed",
                                      "Les consentements du dossier changent en ce moment : recommencez la transmission.");
}

// ---------------------------------------------------------------------------
// Bailleur side.

Result<storage::Page<Transmission>> TransmissionService::listReceived(const Caller& caller, int limit, int offset) const {
    if (!isRecipientKind(caller.kind))
        return Status::permissionDenied("forbidden_role", "Seul un bailleur (ou le SIAO mis en copie) reçoit des documents transmis.");
    storage::TransmissionQuery q;
    q.recipientOrgId = caller.organisationId;
    q.allowedOnly = true;
    q.limit = limit;
    q.offset = offset;
    auto page = _store->listTransmissions(q);
    if (!page.isOk()) return page;
    auto details = object();
    std::vector<std::string> ids;
    for (const auto& t : page.value().items) ids.push_back(t.id);
    details->set("transmissions", array(ids));
    Status st = _store->appendAudit({"landlord.list", caller.organisationId, caller.organisationId, json(details)});
    if (!st.isOk()) return st;
    return page;
}

Result<Transmission> TransmissionService::getReceived(const Caller& caller, const std::string& id) const {
    auto t = _store->findTransmission(id);
    if (!t.isOk()) return t.status().code() == Status::Code::NotFound ? transmissionNotFound(id) : t.status();
    if (!isRecipientKind(caller.kind) || t.value().recipientOrgId != caller.organisationId || !t.value().allowed)
        return transmissionNotFound(id);
    auto details = object();
    details->set("document", t.value().documentId);
    Status st = _store->appendAudit({"landlord.fetch", caller.organisationId, id, json(details)});
    if (!st.isOk()) return st;
    return t;
}

Result<storage::Artefact> TransmissionService::getReceivedCopy(const Caller& caller, const std::string& id,
                                                               const std::string& format) const {
    auto t = _store->findTransmission(id);
    if (!t.isOk()) return t.status().code() == Status::Code::NotFound ? transmissionNotFound(id) : t.status();
    if (!isRecipientKind(caller.kind) || t.value().recipientOrgId != caller.organisationId || !t.value().allowed)
        return transmissionNotFound(id);
    auto a = _store->fetchTransmissionArtefact(id, format);
    if (!a.isOk()) return a;
    auto details = object();
    details->set("format", format);
    details->set("sha256", a.value().sha256);
    Status st = _store->appendAudit({"landlord.download", caller.organisationId, id, json(details)});
    if (!st.isOk()) return st;
    return a;
}

// The copy's rendering as transmit() made it, from what the record keeps: the revision's input and
// variant, the withheld paths (excludedJson: a field path, or "table.path[i]" for a withheld row),
// the transmission id, and the notice (recipient's name, the day the record was written, the governing
// consent's day). Nothing is rendered nor audited here.
Result<ReceivedRendering> TransmissionService::receivedCopyRendering(const Caller& caller, const std::string& id) const {
    auto found = _store->findTransmission(id);
    if (!found.isOk()) return found.status().code() == Status::Code::NotFound ? transmissionNotFound(id) : found.status();
    if (!isRecipientKind(caller.kind) || found.value().recipientOrgId != caller.organisationId || !found.value().allowed)
        return transmissionNotFound(id);
    auto pdf = _store->fetchTransmissionArtefact(id, "pdf");
    if (!pdf.isOk()) return pdf.status();
    // A SIAO copy carries the bytes of the landlord's transmission it copies: rebuild that one.
    Transmission t = found.value();
    if (!t.copyOf.empty()) {
        auto original = _store->findTransmission(t.copyOf);
        if (!original.isOk()) return original.status();
        t = original.value();
    }
    auto revision = _store->findRevision(t.documentId, t.revision);
    if (!revision.isOk()) return revision.status();
    auto data = forms::parseJsonObject(revision.value().inputJson);
    if (!data.isOk()) return Status::internal("stored_input_invalid", "Le contenu enregistré du document est illisible.");
    auto excluded = forms::parseJsonObject(t.excludedJson);
    if (!excluded.isOk()) return Status::internal("stored_exclusions_invalid", "Les exclusions enregistrées sont illisibles.");
    auto recipient = _store->findOrganisation(t.recipientOrgId);
    if (!recipient.isOk()) return recipient.status();
    auto records = _store->listConsents(t.dossierId);
    if (!records.isOk()) return records.status();
    auto day = Date::parseIso(t.createdAt.substr(0, 10));
    if (!day) return Status::internal("stored_date_invalid", "La date de la transmission est illisible.");

    RenderRequest rr;
    rr.form = t.form;
    rr.variant = revision.value().variant;
    rr.format = "pdf";
    rr.data = data.value();
    for (const auto& [path, why] : *excluded.value()) {
        (void)why;
        const auto open = path.rfind('[');
        if (open != std::string::npos && open > 0 && path.back() == ']') {
            const std::string index = path.substr(open + 1, path.size() - open - 2);
            if (!index.empty() && index.find_first_not_of("0123456789") == std::string::npos) {
                rr.redactedRows[path.substr(0, open)].insert(static_cast<std::size_t>(std::stoull(index)));
                continue;
            }
        }
        rr.redacted.insert(path);
    }
    rr.documentId = t.id;
    rr.displayedDocumentId = t.documentId + "-r" + std::to_string(t.revision);
    rr.recipientNotice = copyNotice(recipient.value().name, consent::Instant{static_cast<std::int64_t>(day->toDays()) * 86400}, records.value(), t.consentId, t.id);
    ReceivedRendering out;
    out.pdf = std::move(pdf.value());
    out.request = std::move(rr);
    return out;
}

Result<std::vector<TransmissionStatus>> TransmissionService::documentTransmissions(const Caller& caller,
                                                                                const std::string& documentId) const {
    auto doc = _store->findDocument(documentId);
    if (!doc.isOk()) return doc.status().code() == Status::Code::NotFound ? documentNotFound(documentId) : doc.status();
    if (caller.kind != storage::KIND_ASSOCIATION || doc.value().ownerOrganisationId != caller.organisationId)
        return documentNotFound(documentId);
    std::vector<TransmissionStatus> out;
    storage::TransmissionQuery q;
    q.documentId = documentId;
    q.allowedOnly = false;
    q.limit = 500;
    for (q.offset = 0;; q.offset += q.limit) {
        auto page = _store->listTransmissions(q);
        if (!page.isOk()) return page.status();
        for (auto& t : page.value().items) {
            TransmissionStatus v;
            v.recipientName = organisationName(t.recipientOrgId);
            auto org = _store->findOrganisation(t.recipientOrgId);
            if (org.isOk()) v.recipientKind = org.value().kind;
            auto outbox = _store->listOutbox(t.id);
            if (!outbox.isOk()) return outbox.status();
            v.push = std::move(outbox.value());
            v.transmission = std::move(t);
            out.push_back(std::move(v));
        }
        if (page.value().items.size() < static_cast<std::size_t>(q.limit)) break;
    }
    return out;
}

Status checkWebhookUrl(const std::string& url) {
    return delivery::checkWebhookTarget(url, delivery::webhookTargetPolicy(), /*requireResolution=*/false).status();
}

Result<storage::Webhook> TransmissionService::setWebhook(const Caller& caller, const Poco::JSON::Object::Ptr& body) const {
    if (!isRecipientKind(caller.kind))
        return Status::permissionDenied("forbidden_role", "Seul un bailleur (ou un SIAO) déclare un webhook de réception.");
    const std::string url = optString(body, "url");
    if (Status ok = checkWebhookUrl(url); !ok.isOk()) return ok;
    auto details = object();
    details->set("url", url);
    return _store->setWebhook(caller.organisationId, url, {"webhook.set", caller.organisationId, caller.organisationId, json(details)});
}

// ---------------------------------------------------------------------------
// Delivery loop.

delivery::Attempt recheckDelivery(storage::Store& store, const forms::FormRegistry& forms,
                                  const delivery::OutboxMessage& m, std::int64_t nowSeconds) {
    delivery::Attempt a;
    auto unavailable = [&](const std::string& what) {
        a.result.error = "recheck_unavailable: " + what.substr(0, 100);
        return a;
    };
    auto cancel = [&](const std::string& reason, const std::string& consentId) {
        a.cancelled = true;
        a.cancelReason = reason;
        auto details = object();
        details->set("transmission", m.transmissionId);
        details->set("recipient", m.recipientOrgId);
        details->set("consent", consentId);
        details->set("reason", reason);
        details->set("at", Instant{nowSeconds}.iso());
        a.cancelDetails = json(details);
        metrics::inc("passerelle_delivery_attempts_total", {{"outcome", "cancelled"}});
        return a;
    };
    auto t = store.findTransmission(m.transmissionId);
    if (!t.isOk()) return unavailable(t.status().errorCode());
    // The landlord the gate decides for: the SIAO copy rests on the landlord's consent.
    std::string landlord = t.value().recipientOrgId;
    const bool siaoCopy = !t.value().copyOf.empty();
    if (siaoCopy) {
        auto original = store.findTransmission(t.value().copyOf);
        if (!original.isOk()) return unavailable(original.status().errorCode());
        landlord = original.value().recipientOrgId;
    }
    if (m.url.empty()) return cancel("no_webhook", t.value().consentId); // the recipient removed its webhook
    auto org = store.findOrganisation(landlord);
    if (!org.isOk()) return unavailable(org.status().errorCode());
    auto def = forms.find(t.value().form);
    if (!def) return cancel("form_missing", t.value().consentId);
    auto revision = store.findRevision(t.value().documentId, t.value().revision);
    if (!revision.isOk()) return unavailable(revision.status().errorCode());
    auto data = forms::parseJsonObject(revision.value().inputJson);
    if (!data.isOk()) return cancel("stored_input_invalid", t.value().consentId);
    auto records = store.listConsents(t.value().dossierId);
    if (!records.isOk()) return unavailable(records.status().errorCode());
    consent::TransmissionRequest req;
    req.form = def;
    req.data = data.value();
    req.dossierId = t.value().dossierId;
    req.recipient = {org.value().id, org.value().kind};
    req.now = Instant{nowSeconds};
    req.consentId = t.value().consentId;
    std::vector<ConsentRecord> recs;
    for (const auto& r : records.value()) recs.push_back(toRecord(r));
    const consent::Decision decision = consent::decide(req, recs);
    metrics::inc("passerelle_consent_decisions_total", {{"code", decision.code()}});
    if (!decision.allowed) {
        // A newer record governs (another consent, or a refusal): the one the push was made under is superseded.
        const bool replaced = !decision.consentId.empty() && decision.consentId != t.value().consentId;
        return cancel(replaced ? "superseded" : decision.code(), t.value().consentId);
    }
    if (decision.consentId != t.value().consentId) return cancel("superseded", t.value().consentId);
    if (siaoCopy && !decision.copySiao) return cancel("siao_copy_not_covered", t.value().consentId);
    return a;
}

DeliveryLoop::DeliveryLoop(std::shared_ptr<storage::Store> audit, std::shared_ptr<delivery::OutboxStore> outbox,
                           std::shared_ptr<delivery::Sender> sender, std::shared_ptr<const forms::FormRegistry> forms,
                           delivery::RetryPolicy policy, int intervalMs)
    : _audit(std::move(audit)), _outbox(std::move(outbox)), _sender(std::move(sender)), _forms(std::move(forms)),
      _worker(*_outbox, *_sender, policy,
              [this](const delivery::OutboxMessage& m, const delivery::SendResult& r, bool dead) {
                  // Identifiers and outcome only: never the payload.
                  auto details = object();
                  details->set("transmission", m.transmissionId);
                  details->set("recipient", m.recipientOrgId);
                  details->set("attempt", m.attempts + 1);
                  details->set("httpStatus", r.httpStatus);
                  if (!r.error.empty()) details->set("error", r.error.substr(0, 200));
                  const char* event = r.delivered ? "delivery.delivered" : dead ? "delivery.dead" : "delivery.attempt";
                  metrics::inc("passerelle_delivery_attempts_total",
                               {{"outcome", r.delivered ? "delivered" : dead ? "dead" : "retry"}});
                  _audit->appendAudit({event, "system", m.id, json(details)});
                  if (dead) {
                      // The push failed for good: the association's référent hears of it.
                      auto t = _audit->findTransmission(m.transmissionId);
                      if (t.isOk()) {
                          Notification n;
                          n.kind = NOTIFY_PUSH_FAILED;
                          addressToReferent(*_audit, t.value().dossierId, t.value().senderOrgId, "", n);
                          n.documentKind = t.value().form;
                          n.senderOrganisationId = t.value().recipientOrgId;
                          n.reference = t.value().id;
                          n.link = "/documents/" + t.value().documentId;
                          _notifier->notify(n);
                      }
                  }
              }),
      _intervalMs(intervalMs) {
    // Fail closed: without the forms' definitions the gate cannot decide, so nothing is sent (retried).
    _worker.setGuard([this](const delivery::OutboxMessage& current, std::int64_t nowMs) {
        if (!_forms) {
            delivery::Attempt a;
            a.result.error = "recheck_unavailable: no forms";
            return a;
        }
        return recheckDelivery(*_audit, *_forms, current, nowMs / 1000);
    });
}

DeliveryLoop::~DeliveryLoop() { stop(); }

Result<int> DeliveryLoop::runOnce(std::int64_t nowMs) { return _worker.runOnce(nowMs); }

void DeliveryLoop::start() {
    std::lock_guard<std::mutex> lock(_mu);
    if (_thread.joinable()) return;
    _stop = false;
    _thread = std::thread([this] {
        std::unique_lock<std::mutex> lock(_mu);
        while (!_stop) {
            lock.unlock();
            const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
            (void)_worker.runOnce(now); // failures stay in the outbox and are retried on the next pass
            lock.lock();
            _cv.wait_for(lock, std::chrono::milliseconds(_intervalMs), [this] { return _stop; });
        }
    });
}

void DeliveryLoop::stop() {
    {
        std::lock_guard<std::mutex> lock(_mu);
        _stop = true;
    }
    _cv.notify_all();
    if (_thread.joinable() && _thread.get_id() != std::this_thread::get_id()) _thread.join();
}

consent::ConsentRecord consentRecordOf(const storage::StoredConsent& stored) { return toRecord(stored); }

} // namespace passerelle::service
