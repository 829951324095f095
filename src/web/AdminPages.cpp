#include "web/AdminPages.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include "web/PageHelpers.h"
#include "web/PageKit.h"

namespace passerelle::web {

using http::Reply;

namespace {

const char* const KEY_ID = "(key_[0-9a-f]{16})";

const char* kindLabel(const std::string& k) {
    if (k == "association") return "Association";
    if (k == "bailleur") return "Bailleur social";
    if (k == "financeur") return "Financeur";
    if (k == "siao") return "SIAO";
    return "Organisation";
}

std::string epochMsToIso(std::int64_t ms) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(static_cast<Poco::Timestamp::TimeVal>(ms) * 1000),
                                           "%Y-%m-%dT%H:%M:%S.000Z");
}

// The state of one push in French.
std::string deliveryState(const storage::OutboxStatus& s) {
    const std::string attempts = std::to_string(s.attempts) + (s.attempts > 1 ? " tentatives" : " tentative");
    if (s.delivered)
        return "Remis" + (s.deliveredAtMs ? " le " + frenchDateTime(epochMsToIso(*s.deliveredAtMs)) : std::string()) +
               (s.httpStatus ? " (réponse HTTP " + std::to_string(s.httpStatus) + ")" : std::string());
    if (s.cancelled) return "Annulé : " + kit::cancelReasonText(s.cancelReason);
    if (s.dead) return "Échec définitif après " + attempts;
    if (s.attempts == 0) return "En attente du premier envoi";
    return "En échec, nouvel essai le " + frenchDateTime(epochMsToIso(s.nextAttemptAtMs)) + " (" + attempts + ")";
}

std::string deliveryKind(const storage::OutboxStatus& s) {
    return s.delivered ? "remis" : s.cancelled ? "annule" : s.dead ? "echec" : "attente";
}

} // namespace

