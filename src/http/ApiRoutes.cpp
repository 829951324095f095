#include "http/ApiRoutes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>

#include "forms/FormRegistry.h"

namespace passerelle::http {

namespace {

using JObject = Poco::JSON::Object;
using JArray = Poco::JSON::Array;
using service::DossierService;

JObject::Ptr object() { return new JObject(Poco::JSON_PRESERVE_KEY_ORDER); }

// Stored JSON text back to an object (the store only holds what the service validated).
Poco::Dynamic::Var parsedJson(const std::string& text) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(text);
    } catch (const Poco::Exception&) {
        return Poco::Dynamic::Var();
    }
}

JObject::Ptr organisationToJson(const service::Caller& c) {
    auto o = object();
    o->set("id", c.organisationId);
    o->set("name", c.organisationName);
    o->set("kind", c.kind);
    return o;
}

JObject::Ptr dossierToJson(const storage::Dossier& d) {
    auto o = object();
    o->set("id", d.id);
    o->set("association", d.associationId);
    o->set("reference", d.reference);
    o->set("statut", d.statut);
    o->set("menage", parsedJson(d.menageJson));
    o->set("logement", parsedJson(d.logementJson));
    o->set("version", d.version);
    o->set("createdAt", d.createdAt);
    o->set("updatedAt", d.updatedAt);
    return o;
}

JObject::Ptr actionToJson(const storage::Action& a) {
    auto o = object();
    o->set("id", a.id);
    o->set("title", a.title);
    o->set("association", a.associationId);
    JArray::Ptr funders = new JArray;
    for (const auto& f : a.funderIds) funders->add(f);
    o->set("funders", funders);
    o->set("createdAt", a.createdAt);
    return o;
}

JObject::Ptr revisionToJson(const std::string& documentId, const storage::Revision& r, bool withData) {
    auto o = object();
    o->set("number", r.number);
    o->set("variant", r.variant);
    o->set("formVersion", r.formVersion);
    o->set("createdAt", r.createdAt);
    o->set("createdBy", r.createdByOrganisationId);
    JArray::Ptr arts = new JArray;
    for (const auto& a : r.artefacts) {
        auto x = object();
        x->set("format", a.format);
        x->set("contentType", a.contentType);
        x->set("sha256", a.sha256);
        x->set("size", a.size);
        x->set("href", "/v1/documents/" + documentId + "/" + a.format + "?revision=" + std::to_string(r.number));
        arts->add(x);
    }
    o->set("artefacts", arts);
    if (withData) o->set("data", parsedJson(r.inputJson));
    return o;
}

JObject::Ptr documentToJson(const storage::Document& d) {
    auto o = object();
    o->set("id", d.id);
    o->set("form", d.form);
    o->set("variant", d.variant);
    o->set("formVersion", d.formVersion);
    if (!d.dossierId.empty()) o->set("dossier", d.dossierId);
    if (!d.actionId.empty()) o->set("action", d.actionId);
    o->set("owner", d.ownerOrganisationId);
    o->set("currentRevision", d.currentRevision);
    o->set("createdAt", d.createdAt);
    o->set("updatedAt", d.updatedAt);
    return o;
}

JObject::Ptr documentViewToJson(const service::DocumentView& v) {
    auto o = documentToJson(v.document);
    o->set("revision", revisionToJson(v.document.id, v.revision, /*withData=*/true));
    return o;
}

Status badQuery(const std::string& name, const std::string& why) {
    return Status::invalidArgument("bad_query", "Paramètre « " + name + " » invalide : " + why + ".");
}

// Integer query parameter within [min, max]; `fallback` when absent.
Result<int> intParam(const Request& r, const std::string& name, int fallback, int min, int max) {
    auto it = r.query.find(name);
    if (it == r.query.end()) return fallback;
    int v = 0;
    if (!Poco::NumberParser::tryParse(it->second, v) || v < min || v > max)
        return badQuery(name, "entier entre " + std::to_string(min) + " et " + std::to_string(max) + " attendu");
    return v;
}

std::string strParam(const Request& r, const std::string& name) {
    auto it = r.query.find(name);
    return it == r.query.end() ? "" : it->second;
}

Result<JObject::Ptr> jsonBody(const Request& r) { return forms::parseJsonObject(r.body); }

