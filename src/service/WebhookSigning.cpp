#include "service/WebhookSigning.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "audit/AuditChain.h"

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
    try {
        Poco::URI uri(m.url);
        if (uri.getScheme() != "http") {
            r.error = "scheme_unsupported";
            return r;
        }
        Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
        session.setTimeout(Poco::Timespan(_timeoutSeconds, 0));
        std::string path = uri.getPathAndQuery();
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path.empty() ? "/" : path, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("application/json; charset=utf-8");
        req.setContentLength(static_cast<std::streamsize>(m.body.size()));
        req.set("Idempotency-Key", m.id);
        req.set("X-Passerelle-Transmission", m.transmissionId);
        if (!secret.empty()) req.set(WEBHOOK_SIGNATURE_HEADER, webhookSignature(secret, m.body));
        session.sendRequest(req) << m.body;
        Poco::Net::HTTPResponse resp;
        std::istream& in = session.receiveResponse(resp);
        Poco::NullOutputStream sink;
        Poco::StreamCopier::copyStream(in, sink);
        r.httpStatus = resp.getStatus();
        r.delivered = r.httpStatus >= 200 && r.httpStatus < 300;
        if (!r.delivered) r.error = "http_" + std::to_string(r.httpStatus);
    } catch (const Poco::Exception& e) {
        r.error = e.displayText();
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    return r;
}

} // namespace passerelle::service
