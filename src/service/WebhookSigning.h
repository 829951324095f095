#pragma once
// SignedWebhookSender: the sender of the pushes to landlords' (and SIAO's) webhooks, as
// delivery::HttpSender (POST JSON, Idempotency-Key, X-Passerelle-Transmission, to a target checked
// under the webhook policy: delivery/WebhookTarget.h) plus, when the recipient has a signing secret (storage::WebhookSecretStore),
//     X-Passerelle-Signature: sha256=<hex HMAC-SHA256(secret, body)>
// The secret is read at each attempt, so a replaced secret signs the retries too. A receiver
// checks the header against the body it read (constant-time comparison), see docs/web.md.
// Thread-safe when the secret store is (one instance serves the delivery loop and the pages).
#include <memory>
#include <string>

#include "delivery/Outbox.h"
#include "storage/WebhookSecretStore.h"

namespace passerelle::service {

inline constexpr const char* WEBHOOK_SIGNATURE_HEADER = "X-Passerelle-Signature";

// "sha256=" + hex HMAC-SHA256 of `body` under `secret`.
std::string webhookSignature(const std::string& secret, const std::string& body);

class SignedWebhookSender : public delivery::Sender {
public:
    // `secrets` may be null: nothing is signed.
    SignedWebhookSender(std::shared_ptr<storage::WebhookSecretStore> secrets, int timeoutSeconds = 10)
        : _secrets(std::move(secrets)), _timeoutSeconds(timeoutSeconds) {}
    delivery::SendResult send(const delivery::OutboxMessage& message) override;

private:
    std::shared_ptr<storage::WebhookSecretStore> _secrets;
    int _timeoutSeconds;
};

} // namespace passerelle::service
