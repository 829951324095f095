#include "http/ConsentRoutes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/NumberParser.h>
#include <Poco/Timestamp.h>

#include "consent/ConsentPolicy.h"
#include "forms/FormRegistry.h"

namespace passerelle::http {

namespace {

using JObject = Poco::JSON::Object;
using JArray = Poco::JSON::Array;
using service::TransmissionService;

JObject::Ptr object() { return new JObject(Poco::JSON_PRESERVE_KEY_ORDER); }

Poco::Dynamic::Var parsedJson(const std::string& text) {
    try {
        return Poco::JSON::Parser().parse(text);
    } catch (const Poco::Exception&) {
        return Poco::Dynamic::Var();
    }
}

JArray::Ptr array(const std::vector<std::string>& v) {
    JArray::Ptr a = new JArray;
    for (const auto& x : v) a->add(x);
    return a;
}

std::string iso(std::int64_t epochSeconds) { return consent::Instant{epochSeconds}.iso(); }

JObject::Ptr consentToJson(const service::ConsentView& v) {
    const auto& r = v.record;
    auto o = object();
    o->set("id", r.id);
    o->set("dossier", r.dossierId);
    o->set("kind", r.kind);
    o->set("state", v.state);
    auto recipient = object();
    recipient->set("id", r.recipientOrgId);
    recipient->set("name", v.recipientName);
    o->set("recipient", recipient);
    auto givenBy = object();
    givenBy->set("name", r.givenByName);
    givenBy->set("capacity", r.givenByCapacity);
    o->set("givenBy", givenBy);
    auto scope = object();
    scope->set("documentKinds", array(r.documentKinds));
    scope->set("categories", array(r.categories));
    o->set("scope", scope);
    o->set("purpose", r.purpose);
    o->set("givenAt", iso(r.givenAt));
    auto how = object();
    how->set("method", r.howMethod);
    if (!r.proofDocumentId.empty()) how->set("documentId", r.proofDocumentId);
    if (!r.proofSha256.empty()) how->set("documentSha256", r.proofSha256);
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
    auto o = object();
    o->set("id", t.id);
    o->set("form", t.form);
    o->set("document", t.documentId);
    o->set("revision", t.revision);
    auto sender = object();
    sender->set("id", t.senderOrgId);
    sender->set("name", senderName);
    o->set("sender", sender);
    o->set("recipient", t.recipientOrgId);
    if (!t.copyOf.empty()) o->set("copyOf", t.copyOf);
    o->set("decision", t.decisionCode);
    o->set("consent", t.consentId);
    o->set("excluded", parsedJson(t.excludedJson));
    JArray::Ptr copies = new JArray;
    for (const auto& a : t.artefacts) {
        auto x = object();
        x->set("format", a.format);
        x->set("contentType", a.contentType);
        x->set("sha256", a.sha256);
        x->set("size", a.size);
        x->set("href", "/v1/received/" + t.id + "/" + a.format);
        copies->add(x);
    }
    o->set("copies", copies);
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
    auto o = object();
    o->set("message", m.id);
    o->set("status", m.delivered ? "delivered" : m.dead ? "dead" : "pending");
    o->set("attempts", m.attempts);
    if (m.deliveredAtMs) o->set("deliveredAt", isoMs(*m.deliveredAtMs));
    if (!m.delivered && !m.dead) o->set("nextAttemptAt", isoMs(m.nextAttemptAtMs));
    if (m.httpStatus) o->set("httpStatus", m.httpStatus);
    if (!m.lastError.empty()) o->set("lastError", m.lastError);
    return o;
}

// What the sending association sees of each transmission of its document.
JObject::Ptr statusToJson(const service::TransmissionStatus& v) {
    const storage::Transmission& t = v.transmission;
    auto o = object();
    o->set("id", t.id);
    o->set("revision", t.revision);
    auto recipient = object();
    recipient->set("id", t.recipientOrgId);
    recipient->set("name", v.recipientName);
    recipient->set("kind", v.recipientKind);
    o->set("recipient", recipient);
    o->set("allowed", t.allowed);
    o->set("decision", t.decisionCode);
    o->set("consent", t.consentId);
    if (!t.copyOf.empty()) o->set("copyOf", t.copyOf);
    o->set("excluded", parsedJson(t.excludedJson));
    JArray::Ptr copies = new JArray;
    for (const auto& a : t.artefacts) {
        auto x = object();
        x->set("format", a.format);
        x->set("sha256", a.sha256);
        x->set("size", a.size);
        copies->add(x);
    }
    o->set("copies", copies);
    if (v.push.empty()) o->set("push", Poco::Dynamic::Var());
    else o->set("push", pushToJson(v.push.back()));
    o->set("createdAt", t.createdAt);
    return o;
}

Result<int> intParam(const Request& r, const std::string& name, int fallback, int min, int max) {
    auto it = r.query.find(name);
    if (it == r.query.end()) return fallback;
    int v = 0;
    if (!Poco::NumberParser::tryParse(it->second, v) || v < min || v > max)
        return Status::invalidArgument("bad_query", "Paramètre « " + name + " » invalide : entier entre " +
                                                        std::to_string(min) + " et " + std::to_string(max) + " attendu.");
    return v;
}

const char* ID = "([A-Za-z0-9_-]{1,64})";

} // namespace

void addConsentRoutes(Router& router, std::shared_ptr<const TransmissionService> svc) {
    const std::string id = ID;

    // Association: consent records of its dossiers.
    router.add("POST", "/v1/dossiers/" + id + "/consents", [svc](const Request& r) {
        auto body = forms::parseJsonObject(r.body);
        if (!body.isOk()) return Reply::error(body.status());
        auto c = svc->recordConsent(r.caller, r.params[0], body.value());
        if (!c.isOk()) return Reply::error(c.status());
        Reply rep = Reply::json(201, consentToJson(c.value()));
        rep.headers["Location"] = "/v1/dossiers/" + r.params[0] + "/consents";
        return rep;
    }, true);
    router.add("GET", "/v1/dossiers/" + id + "/consents", [svc](const Request& r) {
        auto list = svc->listConsents(r.caller, r.params[0]);
        if (!list.isOk()) return Reply::error(list.status());
        auto o = object();
        JArray::Ptr arr = new JArray;
        for (const auto& v : list.value()) arr->add(consentToJson(v));
        o->set("consents", arr);
        return Reply::json(200, o);
    });
    router.add("GET", "/v1/dossiers/" + id + "/consents/receipt\\.pdf", [svc](const Request& r) {
        auto pdf = svc->consentReceipt(r.caller, r.params[0]);
        if (!pdf.isOk()) return Reply::error(pdf.status());
        Reply rep;
        rep.status = 200;
        rep.contentType = "application/pdf";
        rep.body = std::move(pdf.value().bytes);
        rep.headers["Content-Disposition"] = "attachment; filename=\"recu-consentements-" + r.params[0] + ".pdf\"";
        return rep;
    });
    router.add("POST", "/v1/consents/" + id + "/withdraw", [svc](const Request& r) {
        auto c = svc->withdrawConsent(r.caller, r.params[0]);
        if (!c.isOk()) return Reply::error(c.status());
        return Reply::json(200, consentToJson(c.value()));
    }, true);

    // Association: the transmission through the gate.
    router.add("POST", "/v1/documents/" + id + "/transmit", [svc](const Request& r) {
        auto body = forms::parseJsonObject(r.body);
        if (!body.isOk()) return Reply::error(body.status());
        const auto& b = body.value();
        std::string to = b->has("to") && b->get("to").isString() ? b->get("to").toString() : "";
        auto t = svc->transmit(r.caller, r.params[0], to);
        if (!t.isOk()) return Reply::error(t.status());
        auto o = transmissionToJson(t.value(), r.caller.organisationName, /*withData=*/false);
        Reply rep = Reply::json(201, o);
        rep.headers["Location"] = "/v1/received/" + t.value().id;
        return rep;
    }, true);

    // Association: delivery status of its own document's transmissions and refusals.
    router.add("GET", "/v1/documents/" + id + "/transmissions", [svc](const Request& r) {
        auto list = svc->documentTransmissions(r.caller, r.params[0]);
        if (!list.isOk()) return Reply::error(list.status());
        auto o = object();
        o->set("document", r.params[0]);
        JArray::Ptr arr = new JArray;
        for (const auto& v : list.value()) arr->add(statusToJson(v));
        o->set("transmissions", arr);
        o->set("total", static_cast<int>(list.value().size()));
        return Reply::json(200, o);
    });

    // Bailleur (or the SIAO copied): what was transmitted to it, nothing else.
    router.add("GET", "/v1/received", [svc](const Request& r) {
        auto limit = intParam(r, "limit", 50, 1, 500);
        auto offset = intParam(r, "offset", 0, 0, 1000000000);
        if (!limit.isOk()) return Reply::error(limit.status());
        if (!offset.isOk()) return Reply::error(offset.status());
        auto page = svc->listReceived(r.caller, limit.value(), offset.value());
        if (!page.isOk()) return Reply::error(page.status());
        auto o = object();
        JArray::Ptr arr = new JArray;
        for (const auto& t : page.value().items)
            arr->add(transmissionToJson(t, svc->organisationName(t.senderOrgId), /*withData=*/false));
        o->set("received", arr);
        o->set("total", page.value().total);
        o->set("limit", limit.value());
        o->set("offset", offset.value());
        return Reply::json(200, o);
    });
    router.add("GET", "/v1/received/" + id, [svc](const Request& r) {
        auto t = svc->getReceived(r.caller, r.params[0]);
        if (!t.isOk()) return Reply::error(t.status());
        return Reply::json(200, transmissionToJson(t.value(), svc->organisationName(t.value().senderOrgId), /*withData=*/true));
    });
    router.add("GET", "/v1/received/" + id + "/(pdf|xlsx)", [svc](const Request& r) {
        auto a = svc->getReceivedCopy(r.caller, r.params[0], r.params[1]);
        if (!a.isOk()) return Reply::error(a.status());
        Reply rep;
        rep.status = 200;
        rep.contentType = a.value().contentType;
        rep.body = std::move(a.value().bytes);
        rep.headers["Content-Disposition"] = "attachment; filename=\"" + r.params[0] + "." + r.params[1] + "\"";
        rep.headers["ETag"] = "\"" + a.value().sha256 + "\"";
        return rep;
    });
    router.add("PUT", "/v1/me/webhook", [svc](const Request& r) {
        auto body = forms::parseJsonObject(r.body);
        if (!body.isOk()) return Reply::error(body.status());
        auto w = svc->setWebhook(r.caller, body.value());
        if (!w.isOk()) return Reply::error(w.status());
        auto o = object();
        o->set("organisation", w.value().organisationId);
        o->set("url", w.value().url);
        o->set("updatedAt", w.value().updatedAt);
        return Reply::json(200, o);
    }, true);
}

} // namespace passerelle::http
