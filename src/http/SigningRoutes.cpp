#include "http/SigningRoutes.h"

#include "forms/FormRegistry.h"
#include "http/JsonHelpers.h"
#include "service/AutorisationEvidence.h"

namespace passerelle::http {

namespace {

JObject::Ptr signingToJson(const service::SigningView& v, bool owner) {
    const auto& g = v.record.signing;
    auto o = jsonObject();
    o->set("id", g.id);
    o->set("document", g.documentId);
    o->set("revision", g.revision);
    o->set("currentRevision", v.currentRevision);
    o->set("revisionSha256", g.revisionSha256);
    o->set("state", v.state);
    if (!g.bailleurOrgId.empty()) o->set("bailleur", g.bailleurOrgId);
    o->set("createdAt", g.createdAt);
    o->set("completedAt", g.completedAt.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(g.completedAt));
    if (!v.signedPdfSha256.empty() && owner) {
        auto pdf = jsonObject();
        pdf->set("sha256", v.signedPdfSha256);
        pdf->set("href", "/v1/documents/" + g.documentId + "/signed.pdf");
        o->set("signedPdf", pdf);
    } else {
        o->set("signedPdf", Poco::Dynamic::Var());
    }
    o->set("signatories", jsonArrayOf(v.record.signatories, [&](const storage::Signatory& s) {
               auto x = jsonObject();
               x->set("id", s.id);
               x->set("position", s.position);
               x->set("party", s.party);
               x->set("name", s.name);
               x->set("capacity", s.capacity);
               x->set("state", s.state);
               if (s.state != storage::SIGNATORY_PENDING) {
                   x->set("method", s.method);
                   if (!s.witness.empty()) x->set("witness", s.witness);
                   x->set("signedAt", s.signedAt);
                   x->set("signedAtParis", s.signedAtParis);
                   x->set("revisionSha256", s.revisionSha256);
                   if (!s.imageSha256.empty()) x->set("imageSha256", s.imageSha256);
                   if (!s.typedName.empty()) x->set("typedName", s.typedName);
                   if (owner) {
                       x->set("ip", s.ip);
                       x->set("userAgent", s.userAgent);
                   }
               }
               return x;
           }));
    return o;
}

std::string header(const Request& r, const std::string& name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? "" : it->second;
}

const char* ID = "([A-Za-z0-9_-]{1,64})";

} // namespace

Poco::JSON::Object::Ptr verifyToJson(const service::VerifyView& v) {
    const auto& r = v.report;
    auto o = jsonObject();
    o->set("pdf", r.isPdf);
    o->set("signed", r.hasSignature);
    o->set("sealedByPasserelle", r.passerelle);
    o->set("intact", r.intact());
    o->set("digestValid", r.digestValid);
    o->set("wholeDocument", r.wholeDocument);
    o->set("trustedSigner", r.trustedSigner);
    if (!r.signerSubject.empty()) o->set("signer", r.signerSubject);
    if (!r.signerFingerprint.empty()) o->set("signerSha256", r.signerFingerprint);
    if (v.manifest) {
        for (const char* k : {"document", "form", "revision", "revisionSha256", "signing", "sealedAt", "signatories"})
            if (v.manifest->has(k)) o->set(k, v.manifest->get(k));
    }
    o->set("message", r.problem.empty() ? std::string(r.trustedSigner ? "Document scellé par Passerelle, intact."
                                                                       : "Document scellé par Passerelle, intact (certificat d'une autre instance).")
                                        : r.problem);
    return o;
}

void addSigningRoutes(Router& router, std::shared_ptr<const service::SigningService> svc) {
    const std::string id = ID;
    auto isOwner = [](const Request& r, const service::SigningView& v) {
        return r.caller.kind == storage::KIND_ASSOCIATION && v.record.signing.ownerOrgId == r.caller.organisationId;
    };
    router.add("POST", "/v1/documents/" + id + "/signing", [svc](const Request& r) {
        JObject::Ptr body = jsonObject();
        if (!r.body.empty()) {
            auto b = forms::parseJsonObject(r.body);
            if (!b.isOk()) return Reply::error(b.status());
            body = b.value();
        }
        auto v = svc->start(r.caller, r.params[0], body);
        if (!v.isOk()) return Reply::error(v.status());
        return created(signingToJson(v.value(), true), "/v1/documents/" + r.params[0] + "/signing");
    }, true);
    router.add("GET", "/v1/documents/" + id + "/signing", [svc, isOwner](const Request& r) {
        auto v = svc->status(r.caller, r.params[0]);
        if (!v.isOk()) return Reply::error(v.status());
        return Reply::json(200, signingToJson(v.value(), isOwner(r, v.value())));
    });
    router.add("POST", "/v1/documents/" + id + "/signing/" + id, [svc, isOwner](const Request& r) {
        auto b = forms::parseJsonObject(r.body);
        if (!b.isOk()) return Reply::error(b.status());
        service::SignatureContext ctx{r.clientAddress, header(r, "user-agent")};
        auto v = svc->sign(r.caller, r.params[0], r.params[1], b.value(), ctx);
        if (!v.isOk()) return Reply::error(v.status());
        return Reply::json(200, signingToJson(v.value(), isOwner(r, v.value())));
    }, true);
    router.add("GET", "/v1/documents/" + id + "/signed\\.pdf", [svc](const Request& r) {
        auto a = svc->signedPdf(r.caller, r.params[0]);
        if (!a.isOk()) return Reply::error(a.status());
        Reply rep = attachment("application/pdf", std::move(a.value().bytes), r.params[0] + "-signe.pdf");
        rep.headers["ETag"] = "\"" + a.value().sha256 + "\"";
        return rep;
    });
    // Issue 11 item 4: the signed paper scan of an autorisation (body: the PDF or image).
    router.add("POST", "/v1/documents/" + id + "/scan", [svc](const Request& r) {
        auto scan = svc->attachAutorisationScan(r.caller, r.params[0], header(r, "content-type"), r.body);
        if (!scan.isOk()) return Reply::error(scan.status());
        auto o = jsonObject();
        o->set("id", scan.value().id);
        o->set("document", scan.value().documentId);
        o->set("revision", scan.value().revision);
        o->set("sha256", scan.value().sha256);
        o->set("contentType", scan.value().contentType);
        o->set("size", scan.value().size);
        o->set("createdAt", scan.value().createdAt);
        return created(o, "/v1/documents/" + r.params[0] + "/scan");
    });
    router.allowBody("POST", "/v1/documents/doc_0000000000000000/scan", service::SCAN_REQUEST_BODY_BYTES);
    router.add("POST", "/v1/verify", [svc](const Request& r) {
        if (r.body.empty())
            return Reply::error(Status::invalidArgument("validation_failed", "Envoyez le PDF à vérifier dans le corps de la requête.",
                                                        {{"", "required", "Corps vide : PDF attendu."}}));
        return Reply::json(200, verifyToJson(svc->verify(r.body)));
    });
}

} // namespace passerelle::http
