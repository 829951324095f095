#include "http/ConsentRoutes.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include "consent/ConsentPolicy.h"
#include "forms/FormRegistry.h"
#include "http/Idempotency.h"
#include "http/JsonHelpers.h"

namespace passerelle::http {

namespace {

using service::TransmissionService;

std::string iso(std::int64_t epochSeconds) { return consent::Instant{epochSeconds}.iso(); }

JObject::Ptr consentToJson(const service::ConsentView& v) {
    const auto& r = v.record;
    auto o = jsonObject();
    o->set("id", r.id);
    o->set("dossier", r.dossierId);
    o->set("kind", r.kind);
    o->set("state", v.state);
    auto recipient = jsonObject();
    recipient->set("id", r.recipientOrgId);
    recipient->set("name", v.recipientName);
    o->set("recipient", recipient);
    auto givenBy = jsonObject();
    givenBy->set("name", r.givenByName);
    givenBy->set("capacity", r.givenByCapacity);
    o->set("givenBy", givenBy);
    auto scope = jsonObject();
    scope->set("documentKinds", jsonArray(r.documentKinds));
    scope->set("categories", jsonArray(r.categories));
    o->set("scope", scope);
    o->set("purpose", r.purpose);
    o->set("givenAt", iso(r.givenAt));
    auto how = jsonObject();
    how->set("method", r.howMethod);
    if (!r.proofDocumentId.empty()) how->set("documentId", r.proofDocumentId);
    if (!r.proofSha256.empty()) how->set("documentSha256", r.proofSha256);
    // The recipient copy the household read before it signed (migration 18).
    if (!r.shownSha256.empty()) how->set("shownSha256", r.shownSha256);
    if (!r.recordedBy.empty()) how->set("recordedBy", r.recordedBy);
    o->set("how", how);
    o->set("expiresAt", r.expiresAt ? Poco::Dynamic::Var(iso(*r.expiresAt)) : Poco::Dynamic::Var());
    o->set("withdrawnAt", r.withdrawnAt ? Poco::Dynamic::Var(iso(*r.withdrawnAt)) : Poco::Dynamic::Var());
    if (!r.supersedes.empty()) o->set("supersedes", r.supersedes);
    o->set("copieSiao", r.copieSiao);
    o->set("createdAt", r.createdAt);
    return o;
}

// What a bailleur (or the sending association) sees of a transmission: ids,
// hashes, excluded paths and — with `withData` — the permitted data only.
JObject::Ptr transmissionToJson(const storage::Transmission& t, const std::string& senderName, bool withData) {
    auto o = jsonObject();
    o->set("id", t.id);
    o->set("form", t.form);
    o->set("document", t.documentId);
    o->set("revision", t.revision);
    auto sender = jsonObject();
    sender->set("id", t.senderOrgId);
    sender->set("name", senderName);
    o->set("sender", sender);
    o->set("recipient", t.recipientOrgId);
    if (!t.copyOf.empty()) o->set("copyOf", t.copyOf);
    o->set("decision", t.decisionCode);
    o->set("consent", t.consentId);
    o->set("excluded", parsedJson(t.excludedJson));
    o->set("copies", jsonArrayOf(t.artefacts, [&](const storage::Artefact& a) {
               return artefactToJson(a, "/v1/received/" + t.id + "/" + a.format);
           }));
    if (withData) o->set("data", parsedJson(t.permittedJson));
    o->set("createdAt", t.createdAt);
    return o;
}

std::string isoMs(std::int64_t epochMs) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(epochMs * 1000), "%Y-%m-%dT%H:%M:%S.%iZ");
}

