#pragma once
// OrganisationService: what an organisation's admin manages in the web pages
// (issue 12, « Organisation admin pages »), besides its users (AccountService):
//   - API keys: list, create (the secret is returned once, only its SHA-256
//     is stored, as `passerelle admin create-key`), revoke;
//   - partnerships: the ones the organisation belongs to, with the names of
//     its partners (read only: a partnership binds two organisations and is
//     made by the platform's operator, `passerelle admin create-partnership`;
//     one side alone never creates it — an association declaring itself the
//     partner of a landlord would open itself a channel to that landlord);
//   - the webhook of a landlord (or SIAO): the same use case as
//     PUT /v1/me/webhook (TransmissionService::setWebhook), its signing secret
//     (shown once; see service/WebhookSigning.h), a test push and the delivery
//     state of the last pushes made to it.
// Rules: organisation admins only (a signed-in user whose role is admin);
// anything else is PermissionDenied. A key of another organisation is
// NotFound, as if it did not exist. Key creation and revocation are audited
// (identifiers only, never the secret).
// Thread-safe when the Store is.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/Status.h"
#include "service/Caller.h"
#include "service/TransmissionService.h"
#include "delivery/Outbox.h"
#include "storage/Store.h"
#include "storage/WebhookSecretStore.h"

namespace passerelle::service {

struct CreatedKey {
    storage::ApiKey key;
    std::string secret; // shown once; never stored
};

// A partnership as one of its organisations sees it.
struct PartnershipView {
    storage::Partnership partnership;
    std::string associationName;
    std::string bailleurName;
    std::string siaoName; // "" when the partnership copies no SIAO
};

// One push to the organisation's webhook (the last ones first).
struct WebhookDeliveryView {
    std::string transmissionId;
    std::string form;
    std::string senderName;
    std::string createdAt; // of the transmission
    storage::OutboxStatus status;
};

inline constexpr std::size_t MAX_KEY_NAME_CHARS = 100;

// The outcome of a test push to the webhook.
struct WebhookTest {
    delivery::SendResult result;
    bool signed_ = false; // the push carried X-Passerelle-Signature
};

class OrganisationService {
public:
    // `secrets` (webhook signing secrets) and `sender` (the push sender, for the test push) may be
    // null: the webhook page then offers neither.
    OrganisationService(std::shared_ptr<storage::Store> store, std::shared_ptr<const TransmissionService> transmissions,
                        std::shared_ptr<storage::WebhookSecretStore> secrets = nullptr,
                        std::shared_ptr<delivery::Sender> sender = nullptr);

    Result<std::vector<storage::ApiKey>> listKeys(const Caller& admin) const;
    // `name`: who (or what) uses the key, required, at most MAX_KEY_NAME_CHARS characters.
    Result<CreatedKey> createKey(const Caller& admin, const std::string& name) const;
    // NotFound for a key of another organisation; FailedPrecondition "key_revoked" when already revoked.
    Result<storage::ApiKey> revokeKey(const Caller& admin, const std::string& keyId) const;

    Result<std::vector<PartnershipView>> partnerships(const Caller& admin) const;

    // True for the kinds that receive pushes (bailleur, siao).
    static bool receivesWebhook(const Caller& caller);
    // The declared webhook, or nothing.
    Result<std::optional<storage::Webhook>> webhook(const Caller& admin) const;
    Result<storage::Webhook> setWebhook(const Caller& admin, const std::string& url) const;
    // A new signing secret ("whsec_" + 64 hex digits), returned once; it replaces the previous one at once.
    Result<std::string> newWebhookSecret(const Caller& admin) const;
    // When the current secret was made; "" when there is none.
    Result<std::string> webhookSecretCreatedAt(const Caller& admin) const;
    bool offersWebhookSecret() const { return static_cast<bool>(_secrets); }
    bool offersWebhookTest() const { return static_cast<bool>(_sender); }
    // Sends one test push to the declared webhook now ({"type": "essai", …}, signed like the
    // others; not through the outbox: never retried). FailedPrecondition when no webhook is declared.
    Result<WebhookTest> testWebhook(const Caller& admin) const;
    // The pushes of the last `limit` transmissions received (those that had a webhook to go to).
    Result<std::vector<WebhookDeliveryView>> recentDeliveries(const Caller& admin, int limit = 20) const;

    // Every funder organisation (an association picks the funders of an action among them).
    Result<std::vector<storage::Organisation>> funders() const;
    // Display name of an organisation ("" when unknown).
    std::string nameOf(const std::string& organisationId) const;

private:
    Status requireAdmin(const Caller& caller) const;

    std::shared_ptr<storage::Store> _store;
    std::shared_ptr<const TransmissionService> _transmissions;
    std::shared_ptr<storage::WebhookSecretStore> _secrets;
    std::shared_ptr<delivery::Sender> _sender;
};

} // namespace passerelle::service
