#include "http/ApiRoutes.h"

#include "forms/FormRegistry.h"
#include "http/Idempotency.h"
#include "http/JsonHelpers.h"
#include "service/HouseholdExport.h"

namespace passerelle::http {

namespace {

using service::DossierService;

JObject::Ptr organisationToJson(const service::Caller& c) {
    auto o = jsonObject();
    o->set("id", c.organisationId);
    o->set("name", c.organisationName);
    o->set("kind", c.kind);
    return o;
}

JObject::Ptr dossierToJson(const storage::Dossier& d) {
    auto o = jsonObject();
    o->set("id", d.id);
    o->set("association", d.associationId);
    o->set("reference", d.reference);
    o->set("statut", d.statut);
    o->set("menage", parsedJson(d.menageJson));
    o->set("logement", parsedJson(d.logementJson));
    o->set("version", d.version);
    o->set("createdAt", d.createdAt);
    o->set("updatedAt", d.updatedAt);
    // Life cycle (retention, docs/rgpd.md): null until it happens.
    auto orNull = [&](const char* key, const std::string& v) {
        if (v.empty()) o->set(key, Poco::Dynamic::Var());
        else o->set(key, v);
    };
    orNull("closedAt", d.closedAt);
    orNull("archivedAt", d.archivedAt);
    orNull("erasedAt", d.erasedAt);
    return o;
}

JObject::Ptr actionToJson(const storage::Action& a) {
    auto o = jsonObject();
    o->set("id", a.id);
    o->set("title", a.title);
    o->set("association", a.associationId);
    o->set("funders", jsonArray(a.funderIds));
    o->set("createdAt", a.createdAt);
    return o;
}

JObject::Ptr revisionToJson(const std::string& documentId, const storage::Revision& r, bool withData) {
    auto o = jsonObject();
    o->set("number", r.number);
    o->set("variant", r.variant);
    o->set("formVersion", r.formVersion);
    o->set("createdAt", r.createdAt);
    o->set("createdBy", r.createdByOrganisationId);
    o->set("artefacts", jsonArrayOf(r.artefacts, [&](const storage::Artefact& a) {
               return artefactToJson(a, "/v1/documents/" + documentId + "/" + a.format +
                                            "?revision=" + std::to_string(r.number));
           }));
    if (withData) o->set("data", parsedJson(r.inputJson));
    return o;
}

JObject::Ptr documentToJson(const storage::Document& d) {
    auto o = jsonObject();
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

Result<JObject::Ptr> jsonBody(const Request& r) { return jsonRequestBody(r); }

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
    router.add("POST", "/v1/dossiers", idempotent(svc->store(), [svc](const Request& r) {
        auto body = jsonBody(r);
        if (!body.isOk()) return Reply::error(body.status());
        auto d = svc->createDossier(r.caller, body.value());
        if (!d.isOk()) return Reply::error(d.status());
        return created(dossierToJson(d.value()), "/v1/dossiers/" + d.value().id);
    }), true);
    router.add("GET", "/v1/dossiers", [svc](const Request& r) {
        auto pp = pageParams(r);
        if (!pp.isOk()) return Reply::error(pp.status());
        service::DossierFilter f{strParam(r, "statut"), strParam(r, "reference"), pp.value().limit, pp.value().offset};
        auto page = svc->listDossiers(r.caller, f);
        if (!page.isOk()) return Reply::error(page.status());
        return Reply::json(200, pageToJson("dossiers", page.value(), f.limit, f.offset, dossierToJson));
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

    // Closing and reopening: the use case of the web's « Clore le dossier » (audited; archived → 409).
    router.add("POST", "/v1/dossiers/" + id + "/close", [svc](const Request& r) {
        auto d = svc->closeDossier(r.caller, r.params[0]);
        if (!d.isOk()) return Reply::error(d.status());
        return Reply::json(200, dossierToJson(d.value()));
    }, true);
    router.add("POST", "/v1/dossiers/" + id + "/reopen", [svc](const Request& r) {
        auto d = svc->reopenDossier(r.caller, r.params[0]);
        if (!d.isOk()) return Reply::error(d.status());
        return Reply::json(200, dossierToJson(d.value()));
    }, true);

    // The household's right of access (docs/rgpd.md): a ZIP of everything held on the dossier, audited.
    auto exporter = std::make_shared<const service::HouseholdExport>(svc);
    router.add("GET", "/v1/dossiers/" + id + "/export", [exporter](const Request& r) {
        auto zip = exporter->exportDossier(r.caller, r.params[0], "api");
        if (!zip.isOk()) return Reply::error(zip.status());
        Reply rep = attachment("application/zip", std::move(zip.value().bytes), zip.value().fileName);
        rep.headers["ETag"] = "\"" + zip.value().sha256 + "\"";
        return rep;
    });

    // Actions.
    router.add("POST", "/v1/actions", [svc](const Request& r) {
        auto body = jsonBody(r);
        if (!body.isOk()) return Reply::error(body.status());
        auto a = svc->createAction(r.caller, body.value());
        if (!a.isOk()) return Reply::error(a.status());
        return created(actionToJson(a.value()), "/v1/actions/" + a.value().id);
    }, true);
    router.add("GET", "/v1/actions", [svc](const Request& r) {
        auto list = svc->listActions(r.caller);
        if (!list.isOk()) return Reply::error(list.status());
        auto o = jsonObject();
        o->set("actions", jsonArrayOf(list.value(), actionToJson));
        return Reply::json(200, o);
    });
    router.add("GET", "/v1/actions/" + id, [svc](const Request& r) {
        auto a = svc->getAction(r.caller, r.params[0]);
        if (!a.isOk()) return Reply::error(a.status());
        return Reply::json(200, actionToJson(a.value()));
    });

    // Documents.
    router.add("POST", "/v1/documents", idempotent(svc->store(), [svc](const Request& r) {
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
        return created(documentViewToJson(v.value()), "/v1/documents/" + v.value().document.id);
    }), true);
    router.add("GET", "/v1/documents", [svc](const Request& r) {
        auto pp = pageParams(r);
        if (!pp.isOk()) return Reply::error(pp.status());
        service::DocumentFilter f{strParam(r, "dossier"), strParam(r, "action"), strParam(r, "form"), pp.value().limit,
                                  pp.value().offset};
        auto page = svc->listDocuments(r.caller, f);
        if (!page.isOk()) return Reply::error(page.status());
        return Reply::json(200, pageToJson("documents", page.value(), f.limit, f.offset, documentToJson));
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
        auto o = jsonObject();
        o->set("revisions", jsonArrayOf(list.value(), [&](const storage::Revision& rev) {
                   return revisionToJson(r.params[0], rev, /*withData=*/false);
               }));
        return Reply::json(200, o);
    });
    router.add("POST", "/v1/documents/" + id + "/revisions", idempotent(svc->store(), [svc](const Request& r) {
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
    }), true);
    router.add("GET", "/v1/documents/" + id + "/(pdf|xlsx)", [svc](const Request& r) {
        auto rev = intParam(r, "revision", 0, 1, 1000000);
        if (!rev.isOk()) return Reply::error(rev.status());
        auto doc = svc->getDocument(r.caller, r.params[0], rev.value());
        if (!doc.isOk()) return Reply::error(doc.status());
        auto art = svc->getRendition(r.caller, r.params[0], r.params[1], doc.value().revision.number);
        if (!art.isOk()) return Reply::error(art.status());
        const std::string n = std::to_string(doc.value().revision.number);
        Reply rep = attachment(art.value().contentType, std::move(art.value().bytes),
                               doc.value().document.form + "-" + r.params[0] + "-r" + n + "." + r.params[1]);
        rep.headers["X-Document-Id"] = r.params[0];
        rep.headers["X-Revision"] = n;
        rep.headers["ETag"] = "\"" + art.value().sha256 + "\"";
        return rep;
    });
}

} // namespace passerelle::http