// The delivery status of one outbox message: pending (with attempts, next
// attempt and last error), delivered (at) or dead (last error).
JObject::Ptr pushToJson(const storage::OutboxStatus& m) {
    auto o = jsonObject();
    o->set("message", m.id);
    o->set("status", m.delivered ? "delivered" : m.cancelled ? "cancelled" : m.dead ? "dead" : "pending");
    o->set("attempts", m.attempts);
    if (m.deliveredAtMs) o->set("deliveredAt", isoMs(*m.deliveredAtMs));
    if (!m.delivered && !m.dead && !m.cancelled) o->set("nextAttemptAt", isoMs(m.nextAttemptAtMs));
    if (m.cancelledAtMs) o->set("cancelledAt", isoMs(*m.cancelledAtMs));
    if (m.cancelled) o->set("cancelReason", m.cancelReason);
    if (m.httpStatus) o->set("httpStatus", m.httpStatus);
    if (!m.lastError.empty()) o->set("lastError", m.lastError);
    return o;
}

// What the sending association sees of each transmission of its document.
JObject::Ptr statusToJson(const service::TransmissionStatus& v) {
    const storage::Transmission& t = v.transmission;
    auto o = jsonObject();
    o->set("id", t.id);
    o->set("revision", t.revision);
    auto recipient = jsonObject();
    recipient->set("id", t.recipientOrgId);
    recipient->set("name", v.recipientName);
    recipient->set("kind", v.recipientKind);
    o->set("recipient", recipient);
    o->set("allowed", t.allowed);
    o->set("decision", t.decisionCode);
    o->set("consent", t.consentId);
    if (!t.copyOf.empty()) o->set("copyOf", t.copyOf);
    o->set("excluded", parsedJson(t.excludedJson));
    // The sender's view of its copies: no content type, no link.
    o->set("copies", jsonArrayOf(t.artefacts, [](const storage::Artefact& a) {
               auto x = jsonObject();
               x->set("format", a.format);
               x->set("sha256", a.sha256);
               x->set("size", a.size);
               return x;
           }));
    if (v.push.empty()) o->set("push", Poco::Dynamic::Var());
    else o->set("push", pushToJson(v.push.back()));
    o->set("createdAt", t.createdAt);
    return o;
}

// Issue 12: a landlord's copies stay readable after a withdrawal but say so:
// "consentWithdrawnAt" is the withdrawal's ISO time, or null.
void setConsentWithdrawnAt(JObject::Ptr o, const std::optional<std::int64_t>& at) {
    o->set("consentWithdrawnAt", at ? Poco::Dynamic::Var(iso(*at)) : Poco::Dynamic::Var());
}

const char* ID = "([A-Za-z0-9_-]{1,64})";

} // namespace