void addAdminPages(http::Router& router, const WebApp& app, const AdminServices& services) {
    auto orgs = services.organisations;

    // --- API keys -----------------------------------------------------------------------------
    auto keysPage = [&app, orgs](Page& page, const Status& st, const std::string& message,
                                 const service::CreatedKey* created) {
        auto keys = orgs->listKeys(page.caller);
        if (!keys.isOk()) return app.errorPage(page, keys.status());
        mstch::array rows;
        for (const auto& k : keys.value()) {
            bool revoked = !k.revokedAt.empty();
            rows.push_back(mstch::map{{"id", k.id},
                                      {"name", k.name.empty() ? std::string("(sans nom)") : k.name},
                                      {"prefix", k.prefix},
                                      {"created", frenchDate(k.createdAt)},
                                      {"revoked", revoked},
                                      {"state", revoked ? "Révoquée le " + frenchDate(k.revokedAt) : std::string("Valide")},
                                      {"csrf", page.csrfToken}});
        }
        mstch::array summary;
        std::map<std::string, std::string> errors;
        if (!st.isOk()) errors = pages::errorsOf(st, summary, "/name");
        mstch::map ctx{{"keys", rows},
                       {"errors", summary},
                       {"field", pages::inputField("/name", "Personne ou logiciel qui utilisera la clé",
                                                   st.isOk() ? std::string() : page.form.get("/name"), errors,
                                                   "Par exemple « Logiciel de suivi — Claire Lefèvre ». Ce nom figure dans le journal.")}};
        if (!message.empty()) ctx["message"] = message;
        if (created)
            ctx["created"] = mstch::map{{"name", created->key.name}, {"secret", created->secret}, {"prefix", created->key.prefix}};
        const bool failed = !summary.empty();
        return app.render(page, "cles-api", ctx, failed ? "Erreur : clés d’API" : "Clés d’API", failed ? 400 : 200);
    };
    app.page(router, "GET", "/cles-api", [keysPage](Page& page) {
        std::string message = page.query.get("message") == "revoquee"
                                  ? "La clé a été révoquée : elle n’ouvre plus l’API, dès maintenant."
                                  : "";
        return keysPage(page, Status::ok(), message, nullptr);
    }, Access::Admin);
    app.page(router, "POST", "/cles-api", [&app, orgs, keysPage](Page& page) {
        auto created = orgs->createKey(page.caller, page.form.get("/name"));
        if (!created.isOk()) {
            if (created.status().code() == Status::Code::InvalidArgument)
                return keysPage(page, created.status(), "", nullptr);
            return app.errorPage(page, created.status());
        }
        // The secret is shown once, in this answer (never in a URL, never stored).
        return keysPage(page, Status::ok(), "La clé « " + created.value().key.name + " » a été créée.", &created.value());
    }, Access::Admin);
    app.page(router, "POST", std::string("/cles-api/") + KEY_ID + "/revoquer", [&app, orgs](Page& page) {
        const std::string id = page.request.params.at(0);
        if (page.form.get("confirmer") != "oui") {
            auto keys = orgs->listKeys(page.caller);
            if (!keys.isOk()) return app.errorPage(page, keys.status());
            for (const auto& k : keys.value())
                if (k.id == id && k.revokedAt.empty())
                    return app.render(page, "cle-api-revoquer",
                                      {{"id", k.id}, {"name", k.name.empty() ? std::string("(sans nom)") : k.name}, {"prefix", k.prefix}},
                                      "Révoquer la clé " + k.prefix);
            return app.notFound(page);
        }
        auto revoked = orgs->revokeKey(page.caller, id);
        if (!revoked.isOk())
            return revoked.status().code() == Status::Code::NotFound ? app.notFound(page) : app.errorPage(page, revoked.status());
        return app.redirect("/cles-api?message=revoquee");
    }, Access::Admin);

    // --- Partnerships -------------------------------------------------------------------------
    app.page(router, "GET", "/partenariats", [&app, orgs](Page& page) {
        auto list = orgs->partnerships(page.caller);
        if (!list.isOk()) return app.errorPage(page, list.status());
        mstch::array rows;
        for (const auto& p : list.value()) {
            const bool weAreAssociation = p.partnership.associationId == page.caller.organisationId;
            const bool weAreSiao = p.partnership.siaoId == page.caller.organisationId;
            std::string partner, role;
            if (weAreSiao) {
                partner = p.associationName + " et " + p.bailleurName;
                role = "SIAO mis en copie des envois";
            } else if (weAreAssociation) {
                partner = p.bailleurName;
                role = "Bailleur social";
            } else {
                partner = p.associationName;
                role = "Association";
            }
            rows.push_back(mstch::map{{"partner", partner},
                                      {"role", role},
                                      {"siao", p.siaoName.empty() ? std::string("Aucun") : p.siaoName},
                                      {"since", frenchDate(p.partnership.createdAt)}});
        }
        mstch::map ctx{{"partnerships", rows}, {"kindLabel", std::string(kindLabel(page.caller.kind))},
                       {"isAssociation", page.caller.kind == "association"}};
        return app.render(page, "partenariats", ctx, "Partenariats");
    }, Access::Admin);

    // --- The landlord's webhook ------------------------------------------------------------------
    // What the last action left to show: a message, the secret just made (once), a test push's outcome.
    struct Notice {
        std::string message, secret, test;
        bool testOk = false;
    };
    auto webhookPage = [&app, orgs](Page& page, const Status& st, const Notice& notice) {
        const std::string& message = notice.message;
        if (!service::OrganisationService::receivesWebhook(page.caller)) return app.notFound(page);
        auto w = orgs->webhook(page.caller);
        if (!w.isOk()) return app.errorPage(page, w.status());
        auto deliveries = orgs->recentDeliveries(page.caller);
        if (!deliveries.isOk()) return app.errorPage(page, deliveries.status());
        mstch::array rows;
        for (const auto& d : deliveries.value())
            rows.push_back(mstch::map{{"transmission", d.transmissionId},
                                      {"sender", d.senderName},
                                      {"date", frenchDateTime(d.createdAt)},
                                      {"state", deliveryState(d.status)},
                                      {"kind", deliveryKind(d.status)},
                                      {"error", d.status.delivered ? std::string() : d.status.lastError.substr(0, 200)}});
        mstch::array summary;
        std::map<std::string, std::string> errors;
        if (!st.isOk()) errors = pages::errorsOf(st, summary, "/url");
        const std::string current = w.value() ? w.value()->url : std::string();
        mstch::map ctx{{"deliveries", rows},
                       {"errors", summary},
                       {"field", pages::inputField("/url", "Adresse du webhook", st.isOk() ? current : page.form.get("/url"), errors,
                                                   "Adresse http:// de votre serveur de réception, par exemple http://reception.bailleur.fr/passerelle. "
                                                   "Le TLS se termine à votre mandataire.")}};
        if (w.value()) ctx["webhook"] = mstch::map{{"url", w.value()->url}, {"updated", frenchDateTime(w.value()->updatedAt)}};
        if (!message.empty()) ctx["message"] = message;
        auto secretAt = orgs->webhookSecretCreatedAt(page.caller);
        if (!secretAt.isOk()) return app.errorPage(page, secretAt.status());
        ctx["offersSecret"] = orgs->offersWebhookSecret();
        ctx["offersTest"] = orgs->offersWebhookTest() && w.value().has_value();
        if (!secretAt.value().empty()) ctx["secretAt"] = frenchDateTime(secretAt.value());
        if (!notice.secret.empty()) ctx["newSecret"] = notice.secret;
        if (!notice.test.empty()) ctx["test"] = mstch::map{{"text", notice.test}, {"ok", notice.testOk}};
        // An address refused is answered as the API answers it: 422 with the same French message.
        const bool failed = !summary.empty();
        return app.render(page, "webhook", ctx, failed ? "Erreur : webhook de réception" : "Webhook de réception",
                          failed ? 422 : 200);
    };
    app.page(router, "GET", "/webhook", [webhookPage](Page& page) {
        Notice n;
        if (page.query.get("message") == "enregistre") n.message = "L’adresse du webhook est enregistrée.";
        return webhookPage(page, Status::ok(), n);
    }, Access::Admin);
    // A new signing secret: shown once, in this answer (never in a URL).
    app.page(router, "POST", "/webhook/secret", [&app, orgs, webhookPage](Page& page) {
        if (!service::OrganisationService::receivesWebhook(page.caller)) return app.notFound(page);
        auto secret = orgs->newWebhookSecret(page.caller);
        if (!secret.isOk()) return app.errorPage(page, secret.status());
        Notice n;
        n.message = "Le nouveau secret remplace le précédent dès maintenant.";
        n.secret = secret.value();
        return webhookPage(page, Status::ok(), n);
    }, Access::Admin);
    // A test push, now, and what the webhook answered.
    app.page(router, "POST", "/webhook/essai", [&app, orgs, webhookPage](Page& page) {
        if (!service::OrganisationService::receivesWebhook(page.caller)) return app.notFound(page);
        auto t = orgs->testWebhook(page.caller);
        if (!t.isOk()) return app.errorPage(page, t.status());
        Notice n;
        const auto& r = t.value().result;
        n.testOk = r.delivered;
        const std::string sig = t.value().signed_ ? " L’envoi était signé (X-Passerelle-Signature)." : " L’envoi n’était pas signé.";
        if (r.delivered) n.test = "Essai reçu : votre serveur a répondu HTTP " + std::to_string(r.httpStatus) + "." + sig;
        else if (r.httpStatus) n.test = "Essai refusé : votre serveur a répondu HTTP " + std::to_string(r.httpStatus) + "." + sig;
        else n.test = "Essai en échec : aucune réponse de votre serveur (" + r.error.substr(0, 200) + ")." + sig;
        return webhookPage(page, Status::ok(), n);
    }, Access::Admin);
    app.page(router, "POST", "/webhook", [&app, orgs, webhookPage](Page& page) {
        if (!service::OrganisationService::receivesWebhook(page.caller)) return app.notFound(page);
        auto w = orgs->setWebhook(page.caller, page.form.get("/url"));
        if (!w.isOk()) {
            if (w.status().code() == Status::Code::InvalidArgument) return webhookPage(page, w.status(), Notice{});
            return app.errorPage(page, w.status());
        }
        return app.redirect("/webhook?message=enregistre");
    }, Access::Admin);
}

} // namespace passerelle::web
