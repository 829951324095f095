// PocoStore: the signing secret of a landlord's (or SIAO's) webhook (issue 12, migration 13).
// Table webhook_secrets: one row per organisation, replaced when a new secret is made; the
// write goes with its audit event (identifiers only, never the secret) in one transaction.
// The secret is kept as is: the delivery signs each push with it (HMAC-SHA256).
#include <deque>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include "storage/WebhookSecretStore.h"

#include "storage/PocoStore.h"
#include "storage/SqlBinds.h"

namespace passerelle::storage {

using Poco::Data::Session;
using Poco::Data::Statement;
using namespace Poco::Data::Keywords;

namespace {


using sql::Sql;
using sql::nowIso;

} // namespace

Result<WebhookSecret> PocoWebhookSecretStore::setWebhookSecret(const std::string& organisationId, const std::string& secret,
                                                              const AuditEvent& audit) {
    WebhookSecret w{organisationId, secret, nowIso()};
    Status st = _store->writeTransaction("setWebhookSecret", [&](Session& s) {
        std::size_t n;
        {
            Sql q(s);
            n = q.run("UPDATE webhook_secrets SET secret = " + q.str(secret) + ", created_at = " + q.str(w.createdAt) +
                      " WHERE organisation_id = " + q.str(organisationId));
        }
        if (n == 0) {
            Sql q(s);
            q.run("INSERT INTO webhook_secrets (organisation_id, secret, created_at) VALUES (" + q.str(organisationId) + ", " +
                  q.str(secret) + ", " + q.str(w.createdAt) + ")");
        }
        _store->appendAuditInTransaction(s, audit);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return w;
}

Result<WebhookSecret> PocoWebhookSecretStore::findWebhookSecret(const std::string& organisationId) {
    std::vector<std::string> secrets, created;
    Status st = _store->readSession("findWebhookSecret", [&](Session& s) {
        Sql q(s);
        q.run("SELECT secret, created_at FROM webhook_secrets WHERE organisation_id = " + q.str(organisationId), into(secrets),
              into(created));
        return Status::ok();
    });
    if (!st.isOk()) return st;
    if (secrets.empty()) return Status::notFound("webhook_secret_not_found", "Aucun secret de webhook n’est défini.");
    return WebhookSecret{organisationId, secrets.front(), created.front()};
}

} // namespace passerelle::storage