void addConsentRoutes(Router& router, std::shared_ptr<const TransmissionService> svc) {
    const std::string id = ID;

    // Association: consent records of its dossiers.
    router.add("POST", "/v1/dossiers/" + id + "/consents", idempotent(svc->store(), [svc](const Request& r) {
        auto body = jsonRequestBody(r);
        if (!body.isOk()) return Reply::error(body.status());
        auto c = svc->recordConsent(r.caller, r.params[0], body.value());
        if (!c.isOk()) return Reply::error(c.status());
        return created(consentToJson(c.value()), "/v1/dossiers/" + r.params[0] + "/consents");
    }), true);
    router.add("GET", "/v1/dossiers/" + id + "/consents", [svc](const Request& r) {
        auto list = svc->listConsents(r.caller, r.params[0]);
        if (!list.isOk()) return Reply::error(list.status());
        auto o = jsonObject();
        o->set("consents", jsonArrayOf(list.value(), consentToJson));
        return Reply::json(200, o);
    });
    router.add("GET", "/v1/dossiers/" + id + "/consents/receipt\\.pdf", [svc](const Request& r) {
        auto pdf = svc->consentReceipt(r.caller, r.params[0]);
        if (!pdf.isOk()) return Reply::error(pdf.status());
        return attachment("application/pdf", std::move(pdf.value().bytes), "recu-consentements-" + r.params[0] + ".pdf");
    });
    router.add("POST", "/v1/consents/" + id + "/withdraw", [svc](const Request& r) {
        auto c = svc->withdrawConsent(r.caller, r.params[0]);
        if (!c.isOk()) return Reply::error(c.status());
        return Reply::json(200, consentToJson(c.value()));
    }, true);

    // Association: the transmission through the gate.
    router.add("POST", "/v1/documents/" + id + "/transmit", idempotent(svc->store(), [svc](const Request& r) {
        auto body = jsonRequestBody(r);
        if (!body.isOk()) return Reply::error(body.status());
        const auto& b = body.value();
        auto t = svc->transmit(r.caller, r.params[0], optString(b, "to"));
        if (!t.isOk()) return Reply::error(t.status());
        return created(transmissionToJson(t.value(), r.caller.organisationName, /*withData=*/false),
                       "/v1/received/" + t.value().id);
    }), true);

    // Association: delivery status of its own document's transmissions and refusals.
    router.add("GET", "/v1/documents/" + id + "/transmissions", [svc](const Request& r) {
        auto list = svc->documentTransmissions(r.caller, r.params[0]);
        if (!list.isOk()) return Reply::error(list.status());
        auto o = jsonObject();
        o->set("document", r.params[0]);
        o->set("transmissions", jsonArrayOf(list.value(), [](const service::TransmissionStatus& v) { return statusToJson(v); }));
        o->set("total", static_cast<int>(list.value().size()));
        return Reply::json(200, o);
    });

    // Bailleur (or the SIAO copied): what was transmitted to it, nothing else.
    router.add("GET", "/v1/received", [svc](const Request& r) {
        auto pp = pageParams(r);
        if (!pp.isOk()) return Reply::error(pp.status());
        auto page = svc->listReceived(r.caller, pp.value().limit, pp.value().offset);
        if (!page.isOk()) return Reply::error(page.status());
        return Reply::json(200, pageToJson("received", page.value(), pp.value().limit, pp.value().offset,
                                           [&](const storage::Transmission& t) {
                                               auto o = transmissionToJson(t, svc->organisationName(t.senderOrgId),
                                                                           /*withData=*/false);
                                               setConsentWithdrawnAt(o, svc->consentWithdrawnAt(t));
                                               return o;
                                           }));
    });
    router.add("GET", "/v1/received/" + id, [svc](const Request& r) {
        // Audited as "landlord.fetch"; the copy's first reading is recorded (issue 12).
        auto c = svc->openReceived(r.caller, r.params[0]);
        if (!c.isOk()) return Reply::error(c.status());
        const auto& t = c.value().transmission;
        auto o = transmissionToJson(t, c.value().senderName, /*withData=*/true);
        setConsentWithdrawnAt(o, c.value().consent ? c.value().consent->withdrawnAt : std::nullopt);
        return Reply::json(200, o);
    });
    router.add("GET", "/v1/received/" + id + "/(pdf|xlsx)", [svc](const Request& r) {
        auto a = svc->downloadReceived(r.caller, r.params[0], r.params[1]);
        if (!a.isOk()) return Reply::error(a.status());
        Reply rep = attachment(a.value().contentType, std::move(a.value().bytes), r.params[0] + "." + r.params[1]);
        rep.headers["ETag"] = "\"" + a.value().sha256 + "\"";
        return rep;
    });
    router.add("PUT", "/v1/me/webhook", [svc](const Request& r) {
        auto body = jsonRequestBody(r);
        if (!body.isOk()) return Reply::error(body.status());
        auto w = svc->setWebhook(r.caller, body.value());
        if (!w.isOk()) {
            Reply rep = Reply::error(w.status());
            if (w.status().errorCode() == "bad_webhook_url") rep.status = 422; // names the field "/url"
            return rep;
        }
        auto o = jsonObject();
        o->set("organisation", w.value().organisationId);
        o->set("url", w.value().url);
        o->set("updatedAt", w.value().updatedAt);
        return Reply::json(200, o);
    }, true);
}

} // namespace passerelle::http
