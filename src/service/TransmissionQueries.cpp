// TransmissionService, issue 12: what the web pages need beside the API —
// the dry run of the gate before a transmission, the delivery state of an
// association's transmissions, and the recipient's inbox (search, first
// reading, the consent a copy rests on). The gate itself is consent::decide,
// called here exactly as transmit() calls it; nothing here records, renders
// or sends a copy.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "consent/ConsentPolicy.h"
#include "forms/FormRegistry.h"
#include "service/TransmissionService.h"
#include "storage/DossierIndex.h"

namespace passerelle::service {

using storage::Transmission;

namespace {

Poco::JSON::Object::Ptr object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string json(const Poco::JSON::Object::Ptr& o) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(o, out);
    return out.str();
}

bool isRecipientKind(const std::string& kind) {
    return kind == storage::KIND_BAILLEUR || kind == storage::KIND_SIAO;
}

bool holdsValue(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return false;
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
        auto o = v.extract<Poco::JSON::Object::Ptr>();
        if (!o) return false;
        for (const auto& n : o->getNames())
            if (holdsValue(o->get(n))) return true;
        return false;
    }
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto a = v.extract<Poco::JSON::Array::Ptr>();
        for (unsigned i = 0; a && i < a->size(); ++i)
            if (holdsValue(a->get(i))) return true;
        return false;
    }
    return !(v.isString() && v.toString().empty());
}

// Does dotted `path` ("a.b", table columns "t.col", rows "t[2]") hold a value in `v`?
bool pathHoldsValue(const Poco::Dynamic::Var& v, const std::string& path) {
    if (path.empty()) return holdsValue(v);
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto a = v.extract<Poco::JSON::Array::Ptr>();
        for (unsigned i = 0; a && i < a->size(); ++i)
            if (pathHoldsValue(a->get(i), path)) return true;
        return false;
    }
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) return false;
    auto o = v.extract<Poco::JSON::Object::Ptr>();
    if (!o) return false;
    std::size_t dot = path.find('.');
    std::string head = path.substr(0, dot);
    std::string rest = dot == std::string::npos ? std::string() : path.substr(dot + 1);
    auto bracket = head.find('[');
    if (bracket != std::string::npos) {
        std::string name = head.substr(0, bracket);
        unsigned index = 0;
        try {
            index = static_cast<unsigned>(std::stoul(head.substr(bracket + 1)));
        } catch (...) {
            return false;
        }
        auto a = o->getArray(name);
        if (!a || index >= a->size()) return false;
        return pathHoldsValue(a->get(index), rest);
    }
    if (!o->has(head)) return false;
    return pathHoldsValue(o->get(head), rest);
}

ConsentSummary summaryOf(const storage::StoredConsent& c) {
    ConsentSummary s;
    s.id = c.id;
    s.givenAt = c.givenAt;
    s.expiresAt = c.expiresAt;
    s.withdrawnAt = c.withdrawnAt;
    s.documentKinds = c.documentKinds;
    s.categories = c.categories;
    s.copieSiao = c.copieSiao;
    return s;
}

} // namespace

