#pragma once
// The signing secret of a landlord's (or SIAO's) webhook (issue 12, migration 13): every push
// to the webhook carries X-Passerelle-Signature, the HMAC-SHA256 of its body under this secret,
// so that the receiver can tell Passerelle's pushes from anyone else's. One secret per
// organisation; a new one replaces the previous at once (pushes retried afterwards are signed
// with the new one). The secret is shown once to the admin who made it; the delivery needs it
// in clear to sign, so it is kept encrypted at rest (storage/SecretCipher.h: AES-256-GCM,
// "v1:" text, the organisation id as associated data) with a key held outside the database.
//
// WebhookSecretStore is the interface; PocoWebhookSecretStore implements it on the PocoStore's
// pool (SQLite or PostgreSQL), its SQL in WebhookSecretStore.cpp, so that Store stays as it is.
// Access rules are not here: service::OrganisationService checks them. Thread-safe.
#include <memory>
#include <string>

#include "common/Status.h"
#include "storage/SecretCipher.h"
#include "storage/Store.h"

namespace passerelle::storage {

class PocoStore;

struct WebhookSecret {
    std::string organisationId;
    std::string secret;
    std::string createdAt;
};

class WebhookSecretStore {
public:
    virtual ~WebhookSecretStore() = default;
    // Sets (or replaces) the secret, with `audit` in the same transaction.
    virtual Result<WebhookSecret> setWebhookSecret(const std::string& organisationId, const std::string& secret,
                                                   const AuditEvent& audit) = 0;
    // NotFound "webhook_secret_not_found" when none.
    virtual Result<WebhookSecret> findWebhookSecret(const std::string& organisationId) = 0;
};

class PocoWebhookSecretStore : public WebhookSecretStore {
public:
    PocoWebhookSecretStore(std::shared_ptr<PocoStore> store, std::shared_ptr<const SecretCipher> cipher)
        : _store(std::move(store)), _cipher(std::move(cipher)) {}
    // At start-up: encrypts the rows still in clear (stored before encryption at rest: no "v1:"
    // prefix), one transaction, idempotent; then checks that every stored secret decrypts with this
    // key. A wrong key: FailedPrecondition "secrets_key_mismatch" (French / English, no secret in it).
    // Returns how many rows it encrypted.
    Result<int> prepare();
    Result<WebhookSecret> setWebhookSecret(const std::string& organisationId, const std::string& secret,
                                           const AuditEvent& audit) override;
    // Internal "webhook_secret_undecryptable" when the stored value does not decrypt.
    Result<WebhookSecret> findWebhookSecret(const std::string& organisationId) override;

private:
    std::shared_ptr<PocoStore> _store;
    std::shared_ptr<const SecretCipher> _cipher;
};

} // namespace passerelle::storage
