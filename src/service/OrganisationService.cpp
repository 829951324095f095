#include "service/OrganisationService.h"

#include <algorithm>

#include <Poco/JSON/Object.h>
#include <Poco/RandomStream.h>
#include <Poco/String.h>

#include "common/Text.h"
#include "storage/ApiKeys.h"

namespace passerelle::service {

namespace {

std::string jsonText(const std::string& s) {
    Poco::JSON::Object o;
    o.set("v", s);
    std::ostringstream out;
    o.stringify(out);
    std::string j = out.str(); // {"v":"…"}
    return j.substr(5, j.size() - 6);
}

} // namespace

OrganisationService::OrganisationService(std::shared_ptr<storage::Store> store,
                                         std::shared_ptr<const TransmissionService> transmissions,
                                         std::shared_ptr<storage::WebhookSecretStore> secrets,
                                         std::shared_ptr<delivery::Sender> sender)
    : _store(std::move(store)), _transmissions(std::move(transmissions)), _secrets(std::move(secrets)),
      _sender(std::move(sender)) {}

Status OrganisationService::requireAdmin(const Caller& caller) const {
    if (caller.organisationId.empty() || caller.userId.empty() || caller.role != "admin")
        return Status::permissionDenied("admin_only", "Réservé aux administrateurs de l’organisation.");
    return Status::ok();
}

std::string OrganisationService::nameOf(const std::string& id) const {
    if (id.empty()) return {};
    auto o = _store->findOrganisation(id);
    return o.isOk() ? o.value().name : std::string();
}

Result<std::vector<storage::ApiKey>> OrganisationService::listKeys(const Caller& admin) const {
    if (Status st = requireAdmin(admin); !st.isOk()) return st;
    auto keys = _store->listApiKeys(admin.organisationId);
    if (!keys.isOk()) return keys.status();
    auto list = keys.value();
    // Valid keys first, then the newest.
    std::stable_sort(list.begin(), list.end(), [](const storage::ApiKey& a, const storage::ApiKey& b) {
        if (a.revokedAt.empty() != b.revokedAt.empty()) return a.revokedAt.empty();
        return a.createdAt > b.createdAt;
    });
    return list;
}

Result<CreatedKey> OrganisationService::createKey(const Caller& admin, const std::string& rawName) const {
    if (Status st = requireAdmin(admin); !st.isOk()) return st;
    const std::string name = Poco::trim(rawName);
    if (name.empty())
        return Status::invalidArgument("invalid_key", "La clé contient des erreurs.",
                                       {{"/name", "required", "Indiquez la personne ou le logiciel qui utilisera la clé."}});
    if (text::length(name) > MAX_KEY_NAME_CHARS)
        return Status::invalidArgument("invalid_key", "La clé contient des erreurs.",
                                       {{"/name", "max_length", "Le nom de la clé dépasse " + std::to_string(MAX_KEY_NAME_CHARS) +
                                                                    " caractères."}});
    storage::GeneratedKey g = storage::generateApiKey();
    auto key = _store->createApiKey(admin.organisationId, name, g.prefix, g.hash);
    if (!key.isOk()) return key.status();
    // Identifiers only: never the secret nor its hash.
    (void)_store->appendAudit({"apikey.created", admin.organisationId, key.value().id,
                               "{\"user\":" + jsonText(admin.userId) + ",\"prefix\":" + jsonText(g.prefix) + "}"});
    return CreatedKey{key.value(), g.secret};
}

Result<storage::ApiKey> OrganisationService::revokeKey(const Caller& admin, const std::string& keyId) const {
    if (Status st = requireAdmin(admin); !st.isOk()) return st;
    auto keys = _store->listApiKeys(admin.organisationId);
    if (!keys.isOk()) return keys.status();
    auto it = std::find_if(keys.value().begin(), keys.value().end(), [&](const storage::ApiKey& k) { return k.id == keyId; });
    if (it == keys.value().end()) return Status::notFound("key_not_found", "Clé introuvable.");
    if (!it->revokedAt.empty()) return Status::failedPrecondition("key_revoked", "Cette clé est déjà révoquée.");
    auto revoked = _store->revokeApiKey(it->id);
    if (!revoked.isOk()) return revoked.status();
    (void)_store->appendAudit({"apikey.revoked", admin.organisationId, it->id, "{\"user\":" + jsonText(admin.userId) + "}"});
    return revoked;
}

Result<std::vector<PartnershipView>> OrganisationService::partnerships(const Caller& admin) const {
    if (Status st = requireAdmin(admin); !st.isOk()) return st;
    auto list = _store->listPartnerships(admin.organisationId);
    if (!list.isOk()) return list.status();
    std::vector<PartnershipView> out;
    for (const auto& p : list.value())
        out.push_back({p, nameOf(p.associationId), nameOf(p.bailleurId), nameOf(p.siaoId)});
    return out;
}

bool OrganisationService::receivesWebhook(const Caller& caller) {
    return caller.kind == storage::KIND_BAILLEUR || caller.kind == storage::KIND_SIAO;
}

Result<std::optional<storage::Webhook>> OrganisationService::webhook(const Caller& admin) const {
    if (Status st = requireAdmin(admin); !st.isOk()) return st;
    if (!receivesWebhook(admin))
        return Status::permissionDenied("forbidden_role", "Seul un bailleur (ou un SIAO) déclare un webhook de réception.");
    auto w = _store->findWebhook(admin.organisationId);
    if (!w.isOk()) {
        if (w.status().code() == Status::Code::NotFound) return std::optional<storage::Webhook>{};
        return w.status();
    }
    return std::optional<storage::Webhook>{w.value()};
}

Result<storage::Webhook> OrganisationService::setWebhook(const Caller& admin, const std::string& url) const {
    if (Status st = requireAdmin(admin); !st.isOk()) return st;
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("url", Poco::trim(url));
    // The same use case as PUT /v1/me/webhook.
    return _transmissions->setWebhook(admin, body);
}

Result<std::string> OrganisationService::newWebhookSecret(const Caller& admin) const {
    if (Status st = requireAdmin(admin); !st.isOk()) return st;
    if (!receivesWebhook(admin))
        return Status::permissionDenied("forbidden_role", "Seul un bailleur (ou un SIAO) déclare un webhook de réception.");
    if (!_secrets) return Status::unavailable("webhook_secret_unavailable", "Les secrets de webhook ne sont pas disponibles ici.");
    Poco::RandomInputStream rnd;
    static const char* hex = "0123456789abcdef";
    std::string secret = "whsec_";
    for (int i = 0; i < 32; ++i) {
        unsigned char c = static_cast<unsigned char>(rnd.get());
        secret.push_back(hex[c >> 4]);
        secret.push_back(hex[c & 0xF]);
    }
    // Identifiers only: never the secret.
    auto saved = _secrets->setWebhookSecret(admin.organisationId, secret,
                                            {"webhook.secret_set", admin.organisationId, admin.organisationId,
                                             "{\"user\":" + jsonText(admin.userId) + "}"});
    if (!saved.isOk()) return saved.status();
    return secret;
}

Result<std::string> OrganisationService::webhookSecretCreatedAt(const Caller& admin) const {
    if (Status st = requireAdmin(admin); !st.isOk()) return st;
    if (!_secrets || !receivesWebhook(admin)) return std::string();
    auto s = _secrets->findWebhookSecret(admin.organisationId);
    if (!s.isOk()) {
        if (s.status().code() == Status::Code::NotFound) return std::string();
        return s.status();
    }
    return s.value().createdAt;
}

Result<WebhookTest> OrganisationService::testWebhook(const Caller& admin) const {
    auto w = webhook(admin);
    if (!w.isOk()) return w.status();
    if (!w.value()) return Status::failedPrecondition("webhook_missing", "Déclarez d’abord l’adresse du webhook.");
    if (!_sender) return Status::unavailable("webhook_test_unavailable", "L’essai d’envoi n’est pas disponible ici.");
    auto createdAt = webhookSecretCreatedAt(admin);
    if (!createdAt.isOk()) return createdAt.status();
    delivery::OutboxMessage m;
    m.id = storage::newId("essai_");
    m.recipientOrgId = admin.organisationId;
    m.url = w.value()->url;
    m.transmissionId = "essai";
    Poco::JSON::Object body;
    body.set("type", "essai");
    body.set("id", m.id);
    body.set("organisation", admin.organisationId);
    std::ostringstream out;
    body.stringify(out);
    m.body = out.str();
    WebhookTest t{_sender->send(m), !createdAt.value().empty()};
    (void)_store->appendAudit({"webhook.tested", admin.organisationId, m.id,
                               "{\"user\":" + jsonText(admin.userId) + ",\"httpStatus\":" + std::to_string(t.result.httpStatus) +
                                   ",\"delivered\":" + (t.result.delivered ? "true" : "false") + "}"});
    return t;
}

Result<std::vector<WebhookDeliveryView>> OrganisationService::recentDeliveries(const Caller& admin, int limit) const {
    if (Status st = requireAdmin(admin); !st.isOk()) return st;
    if (!receivesWebhook(admin)) return std::vector<WebhookDeliveryView>{};
    storage::TransmissionQuery q;
    q.recipientOrgId = admin.organisationId;
    q.limit = limit;
    auto page = _store->listTransmissions(q);
    if (!page.isOk()) return page.status();
    std::vector<WebhookDeliveryView> out;
    for (const auto& t : page.value().items) {
        auto pushes = _store->listOutbox(t.id);
        if (!pushes.isOk()) return pushes.status();
        for (const auto& m : pushes.value())
            if (m.recipientOrgId == admin.organisationId) out.push_back({t.id, t.form, nameOf(t.senderOrgId), t.createdAt, m});
    }
    std::sort(out.begin(), out.end(), [](const WebhookDeliveryView& a, const WebhookDeliveryView& b) { return a.createdAt > b.createdAt; });
    return out;
}

Result<std::vector<storage::Organisation>> OrganisationService::funders() const {
    auto all = _store->listOrganisations();
    if (!all.isOk()) return all.status();
    std::vector<storage::Organisation> out;
    for (const auto& o : all.value())
        if (o.kind == storage::KIND_FINANCEUR) out.push_back(o);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

} // namespace passerelle::service
