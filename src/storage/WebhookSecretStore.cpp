// PocoStore: the signing secret of a landlord's (or SIAO's) webhook (issue 12, migration 13).
// Table webhook_secrets: one row per organisation, replaced when a new secret is made; the
// write goes with its audit event (identifiers only, never the secret) in one transaction.
// The secret is kept encrypted (SecretCipher: "v1:" AES-256-GCM, the organisation id as associated
// data): the delivery decrypts it to sign each push (HMAC-SHA256). Rows written in clear before
// (schema 13 to 19) are encrypted by prepare() at start-up: a migration cannot reach the key.
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

Result<int> PocoWebhookSecretStore::prepare() {
    int encrypted = 0;
    Status mismatch;
    Status st = _store->writeTransaction("encryptWebhookSecrets", [&](Session& s) {
        std::vector<std::string> orgs, values;
        {
            Sql q(s);
            q.run("SELECT organisation_id, secret FROM webhook_secrets ORDER BY organisation_id", into(orgs), into(values));
        }
        for (std::size_t i = 0; i < orgs.size(); ++i) {
            if (SecretCipher::isEncrypted(values[i])) {
                auto clear = _cipher->decrypt(values[i], orgs[i]);
                if (!clear.isOk() && mismatch.isOk())
                    mismatch = Status::failedPrecondition(
                        "secrets_key_mismatch",
                        "La clé des secrets (passerelle.secrets.key, passerelle.secrets.keyFile ou DATA_DIR/secrets.key) ne "
                        "déchiffre pas les secrets de webhook enregistrés : ce n’est pas la clé avec laquelle ils ont été "
                        "chiffrés. Remettez la bonne clé. / The secrets key does not decrypt the stored webhook secrets: "
                        "restore the key they were encrypted with.");
                continue;
            }
            auto sealed = _cipher->encrypt(values[i], orgs[i]);
            if (!sealed.isOk()) return sealed.status();
            Sql q(s);
            q.run("UPDATE webhook_secrets SET secret = " + q.str(sealed.value()) + " WHERE organisation_id = " + q.str(orgs[i]) +
                  " AND secret = " + q.str(values[i]));
            ++encrypted;
        }
        return mismatch.isOk() ? Status::ok() : mismatch; // a wrong key changes nothing
    });
    if (!st.isOk()) return st;
    return encrypted;
}

Result<WebhookSecret> PocoWebhookSecretStore::setWebhookSecret(const std::string& organisationId, const std::string& secret,
                                                              const AuditEvent& audit) {
    WebhookSecret w{organisationId, secret, nowIso()};
    auto sealedSecret = _cipher->encrypt(secret, organisationId);
    if (!sealedSecret.isOk()) return sealedSecret.status();
    const std::string& sealed = sealedSecret.value();
    Status st = _store->writeTransaction("setWebhookSecret", [&](Session& s) {
        std::size_t n;
        {
            Sql q(s);
            n = q.run("UPDATE webhook_secrets SET secret = " + q.str(sealed) + ", created_at = " + q.str(w.createdAt) +
                      " WHERE organisation_id = " + q.str(organisationId));
        }
        if (n == 0) {
            Sql q(s);
            q.run("INSERT INTO webhook_secrets (organisation_id, secret, created_at) VALUES (" + q.str(organisationId) + ", " +
                  q.str(sealed) + ", " + q.str(w.createdAt) + ")");
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
    // A row still in clear (before prepare() ran) is read as is; prepare() encrypts it at start-up.
    if (!SecretCipher::isEncrypted(secrets.front())) return WebhookSecret{organisationId, secrets.front(), created.front()};
    auto clear = _cipher->decrypt(secrets.front(), organisationId);
    if (!clear.isOk())
        return Status::internal("webhook_secret_undecryptable",
                                "Le secret de webhook enregistré ne se déchiffre pas (clé des secrets différente ou données altérées).");
    return WebhookSecret{organisationId, clear.value(), created.front()};
}

} // namespace passerelle::storage