Result<std::vector<storage::Organisation>> TransmissionService::partnerLandlords(const Caller& caller) const {
    if (caller.kind != storage::KIND_ASSOCIATION)
        return Status::permissionDenied("forbidden_role", "Seule une association transmet des documents à un bailleur.");
    auto partnerships = _store->listPartnerships(caller.organisationId);
    if (!partnerships.isOk()) return partnerships.status();
    std::vector<storage::Organisation> out;
    std::set<std::string> seen;
    for (const auto& p : partnerships.value()) {
        if (p.associationId != caller.organisationId || !seen.insert(p.bailleurId).second) continue;
        auto org = _store->findOrganisation(p.bailleurId);
        if (!org.isOk()) {
            if (org.status().code() == Status::Code::NotFound) continue;
            return org.status();
        }
        if (org.value().kind == storage::KIND_BAILLEUR) out.push_back(org.value());
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

Result<TransmissionPreview> TransmissionService::previewTransmission(const Caller& caller, const std::string& documentId,
                                                                     const std::string& to) const {
    // The same checks as transmit(), in the same order, with the same answers.
    auto doc = _store->findDocument(documentId);
    if (!doc.isOk())
        return doc.status().code() == Status::Code::NotFound
                   ? Status::notFound("document_not_found", "Document introuvable : " + documentId)
                   : doc.status();
    if (caller.kind != storage::KIND_ASSOCIATION || doc.value().ownerOrganisationId != caller.organisationId)
        return Status::notFound("document_not_found", "Document introuvable : " + documentId);
    const storage::Document& d = doc.value();
    if (d.dossierId.empty())
        return Status::invalidArgument("not_a_household_document",
                                       "Seul un document concernant un ménage se transmet à un bailleur.");
    if (to.empty()) return Status::invalidArgument("recipient_required", "Choisissez le bailleur destinataire.");
    auto recipient = _store->findOrganisation(to);
    if (!recipient.isOk() && recipient.status().code() == Status::Code::NotFound)
        recipient = _store->findOrganisationByName(to);
    if (!recipient.isOk())
        return recipient.status().code() == Status::Code::NotFound
                   ? Status::notFound("recipient_not_found", "Destinataire inconnu : « " + to + " ».")
                   : recipient.status();
    auto def = _renderer->catalog().forms->find(d.form);
    if (!def) return Status::internal("form_missing", "Le formulaire du document n'est plus disponible.");
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
    req.now = consent::Instant{_clock()};
    std::vector<consent::ConsentRecord> recs;
    for (const auto& r : records.value()) recs.push_back(consentRecordOf(r));

    TransmissionPreview p;
    p.recipient = recipient.value();
    p.documentId = d.id;
    p.dossierId = d.dossierId;
    p.form = d.form;
    p.revision = d.currentRevision;
    p.decision = consent::decide(req, recs);
    p.permittedData = p.decision.allowed ? consent::permittedData(*def, data.value(), p.decision) : object();
    if (p.decision.allowed)
        for (const auto& [path, why] : p.decision.exclusions)
            if (pathHoldsValue(Poco::Dynamic::Var(data.value()), path)) p.withheld[path] = why;
    if (!p.decision.consentId.empty())
        for (auto& v : views(records.value()))
            if (v.record.id == p.decision.consentId) p.consent = std::move(v);
    // Seed 004: "le SIAO est mis en copie de l'envoi" — where the partnership names
    // one and the governing consent covers the copy (as transmit() decides it).
    auto partnership = _store->findPartnership(caller.organisationId, recipient.value().id);
    if (!partnership.isOk() && partnership.status().code() != Status::Code::NotFound) return partnership.status();
    if (partnership.isOk() && !partnership.value().siaoId.empty()) {
        auto siao = _store->findOrganisation(partnership.value().siaoId);
        if (!siao.isOk() && siao.status().code() != Status::Code::NotFound) return siao.status();
        if (siao.isOk() && siao.value().kind == storage::KIND_SIAO) {
            p.siaoId = siao.value().id;
            p.siaoName = siao.value().name;
            p.siaoCopy = p.decision.allowed && p.decision.copySiao;
        }
    }
    return p;
}

Result<std::vector<DeliveryView>> TransmissionService::documentDeliveries(const Caller& caller,
                                                                       const std::string& documentId) const {
    auto list = documentTransmissions(caller, documentId);
    if (!list.isOk()) return list.status();
    std::vector<std::string> ids;
    for (const auto& t : list.value()) ids.push_back(t.transmission.id);
    auto reads = _store->transmissionReads(ids);
    if (!reads.isOk()) return reads.status();
    std::vector<DeliveryView> out;
    for (auto& t : list.value()) {
        DeliveryView v;
        auto r = reads.value().find(t.transmission.id);
        if (r != reads.value().end()) v.readAtMs = r->second;
        v.status = std::move(t);
        out.push_back(std::move(v));
    }
    return out;
}

std::optional<std::int64_t> TransmissionService::consentWithdrawnAt(const Transmission& t) const {
    if (t.consentId.empty()) return std::nullopt;
    auto c = _store->findConsent(t.consentId);
    if (!c.isOk()) return std::nullopt;
    return c.value().withdrawnAt;
}

Result<ReceivedInbox> TransmissionService::searchReceived(const Caller& caller, const ReceivedFilter& f) const {
    if (!isRecipientKind(caller.kind))
        return Status::permissionDenied("forbidden_role", "Seul un bailleur (ou le SIAO mis en copie) reçoit des documents transmis.");
    // The database searches and pages the recipient's copies (storage::ReceivedQuery): what the
    // recipient may see of them only — permitted data, references, sender, dates, reading.
    storage::ReceivedQuery q;
    q.recipientOrgId = caller.organisationId;
    q.text = f.text;
    q.form = f.form;
    q.senderOrgId = f.senderOrgId;
    q.fromDay = f.from;
    q.toDay = f.to;
    q.state = f.state;
    q.limit = std::max(1, f.limit);
    q.offset = std::max(0, f.offset);
    auto found = _store->searchReceived(q);
    if (!found.isOk()) return found.status();
    std::vector<std::string> ids;
    for (const auto& t : found.value().items) ids.push_back(t.id);
    auto reads = _store->transmissionReads(ids);
    if (!reads.isOk()) return reads.status();

    ReceivedInbox inbox;
    inbox.total = found.value().total;
    inbox.unread = found.value().unread;
    inbox.forms = found.value().forms;
    std::map<std::string, std::string> senderNames;
    for (const auto& id : found.value().senderOrgIds) {
        senderNames[id] = organisationName(id);
        inbox.senders.emplace_back(id, senderNames[id]);
    }
    std::sort(inbox.senders.begin(), inbox.senders.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    std::map<std::string, std::string> dossierRefs;
    std::map<std::string, std::optional<ConsentSummary>> consents;
    for (auto& t : found.value().items) {
        if (!dossierRefs.count(t.dossierId)) {
            auto dossier = _store->findDossier(t.dossierId);
            dossierRefs[t.dossierId] = dossier.isOk() ? dossier.value().reference : "";
        }
        ReceivedCopy c;
        c.transmission = std::move(t);
        c.transmission.permittedJson = "{}"; // the list shows no content
        if (!senderNames.count(c.transmission.senderOrgId))
            senderNames[c.transmission.senderOrgId] = organisationName(c.transmission.senderOrgId);
        c.senderName = senderNames[c.transmission.senderOrgId];
        c.dossierReference = dossierRefs[c.transmission.dossierId];
        auto read = reads.value().find(c.transmission.id);
        if (read != reads.value().end()) c.readAtMs = read->second;
        const std::string consentId = c.transmission.consentId;
        if (!consentId.empty()) {
            if (!consents.count(consentId)) {
                auto rec = _store->findConsent(consentId);
                consents[consentId] = rec.isOk() ? std::optional<ConsentSummary>(summaryOf(rec.value())) : std::nullopt;
            }
            c.consent = consents[consentId];
        }
        inbox.items.push_back(std::move(c));
    }

    // Audited as the API's list: the ids shown.
    auto details = object();
    Poco::JSON::Array::Ptr shown = new Poco::JSON::Array;
    for (const auto& c : inbox.items) shown->add(c.transmission.id);
    details->set("transmissions", shown);
    if (!f.text.empty() || !f.form.empty() || !f.senderOrgId.empty() || !f.from.empty() || !f.to.empty() || !f.state.empty())
        details->set("filtered", true);
    Status st = _store->appendAudit({"landlord.list", caller.organisationId, caller.organisationId, json(details)});
    if (!st.isOk()) return st;
    return inbox;
}

Result<ReceivedCopy> TransmissionService::openReceived(const Caller& caller, const std::string& transmissionId) const {
    auto t = getReceived(caller, transmissionId); // access rule and "landlord.fetch" audit
    if (!t.isOk()) return t.status();
    Status marked = _store->markTransmissionRead(transmissionId, caller.organisationId, caller.userId, _clock() * 1000);
    if (!marked.isOk()) return marked;
    ReceivedCopy c;
    c.transmission = t.value();
    c.senderName = organisationName(c.transmission.senderOrgId);
    auto dossier = _store->findDossier(c.transmission.dossierId);
    if (dossier.isOk()) c.dossierReference = dossier.value().reference;
    auto referent = _store->dossierReferent(c.transmission.dossierId);
    if (referent.isOk() && !referent.value().empty()) {
        auto user = _store->findUser(referent.value());
        if (user.isOk()) c.referentName = user.value().name;
    }
    auto reads = _store->transmissionReads({transmissionId});
    if (reads.isOk() && reads.value().count(transmissionId)) c.readAtMs = reads.value().at(transmissionId);
    if (!c.transmission.consentId.empty()) {
        auto rec = _store->findConsent(c.transmission.consentId);
        if (rec.isOk()) c.consent = summaryOf(rec.value());
    }
    return c;
}

Result<storage::Artefact> TransmissionService::downloadReceived(const Caller& caller, const std::string& transmissionId,
                                                               const std::string& format) const {
    auto a = getReceivedCopy(caller, transmissionId, format); // access rule and "landlord.download" audit
    if (!a.isOk()) return a;
    Status marked = _store->markTransmissionRead(transmissionId, caller.organisationId, caller.userId, _clock() * 1000);
    if (!marked.isOk()) return marked;
    return a;
}

} // namespace passerelle::service
