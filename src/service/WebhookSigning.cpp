#include "service/WebhookSigning.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "audit/AuditChain.h"
#include "delivery/WebhookTarget.h"

namespace passerelle::service {

std::string webhookSignature(const std::string& secret, const std::string& body) {
    return "sha256=" + audit::hmacSha256Hex(secret, body);
}

delivery::SendResult SignedWebhookSender::send(const delivery::OutboxMessage& m) {
    delivery::SendResult r;
    // The secret first: a store failure is a failed attempt (retried), never an unsigned push.
    std::string secret;
    if (_secrets) {
        auto s = _secrets->findWebhookSecret(m.recipientOrgId);
        if (s.isOk()) secret = s.value().secret;
        else if (s.status().code() != Status::Code::NotFound) {
            r.error = "secret_unavailable";
            return r;
        }
    }
    std::vector<std::pair<std::string, std::string>> headers = {{"Idempotency-Key", m.id},
                                                                {"X-Passerelle-Transmission", m.transmissionId}};
    if (!secret.empty()) headers.emplace_back(WEBHOOK_SIGNATURE_HEADER, webhookSignature(secret, m.body));
    r = delivery::postWebhook(m.url, headers, m.body, _timeoutSeconds);
    return r;
}

} // namespace passerelle::service