std::string optString(const JObject::Ptr& o, const std::string& key) {
    return o->has(key) && o->get(key).isString() ? o->get(key).toString() : "";
}

template <typename T>
JObject::Ptr pageToJson(const char* name, const storage::Page<T>& page, int limit, int offset,
                        JObject::Ptr (*toJson)(const T&)) {
    auto o = object();
    JArray::Ptr items = new JArray;
    for (const auto& i : page.items) items->add(toJson(i));
    o->set(name, items);
    o->set("total", page.total);
    o->set("limit", limit);
    o->set("offset", offset);
    return o;
}

const char* ID = "([A-Za-z0-9_-]{1,64})";

} // namespace

void addApiRoutes(Router& router, std::shared_ptr<const DossierService> svc) {
    router.requireAuthentication([svc](const Request& r) -> Result<service::Caller> {
        auto it = r.headers.find("authorization");
        return svc->authenticate(it == r.headers.end() ? "" : it->second);
    });
    const std::string id = ID;

    router.add("GET", "/v1/me", [](const Request& r) {
        auto o = organisationToJson(r.caller);
        if (!r.caller.keyName.empty()) o->set("keyName", r.caller.keyName);
        return Reply::json(200, o);
    });

    // Dossiers.
    router.add("POST", "/v1/dossiers", [svc](const Request& r) {
        auto body = jsonBody(r);
        if (!body.isOk()) return Reply::error(body.status());
        auto d = svc->createDossier(r.caller, body.value());
        if (!d.isOk()) return Reply::error(d.status());
        Reply rep = Reply::json(201, dossierToJson(d.value()));
        rep.headers["Location"] = "/v1/dossiers/" + d.value().id;
        return rep;
    }, true);
    router.add("GET", "/v1/dossiers", [svc](const Request& r) {
        auto limit = intParam(r, "limit", 50, 1, 500);
        auto offset = intParam(r, "offset", 0, 0, 1000000000);
        if (!limit.isOk()) return Reply::error(limit.status());
        if (!offset.isOk()) return Reply::error(offset.status());
        service::DossierFilter f{strParam(r, "statut"), strParam(r, "reference"), limit.value(), offset.value()};
        auto page = svc->listDossiers(r.caller, f);
        if (!page.isOk()) return Reply::error(page.status());
        return Reply::json(200, pageToJson<storage::Dossier>("dossiers", page.value(), f.limit, f.offset, dossierToJson));
    });
    router.add("GET", "/v1/dossiers/" + id, [svc](const Request& r) {
        auto d = svc->getDossier(r.caller, r.params[0]);
        if (!d.isOk()) return Reply::error(d.status());
        return Reply::json(200, dossierToJson(d.value()));
    });
    router.add("PATCH", "/v1/dossiers/" + id, [svc](const Request& r) {
        auto body = jsonBody(r);
        if (!body.isOk()) return Reply::error(body.status());
        auto d = svc->updateDossier(r.caller, r.params[0], body.value());
        if (!d.isOk()) return Reply::error(d.status());
        return Reply::json(200, dossierToJson(d.value()));
    }, true);

    // Actions.
    router.add("POST", "/v1/actions", [svc](const Request& r) {
        auto body = jsonBody(r);
        if (!body.isOk()) return Reply::error(body.status());
        auto a = svc->createAction(r.caller, body.value());
        if (!a.isOk()) return Reply::error(a.status());
        Reply rep = Reply::json(201, actionToJson(a.value()));
        rep.headers["Location"] = "/v1/actions/" + a.value().id;
        return rep;
    }, true);
    router.add("GET", "/v1/actions", [svc](const Request& r) {
        auto list = svc->listActions(r.caller);
        if (!list.isOk()) return Reply::error(list.status());
        auto o = object();
        JArray::Ptr arr = new JArray;
        for (const auto& a : list.value()) arr->add(actionToJson(a));
        o->set("actions", arr);
        return Reply::json(200, o);
    });
    router.add("GET", "/v1/actions/" + id, [svc](const Request& r) {
        auto a = svc->getAction(r.caller, r.params[0]);
        if (!a.isOk()) return Reply::error(a.status());
        return Reply::json(200, actionToJson(a.value()));
    });

    // Documents.
    router.add("POST", "/v1/documents", [svc](const Request& r) {
        auto body = jsonBody(r);
        if (!body.isOk()) return Reply::error(body.status());
        const auto& b = body.value();
        service::NewDocument in;
        in.form = optString(b, "form");
        in.variant = optString(b, "variant");
        in.dossierId = optString(b, "dossier");
        in.actionId = optString(b, "action");
        in.data = b->getObject("data");
        if (in.form.empty())
            return Reply::error(Status::invalidArgument("form_required", "Le champ « form » (identifiant du formulaire) est obligatoire."));
        auto v = svc->createDocument(r.caller, in);
        if (!v.isOk()) return Reply::error(v.status());
        Reply rep = Reply::json(201, documentViewToJson(v.value()));
        rep.headers["Location"] = "/v1/documents/" + v.value().document.id;
        return rep;
    }, true);
    router.add("GET", "/v1/documents", [svc](const Request& r) {
        auto limit = intParam(r, "limit", 50, 1, 500);
        auto offset = intParam(r, "offset", 0, 0, 1000000000);
        if (!limit.isOk()) return Reply::error(limit.status());
        if (!offset.isOk()) return Reply::error(offset.status());
        service::DocumentFilter f{strParam(r, "dossier"), strParam(r, "action"), strParam(r, "form"), limit.value(),
                                  offset.value()};
        auto page = svc->listDocuments(r.caller, f);
        if (!page.isOk()) return Reply::error(page.status());
        return Reply::json(200, pageToJson<storage::Document>("documents", page.value(), f.limit, f.offset, documentToJson));
    });
    router.add("GET", "/v1/documents/" + id, [svc](const Request& r) {
        auto rev = intParam(r, "revision", 0, 1, 1000000);
        if (!rev.isOk()) return Reply::error(rev.status());
        auto v = svc->getDocument(r.caller, r.params[0], rev.value());
        if (!v.isOk()) return Reply::error(v.status());
        return Reply::json(200, documentViewToJson(v.value()));
    });
    router.add("GET", "/v1/documents/" + id + "/revisions", [svc](const Request& r) {
        auto list = svc->listRevisions(r.caller, r.params[0]);
        if (!list.isOk()) return Reply::error(list.status());
        auto o = object();
        JArray::Ptr arr = new JArray;
        for (const auto& rev : list.value()) arr->add(revisionToJson(r.params[0], rev, /*withData=*/false));
        o->set("revisions", arr);
        return Reply::json(200, o);
    });
    router.add("POST", "/v1/documents/" + id + "/revisions", [svc](const Request& r) {
        auto body = jsonBody(r);
        if (!body.isOk()) return Reply::error(body.status());
        const auto& b = body.value();
        service::DocumentRevisionInput in;
        in.variant = optString(b, "variant");
        in.data = b->getObject("data");
        if (b->has("expectedRevision")) {
            auto e = b->get("expectedRevision");
            if (!e.isInteger())
                return Reply::error(Status::invalidArgument("bad_expected_revision", "« expectedRevision » doit être un entier."));
            in.expectedRevision = e.convert<std::int64_t>();
        }
        auto v = svc->reviseDocument(r.caller, r.params[0], in);
        if (!v.isOk()) return Reply::error(v.status());
        return Reply::json(201, documentViewToJson(v.value()));
    }, true);
    router.add("GET", "/v1/documents/" + id + "/(pdf|xlsx)", [svc](const Request& r) {
        auto rev = intParam(r, "revision", 0, 1, 1000000);
        if (!rev.isOk()) return Reply::error(rev.status());
        auto doc = svc->getDocument(r.caller, r.params[0], rev.value());
        if (!doc.isOk()) return Reply::error(doc.status());
        auto art = svc->getRendition(r.caller, r.params[0], r.params[1], doc.value().revision.number);
        if (!art.isOk()) return Reply::error(art.status());
        Reply rep;
        rep.status = 200;
        rep.contentType = art.value().contentType;
        rep.body = std::move(art.value().bytes);
        const std::string n = std::to_string(doc.value().revision.number);
        rep.headers["Content-Disposition"] = "attachment; filename=\"" + doc.value().document.form + "-" +
                                             r.params[0] + "-r" + n + "." + r.params[1] + "\"";
        rep.headers["X-Document-Id"] = r.params[0];
        rep.headers["X-Revision"] = n;
        rep.headers["ETag"] = "\"" + art.value().sha256 + "\"";
        return rep;
    });
}

} // namespace passerelle::http
